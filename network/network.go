// Package network gives a rootless container its network on the host
// side. A driver for each --network kind connects the container's network
// namespace to the host's: slirp4netns (the default, slirp4netns.go),
// pasta (pasta.go), none (none.go) and host (host.go). Ports published
// with -p go through a port publisher: rootlesskit's builtin port driver
// (ports_builtin.go, with its port child in portchild.go) or slirp4netns's
// own API (ports_slirp4netns.go); pasta forwards them itself. urun's
// networks attach through package usernet (attached.go). --network is
// parsed in mode.go, -p/-P in publish.go. The container's
// /etc/resolv.conf and /etc/hosts are written by the subpackage namefiles.
//
// A Network is set up in two steps around the start of the namespace
// stage: New checks everything that can be checked before anything starts
// (helpers installed, host ports free and allowed), Attach connects the
// running namespace and publishes the ports, Close stops what Attach
// started.
package network

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// readyTimeout bounds the wait for slirp4netns, pasta or the port child
// to be ready; each is ready in milliseconds when it works.
const readyTimeout = 10 * time.Second

// exitTimeout is how long a helper that failed to start gets to exit
// before its error is reported.
const exitTimeout = 2 * time.Second

// driver connects one container's network namespace to the host's
// network, one for each --network kind.
type driver interface {
	// start connects the network namespace of pid and returns once the
	// namespace's interface is configured. ports are the mappings with
	// their host ports chosen; a driver that forwards ports itself
	// (pasta) publishes them, others leave them to a portPublisher.
	start(pid int, ports []PortMapping) error
	// stop asks it to end without waiting: when slirp4netns or pasta
	// closes the namespace's tap device the kernel takes some 25 ms to
	// tear the device down, which nobody needs to wait for. It may be
	// called after a failed start, or none, and more than once.
	stop() error
}

// portPublisher publishes ports into a namespace whose driver runs.
type portPublisher interface {
	// publish publishes each mapping (host ports chosen).
	publish(ports []PortMapping) error
	// stop unpublishes them; safe to call more than once.
	stop() error
}

// Network is one container's networking, set up in two steps around the
// namespace stage's start.
type Network struct {
	mode     Mode
	stateDir string
	ports    []PortMapping

	driver    driver
	publisher portPublisher
	// builtin is the publisher when rootlesskit's builtin driver is used,
	// which needs a port child in the container's namespaces.
	builtin *builtinPorts

	// mu orders Stop and Close, which may come from different goroutines.
	mu       sync.Mutex
	closed   bool
	closeErr error
}

// New checks before anything starts that the mode's helper is installed
// and that each requested host port is free and allowed, and prepares
// what the port child needs. stateDir is the container's run state
// directory, which must exist; New keeps sockets, a pipe and logs there.
// Modes without a helper (none, host) need nothing; their ports are not
// published.
func New(m Mode, stateDir string, ports []PortMapping) (*Network, error) {
	n := &Network{mode: m, stateDir: stateDir}
	switch m.Kind {
	case KindNone:
		n.driver = noNetwork{}
		return n, nil
	case KindHost:
		n.driver = hostNetwork{}
		return n, nil
	case KindSlirp4netns, KindPasta:
	default:
		return nil, fmt.Errorf("--network %q: unknown network mode", m.Kind)
	}
	path, err := findHelper(m.Kind)
	if err != nil {
		return nil, err
	}
	if err := checkPorts(m, ports, currentPortLimits()); err != nil {
		return nil, err
	}
	n.ports = ports
	if m.Kind == KindPasta {
		n.driver = newPasta(path, stateDir, m.PastaArgs)
		return n, nil
	}
	s := newSlirp4netns(path, stateDir, m.Slirp)
	n.driver = s
	if len(ports) > 0 {
		if err := n.choosePortPublisher(s); err != nil {
			return nil, err
		}
	}
	return n, nil
}

