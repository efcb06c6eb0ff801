package test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// What a container's stdio is and which signals reach it: a container
// gets pipes that urun relays (never the caller's own descriptors), any
// kind of stdio works with every flag, and a signal sent to the caller's
// process group reaches the container through urun without taking its
// network helpers away.

// `timeout 20 urun run -p …` (or kill -TERM -- -PGID, or ^C on a
// terminal without -t) sends a signal to urun's whole process group. urun
// passes it on to the container; the container handles it and keeps
// serving on its published port until it ends, and then nothing of it is
// left.
func TestSIGTERMToTheCallersProcessGroupKeepsThePublishedPortServing(t *testing.T) {
	e := sharedStore(t)
	for _, c := range []struct {
		name    string
		network []string
		needs   string // a program the mode needs
		signal  syscall.Signal
	}{
		{"SIGTERM as timeout sends it, default network and port driver", nil, "", syscall.SIGTERM},
		{"SIGTERM, slirp4netns publishing the port", []string{"--network", "slirp4netns:port_handler=slirp4netns"}, "", syscall.SIGTERM},
		{"SIGTERM, pasta", []string{"--network", "pasta"}, "pasta", syscall.SIGTERM},
		{"SIGINT as ctrl-c sends it", nil, "", syscall.SIGINT},
		{"SIGUSR1 sent with kill -- -PGID", nil, "", syscall.SIGUSR1},
	} {
		t.Run(c.name, func(t *testing.T) {
			if c.needs != "" {
				if _, err := exec.LookPath(c.needs); err != nil {
					t.Fatalf("%s is not installed: hack/setup-host.sh installs it (%v)", c.needs, err)
				}
			}
			token := "still-serving-" + strconv.Itoa(os.Getpid())
			name := strings.TrimPrefix(unix.SignalName(c.signal), "SIG")
			// The trap is the container's handler: it says it got the
			// signal, then serves on until its stdin ends.
			script := fmt.Sprintf(`set -e
mkdir -p /www && echo %[1]s > /www/index.html
httpd -p 80 -h /www
trap 'echo "got %[2]s"; cat >/dev/null; echo bye; exit 7' %[2]s
echo "ready $(hostname)"
while :; do sleep 0.1; done`, token, name)
			flags := append(append([]string{}, c.network...), "-p", "127.0.0.1::80")
			r := startContainer(t, e, flags, 1, busyboxRef, "sh", "-c", script)
			url := "http://" + r.published()[0].addr() + "/index.html"
			if !assert.Equal(t, token+"\n", httpGet(t, url), "the port serves before the signal") {
				t.Fatalf("urun: %s", r.describe())
			}

			// As timeout(1) does: the signal goes to urun's process group.
			require.NoError(t, syscall.Kill(-r.cmd.Process.Pid, c.signal))
			require.Eventually(t, func() bool { return strings.Contains(r.stdout.String(), "got "+name) }, 20*time.Second, 20*time.Millisecond,
				"the container's handler ran: %s", r.describe())
			for i := 0; i < 3; i++ {
				time.Sleep(300 * time.Millisecond)
				assert.Equal(t, token+"\n", httpGet(t, url), "the published port still serves while the container handles the signal (try %d)", i+1)
			}
			select {
			case <-r.done:
				t.Fatalf("urun ended with the signal, before the container: %s", r.describe())
			default:
			}
			assert.Equal(t, 7, r.stop(t), "urun exits with the container's code once the handler ends it")
			assert.Equal(t, 1, strings.Count(r.stdout.String(), "got "+name), "the container heard the signal once, from urun: %s", r.stdout.String())
			assert.Contains(t, r.stdout.String(), "bye\n")
		})
	}
}

// stdioKind is one kind of file a user's stdout and stderr can be.
type stdioKind struct {
	name string
	// open returns the file to give urun as stdout and stderr and a
	// function that returns what was written to it once urun exited.
	open func(t *testing.T) (*os.File, func() string)
}

