package usernet

import "net/netip"

// The holder's protocol: over a stream connection to its socket, one JSON
// Request, then one JSON Reply, as often as the client likes. The holder
// stays while any client is connected: Connect's first request, Hello,
// returns once the holder counts the connection.
type Request struct {
	Hello  bool           `json:"hello,omitempty"`
	Attach *AttachRequest `json:"attach,omitempty"`
	Detach *DetachRequest `json:"detach,omitempty"`
}

// AttachRequest connects a container to networks: the first attach of a
// container (at its start) or `network connect`.
type AttachRequest struct {
	Container Container `json:"container"`
	// WaiterPID and KeepFD: see Container.
	WaiterPID int             `json:"waiter_pid"`
	KeepFD    int             `json:"keep_fd"`
	Networks  []NetworkAttach `json:"networks"`
}

// NetworkAttach is one network to attach to.
type NetworkAttach struct {
	Network NetworkSpec `json:"network"`
	Aliases []string    `json:"aliases,omitempty"`
	// IP is --ip; zero takes the next free address.
	IP netip.Addr `json:"ip,omitzero"`
}

// DetachRequest is `network disconnect`.
type DetachRequest struct {
	ContainerID string `json:"container_id"`
	Network     string `json:"network"`
}

// Reply is the holder's answer.
type Reply struct {
	Error     string     `json:"error,omitempty"`
	HolderPID int        `json:"holder_pid,omitempty"`
	Endpoints []Endpoint `json:"endpoints,omitempty"`
}

// HolderRequest is the holder stage's request.
type HolderRequest struct {
	// Dir is Dir(cfg).
	Dir string `json:"dir"`
	// Recovered: the namespaces existed already (a killed holder's).
	Recovered bool `json:"recovered,omitempty"`
}
