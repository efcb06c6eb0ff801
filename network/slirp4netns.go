package network

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// slirp4netns runs slirp4netns for a container's namespace.
type slirp4netns struct {
	path     string
	stateDir string
	opts     SlirpOptions
	// apiSocket is set when ports are published through slirp4netns's
	// API (port_handler=slirp4netns).
	apiSocket string

	proc *helperProcess
	// exitW is the write end of slirp4netns's --exit-fd: slirp4netns ends
	// when it closes, which happens at the latest when urun ends, however
	// it ends.
	exitW *os.File
}

func newSlirp4netns(path, stateDir string, o SlirpOptions) *slirp4netns {
	return &slirp4netns{path: path, stateDir: stateDir, opts: o}
}

// slirp4netnsArgs are slirp4netns's arguments for the namespaces of pid,
// with the ready pipe on fd 3 and the exit pipe on fd 4.
func slirp4netnsArgs(o SlirpOptions, pid int, apiSocket string, sandbox bool) []string {
	mtu := o.MTU
	if mtu == 0 {
		mtu = DefaultMTU
	}
	args := []string{"--configure", "--mtu=" + strconv.Itoa(mtu)}
	if !o.AllowHostLoopback {
		args = append(args, "--disable-host-loopback")
	}
	if sandbox {
		args = append(args, "--enable-sandbox", "--enable-seccomp")
	}
	args = append(args, "--ready-fd=3", "--exit-fd=4")
	if apiSocket != "" {
		args = append(args, "--api-socket", apiSocket)
	}
	if o.CIDR != "" && o.CIDR != DefaultCIDR {
		args = append(args, "--cidr="+o.CIDR)
	}
	if o.OutboundAddr != "" {
		args = append(args, "--outbound-addr="+o.OutboundAddr)
	}
	if o.OutboundAddr6 != "" {
		args = append(args, "--outbound-addr6="+o.OutboundAddr6)
	}
	if o.EnableIPv6 {
		args = append(args, "--enable-ipv6")
	}
	// The namespaces are given by pid, not as --netns-type=path with
	// --userns-path: with paths, slirp4netns (up to 1.3 at least) does not
	// enter the user namespace for --enable-sandbox and fails at
	// "setegid(0)".
	return append(args, strconv.Itoa(pid), "tap0")
}

// sandboxWorks reports whether slirp4netns's --enable-sandbox can work
// here: it keeps only /etc and /run of the host's files, so the host's
// resolv.conf, which its DNS forwarder reads, must resolve inside them.
func sandboxWorks() bool {
	target, err := filepath.EvalSymlinks("/etc/resolv.conf")
	if err != nil {
		// No resolv.conf at all: nothing to lose in the sandbox.
		return true
	}
	return strings.HasPrefix(target, "/etc/") || strings.HasPrefix(target, "/run/")
}

func (s *slirp4netns) start(pid int, _ []PortMapping) error {
	readyR, readyW, err := os.Pipe()
	if err != nil {
		return fmt.Errorf("create slirp4netns's ready pipe: %w", err)
	}
	defer readyR.Close()
	exitR, exitW, err := os.Pipe()
	if err != nil {
		readyW.Close()
		return fmt.Errorf("create slirp4netns's exit pipe: %w", err)
	}
	if s.apiSocket != "" {
		// A socket left by an earlier run of this state directory makes
		// slirp4netns fail.
		os.Remove(s.apiSocket)
	}
	cmd := exec.Command(s.path, slirp4netnsArgs(s.opts, pid, s.apiSocket, sandboxWorks())...)
	cmd.ExtraFiles = []*os.File{readyW, exitR}
	// Its stdout has only a banner of its settings; its errors would drown
	// in it.
	proc, err := startHelper("slirp4netns", cmd, filepath.Join(s.stateDir, "slirp4netns.log"), false)
	readyW.Close()
	exitR.Close()
	if err != nil {
		exitW.Close()
		return err
	}
	s.proc, s.exitW = proc, exitW

	// slirp4netns writes "1" to the ready pipe once tap0 is configured
	// and the API socket listens; it closes the pipe without a word when
	// it fails.
	ready := make(chan error, 1)
	go func() {
		buf := make([]byte, 1)
		n, err := readyR.Read(buf)
		if n == 1 && buf[0] == '1' {
			ready <- nil
			return
		}
		ready <- err
	}()
	select {
	case err := <-ready:
		if err == nil {
			return nil
		}
		// The pipe closed: slirp4netns is ending.
		select {
		case <-proc.done:
		case <-time.After(exitTimeout):
		}
		return fmt.Errorf("connect the container's network: %w", proc.exited())
	case <-proc.done:
		return fmt.Errorf("connect the container's network: %w", proc.exited())
	case <-time.After(readyTimeout):
		return fmt.Errorf("connect the container's network: slirp4netns was not ready after %v%s", readyTimeout, proc.logTail())
	}
}

func (s *slirp4netns) stop() error {
	if s.proc == nil {
		return nil
	}
	// Closing the exit pipe is slirp4netns's way to end cleanly.
	s.proc.stop(func() { s.exitW.Close() })
	if s.apiSocket != "" {
		os.Remove(s.apiSocket)
	}
	return nil
}

// slirpNet is the parsed CIDR of slirp4netns networking.
func (o SlirpOptions) slirpNet() *net.IPNet {
	cidr := o.CIDR
	if cidr == "" {
		cidr = DefaultCIDR
	}
	_, n, err := net.ParseCIDR(cidr)
	if err != nil {
		_, n, _ = net.ParseCIDR(DefaultCIDR)
	}
	return n
}

// nth is the address n after the network's address.
func nth(n *net.IPNet, i byte) net.IP {
	ip := append(net.IP(nil), n.IP.To4()...)
	ip[3] += i
	return ip
}

// GatewayIP is the host as the container sees it (.2 of the CIDR).
func (o SlirpOptions) GatewayIP() net.IP { return nth(o.slirpNet(), 2) }

// DNSIP is slirp4netns's built-in DNS forwarder (.3 of the CIDR).
func (o SlirpOptions) DNSIP() net.IP { return nth(o.slirpNet(), 3) }

// ContainerIP is the address of the container's tap0 (.100 of the CIDR).
func (o SlirpOptions) ContainerIP() net.IP { return nth(o.slirpNet(), 100) }

// DefaultSlirpDNS is slirp4netns's DNS forwarder with the default CIDR.
const DefaultSlirpDNS = "10.0.2.3"

// SlirpDNS6 is slirp4netns's IPv6 DNS forwarder, fixed in slirp4netns.
const SlirpDNS6 = "fd00::3"

// UplinkArgs are slirp4netns's arguments as the uplink of urun's
// user-defined networks (package usernet): the namespaces of holderPID,
// the ready pipe as descriptor 3 and the exit pipe as 4.
func UplinkArgs(holderPID int) []string {
	o := SlirpOptions{MTU: DefaultMTU, CIDR: DefaultCIDR}
	return slirp4netnsArgs(o, holderPID, "", sandboxWorks())
}

// FindHelper finds slirp4netns or pasta in PATH, or says what to install.
func FindHelper(kind string) (string, error) { return findHelper(kind) }