var stdioKinds = []stdioKind{
	{"a file", func(t *testing.T) (*os.File, func() string) {
		path := filepath.Join(t.TempDir(), "out")
		f, err := os.Create(path)
		require.NoError(t, err)
		return f, func() string { b, _ := os.ReadFile(path); return string(b) }
	}},
	{"a file opened to append", func(t *testing.T) (*os.File, func() string) {
		path := filepath.Join(t.TempDir(), "out")
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
		require.NoError(t, err)
		return f, func() string { b, _ := os.ReadFile(path); return string(b) }
	}},
	{"a pipe", func(t *testing.T) (*os.File, func() string) {
		r, w, err := os.Pipe()
		require.NoError(t, err)
		return w, collect(r)
	}},
	{"/dev/null", func(t *testing.T) (*os.File, func() string) {
		f, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
		require.NoError(t, err)
		return f, nil
	}},
	{"a socket", func(t *testing.T) (*os.File, func() string) {
		fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
		require.NoError(t, err)
		return os.NewFile(uintptr(fds[0]), "socket"), collect(os.NewFile(uintptr(fds[1]), "peer"))
	}},
	{"a terminal", func(t *testing.T) (*os.File, func() string) {
		master, slave, err := openPTY(24, 80)
		require.NoError(t, err)
		read := collect(master)
		return slave, func() string { return strings.ReplaceAll(read(), "\r", "") }
	}},
}

// collect reads r in the background; the function it returns waits until
// r ends (every writer gone; for a terminal, EIO) and returns what it read.
func collect(r *os.File) func() string {
	var buf bytes.Buffer
	done := make(chan struct{})
	go func() {
		_, _ = io.Copy(&buf, r)
		r.Close()
		close(done)
	}()
	return func() string {
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			return buf.String() + "(still open 20 s after urun exited)"
		}
		return buf.String()
	}
}

// runWithStdio runs urun with stdin from /dev/null and stdout and stderr
// on out, and returns its exit code.
func runWithStdio(t *testing.T, e *env, out *os.File, args ...string) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), defaultTimeout)
	defer cancel()
	cmd := e.command(ctx, args...)
	cmd.Stdout, cmd.Stderr = out, out
	start := time.Now()
	err := cmd.Run()
	code := -1
	var exitErr *exec.ExitError
	if err == nil {
		code = 0
	} else if errors.As(err, &exitErr) && exitErr.Exited() {
		code = exitErr.ExitCode()
	}
	t.Logf("$ urun %s  (%.2fs) -> %d %v", shellQuote(args), time.Since(start).Seconds(), code, err)
	return code
}

// Whatever stdout and stderr are (a file, a pipe, /dev/null, a socket, a
// terminal), every flag runs: --privileged once failed with "bind
// /dev/stdout on /dev/stdout: invalid argument" when they were a device.
func TestRunWritesToAnyKindOfStdioWithEveryFlag(t *testing.T) {
	e := sharedStore(t)
	for _, kind := range stdioKinds {
		for _, flags := range [][]string{nil, {"--privileged"}, {"-t"}, {"--read-only"}, {"--init"}} {
			t.Run(kind.name+" "+strings.Join(append([]string{"with"}, flags...), " "), func(t *testing.T) {
				out, read := kind.open(t)
				args := append(append([]string{"run", "--rm"}, flags...), busyboxRef, "sh", "-c", "echo hi; echo there >&2; exit 3")
				code := runWithStdio(t, e, out, args...)
				out.Close()
				got := ""
				if read != nil {
					// A terminal of the container's own (-t) ends lines with \r\n.
					got = strings.ReplaceAll(read(), "\r", "")
				}
				assert.Equal(t, 3, code, "urun exits with the command's code; it wrote %q", got)
				if read != nil {
					assert.Equal(t, "hi\nthere\n", got, "both streams, in the order written")
				}
			})
		}
	}
}