// choosePortPublisher decides how ports reach slirp4netns's namespace:
// through slirp4netns's API (port_handler=slirp4netns) or rootlesskit's
// builtin port driver (the default).
func (n *Network) choosePortPublisher(s *slirp4netns) error {
	if n.mode.Slirp.PortHandler == PortHandlerSlirp4netns {
		api, err := newSlirpAPI(n.stateDir, n.mode.Slirp.ContainerIP().String())
		if err != nil {
			return err
		}
		s.apiSocket = api.socket
		n.publisher = api
		return nil
	}
	// The port child connects to the container on 127.0.0.1, as
	// rootlesskit does by default: the container then sees a local
	// client's own address, not slirp4netns's.
	b, err := newBuiltinPorts(n.stateDir, "127.0.0.1")
	if err != nil {
		return err
	}
	n.builtin, n.publisher = b, b
	return nil
}

// findHelper finds slirp4netns or pasta in PATH, or says what to install.
func findHelper(kind string) (string, error) {
	name, pkg := "slirp4netns", "slirp4netns"
	if kind == KindPasta {
		name, pkg = "pasta", "passt"
	}
	path, err := exec.LookPath(name)
	if err != nil {
		return "", fmt.Errorf("--network %s needs %s, which is not in PATH: install the %s package (Debian and Ubuntu: 'sudo apt-get install %s'; Fedora: 'sudo dnf install %s'), or choose another --network", kind, name, pkg, pkg, pkg)
	}
	return path, nil
}

// checkSocketPath rejects paths too long for a unix socket address.
func checkSocketPath(path string) error {
	// sun_path holds 108 bytes with the terminating NUL.
	if len(path) > 107 {
		return fmt.Errorf("the socket path %s is longer than the 107 bytes a unix socket allows: use a shorter --runroot", path)
	}
	return nil
}

// portLimits is what decides whether a host port may be bound.
type portLimits struct {
	// unprivilegedStart is net.ipv4.ip_unprivileged_port_start.
	unprivilegedStart int
	// root is set when the caller may bind any port.
	root bool
}

func currentPortLimits() portLimits {
	l := portLimits{unprivilegedStart: 1024, root: os.Geteuid() == 0}
	if data, err := os.ReadFile("/proc/sys/net/ipv4/ip_unprivileged_port_start"); err == nil {
		if v, err := strconv.Atoi(strings.TrimSpace(string(data))); err == nil {
			l.unprivilegedStart = v
		}
	}
	return l
}

// checkPorts rejects mappings that cannot be published: the same host
// port twice, ports the caller may not bind, ports in use.
func checkPorts(m Mode, ports []PortMapping, l portLimits) error {
	seen := map[string]bool{}
	for _, p := range ports {
		if p.HostPort != 0 && p.HostPortEnd == 0 {
			if seen[p.key()] {
				return fmt.Errorf("host port %s is published twice: give each -p its own host port", hostPortString(p))
			}
			seen[p.key()] = true
		}
		if m.Kind == KindSlirp4netns && m.Slirp.PortHandler == PortHandlerSlirp4netns && p.HostIP != "" && net.ParseIP(p.HostIP).To4() == nil {
			return fmt.Errorf("-p %s: slirp4netns's port handler publishes on IPv4 only: use port_handler=rootlesskit (the default) or an IPv4 host address", p)
		}
		if p.HostPort != 0 && p.HostPort < l.unprivilegedStart && !l.root {
			return privilegedPortError(p, l.unprivilegedStart)
		}
	}
	for _, p := range ports {
		if p.HostPort == 0 || p.HostPortEnd != 0 {
			continue // picked at Attach from what is free then
		}
		c, err := bindHostPort(p.HostIP, p.HostPort, p.Proto)
		if err != nil {
			return hostPortError(p, err, l)
		}
		c.Close()
	}
	return nil
}

func hostPortString(p PortMapping) string {
	s := strconv.Itoa(p.HostPort) + "/" + p.Proto
	if p.HostIP != "" {
		s = net.JoinHostPort(p.HostIP, strconv.Itoa(p.HostPort)) + "/" + p.Proto
	}
	return s
}

func privilegedPortError(p PortMapping, start int) error {
	return fmt.Errorf("cannot publish host port %d: ports below %d (net.ipv4.ip_unprivileged_port_start) need root; choose a host port of %d or more with -p, or allow it with 'sudo sysctl -w net.ipv4.ip_unprivileged_port_start=%d'", p.HostPort, start, start, p.HostPort)
}

