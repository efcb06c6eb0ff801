package test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// What urun prints on stderr for each published port, before the
// container's command starts (one line per mapping; the host port is the
// real one, also when urun picked it):
//
//	urun: published 127.0.0.1:41234->80/tcp
//	urun: published 0.0.0.0:41235->53/udp
//	urun: published [::]:41236->80/tcp
var publishedLine = regexp.MustCompile(`^urun: published (\S+):(\d+)->(\d+)/(tcp|udp)$`)

// published is one "urun: published" line.
type published struct {
	HostIP        string // as printed, without brackets: 127.0.0.1, 0.0.0.0, ::
	HostPort      int
	ContainerPort int
	Proto         string // tcp or udp
}

func (p published) String() string {
	return fmt.Sprintf("%s->%d/%s", net.JoinHostPort(p.HostIP, strconv.Itoa(p.HostPort)), p.ContainerPort, p.Proto)
}

// parsePublished parses a "urun: published" line.
func parsePublished(line string) (published, bool) {
	m := publishedLine.FindStringSubmatch(strings.TrimSpace(line))
	if m == nil {
		return published{}, false
	}
	hp, err1 := strconv.Atoi(m[2])
	cp, err2 := strconv.Atoi(m[3])
	if err1 != nil || err2 != nil {
		return published{}, false
	}
	ip := strings.TrimSuffix(strings.TrimPrefix(m[1], "["), "]")
	return published{HostIP: ip, HostPort: hp, ContainerPort: cp, Proto: m[4]}, true
}

// parsePublishedLines returns every "urun: published" line in stderr.
func parsePublishedLines(stderr string) []published {
	var ps []published
	for _, l := range lines(stderr) {
		if p, ok := parsePublished(l); ok {
			ps = append(ps, p)
		}
	}
	return ps
}

// addr is where a client on this host reaches the published port: the
// address it is bound to, 127.0.0.1 for "all addresses".
func (p published) addr() string {
	ip := p.HostIP
	if ip == "" || ip == "0.0.0.0" || ip == "::" {
		ip = "127.0.0.1"
	}
	return net.JoinHostPort(ip, strconv.Itoa(p.HostPort))
}

