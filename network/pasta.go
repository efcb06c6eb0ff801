package network

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// pasta runs pasta (of the passt package) for a container's namespace;
// pasta forwards the published ports itself.
type pasta struct {
	path     string
	stateDir string
	// args are the user's, from pasta:ARGS.
	args []string

	proc *helperProcess
}

func newPasta(path, stateDir string, args []string) *pasta {
	return &pasta{path: path, stateDir: stateDir, args: args}
}

// pastaArgs are pasta's arguments for the namespaces of pid. pasta runs
// in the foreground, a child of urun that dies with it, and writes its
// pid to pidFile once the namespace's interface is configured. Unless
// the user says otherwise it forwards only the published ports (its
// default forwards every port bound in the namespace), does not forward
// the namespace's ports to the host's (which would let the container
// reach the host's loopback services), and does not map the gateway
// address to the host's loopback (the same reason; pasta:--map-gw, as in
// podman, allows it).
func pastaArgs(user []string, pid int, ports []PortMapping, pidFile string) []string {
	args := []string{"--config-net", "--foreground", "--quiet", "--pid", pidFile}
	has := func(names ...string) bool {
		for _, n := range names {
			if pastaArg(user, n, n) != "" || hasArg(user, n) {
				return true
			}
		}
		return false
	}
	if os.Geteuid() == 0 && !has("--runas") {
		// pasta started by root changes to nobody, who may not open the
		// container's namespaces (root's, in its identity-mapped user
		// namespace): it stays root, in the sandbox it makes anyway.
		args = append(args, "--runas", "0:0")
	}
	var tcp, udp []string
	for _, p := range ports {
		spec := strconv.Itoa(p.HostPort) + ":" + strconv.Itoa(p.ContainerPort)
		if p.HostIP != "" {
			spec = p.HostIP + "/" + spec
		}
		if p.Proto == "udp" {
			udp = append(udp, "-u", spec)
		} else {
			tcp = append(tcp, "-t", spec)
		}
	}
	if len(tcp) == 0 && !has("-t", "--tcp-ports") {
		tcp = []string{"-t", "none"}
	}
	if len(udp) == 0 && !has("-u", "--udp-ports") {
		udp = []string{"-u", "none"}
	}
	args = append(append(args, tcp...), udp...)
	if !has("-T", "--tcp-ns") {
		args = append(args, "-T", "none")
	}
	if !has("-U", "--udp-ns") {
		args = append(args, "-U", "none")
	}
	if !has("--map-gw", "--no-map-gw") {
		args = append(args, "--no-map-gw")
	}
	if !has("--dns-forward") {
		args = append(args, "--dns-forward", defaultPastaDNSForward)
	}
	for _, a := range user {
		// --map-gw is urun's: pasta maps the gateway unless told not to.
		if a != "--map-gw" {
			args = append(args, a)
		}
	}
	proc := "/proc/" + strconv.Itoa(pid) + "/ns/"
	return append(args, "--userns", proc+"user", "--netns", proc+"net")
}

func (p *pasta) start(pid int, ports []PortMapping) error {
	// pasta has no ready pipe, but writes its pid file once the
	// namespace is configured: a FIFO as the pid file is one. Opened
	// read-write it never blocks, and never reads as closed while pasta
	// has not opened it yet.
	pidFile := filepath.Join(p.stateDir, "pasta.pid")
	os.Remove(pidFile)
	if err := unix.Mkfifo(pidFile, 0o600); err != nil {
		return fmt.Errorf("create pasta's pid pipe: %w", err)
	}
	defer os.Remove(pidFile)
	fifo, err := os.OpenFile(pidFile, os.O_RDWR, 0)
	if err != nil {
		return fmt.Errorf("open pasta's pid pipe: %w", err)
	}
	defer fifo.Close()

	cmd := exec.Command(p.path, pastaArgs(p.args, pid, ports, pidFile)...)
	proc, err := startHelper("pasta", cmd, filepath.Join(p.stateDir, "pasta.log"), true)
	if err != nil {
		return err
	}
	p.proc = proc
	ready := make(chan error, 1)
	go func() {
		_, err := bufio.NewReader(fifo).ReadString('\n')
		ready <- err
	}()
	select {
	case err := <-ready:
		if err != nil {
			return fmt.Errorf("read pasta's pid: %w", err)
		}
		return nil
	case <-proc.done:
		return fmt.Errorf("connect the container's network: %w", p.failure())
	case <-time.After(readyTimeout):
		return fmt.Errorf("connect the container's network: pasta was not ready after %v%s", readyTimeout, proc.logTail())
	}
}

// failure says why pasta exited. Failing, it prints its usage and, where
// no system logger listens, a complaint about each line it could not log:
// the cause is the line before the usage.
func (p *pasta) failure() error {
	data, _ := os.ReadFile(p.proc.logPath)
	var kept []string
	for _, l := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(l, "Usage:") {
			break
		}
		if l = strings.TrimSpace(l); l != "" && !(strings.HasPrefix(l, "Failed to send ") && strings.HasSuffix(l, " to syslog")) {
			kept = append(kept, l)
		}
	}
	if len(kept) > 5 {
		kept = kept[len(kept)-5:]
	}
	msg := fmt.Sprintf("pasta exited (%v)", p.proc.cmd.ProcessState)
	if len(kept) > 0 {
		msg += ": " + strings.Join(kept, "\n")
	}
	return fmt.Errorf("%s", msg)
}

func (p *pasta) stop() error {
	if p.proc == nil {
		return nil
	}
	proc := p.proc
	proc.stop(func() { proc.cmd.Process.Signal(unix.SIGTERM) })
	return nil
}

// defaultPastaDNSForward is the address urun asks pasta to forward DNS
// queries from (to the host's first name server), used in the container's
// resolv.conf when the host has only loopback name servers (such as
// systemd-resolved's 127.0.0.53), which the container cannot reach.
const defaultPastaDNSForward = "169.254.1.1"

// PastaDNSForward is the DNS forwarding address pasta is started with:
// urun's, or the user's own --dns-forward.
func (m Mode) PastaDNSForward() string {
	if v := pastaArg(m.PastaArgs, "--dns-forward", "--dns-forward"); v != "" {
		return v
	}
	return defaultPastaDNSForward
}

// PastaMapsGateway reports whether pasta maps the gateway address to the
// host's loopback (pasta:--map-gw), so that the container reaches the
// host's loopback services.
func (m Mode) PastaMapsGateway() bool { return hasArg(m.PastaArgs, "--map-gw") }

// pastaArg returns the value of a pasta option given as "-x", "VALUE" or
// "--long", "VALUE" or "--long=VALUE" in args.
func pastaArg(args []string, short, long string) string {
	for i, a := range args {
		if (a == short || a == long) && i+1 < len(args) {
			return args[i+1]
		}
		if v, ok := strings.CutPrefix(a, long+"="); ok {
			return v
		}
	}
	return ""
}

func hasArg(args []string, name string) bool {
	for _, a := range args {
		if a == name {
			return true
		}
	}
	return false
}
