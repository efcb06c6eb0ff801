package network

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/rootless-containers/rootlesskit/v3/pkg/port"
	"github.com/rootless-containers/rootlesskit/v3/pkg/port/builtin"
	"golang.org/x/sys/unix"
)

// builtinPorts publishes ports with rootlesskit's builtin port driver:
// urun listens on the host ports and, for each connection, asks the port
// child in the container's network namespace to connect to the container
// and pass the connected socket back, then copies between the two.
type builtinPorts struct {
	driver  port.ParentDriver
	childIP string
	// readyPipe and socket are the rendezvous with the port child.
	readyPipe, socket string

	quit    chan struct{}
	running bool
	ids     []int
}

// newBuiltinPorts creates the parent driver and its ready pipe, which
// must exist before the port child starts: the child waits on it for the
// parent.
func newBuiltinPorts(stateDir, childIP string) (*builtinPorts, error) {
	b := &builtinPorts{childIP: childIP, quit: make(chan struct{})}
	// The driver's own socket and pipe names.
	b.socket = filepath.Join(stateDir, ".bp.sock")
	b.readyPipe = filepath.Join(stateDir, ".bp-ready.pipe")
	if err := checkSocketPath(b.socket); err != nil {
		return nil, err
	}
	os.Remove(b.socket)
	// The driver logs every listener it closes as an accept error; urun
	// has nowhere useful to show that.
	d, err := builtin.NewParentDriver(io.Discard, stateDir, false, "")
	if err != nil {
		return nil, fmt.Errorf("prepare the port driver: %w", err)
	}
	b.driver = d
	return b, nil
}

// publish waits for the port child (the parent driver's handshake with
// it), then adds each mapping. The child connects to the container's
// address, as Docker does, not to its loopback.
func (b *builtinPorts) publish(ports []PortMapping) error {
	if err := b.run(); err != nil {
		return err
	}
	for _, p := range ports {
		st, err := b.driver.AddPort(context.Background(), port.Spec{
			Proto: p.Proto, ParentIP: p.HostIP, ParentPort: p.HostPort,
			ChildIP: b.childIP, ChildPort: p.ContainerPort,
		})
		if err != nil {
			return fmt.Errorf("publish %s: %w", p, err)
		}
		b.ids = append(b.ids, st.ID)
	}
	return nil
}

// run starts the parent driver and waits for its handshake with the port
// child.
func (b *builtinPorts) run() error {
	initDone := make(chan struct{}, 1)
	errc := make(chan error, 1)
	go func() { errc <- b.driver.RunParentDriver(initDone, b.quit, nil) }()
	b.running = true
	select {
	case <-initDone:
		return nil
	case err := <-errc:
		return fmt.Errorf("connect to the port child: %w", err)
	case <-time.After(readyTimeout):
		// The driver waits in opening the ready pipe: opening its other
		// end and closing it lets it go on to fail.
		if f, err := os.OpenFile(b.readyPipe, os.O_WRONLY|unix.O_NONBLOCK, 0); err == nil {
			f.Close()
		}
		return fmt.Errorf("the port child did not answer within %v: was it started (PortChildRequest)?", readyTimeout)
	}
}

func (b *builtinPorts) stop() error {
	var errs []error
	for _, id := range b.ids {
		errs = append(errs, b.driver.RemovePort(context.Background(), id))
	}
	b.ids = nil
	if b.running {
		close(b.quit)
		b.running = false
	}
	os.Remove(b.readyPipe)
	os.Remove(b.socket)
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("unpublish ports: %w", err)
	}
	return nil
}