// freePort returns a port of 127.0.0.1 that is free for network ("tcp" or
// "udp") right now.
func freePort(t *testing.T, network string) int {
	t.Helper()
	if network == "udp" {
		c, err := net.ListenPacket("udp4", "127.0.0.1:0")
		require.NoError(t, err)
		defer c.Close()
		return c.LocalAddr().(*net.UDPAddr).Port
	}
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// freePortRange returns the first of n consecutive free TCP ports of
// 127.0.0.1.
func freePortRange(t *testing.T, n int) int {
	t.Helper()
	for try := 0; try < 50; try++ {
		first := freePort(t, "tcp")
		if first+n > 65535 {
			continue
		}
		ok := true
		for p := first; p < first+n && ok; p++ {
			l, err := net.Listen("tcp4", "127.0.0.1:"+strconv.Itoa(p))
			if err != nil {
				ok = false
				continue
			}
			l.Close()
		}
		if ok {
			return first
		}
	}
	t.Fatalf("found no %d consecutive free ports on 127.0.0.1", n)
	return 0
}

// lineWriter collects what is written to it and calls fn with each
// complete line.
type lineWriter struct {
	mu      sync.Mutex
	all     bytes.Buffer
	partial []byte
	fn      func(string)
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	w.all.Write(p)
	w.partial = append(w.partial, p...)
	var done []string
	for {
		i := bytes.IndexByte(w.partial, '\n')
		if i < 0 {
			break
		}
		done = append(done, strings.TrimSuffix(string(w.partial[:i]), "\r"))
		w.partial = w.partial[i+1:]
	}
	w.mu.Unlock()
	for _, l := range done {
		if w.fn != nil {
			w.fn(l)
		}
	}
	return len(p), nil
}

func (w *lineWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.all.String()
}

// running is a container started in the background with `urun run --rm
// -i`: its command prints "ready ID" once it serves, and ends when its
// stdin does (stop closes it).
type running struct {
	cmd       *exec.Cmd
	cmdline   string
	cancel    context.CancelFunc
	stdin     io.WriteCloser
	stdout    *lineWriter
	stderr    *lineWriter
	readyLine chan string
	done      chan struct{}
	waitErr   error
	// id is what the command printed after "ready": its hostname, which is
	// the short container id unless --hostname says otherwise.
	id     string
	before procSet
	fam    *family
	mu     sync.Mutex
	ports  []published
	once   sync.Once
}

// startContainer runs `urun run --rm -i FLAGS... IMAGE COMMAND...` and
// returns once the command printed "ready ID" and urun printed nPublished
// "published" lines.
func startContainer(t *testing.T, e *env, flags []string, nPublished int, image string, command ...string) *running {
	t.Helper()
	r := &running{readyLine: make(chan string, 1), done: make(chan struct{}), before: snapshotProcs()}
	args := append(append([]string{"run", "--rm", "-i"}, flags...), image)
	args = append(args, command...)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	r.cancel = cancel
	r.cmd = e.command(ctx, args...)
	r.cmdline = "urun " + shellQuote(append(slicesClone(e.flags), args...))
	r.stdout = &lineWriter{fn: func(l string) {
		if id, ok := strings.CutPrefix(l, "ready "); ok {
			select {
			case r.readyLine <- id:
			default:
			}
		}
	}}
	r.stderr = &lineWriter{fn: func(l string) {
		if p, ok := parsePublished(l); ok {
			r.mu.Lock()
			r.ports = append(r.ports, p)
			r.mu.Unlock()
		}
	}}
	r.cmd.Stdout, r.cmd.Stderr = r.stdout, r.stderr
	var err error
	r.stdin, err = r.cmd.StdinPipe()
	require.NoError(t, err)
	require.NoError(t, r.cmd.Start(), r.cmdline)
	t.Logf("$ %s &  (pid %d)", r.cmdline, r.cmd.Process.Pid)
	r.fam = watchFamily(r.cmd.Process.Pid)
	go func() {
		r.waitErr = r.cmd.Wait()
		r.fam.finish()
		close(r.done)
	}()
	t.Cleanup(func() { r.kill(t) })

	select {
	case r.id = <-r.readyLine:
	case <-r.done:
		t.Fatalf("%s ended before its command printed ready: %s", r.cmdline, r.describe())
	case <-time.After(time.Minute):
		t.Fatalf("%s: the command did not print ready within a minute: %s", r.cmdline, r.describe())
	}
	deadline := time.Now().Add(10 * time.Second)
	for len(r.published()) < nPublished && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	require.Lenf(t, r.published(), nPublished, "%s: want %d lines \"urun: published IP:PORT->PORT/PROTO\" on stderr before the command starts; stderr:\n%s",
		r.cmdline, nPublished, r.stderr.String())
	t.Logf("container %s ready; published %v", r.id, r.published())
	return r
}

// published returns the mappings urun printed so far.
func (r *running) published() []published {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.ports)
}

func (r *running) describe() string {
	code := "still running"
	select {
	case <-r.done:
		code = fmt.Sprintf("ended: %v", r.waitErr)
	default:
	}
	return fmt.Sprintf("%s\n--- stdout:\n%s\n--- stderr:\n%s", code, clip(r.stdout.String()), clip(r.stderr.String()))
}

