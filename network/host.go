package network

// hostNetwork is --network host: the container shares the host's network
// namespace (Mode.OwnNetNS), so there is nothing to connect, and its
// servers listen on the host's ports without being published.
type hostNetwork struct{}

func (hostNetwork) start(int, []PortMapping) error { return nil }

func (hostNetwork) stop() error { return nil }
