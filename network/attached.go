package network

// Attacher connects a container's network namespace to networks held
// elsewhere (package usernet does it for KindNetworks).
type Attacher interface {
	// Attach connects the network namespace of pid.
	Attach(pid int) error
	// Close lets go of what Attach needed; the holder detaches the
	// container by itself when it ends.
	Close() error
}

type attachedDriver struct{ a Attacher }

func (d attachedDriver) start(pid int, _ []PortMapping) error { return d.a.Attach(pid) }

func (d attachedDriver) stop() error { return d.a.Close() }

// NewAttached is New for KindNetworks: a attaches the namespace; ports
// are published by rootlesskit's builtin port driver, as for slirp4netns.
func NewAttached(m Mode, stateDir string, ports []PortMapping, a Attacher) (*Network, error) {
	if err := checkPorts(m, ports, currentPortLimits()); err != nil {
		return nil, err
	}
	n := &Network{mode: m, stateDir: stateDir, ports: ports, driver: attachedDriver{a}}
	if len(ports) > 0 {
		b, err := newBuiltinPorts(stateDir, "127.0.0.1")
		if err != nil {
			return nil, err
		}
		n.builtin, n.publisher = b, b
	}
	return n, nil
}