// stop closes the container's stdin, which ends its command, and returns
// urun's exit code once it exited (SIGTERM after 30 s, SIGKILL after 10 s
// more, each a test failure). Then it checks that nothing of the container
// is left: no network helper, no port driver, no urun, no process of it.
func (r *running) stop(t *testing.T) int {
	t.Helper()
	code := -1
	r.once.Do(func() {
		r.stdin.Close()
		select {
		case <-r.done:
		case <-time.After(30 * time.Second):
			t.Errorf("%s did not exit within 30 s of its stdin's end; sending SIGTERM", r.cmdline)
			_ = r.cmd.Process.Signal(syscall.SIGTERM)
			select {
			case <-r.done:
			case <-time.After(10 * time.Second):
				t.Errorf("%s ignored SIGTERM for 10 s; killing its process group", r.cmdline)
				r.cancel()
				<-r.done
			}
		}
		r.cancel()
		if st := r.cmd.ProcessState; st != nil {
			code = st.ExitCode() // -1 if a signal ended it
		}
		t.Logf("%s exited %d: %s", r.cmdline, code, r.describe())
		if errors.Is(r.waitErr, exec.ErrWaitDelay) {
			t.Errorf("%s exited, but 5 s later something it started still held its stdout or stderr open", r.cmdline)
		}
		assertNoLeftovers(t, r.before, r.id, r.fam)
	})
	return code
}

// kill ends the container without checks (the test's clean-up).
func (r *running) kill(t *testing.T) {
	r.once.Do(func() {
		r.stdin.Close()
		select {
		case <-r.done:
		case <-time.After(10 * time.Second):
			r.cancel()
			<-r.done
		}
		r.cancel()
	})
}

// httpGet fetches url, retrying for up to 20 s until the answer is 200
// (the port is published before the server in the container listens).
func httpGet(t *testing.T, url string) string {
	t.Helper()
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DisableKeepAlives: true, Proxy: nil}}
	deadline := time.Now().Add(20 * time.Second)
	var last string
	for {
		resp, err := client.Get(url)
		if err == nil {
			body, rerr := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
			resp.Body.Close()
			if rerr == nil && resp.StatusCode == http.StatusOK {
				return string(body)
			}
			last = fmt.Sprintf("status %s, body %q, read error %v", resp.Status, body, rerr)
		} else {
			last = err.Error()
		}
		if time.Now().After(deadline) {
			t.Fatalf("GET %s: no answer 200 within 20 s; the last try: %s", url, last)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// udpExchange sends msg to addr every 300 ms until an answer comes, for up
// to 20 s, and returns the answer, "" if none came. Once arrived says the
// server got msg, an answer gets 2 s more, not the whole 20.
func udpExchange(t *testing.T, addr, msg string, arrived func() bool) string {
	t.Helper()
	c, err := net.Dial("udp4", addr)
	require.NoError(t, err)
	defer c.Close()
	buf := make([]byte, 64<<10)
	deadline := time.Now().Add(20 * time.Second)
	var last error
	for time.Now().Before(deadline) {
		if _, err := c.Write([]byte(msg)); err != nil {
			last = err // ECONNREFUSED from an earlier ICMP: try again
		}
		_ = c.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
		n, err := c.Read(buf)
		if err == nil {
			return string(buf[:n])
		}
		last = err
		if soon := time.Now().Add(2 * time.Second); arrived() && soon.Before(deadline) {
			deadline = soon
		}
	}
	t.Logf("UDP %s: no answer to %q: %v", addr, msg, last)
	return ""
}

// webServer is a container command: busybox httpd on port (of every
// address) serving body as /index.html and, as /cgi-bin/peer, the
// client's address as the server sees it (REMOTE_ADDR); then "ready ID",
// then it waits for its stdin to end. body must need no shell quoting.
func webServer(port int, body string) []string {
	return []string{"sh", "-c", startWebServer(port, body) + `echo "ready $(hostname)"
exec cat >/dev/null`}
}

// startWebServer is the script that starts webServer's httpd, each line
// ended.
func startWebServer(port int, body string) string {
	return fmt.Sprintf(`set -e
mkdir -p /www%[1]d/cgi-bin
echo %[2]s > /www%[1]d/index.html
printf '%%s\n' '#!/bin/sh' 'echo "Content-Type: text/plain"' 'echo' 'echo "$REMOTE_ADDR"' > /www%[1]d/cgi-bin/peer
chmod 755 /www%[1]d/cgi-bin/peer
httpd -p %[1]d -h /www%[1]d
`, port, body)
}

// webServers is webServer for several ports at once, each with its body.
func webServers(bodies map[int]string) []string {
	var b strings.Builder
	b.WriteString("set -e\n")
	ports := make([]int, 0, len(bodies))
	for p := range bodies {
		ports = append(ports, p)
	}
	slices.Sort(ports)
	for _, p := range ports {
		fmt.Fprintf(&b, "mkdir -p /www%[1]d && echo %[2]s > /www%[1]d/index.html && httpd -p %[1]d -h /www%[1]d\n", p, bodies[p])
	}
	b.WriteString("echo \"ready $(hostname)\"\nexec cat >/dev/null")
	return []string{"sh", "-c", b.String()}
}

// peerAddress normalises a REMOTE_ADDR: busybox httpd listening on [::]
// shows an IPv4 client as [::ffff:127.0.0.1].
func peerAddress(s string) string {
	s = strings.TrimSpace(s)
	s = strings.TrimSuffix(strings.TrimPrefix(s, "["), "]")
	return strings.TrimPrefix(s, "::ffff:")
}

// hostServer is a TCP server of the test on 127.0.0.1 that writes a token
// to each client and hangs up.
type hostServer struct {
	port     int
	token    string
	accepted atomic.Int32
}

func startHostServer(t *testing.T, token string) *hostServer {
	t.Helper()
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	require.NoError(t, err)
	s := &hostServer{port: l.Addr().(*net.TCPAddr).Port, token: token}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			s.accepted.Add(1)
			_ = c.SetDeadline(time.Now().Add(5 * time.Second))
			_, _ = c.Write([]byte(token + "\n"))
			c.Close()
		}
	}()
	return s
}

