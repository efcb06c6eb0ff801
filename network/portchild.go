package network

// The port child: the process in the container's user and network
// namespaces that serves rootlesskit's builtin port driver (ports_builtin.go)
// there.

import (
	"encoding/json"
	"fmt"
	"os"
	"os/signal"
	"strings"

	"github.com/rootless-containers/rootlesskit/v3/pkg/port/builtin"
	"github.com/rootless-containers/rootlesskit/v3/pkg/port/builtin/opaque"
	"golang.org/x/sys/unix"
)

// PortChildEnvVar carries the port child's instructions: rootlesskit's
// "opaque" of its builtin driver (paths of its socket and ready pipe), as
// JSON.
const PortChildEnvVar = "_URUN_PORT_CHILD"

// PortChildEnv is the environment of the port child, the process the
// namespace stage forks in the container's user and network namespaces
// (but the host's mount namespace) when rootlesskit's builtin port
// driver publishes the ports; nil when no port child is needed. The
// child runs RunPortChild.
func (n *Network) PortChildEnv() []string {
	if n.builtin == nil {
		return nil
	}
	return []string{PortChildEnvVar + "=" + n.builtin.childOpaque()}
}

// childOpaque is the JSON the port child gets in PortChildEnvVar.
func (b *builtinPorts) childOpaque() string {
	data, _ := json.Marshal(b.driver.OpaqueForChild())
	return string(data)
}

// RunPortChild is the port child's main: in the container's user and
// network namespaces, it runs rootlesskit's builtin child driver, which
// connects to the container's ports for the parent in urun, until it is
// killed. It returns the exit code.
func RunPortChild() int {
	raw := os.Getenv(PortChildEnvVar)
	os.Unsetenv(PortChildEnvVar)
	var o map[string]string
	if err := json.Unmarshal([]byte(raw), &o); err != nil || o[opaque.SocketPath] == "" {
		fmt.Fprintf(os.Stderr, "urun: port child: bad %s %q\n", PortChildEnvVar, raw)
		return 125
	}
	// The child is in the container's session, not the caller's process
	// group; still, no signal meant for the container may end it (the
	// container's published ports must keep working while it handles
	// one): it ends with the namespace stage, which kills it once the
	// container ended.
	signal.Ignore(unix.SIGINT, unix.SIGQUIT, unix.SIGHUP, unix.SIGTERM)
	quit := make(chan struct{})
	if err := builtin.NewChildDriver(os.Stderr).RunChildDriver(o, quit, ""); err != nil {
		fmt.Fprintf(os.Stderr, "urun: port child: %s\n", strings.TrimSpace(err.Error()))
		return 125
	}
	return 0
}
