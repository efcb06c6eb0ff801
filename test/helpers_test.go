package test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// defaultTimeout bounds one urun invocation; a pull from the loopback
// registry and a container start take well under it.
const defaultTimeout = time.Minute

// env is one user's urun set-up: its own XDG_DATA_HOME (so its own graph
// root), XDG_CONFIG_HOME (with a registries.conf that marks the local
// registry insecure) and, unless it uses urun's default, its own run root.
type env struct {
	dir        string
	dataHome   string
	configHome string
	runRoot    string   // "" for urun's default
	graphRoot  string   // "" for urun's default
	flags      []string // global flags put before every subcommand
	vars       []string // extra environment variables
}

type envOptions struct {
	// defaultRunRoot leaves the run root to urun (no --runroot): without
	// XDG_RUNTIME_DIR that is its fallback under the temporary directory.
	defaultRunRoot bool
	// explicitRoot passes --root DIR.
	explicitRoot bool
	// registriesConf replaces the default registries.conf.
	registriesConf string
	// runRoot, if set, is the --runroot (instead of DIR/run).
	runRoot string
}

// newEnv returns a fresh, empty store with its own --runroot (run roots
// hold the storage library's per-store state, so stores must not share one).
func newEnv(t *testing.T) *env {
	return newEnvWith(t, envOptions{})
}

func newEnvWith(t *testing.T, o envOptions) *env {
	t.Helper()
	e, err := makeEnv(mkTemp(t), o)
	require.NoError(t, err)
	return e
}

func makeEnv(dir string, o envOptions) (*env, error) {
	e := &env{
		dir:        dir,
		dataHome:   filepath.Join(dir, "data"),
		configHome: filepath.Join(dir, "config"),
	}
	if !o.defaultRunRoot {
		e.runRoot = filepath.Join(dir, "run")
		if o.runRoot != "" {
			e.runRoot = o.runRoot
		}
		e.flags = append(e.flags, "--runroot", e.runRoot)
	}
	if o.explicitRoot {
		e.graphRoot = filepath.Join(dir, "graph")
		e.flags = append(e.flags, "--root", e.graphRoot)
	}
	if o.registriesConf == "" {
		o.registriesConf = insecureLocalRegistry()
	}
	for _, d := range []string{e.dataHome, filepath.Join(e.configHome, "containers")} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, err
		}
	}
	if err := os.WriteFile(filepath.Join(e.configHome, "containers", "registries.conf"), []byte(o.registriesConf), 0o600); err != nil {
		return nil, err
	}
	// This host gives containers no cgroup of their own: one line of
	// warning on every run would be noise in every test but the one that
	// checks it (TestContainersWithoutLimitsRunOnAHybridHostWithOneWarning).
	if err := os.MkdirAll(filepath.Join(e.configHome, "urun"), 0o700); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(e.configHome, "urun", "urun.conf"), []byte("cgroups_warning = false\n"), 0o600); err != nil {
		return nil, err
	}
	return e, nil
}

func insecureLocalRegistry() string {
	return fmt.Sprintf(`unqualified-search-registries = []

[[registry]]
location = %q
insecure = true
`, reg.Addr())
}

// GraphRoot is where the store keeps images: --root, else
// $XDG_DATA_HOME/urun/storage.
func (e *env) GraphRoot() string {
	if e.graphRoot != "" {
		return e.graphRoot
	}
	return filepath.Join(e.dataHome, "urun", "storage")
}

// RunRoot is --runroot, else urun's default: $XDG_RUNTIME_DIR/urun, or
// without it $TMPDIR/urun-UID/urun.
func (e *env) RunRoot() string {
	if e.runRoot != "" {
		return e.runRoot
	}
	if d := os.Getenv("XDG_RUNTIME_DIR"); filepath.IsAbs(d) {
		if st, err := os.Stat(d); err == nil && st.IsDir() && st.Sys().(*syscall.Stat_t).Uid == uint32(os.Getuid()) {
			return filepath.Join(d, "urun")
		}
	}
	return filepath.Join(os.TempDir(), "urun-"+strconv.Itoa(os.Getuid()), "urun")
}

