package launch

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// AttachSocket is the name of a detached container's attach socket in its
// run state directory.
const AttachSocket = "attach.sock"

// Frames on the attach socket: a kind byte, a big-endian uint32 length and
// the payload. The monitor sends output and, at the end, the exit code;
// a client sends input and terminal sizes.
const (
	frameStdin  byte = 0
	frameStdout byte = 1
	frameStderr byte = 2
	frameExit   byte = 3
	frameResize byte = 4
	// frameStdinEOF: the client's input ended; the container's stdin is
	// closed (without -t), so that a command reading it to its end ends.
	frameStdinEOF byte = 5
)

// maxPendingInput bounds what clients may type before the container's
// input exists (a client attached by `start -a -i` starts typing before
// the command has started); no more than a fresh pipe holds, so that
// passing it on never blocks.
const maxPendingInput = 64 << 10

// maxFrame bounds a frame's payload, so that a confused peer cannot make
// the other allocate without limit.
const maxFrame = 1 << 20

func writeFrame(w io.Writer, kind byte, payload []byte) error {
	hdr := make([]byte, 5, 5+len(payload))
	hdr[0] = kind
	binary.BigEndian.PutUint32(hdr[1:], uint32(len(payload)))
	_, err := w.Write(append(hdr, payload...))
	return err
}

func readFrame(r io.Reader) (byte, []byte, error) {
	var hdr [5]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return 0, nil, err
	}
	n := binary.BigEndian.Uint32(hdr[1:])
	if n > maxFrame {
		return 0, nil, fmt.Errorf("attach frame of %d bytes is too large", n)
	}
	payload := make([]byte, n)
	if _, err := io.ReadFull(r, payload); err != nil {
		return 0, nil, err
	}
	return hdr[0], payload, nil
}

// clientWriteTimeout drops a client that stops reading: the container's
// output must not wait for it.
const clientWriteTimeout = 5 * time.Second

// attachServer is the monitor's end of the attach socket.
type attachServer struct {
	ln *net.UnixListener

	mu      sync.Mutex
	clients map[*net.UnixConn]bool
	joined  chan struct{} // closed when the first client connects
	// input receives what clients type: the stdin pipe (-i) or the pty
	// master (-t); nil when the container takes no input.
	input  *os.File
	master *os.File
	// pending is input that came before the container's input existed;
	// pendingEOF: so did the end of it.
	pending    []byte
	pendingEOF bool
	// closeInput closes the container's stdin pipe (not a pty master).
	closeInput func()
}

func listenAttach(path string) (*attachServer, error) {
	os.Remove(path)
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		return nil, fmt.Errorf("listen on the attach socket %s: %w", path, err)
	}
	a := &attachServer{ln: ln, clients: map[*net.UnixConn]bool{}, joined: make(chan struct{})}
	go a.serve()
	return a, nil
}

func (a *attachServer) serve() {
	for {
		conn, err := a.ln.AcceptUnix()
		if err != nil {
			return
		}
		a.mu.Lock()
		a.clients[conn] = true
		if len(a.clients) == 1 {
			select {
			case <-a.joined:
			default:
				close(a.joined)
			}
		}
		a.mu.Unlock()
		go a.readClient(conn)
	}
}

// waitForClient waits until a client attached, at most d.
func (a *attachServer) waitForClient(d time.Duration) {
	select {
	case <-a.joined:
	case <-time.After(d):
	}
}

func (a *attachServer) readClient(conn *net.UnixConn) {
	defer a.drop(conn)
	for {
		kind, payload, err := readFrame(conn)
		if err != nil {
			return
		}
		a.mu.Lock()
		input, master := a.input, a.master
		switch {
		case kind == frameStdin && input == nil && len(a.pending)+len(payload) <= maxPendingInput:
			a.pending = append(a.pending, payload...)
		case kind == frameStdinEOF && input == nil:
			a.pendingEOF = true
		case kind == frameStdinEOF && input != master && a.closeInput != nil:
			a.closeInput()
		}
		a.mu.Unlock()
		switch kind {
		case frameStdin:
			if input != nil {
				input.Write(payload)
			}
		case frameResize:
			var rows, cols uint16
			if _, err := fmt.Sscanf(string(payload), "%d %d", &rows, &cols); err == nil && master != nil {
				unix.IoctlSetWinsize(int(master.Fd()), unix.TIOCSWINSZ, &unix.Winsize{Row: rows, Col: cols})
			}
		}
	}
}

func (a *attachServer) drop(conn *net.UnixConn) {
	a.mu.Lock()
	delete(a.clients, conn)
	a.mu.Unlock()
	conn.Close()
}

// setInput makes f (the container's stdin pipe) receive what clients
// type, first what they typed before; closeInput closes it.
func (a *attachServer) setInput(f *os.File, closeInput func()) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.input, a.closeInput = f, closeInput
	a.flushPending()
}

// setTerminal makes the pty master receive what clients type.
func (a *attachServer) setTerminal(master *os.File) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.master = master
	if master != nil || a.input == a.master {
		a.input = master
	}
	a.flushPending()
}

func (a *attachServer) flushPending() {
	if a.input == nil {
		return
	}
	if len(a.pending) > 0 {
		a.input.Write(a.pending)
		a.pending = nil
	}
	if a.pendingEOF && a.input != a.master && a.closeInput != nil {
		a.closeInput()
	}
	a.pendingEOF = false
}

// broadcast sends output of stream (0 stdout, 1 stderr) to every client.
func (a *attachServer) broadcast(stream int, data []byte) {
	kind := frameStdout
	if stream == 1 {
		kind = frameStderr
	}
	a.send(kind, data)
}

func (a *attachServer) send(kind byte, data []byte) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for conn := range a.clients {
		conn.SetWriteDeadline(time.Now().Add(clientWriteTimeout))
		if err := writeFrame(conn, kind, data); err != nil {
			delete(a.clients, conn)
			conn.Close()
		}
	}
}

// exited tells the clients the container's exit code and lets them go.
func (a *attachServer) exited(code int) {
	a.send(frameExit, []byte(strconv.Itoa(code)))
	a.mu.Lock()
	defer a.mu.Unlock()
	for conn := range a.clients {
		conn.Close()
		delete(a.clients, conn)
	}
}

func (a *attachServer) close() {
	a.ln.Close()
}

// parseExitFrame reads the payload of a frameExit.
func parseExitFrame(payload []byte) (int, error) {
	code, err := strconv.Atoi(strings.TrimSpace(string(payload)))
	if err != nil {
		return 0, errors.New("the container's monitor sent a bad exit code")
	}
	return code, nil
}
