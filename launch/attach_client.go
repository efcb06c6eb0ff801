package launch

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"strings"

	"golang.org/x/sys/unix"
	"golang.org/x/term"

	"github.com/urun/urun/containers"
	"github.com/urun/urun/stage"
)

// DefaultDetachKeys is Docker's detach sequence: ctrl-p, ctrl-q.
const DefaultDetachKeys = "ctrl-p,ctrl-q"

// AttachOptions are `urun attach`'s (and `start -a`'s) flags.
type AttachOptions struct {
	// Stdin passes what is typed to the container (it must have been
	// started with -i).
	Stdin bool
	// DetachKeys ends the attachment, leaving the container running.
	DetachKeys string
	// SigProxy passes the signals urun gets on to the container's PID 1
	// (not with a terminal, where ctrl-c is a key the container reads).
	SigProxy bool
	Stdout   io.Writer
	Stderr   io.Writer
}

// ErrDetached is returned by Attach when the user typed the detach keys.
var ErrDetached = errors.New("detached from the container")

// ParseDetachKeys reads a sequence such as "ctrl-p,ctrl-q" or "ctrl-a,d"
// into the bytes a terminal sends.
func ParseDetachKeys(s string) ([]byte, error) {
	if s == "" {
		return nil, nil
	}
	var keys []byte
	for _, k := range strings.Split(s, ",") {
		switch {
		case len(k) == 1:
			keys = append(keys, k[0])
		case strings.HasPrefix(k, "ctrl-") && len(k) == 6:
			c := k[5]
			switch {
			case c >= 'a' && c <= 'z':
				keys = append(keys, c-'a'+1)
			case c == '@':
				keys = append(keys, 0)
			case c >= '[' && c <= '_':
				keys = append(keys, c-'['+27)
			default:
				return nil, fmt.Errorf("detach keys %q: unknown key %q (want a letter, ctrl-LETTER, ctrl-@, ctrl-[ ... ctrl-_)", s, k)
			}
		default:
			return nil, fmt.Errorf("detach keys %q: unknown key %q (want a letter, ctrl-LETTER, ctrl-@, ctrl-[ ... ctrl-_)", s, k)
		}
	}
	return keys, nil
}

// Attach connects to a detached container's attach socket in its run
// state directory, relays its output (and with Stdin, the caller's input)
// and returns the container's exit code once it ends, or ErrDetached.
func Attach(stateDir string, tty bool, o AttachOptions) (int, error) {
	conn, err := dialAttach(stateDir)
	if err != nil {
		return 0, err
	}
	return relayAttach(conn, stateDir, tty, o)
}

func dialAttach(stateDir string) (*net.UnixConn, error) {
	path, err := socketPath(stateDir, AttachSocket)
	if err != nil {
		return nil, err
	}
	conn, err := net.DialUnix("unix", nil, &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		if errors.Is(err, unix.ENOENT) || errors.Is(err, unix.ECONNREFUSED) {
			return nil, errors.New("the container has no monitor to attach to: only a container started with -d (or urun start) can be attached")
		}
		return nil, fmt.Errorf("connect to the container's attach socket: %w", err)
	}
	return conn, nil
}

func relayAttach(conn *net.UnixConn, stateDir string, tty bool, o AttachOptions) (int, error) {
	defer conn.Close()
	if o.SigProxy && !tty {
		signals := make(chan os.Signal, 16)
		signal.Notify(signals, stage.ForwardedSignals...)
		defer signal.Stop(signals)
		go func() {
			for sig := range signals {
				if pid, err := containers.InitPID(stateDir); err == nil {
					unix.Kill(pid, sig.(unix.Signal))
				}
			}
		}()
	}
	keys, err := ParseDetachKeys(o.DetachKeys)
	if err != nil {
		return 0, err
	}
	if o.Stdout == nil {
		o.Stdout = os.Stdout
	}
	if o.Stderr == nil {
		o.Stderr = os.Stderr
	}
	detached := make(chan struct{})
	if o.Stdin {
		stdinFD := int(os.Stdin.Fd())
		if tty && term.IsTerminal(stdinFD) {
			if old, err := term.MakeRaw(stdinFD); err == nil {
				defer term.Restore(stdinFD, old)
			}
			hangUpEndsAttach()
			sendSize(conn)
			resize := make(chan os.Signal, 1)
			signal.Notify(resize, unix.SIGWINCH)
			defer signal.Stop(resize)
			go func() {
				for range resize {
					sendSize(conn)
				}
			}()
		}
		go func() {
			if copyInput(conn, os.Stdin, keys) {
				close(detached)
				conn.CloseRead()
			}
		}()
	}
	for {
		kind, payload, err := readFrame(conn)
		if err != nil {
			select {
			case <-detached:
				return 0, ErrDetached
			default:
			}
			return 0, errors.New("lost the connection to the container's monitor")
		}
		switch kind {
		case frameStdout:
			o.Stdout.Write(payload)
		case frameStderr:
			o.Stderr.Write(payload)
		case frameExit:
			return parseExitFrame(payload)
		}
	}
}

// ExitHangUp is urun's status when its terminal hung up on it (128 +
// SIGHUP, as a shell reports a process SIGHUP ended).
const ExitHangUp = 129

// hangUpEndsAttach makes a hang-up of the caller's terminal (it was
// closed) end this urun, the attach client, as it ends Docker's CLI: the
// container runs on under its monitor. urun may have been started with
// SIGHUP ignored (nohup, some test harnesses), and would then stay on,
// attached to a terminal that is gone.
func hangUpEndsAttach() {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, unix.SIGHUP)
	go func() {
		<-hup
		os.Exit(ExitHangUp)
	}()
}

func sendSize(conn *net.UnixConn) {
	if size := terminalSize(); size != nil {
		writeFrame(conn, frameResize, fmt.Appendf(nil, "%d %d", size.Height, size.Width))
	}
}

// copyInput sends what r gives to the container until it ends, or until
// the detach keys were typed (then it reports true). Keys that only begin
// the sequence are held back until it is clear they are not it.
func copyInput(conn io.Writer, r io.Reader, keys []byte) bool {
	buf := make([]byte, 32<<10)
	var held []byte
	for {
		n, err := r.Read(buf)
		if n > 0 {
			data := append(held, buf[:n]...)
			held = nil
			if len(keys) > 0 {
				if i := bytes.Index(data, keys); i >= 0 {
					writeFrame(conn, frameStdin, data[:i])
					return true
				}
				// A tail that may be the start of the sequence waits for
				// the next read.
				for k := min(len(keys)-1, len(data)); k > 0; k-- {
					if bytes.HasPrefix(keys, data[len(data)-k:]) {
						held = append([]byte(nil), data[len(data)-k:]...)
						data = data[:len(data)-k]
						break
					}
				}
			}
			if len(data) > 0 && writeFrame(conn, frameStdin, data) != nil {
				return false
			}
		}
		if err != nil {
			writeFrame(conn, frameStdinEOF, nil)
			return false
		}
	}
}
