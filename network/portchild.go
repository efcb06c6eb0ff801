package network

// The port child: the process in the container's user and network
// namespaces that serves rootlesskit's builtin port driver (ports_builtin.go)
// there. The waiter forks it beside init (stage.Container.PortChild); it
// reads its instructions from the container's start request.

import (
	"fmt"
	"os"
	"os/signal"
	"strings"

	"github.com/rootless-containers/rootlesskit/v3/pkg/port/builtin"
	"github.com/rootless-containers/rootlesskit/v3/pkg/port/builtin/opaque"
	"golang.org/x/sys/unix"

	"github.com/urun/urun/stage"
)

// PortChildRequest is what the port child needs (stage.ContainerRequest's
// PortChild: rootlesskit's "opaque" of its builtin driver, the paths of
// its socket and ready pipe); nil when no port child is needed, that is
// unless rootlesskit's builtin port driver publishes the ports. The child
// runs RunPortChild.
func (n *Network) PortChildRequest() map[string]string {
	if n.builtin == nil {
		return nil
	}
	return n.builtin.driver.OpaqueForChild()
}

// RunPortChild is the port child's main (stage.Ports): in the container's
// user and network namespaces, it runs rootlesskit's builtin child driver,
// which connects to the container's ports for the parent in urun, until
// it is killed. It returns the exit code.
func RunPortChild() int {
	var req stage.ContainerRequest
	err := stage.Request(&req)
	o := req.PortChild
	if err != nil || o[opaque.SocketPath] == "" {
		fmt.Fprintf(os.Stderr, "urun: port child: bad request (%v): %v\n", err, o)
		return 125
	}
	// The child is in the container's session, not the caller's process
	// group; still, no signal meant for the container may end it (the
	// container's published ports must keep working while it handles
	// one): it ends with the waiter, which kills it once the container
	// ended.
	signal.Ignore(unix.SIGINT, unix.SIGQUIT, unix.SIGHUP, unix.SIGTERM)
	// The driver's socket, which urun on the host connects to, is made by
	// root of the container's namespace: under keep-id another host id
	// than the user's, who may then connect only if others may write it.
	// Its run-state directory, the user's own, keeps everyone else out.
	unix.Umask(0)
	quit := make(chan struct{})
	if err := builtin.NewChildDriver(os.Stderr).RunChildDriver(o, quit, ""); err != nil {
		fmt.Fprintf(os.Stderr, "urun: port child: %s\n", strings.TrimSpace(err.Error()))
		return 125
	}
	return 0
}
