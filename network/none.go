package network

// noNetwork is --network none: the container's own network namespace
// with only its loopback interface (init brings lo up). Nothing on the
// host serves it, and no port can be published into it.
type noNetwork struct{}

func (noNetwork) start(int, []PortMapping) error { return nil }

func (noNetwork) stop() error { return nil }