// proc is one process of the host as /proc shows it.
type proc struct {
	pid, ppid int
	state     string // R, S, Z, …
	start     string // start time in clock ticks since boot: pid and start name a process
	uid       int
	comm      string
	exe       string
	args      []string
	pidNS     string
}

func (p proc) String() string {
	return fmt.Sprintf("pid %d (parent %d) uid %d comm %q exe %q args %q", p.pid, p.ppid, p.uid, p.comm, p.exe, p.args)
}

type procSet map[int]proc

// readStat reads a process's state, parent and start time from
// /proc/PID/stat.
func readStat(pid int) (state string, ppid int, start string, ok bool) {
	stat, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return "", 0, "", false
	}
	// "PID (COMM) STATE PPID … STARTTIME …": COMM may hold spaces and ")".
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return "", 0, "", false
	}
	f := strings.Fields(string(stat[i+1:]))
	if len(f) < 20 {
		return "", 0, "", false
	}
	ppid, _ = strconv.Atoi(f[1])
	return f[0], ppid, f[19], true
}

// readProc reads /proc/PID; ok is false if the process is gone.
func readProc(pid int) (p proc, ok bool) {
	dir := filepath.Join("/proc", strconv.Itoa(pid))
	p.pid = pid
	if p.state, p.ppid, p.start, ok = readStat(pid); !ok {
		return p, false
	}
	p.uid = -1
	if status, err := os.ReadFile(filepath.Join(dir, "status")); err == nil {
		for _, l := range lines(string(status)) {
			if v, ok := strings.CutPrefix(l, "Uid:"); ok {
				if u := strings.Fields(v); len(u) > 0 {
					p.uid, _ = strconv.Atoi(u[0])
				}
			}
		}
	}
	if b, err := os.ReadFile(filepath.Join(dir, "comm")); err == nil {
		p.comm = strings.TrimSpace(string(b))
	}
	p.exe, _ = os.Readlink(filepath.Join(dir, "exe"))
	if b, err := os.ReadFile(filepath.Join(dir, "cmdline")); err == nil && len(b) > 0 {
		p.args = strings.Split(strings.TrimSuffix(string(b), "\x00"), "\x00")
	}
	p.pidNS, _ = os.Readlink(filepath.Join(dir, "ns", "pid"))
	return p, true
}

// allPIDs lists the host's processes.
func allPIDs() []int {
	ents, _ := os.ReadDir("/proc")
	var pids []int
	for _, e := range ents {
		if pid, err := strconv.Atoi(e.Name()); err == nil {
			pids = append(pids, pid)
		}
	}
	return pids
}

