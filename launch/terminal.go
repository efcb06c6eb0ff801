package launch

import (
	"io"
	"os"
	"os/signal"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
	"golang.org/x/term"
)

// terminalSize returns the caller's terminal size, if it has one.
func terminalSize() *specs.Box {
	for _, f := range []*os.File{os.Stdin, os.Stdout, os.Stderr} {
		if ws, err := unix.IoctlGetWinsize(int(f.Fd()), unix.TIOCGWINSZ); err == nil {
			return &specs.Box{Height: uint(ws.Row), Width: uint(ws.Col)}
		}
	}
	return nil
}

// relay copies between the caller and the container's pty master until the
// container side closes. With interactive input on a terminal, the
// caller's terminal is put in raw mode so keys reach the container as typed.
// What the container writes goes to log too, if set.
type relay struct {
	master  *os.File
	restore func()
	done    chan struct{}
}

func startRelay(master *os.File, interactive bool, log io.Writer) *relay {
	r := &relay{master: master, restore: func() {}, done: make(chan struct{})}
	if interactive && term.IsTerminal(int(os.Stdin.Fd())) {
		if old, err := term.MakeRaw(int(os.Stdin.Fd())); err == nil {
			r.restore = func() { term.Restore(int(os.Stdin.Fd()), old) }
		}
	}
	resize := make(chan os.Signal, 1)
	signal.Notify(resize, unix.SIGWINCH)
	go func() {
		for range resize {
			if size := terminalSize(); size != nil {
				unix.IoctlSetWinsize(int(master.Fd()), unix.TIOCSWINSZ,
					&unix.Winsize{Row: uint16(size.Height), Col: uint16(size.Width)})
			}
		}
	}()
	if interactive {
		go io.Copy(master, os.Stdin)
	}
	go func() {
		// Reading fails with EIO once the container's last holder of the
		// pty slave is gone.
		io.Copy(tee{out: os.Stdout, log: log}, master)
		close(r.done)
	}()
	return r
}

func (r *relay) wait() {
	<-r.done
	r.restore()
}