// `urun run IMG sh -c 'cat /proc/self/fd/1' >> file` let the container
// read what the file held and truncate it: the container had the
// caller's descriptor. It gets a pipe, as with Docker, and reaches only
// what it writes; so does a process of urun exec.
func TestContainerCannotReadOrTruncateTheFileItsOutputGoesTo(t *testing.T) {
	e := containerEnv(t)
	e.startRunning(t, "fdtarget", busyboxRef, "sleep", uniqueSleep())
	// The shell's stdout, reopened: read it (for at most 2 s: a pipe
	// has nothing to read), then open it to truncate it.
	probe := []string{"sh", "-c", `timeout 2 cat /proc/$$/fd/1 >&2; : > /proc/$$/fd/1; echo written by the container`}
	for _, c := range []struct {
		name string
		args []string
	}{
		{"urun run", append([]string{"run", "--rm", busyboxRef}, probe...)},
		{"urun exec", append([]string{"exec", "fdtarget"}, probe...)},
	} {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "kept")
			const before = "what the file held before: a secret\n"
			require.NoError(t, os.WriteFile(path, []byte(before), 0o600))
			f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
			require.NoError(t, err)
			defer f.Close()
			ctx, cancel := context.WithTimeout(context.Background(), defaultTimeout)
			defer cancel()
			cmd := e.command(ctx, c.args...)
			var stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = f, &stderr
			err = cmd.Run()
			t.Logf("$ urun %s >> %s -> %v; stderr:\n%s", shellQuote(c.args), path, err, stderr.String())
			require.NoError(t, err)
			got, err := os.ReadFile(path)
			require.NoError(t, err)
			assert.Equal(t, before+"written by the container\n", string(got), "the file keeps what it held, and gets what the container wrote")
			assert.NotContains(t, stderr.String(), "secret", "the container could not read what the file held")
		})
	}
}

// A large output comes out whole and byte for byte, to a file (spliced),
// a file opened to append and a terminal (copied), a pipe and a socket,
// stdout and stderr each to its own.
func TestLargeOutputComesOutWholeOnStdoutAndStderr(t *testing.T) {
	e := sharedStore(t)
	// seq's output is known without running it: 1..N, a line each.
	const nOut, nErr = 1000000, 300000
	want := func(n int) string {
		var b strings.Builder
		for i := 1; i <= n; i++ {
			b.WriteString(strconv.Itoa(i))
			b.WriteByte('\n')
		}
		return b.String()
	}
	wantOut, wantErr := want(nOut), want(nErr)
	for _, kind := range stdioKinds {
		if kind.name == "/dev/null" || kind.name == "a terminal" {
			continue // nothing to compare; a terminal changes newlines
		}
		t.Run(kind.name, func(t *testing.T) {
			out, readOut := kind.open(t)
			errOut, readErr := kind.open(t)
			ctx, cancel := context.WithTimeout(context.Background(), defaultTimeout)
			defer cancel()
			args := []string{"run", "--rm", busyboxRef, "sh", "-c", fmt.Sprintf("seq 1 %d & seq 1 %d >&2; wait", nOut, nErr)}
			cmd := e.command(ctx, args...)
			cmd.Stdout, cmd.Stderr = out, errOut
			err := cmd.Run()
			out.Close()
			errOut.Close()
			require.NoError(t, err, "urun %s", shellQuote(args))
			gotOut, gotErr := readOut(), readErr()
			assert.True(t, gotOut == wantOut, "stdout: %d bytes, want %d (seq 1 %d)", len(gotOut), len(wantOut), nOut)
			assert.True(t, gotErr == wantErr, "stderr: %d bytes, want %d (seq 1 %d)", len(gotErr), len(wantErr), nErr)
		})
	}
	t.Run("stdout and stderr on one pipe keep their order", func(t *testing.T) {
		r, w, err := os.Pipe()
		require.NoError(t, err)
		read := collect(r)
		code := runWithStdio(t, e, w, "run", "--rm", busyboxRef, "sh", "-c", `i=0; while [ $i -lt 3000 ]; do i=$((i+1)); echo out $i; echo err $i >&2; done`)
		w.Close()
		require.Equal(t, 0, code)
		var b strings.Builder
		for i := 1; i <= 3000; i++ {
			fmt.Fprintf(&b, "out %d\nerr %d\n", i, i)
		}
		got := read()
		assert.True(t, got == b.String(), "the lines come in the order written (%d bytes, want %d)", len(got), b.Len())
	})
}