// snapshotProcs returns the processes of the caller's uid and of its
// subordinate uids.
func snapshotProcs() procSet {
	me := os.Getuid()
	sub, subErr := callerRange("/etc/subuid")
	ps := procSet{}
	for _, pid := range allPIDs() {
		p, ok := readProc(pid)
		if !ok || (p.uid != me && (subErr != nil || p.uid < sub.start || p.uid >= sub.start+sub.count)) {
			continue
		}
		ps[pid] = p
	}
	return ps
}

// family records every process that was a descendant of one urun while it
// ran (sampled every 25 ms): the container's processes, its network
// helper, its port driver. Other users' and other tools' processes, which
// may come and go meanwhile, are not in it.
type family struct {
	root    int
	mu      sync.Mutex
	members map[int]proc
	stop    chan struct{}
	done    chan struct{}
}

func watchFamily(root int) *family {
	f := &family{root: root, members: map[int]proc{}, stop: make(chan struct{}), done: make(chan struct{})}
	f.sample()
	go func() {
		defer close(f.done)
		tick := time.NewTicker(25 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-f.stop:
				return
			case <-tick.C:
				f.sample()
			}
		}
	}()
	return f
}

func (f *family) sample() {
	type child struct {
		pid   int
		start string
	}
	byParent := map[int][]child{}
	for _, pid := range allPIDs() {
		if _, ppid, start, ok := readStat(pid); ok {
			byParent[ppid] = append(byParent[ppid], child{pid, start})
		}
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	queue := []int{f.root}
	for len(queue) > 0 {
		pid := queue[0]
		queue = queue[1:]
		for _, c := range byParent[pid] {
			if m, seen := f.members[c.pid]; !seen || m.start != c.start {
				if p, ok := readProc(c.pid); ok {
					f.members[c.pid] = p
				}
			}
			queue = append(queue, c.pid)
		}
	}
}

// finish stops the sampling (call it once urun exited).
func (f *family) finish() {
	select {
	case <-f.stop:
	default:
		close(f.stop)
	}
	<-f.done
}

// pidNamespaces are the PID namespaces of the family other than mine: the
// container's.
func (f *family) pidNamespaces(mine string) map[string]bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	ns := map[string]bool{}
	for _, m := range f.members {
		if m.pidNS != "" && m.pidNS != mine {
			ns[m.pidNS] = true
		}
	}
	return ns
}

func (f *family) member(p proc) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	m, ok := f.members[p.pid]
	return ok && m.start == p.start
}

// namesMember reports whether args mention a member's pid as a word (as
// slirp4netns's arguments name the container's process).
func (f *family) namesMember(args []string) (int, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, a := range args {
		if pid, err := strconv.Atoi(a); err == nil {
			if _, ok := f.members[pid]; ok {
				return pid, true
			}
		}
	}
	return 0, false
}

// networkHelpers are the programs urun may run for a container's network.
var networkHelpers = []string{"slirp4netns", "pasta", "pasta.avx2", "passt", "passt.avx2", "rootlessport", "rootlesskit"}

// leftoverOf says why p, a process that did not exist before the container
// started and exists after urun exited, is a leftover of it ("" if it is
// not): it descends from that urun (the container's processes, its network
// helper, its port driver: urun processes), names the container's id, is a
// network helper naming one of the container's processes, or runs in the
// container's PID namespace. Other containers' processes, also those of
// the same urun binary started meanwhile, are none of these.
func leftoverOf(p proc, id string, fam *family, containerNS map[string]bool) string {
	if fam != nil && fam.member(p) {
		return fmt.Sprintf("urun (pid %d) started it", fam.root)
	}
	if len(id) >= 12 && strings.Contains(strings.Join(p.args, " "), id) {
		return "its command line names the container " + id
	}
	names := []string{p.comm, filepath.Base(p.exe), filepath.Base(firstArg(p.args))}
	for _, n := range names {
		if !slices.Contains(networkHelpers, n) || fam == nil {
			continue
		}
		if pid, ok := fam.namesMember(p.args); ok {
			return fmt.Sprintf("a network helper (%s) for the container's process %d", n, pid)
		}
	}
	if containerNS[p.pidNS] {
		return "it runs in the container's PID namespace " + p.pidNS
	}
	return ""
}