// hostPortError turns a failed bind into what the user can do about it.
func hostPortError(p PortMapping, err error, l portLimits) error {
	switch {
	case errors.Is(err, unix.EADDRINUSE):
		return fmt.Errorf("port %s is already in use on the host: choose another with -p", hostPortString(p))
	case errors.Is(err, unix.EACCES):
		return privilegedPortError(p, max(l.unprivilegedStart, p.HostPort+1))
	case errors.Is(err, unix.EADDRNOTAVAIL):
		return fmt.Errorf("cannot publish on %s: it is not an address of this host", p.HostIP)
	}
	return fmt.Errorf("check host port %s: %w", hostPortString(p), err)
}

// bindHostPort binds ip:port as the publisher will; "" is every address,
// IPv4 and IPv6, as Go's listeners and rootlesskit's take it.
func bindHostPort(ip string, port int, proto string) (interface{ Close() error }, error) {
	addr := net.JoinHostPort(ip, strconv.Itoa(port))
	if proto == "udp" {
		return net.ListenPacket("udp", addr)
	}
	return net.Listen("tcp", addr)
}

// pickHostPorts chooses the host port of mappings that leave it open:
// HostPort 0 gets a free port from the kernel, a range its first free
// port. Each is free now; the publisher binds it a moment later.
func pickHostPorts(ports []PortMapping) ([]PortMapping, error) {
	out := make([]PortMapping, len(ports))
	for i, p := range ports {
		switch {
		case p.HostPort == 0:
			c, err := bindHostPort(p.HostIP, 0, p.Proto)
			if err != nil {
				return nil, fmt.Errorf("pick a free host port for %s: %w", p, err)
			}
			p.HostPort = boundPort(c)
			c.Close()
		case p.HostPortEnd != 0:
			picked := 0
			for hp := p.HostPort; hp <= p.HostPortEnd && picked == 0; hp++ {
				if taken(out[:i], p.HostIP, hp, p.Proto) {
					continue
				}
				if c, err := bindHostPort(p.HostIP, hp, p.Proto); err == nil {
					c.Close()
					picked = hp
				}
			}
			if picked == 0 {
				return nil, fmt.Errorf("every host port of %s is in use: choose another range with -p", p)
			}
			p.HostPort, p.HostPortEnd = picked, 0
		}
		out[i] = p
	}
	return out, nil
}

// taken reports whether an earlier mapping already has that host port.
func taken(earlier []PortMapping, ip string, port int, proto string) bool {
	for _, e := range earlier {
		if e.HostIP == ip && e.HostPort == port && e.Proto == proto {
			return true
		}
	}
	return false
}

func boundPort(c interface{ Close() error }) int {
	switch c := c.(type) {
	case net.Listener:
		return c.Addr().(*net.TCPAddr).Port
	case net.PacketConn:
		return c.LocalAddr().(*net.UDPAddr).Port
	}
	return 0
}

// Attach connects the container's network namespace: pid is a process in
// the container's user and network namespaces for as long as the
// container lives. It starts the mode's driver (slirp4netns or pasta;
// none and host start nothing), waits until the namespace's interface is
// up, publishes the ports and returns the mappings with the host ports
// chosen. On failure it stops what it started.
func (n *Network) Attach(pid int) ([]PortMapping, error) {
	ports, err := pickHostPorts(n.ports)
	if err != nil {
		return nil, err
	}
	if err := n.driver.start(pid, ports); err != nil {
		n.Close()
		return nil, err
	}
	if n.publisher != nil {
		if err := n.publisher.publish(ports); err != nil {
			n.Close()
			return nil, err
		}
	}
	return ports, nil
}

// Close unpublishes the ports and asks slirp4netns or pasta to end; they
// are gone within milliseconds (and killed if urun dies first). It may be
// called more than once.
func (n *Network) Close() error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.closed {
		return n.closeErr
	}
	n.closed = true
	var errs []error
	if n.publisher != nil {
		errs = append(errs, n.publisher.stop())
	}
	errs = append(errs, n.driver.stop())
	n.closeErr = errors.Join(errs...)
	return n.closeErr
}