// When the reader of urun's stdout goes away (`urun run IMG yes | head
// -1`), the container's next write fails as it would on the pipe itself,
// and urun ends with it.
func TestRunEndsWhenTheReaderOfItsOutputGoesAway(t *testing.T) {
	e := sharedStore(t)
	ctx, cancel := context.WithTimeout(context.Background(), defaultTimeout)
	defer cancel()
	cmd := e.command(ctx, "run", "--rm", busyboxRef, "yes")
	r, w, err := os.Pipe()
	require.NoError(t, err)
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = w, &stderr
	require.NoError(t, cmd.Start())
	w.Close()
	line := make([]byte, 2)
	_, err = io.ReadFull(r, line)
	require.NoError(t, err)
	assert.Equal(t, "y\n", string(line))
	r.Close()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err = <-done:
	case <-time.After(20 * time.Second):
		cancel()
		<-done
		t.Fatalf("urun run yes went on 20 s after its reader went away; stderr:\n%s", stderr.String())
	}
	// yes ends with SIGPIPE (141) or, where that is ignored, with its
	// error for EPIPE (1): either way not 0, and urun says so.
	var exitErr *exec.ExitError
	require.True(t, errors.As(err, &exitErr), "urun exits with yes's failure, got %v; stderr:\n%s", err, stderr.String())
	assert.Contains(t, []int{1, 128 + int(syscall.SIGPIPE)}, exitErr.ExitCode(), "yes's write failed as on the pipe itself; stderr:\n%s", stderr.String())
}

// What is piped into `urun run -i` (and `urun exec -i`) reaches the
// command byte for byte, and its end ends cat.
func TestStdinPipedInReachesTheContainerAndItsEndEndsCat(t *testing.T) {
	e := containerEnv(t)
	e.startRunning(t, "stdintarget", busyboxRef, "sleep", uniqueSleep())
	data := make([]byte, 8<<20)
	for i := range data {
		data[i] = byte(i*7 + i>>11)
	}
	for _, c := range []struct {
		name string
		args []string
	}{
		{"urun run -i", []string{"run", "--rm", "-i", busyboxRef, "cat"}},
		{"urun exec -i", []string{"exec", "-i", "stdintarget", "cat"}},
	} {
		for _, from := range []string{"a pipe", "a file"} {
			t.Run(c.name+" from "+from, func(t *testing.T) {
				var stdin io.Reader = bytes.NewReader(data)
				if from == "a file" {
					path := filepath.Join(t.TempDir(), "in")
					require.NoError(t, os.WriteFile(path, data, 0o600))
					f, err := os.Open(path)
					require.NoError(t, err)
					defer f.Close()
					stdin = f
				}
				res := e.urunWith(t, runConf{stdin: stdin}, c.args...)
				require.Equal(t, 0, res.code, "cat ended at the end of its input: %s", res.stderr)
				assert.True(t, bytes.Equal(data, []byte(res.stdout)), "cat gave back what it got: %d bytes, want %d", len(res.stdout), len(data))
			})
		}
	}
	t.Run("without -i the command reads nothing", func(t *testing.T) {
		res := e.urunWith(t, runConf{stdin: bytes.NewReader(data)}, "run", "--rm", busyboxRef, "cat")
		assert.Equal(t, "", res.ok(t))
	})
}
