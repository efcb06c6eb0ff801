package test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os/exec"
	"regexp"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// uniqueSleep returns a sleep duration no other test or host process uses,
// so that the host's /proc can be searched for it.
func uniqueSleep() string {
	return strconv.Itoa(100000 + rand.IntN(800000))
}

func TestRunForwardsSIGTERMToTheContainer(t *testing.T) {
	e := sharedStore(t)
	secs := uniqueSleep()
	ctx, cancel := context.WithTimeout(context.Background(), defaultTimeout)
	defer cancel()
	cmd := e.command(ctx, "run", "--rm", busyboxRef, "sh", "-c",
		`trap "exit 3" TERM; sleep `+secs+` & echo ready; wait`)
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	require.NoError(t, cmd.Start())
	t.Logf("$ %s (pid %d)", shellQuote(cmd.Args), cmd.Process.Pid)

	ready := make(chan error, 1)
	var rest bytes.Buffer
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if sc.Text() == "ready" {
				ready <- nil
				_, _ = io.Copy(&rest, stdout)
				return
			}
		}
		ready <- fmt.Errorf("stdout ended before the container printed ready: %v", sc.Err())
	}()
	select {
	case err := <-ready:
		if err != nil {
			_ = cmd.Wait()
			t.Fatalf("%v; stderr:\n%s", err, stderr.String())
		}
	case <-time.After(defaultTimeout):
		cancel()
		_ = cmd.Wait()
		t.Fatalf("the container did not print ready; stderr:\n%s", stderr.String())
	}
	// The shell may print ready before its background sleep has exec'd.
	require.Eventually(t, func() bool { return len(processesWith("sleep", secs)) > 0 }, 5*time.Second, 10*time.Millisecond,
		"the container's sleep runs before the signal")

	sent := time.Now()
	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	err = cmd.Wait()
	t.Logf("urun returned %v after %.2fs; stderr:\n%s", err, time.Since(sent).Seconds(), stderr.String())
	var exitErr *exec.ExitError
	require.True(t, errors.As(err, &exitErr) && exitErr.Exited(), "urun must exit normally, got %v", err)
	assert.Equal(t, 3, exitErr.ExitCode(), "the container's trap ran and its exit code is urun's")
	assert.Less(t, time.Since(sent), 10*time.Second, "the signal was forwarded, not waited out")
	assert.Empty(t, waitNoProcesses(5*time.Second, "sleep", secs), "the container's sleep is gone after it exits")
}

func TestRunLeavesNoProcessBehind(t *testing.T) {
	e := sharedStore(t)
	secs := uniqueSleep()
	// sh exits at once, leaving its background sleep (which holds stdout).
	res := e.urunWith(t, runConf{timeout: 60 * time.Second}, "run", "--rm", busyboxRef, "sh", "-c", "sleep "+secs+" & echo started")
	res.ok(t)
	assert.Equal(t, "started\n", res.stdout)
	assert.Empty(t, waitNoProcesses(5*time.Second, "sleep", secs), "no process of the container remains once its command exited")
}

func TestRunWithTTYGivesTheContainerATerminal(t *testing.T) {
	e := sharedStore(t)
	const rows, cols = 33, 97
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	term := startOnTerminal(t, e.command(ctx, "run", "--rm", "-t", busyboxRef, "sh", "-c", "tty; stty size; echo done"), rows, cols)
	text, err := term.wait(t)
	require.NoError(t, ctx.Err(), "urun run -t did not exit within 30s (the container's command had printed: %q)", text)
	require.NoError(t, err, "urun run -t exits 0")
	assert.Regexp(t, regexp.MustCompile(`(?m)^/dev/(pts/\d+|console)$`), text, "tty inside names a terminal")
	assert.NotContains(t, text, "not a tty")
	assert.Regexp(t, regexp.MustCompile(fmt.Sprintf(`(?m)^%d %d$`, rows, cols)), text, "the container's terminal has the caller's size")
	assert.Contains(t, text, "done")
}

// Resizing the caller's terminal resizes the container's: urun passes
// SIGWINCH on as a new size on the container's pty.
func TestRunWithTTYFollowsTerminalResizes(t *testing.T) {
	e := sharedStore(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	term := startOnTerminal(t, e.command(ctx, "run", "--rm", "-t", busyboxRef, "sh", "-c",
		`trap 'stty size; exit 0' WINCH; echo ready; while :; do sleep 0.1; done`), 24, 80)
	term.shows(t, "ready", "the container started")
	// As a terminal emulator does: the new size goes to the terminal, and
	// the kernel signals its foreground process group, urun.
	require.NoError(t, unix.IoctlSetWinsize(int(term.master.Fd()), unix.TIOCSWINSZ, &unix.Winsize{Row: 50, Col: 132}))
	text, err := term.wait(t)
	require.NoError(t, ctx.Err(), "the container did not see the resize: %q", text)
	require.NoError(t, err)
	assert.Regexp(t, regexp.MustCompile(`(?m)^50 132$`), text, "the container's terminal took the new size")
}

// syncBuffer is a bytes.Buffer safe for one writer and one reader.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