func firstArg(args []string) string {
	if len(args) == 0 {
		return ""
	}
	return args[0]
}

// leftovers returns the processes that appeared since before and are
// leftovers of the container (see leftoverOf).
func leftovers(before procSet, id string, fam *family) []string {
	myNS, _ := os.Readlink("/proc/self/ns/pid")
	var containerNS map[string]bool
	if fam != nil {
		containerNS = fam.pidNamespaces(myNS)
	}
	var out []string
	for pid, p := range snapshotProcs() {
		if old, ok := before[pid]; (ok && old.start == p.start) || pid == os.Getpid() {
			continue
		}
		if p.state == "Z" {
			continue // dead, waiting for its parent (init, often) to reap it
		}
		if why := leftoverOf(p, id, fam, containerNS); why != "" {
			out = append(out, p.String()+": "+why)
		}
	}
	slices.Sort(out)
	return out
}

// assertNoLeftovers waits up to 10 s for the processes of a container
// whose urun exited (started after the snapshot before; id its hostname or
// ""; fam what descended from that urun) to be gone, and fails the test
// with those that remain.
func assertNoLeftovers(t *testing.T, before procSet, id string, fam *family) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	var left []string
	for {
		left = leftovers(before, id, fam)
		if len(left) == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if len(left) > 0 {
		t.Errorf("10 s after the container's urun exited, these processes of it remain:\n  %s", strings.Join(left, "\n  "))
	}
}

// urunLeavingNothing is e.urun, then a check that nothing of the container
// remains (assertNoLeftovers).
func (e *env) urunLeavingNothing(t *testing.T, args ...string) result {
	t.Helper()
	before := snapshotProcs()
	var fam *family
	res := e.urunWith(t, runConf{started: func(pid int) { fam = watchFamily(pid) }}, args...)
	if fam != nil {
		fam.finish()
	}
	assertNoLeftovers(t, before, "", fam)
	return res
}

// unprivilegedPortStart is net.ipv4.ip_unprivileged_port_start.
func unprivilegedPortStart(t *testing.T) int {
	t.Helper()
	b, err := os.ReadFile("/proc/sys/net/ipv4/ip_unprivileged_port_start")
	require.NoError(t, err)
	n, err := strconv.Atoi(strings.TrimSpace(string(b)))
	require.NoError(t, err)
	return n
}

// resolvConf is what a container's /etc/resolv.conf says.
type resolvConf struct {
	nameservers, search, options []string
}

func parseResolvConf(text string) resolvConf {
	var rc resolvConf
	for _, l := range lines(text) {
		f := strings.Fields(l)
		if len(f) < 2 || strings.HasPrefix(f[0], "#") || strings.HasPrefix(f[0], ";") {
			continue
		}
		switch f[0] {
		case "nameserver":
			rc.nameservers = append(rc.nameservers, f[1])
		case "search", "domain":
			rc.search = append(rc.search, f[1:]...)
		case "options":
			rc.options = append(rc.options, f[1:]...)
		}
	}
	return rc
}

// hostsEntries maps each name in an /etc/hosts text to its addresses.
func hostsEntries(text string) map[string][]string {
	m := map[string][]string{}
	for _, l := range lines(text) {
		l, _, _ = strings.Cut(l, "#")
		f := strings.Fields(l)
		if len(f) < 2 {
			continue
		}
		for _, name := range f[1:] {
			m[name] = append(m[name], f[0])
		}
	}
	return m
}

// sections splits a container's output printed as "== NAME" headers each
// followed by text.
func sections(out string) map[string]string {
	m := map[string]string{}
	name := ""
	for _, l := range strings.SplitAfter(out, "\n") {
		if h, ok := strings.CutPrefix(strings.TrimRight(l, "\n"), "== "); ok {
			name = h
			m[name] = ""
			continue
		}
		m[name] += l
	}
	return m
}