// environ is the clean environment urun runs with: the caller's HOME,
// USER, LOGNAME, PATH (with the binaries' directory first) and, only when
// the caller has them, XDG_RUNTIME_DIR and TMPDIR.
func (e *env) environ() []string {
	vars := []string{
		"HOME=" + os.Getenv("HOME"),
		"USER=" + os.Getenv("USER"),
		"LOGNAME=" + os.Getenv("LOGNAME"),
		"PATH=" + binDir + string(os.PathListSeparator) + os.Getenv("PATH"),
		"XDG_DATA_HOME=" + e.dataHome,
		"XDG_CONFIG_HOME=" + e.configHome,
	}
	for _, k := range []string{"XDG_RUNTIME_DIR", "TMPDIR"} {
		if v, ok := os.LookupEnv(k); ok {
			vars = append(vars, k+"="+v)
		}
	}
	return append(vars, e.vars...)
}

// command returns urun with env's flags and args, in its own process group.
func (e *env) command(ctx context.Context, args ...string) *exec.Cmd {
	return e.commandOf(ctx, urunBin, append(slicesClone(e.flags), args...)...)
}

// commandOf returns program with args, env's environment and directory,
// in its own process group: a timeout kills what it started too.
func (e *env) commandOf(ctx context.Context, program string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, program, args...)
	cmd.Env = e.environ()
	cmd.Dir = e.dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	return cmd
}

func slicesClone(s []string) []string { return append([]string(nil), s...) }

// result is what a user sees of one urun invocation.
type result struct {
	cmdline  string
	stdout   string
	stderr   string
	code     int // exit code; -1 if it did not exit normally
	err      error
	timedOut bool
}

func (r result) describe() string {
	var b strings.Builder
	switch {
	case r.timedOut:
		b.WriteString("TIMED OUT")
	case r.code < 0:
		fmt.Fprintf(&b, "did not exit normally: %v", r.err)
	default:
		fmt.Fprintf(&b, "exit %d", r.code)
	}
	fmt.Fprintf(&b, "\n--- stdout:\n%s\n--- stderr:\n%s", clip(r.stdout), clip(r.stderr))
	return b.String()
}

func clip(s string) string {
	const max = 4000
	if len(s) > max {
		return s[:max] + fmt.Sprintf("… (%d more bytes)", len(s)-max)
	}
	return s
}

// runConf adjusts one invocation.
type runConf struct {
	stdin   io.Reader
	timeout time.Duration
	// started, if set, is called with urun's pid once it started.
	started func(pid int)
}

// urun runs urun with env's set-up, stdin /dev/null, and logs what it saw.
func (e *env) urun(t *testing.T, args ...string) result {
	t.Helper()
	return e.urunWith(t, runConf{}, args...)
}

func (e *env) urunWith(t *testing.T, c runConf, args ...string) result {
	t.Helper()
	if c.timeout == 0 {
		c.timeout = defaultTimeout
	}
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	return runCmd(t, ctx, e.command(ctx, args...), c)
}

// runCmd runs cmd, made with ctx (whose deadline is c.timeout's), to its
// end with c's stdin and started, and logs what it saw under the
// program's base name.
func runCmd(t *testing.T, ctx context.Context, cmd *exec.Cmd, c runConf) result {
	t.Helper()
	var stdout, stderr bytes.Buffer
	cmd.Stdin, cmd.Stdout, cmd.Stderr = c.stdin, &stdout, &stderr
	start := time.Now()
	err := cmd.Start()
	if err == nil {
		if c.started != nil {
			c.started(cmd.Process.Pid)
		}
		err = cmd.Wait()
	}
	r := result{
		cmdline: filepath.Base(cmd.Args[0]) + " " + shellQuote(cmd.Args[1:]),
		stdout:  stdout.String(),
		stderr:  stderr.String(),
		code:    -1,
		err:     err,
	}
	var exitErr *exec.ExitError
	switch {
	case ctx.Err() != nil:
		r.timedOut = true
	case err == nil:
		r.code = 0
	case errors.As(err, &exitErr) && exitErr.Exited():
		r.code = exitErr.ExitCode()
	}
	t.Logf("$ %s  (%.2fs) %s", r.cmdline, time.Since(start).Seconds(), r.describe())
	return r
}

// ok fails the test unless urun exited 0, and returns its stdout.
func (r result) ok(t *testing.T) string {
	t.Helper()
	require.Equalf(t, 0, r.code, "%s: want exit 0, got %s", r.cmdline, r.describe())
	return r.stdout
}

// exits fails the test unless urun exited with code.
func (r result) exits(t *testing.T, code int) {
	t.Helper()
	require.Equalf(t, code, r.code, "%s: want exit %d, got %s", r.cmdline, code, r.describe())
}

func shellQuote(args []string) string {
	q := make([]string, len(args))
	for i, a := range args {
		if a != "" && strings.IndexFunc(a, func(r rune) bool {
			return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./:=,@%+", r))
		}) < 0 {
			q[i] = a
		} else {
			q[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
	}
	return strings.Join(q, " ")
}

// lines splits s into its lines without the trailing empty one.
func lines(s string) []string {
	s = strings.TrimRight(strings.ReplaceAll(s, "\r\n", "\n"), "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

// mkTemp creates a directory that is removed after the test even when the
// containers left files owned by subordinate ids in it.
func mkTemp(t *testing.T) string {
	t.Helper()
	d, err := os.MkdirTemp("", "urun-test-")
	require.NoError(t, err)
	t.Cleanup(func() {
		if err := removeTree(d); err != nil {
			t.Errorf("remove the test's directory: %v", err)
		}
	})
	return d
}

// removeTree removes dir; what the caller cannot remove (files of its
// subordinate ids) it removes from a user namespace that maps those ids
// (util-linux unshare, which uses newuidmap/newgidmap), as root there.
func removeTree(dir string) error {
	err := os.RemoveAll(dir)
	if err == nil {
		return nil
	}
	u, uerr := callerRange("/etc/subuid")
	g, gerr := callerRange("/etc/subgid")
	if uerr != nil || gerr != nil {
		return err
	}
	out, err2 := exec.Command("unshare", "--map-root-user",
		fmt.Sprintf("--map-users=%d,1,%d", u.start, u.count),
		fmt.Sprintf("--map-groups=%d,1,%d", g.start, g.count),
		"rm", "-rf", "--one-file-system", dir).CombinedOutput()
	if err2 != nil {
		return fmt.Errorf("%v; then in a user namespace: %v: %s", err, err2, out)
	}
	return nil
}

type idRange struct{ start, count int }

// callerRange returns the first range of the calling user in file
// (/etc/subuid or /etc/subgid), matched by name or by uid.
func callerRange(file string) (idRange, error) {
	uid := strconv.Itoa(os.Getuid())
	name := ""
	if u, err := user.LookupId(uid); err == nil {
		name = u.Username
	}
	f, err := os.Open(file)
	if err != nil {
		return idRange{}, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Split(strings.TrimSpace(sc.Text()), ":")
		if len(fields) != 3 || (fields[0] != name && fields[0] != uid) {
			continue
		}
		start, err1 := strconv.Atoi(fields[1])
		count, err2 := strconv.Atoi(fields[2])
		if err1 != nil || err2 != nil {
			return idRange{}, fmt.Errorf("%s: malformed line %q", file, sc.Text())
		}
		return idRange{start, count}, nil
	}
	if err := sc.Err(); err != nil {
		return idRange{}, err
	}
	return idRange{}, fmt.Errorf("%s has no line for uid %s (%q)", file, uid, name)
}

// processesWith returns the pids of the host's processes whose command line
// is exactly args (the first compared by base name).
func processesWith(args ...string) []int {
	ents, _ := os.ReadDir("/proc")
	var pids []int
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil || len(b) == 0 {
			continue
		}
		got := strings.Split(strings.TrimSuffix(string(b), "\x00"), "\x00")
		if len(got) != len(args) || filepath.Base(got[0]) != filepath.Base(args[0]) {
			continue
		}
		if slicesEqual(got[1:], args[1:]) {
			pids = append(pids, pid)
		}
	}
	return pids
}

func slicesEqual(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// waitNoProcesses waits up to d for every process with command line args to
// be gone and returns those that remain.
func waitNoProcesses(d time.Duration, args ...string) []int {
	deadline := time.Now().Add(d)
	for {
		pids := processesWith(args...)
		if len(pids) == 0 || time.Now().After(deadline) {
			return pids
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// openPTY returns a new pseudo-terminal pair of rows×cols.
func openPTY(rows, cols uint16) (master, slave *os.File, err error) {
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		return nil, nil, err
	}
	fd := int(m.Fd())
	if err := unix.IoctlSetPointerInt(fd, unix.TIOCSPTLCK, 0); err != nil {
		m.Close()
		return nil, nil, fmt.Errorf("unlock pty: %w", err)
	}
	n, err := unix.IoctlGetUint32(fd, unix.TIOCGPTN)
	if err != nil {
		m.Close()
		return nil, nil, fmt.Errorf("pty number: %w", err)
	}
	s, err := os.OpenFile("/dev/pts/"+strconv.Itoa(int(n)), os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		m.Close()
		return nil, nil, err
	}
	if err := unix.IoctlSetWinsize(int(s.Fd()), unix.TIOCSWINSZ, &unix.Winsize{Row: rows, Col: cols}); err != nil {
		m.Close()
		s.Close()
		return nil, nil, fmt.Errorf("set window size: %w", err)
	}
	return m, s, nil
}

// walkJSON calls fn for every value in a decoded JSON document, with the
// object key it is under ("" in arrays and at the top).
func walkJSON(v any, key string, fn func(key string, v any)) {
	fn(key, v)
	switch x := v.(type) {
	case map[string]any:
		for k, c := range x {
			walkJSON(c, k, fn)
		}
	case []any:
		for _, c := range x {
			walkJSON(c, key, fn)
		}
	}
}

// jsonMentions reports whether some number in doc equals n or some string
// contains it in decimal.
func jsonMentions(doc any, n int) bool {
	found := false
	walkJSON(doc, "", func(_ string, v any) {
		switch x := v.(type) {
		case float64:
			found = found || x == float64(n)
		case string:
			found = found || strings.Contains(x, strconv.Itoa(n))
		}
	})
	return found
}

// hostNetNS is the host's network namespace as readlink shows it.
func hostNetNS(t *testing.T) string {
	t.Helper()
	ns, err := os.Readlink("/proc/self/ns/net")
	require.NoError(t, err)
	return ns
}

// netDevNames returns the interface names in a /proc/net/dev text.
func netDevNames(text string) []string {
	var names []string
	for _, l := range lines(text) {
		name, _, ok := strings.Cut(l, ":")
		if ok && !strings.Contains(name, "|") {
			names = append(names, strings.TrimSpace(name))
		}
	}
	return names
}

// mountsAt returns the /proc/mounts lines (split in fields) whose mount
// point is target.
func mountsAt(procMounts, target string) [][]string {
	var out [][]string
	for _, l := range lines(procMounts) {
		f := strings.Fields(l)
		if len(f) >= 4 && f[1] == target {
			out = append(out, f)
		}
	}
	return out
}

func hasOption(opts, opt string) bool {
	for _, o := range strings.Split(opts, ",") {
		if o == opt {
			return true
		}
	}
	return false
}

// terminal is a urun command run on a new pseudo-terminal of its own, as
// its controlling terminal, as in a shell: master is the user's side.
type terminal struct {
	cmd    *exec.Cmd
	master *os.File
	out    syncBuffer
	// closed is closed once the last holder of the terminal's slave side
	// let go of it (reading the master then fails with EIO).
	closed chan struct{}
}

// startOnTerminal starts cmd on a new rows×cols terminal and collects
// what the terminal shows.
func startOnTerminal(t *testing.T, cmd *exec.Cmd, rows, cols uint16) *terminal {
	t.Helper()
	master, slave, err := openPTY(rows, cols)
	require.NoError(t, err)
	t.Cleanup(func() { master.Close() })
	cmd.Stdin, cmd.Stdout, cmd.Stderr = slave, slave, slave
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
	require.NoError(t, cmd.Start())
	slave.Close()
	term := &terminal{cmd: cmd, master: master, closed: make(chan struct{})}
	go func() {
		_, _ = io.Copy(&term.out, master)
		close(term.closed)
	}()
	return term
}

// shows waits until the terminal shows text.
func (term *terminal) shows(t *testing.T, text, why string) {
	t.Helper()
	require.Eventually(t, func() bool { return strings.Contains(term.out.String(), text) }, 20*time.Second, 20*time.Millisecond,
		"%s: the terminal shows %q", why, term.out.String())
}

// wait waits for the command and then for the terminal to be let go of,
// and returns the command's error and what the terminal showed, without
// carriage returns.
func (term *terminal) wait(t *testing.T) (string, error) {
	t.Helper()
	err := term.cmd.Wait()
	select {
	case <-term.closed:
	case <-time.After(10 * time.Second):
		t.Errorf("the terminal was still held open 10s after urun exited")
	}
	text := strings.ReplaceAll(term.out.String(), "\r", "")
	t.Logf("$ %s -> %v; terminal showed:\n%s", shellQuote(term.cmd.Args), err, text)
	return text, err
}
