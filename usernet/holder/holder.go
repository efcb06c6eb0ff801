// Package holder is the network holder (see package usernet): the stage
// urun-netholder of urun-image, root of a user namespace with the
// user's networks in its network namespace. It serves attach and detach
// requests on a unix socket, answers names for the containers, and ends
// once no container is attached and no client connected.
package holder

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/urun/urun/atomicfile"
	"github.com/urun/urun/stage"
	"github.com/urun/urun/usernet"
)

// idleGrace is how long the holder stays with nothing attached: a script
// running containers one after the other does not pay for a new holder
// each time.
const idleGrace = time.Second

// Main is the stage's main; it returns the exit status.
func Main() int {
	var req usernet.HolderRequest
	sock := stage.Socket()
	if err := stage.Request(&req); err != nil {
		fmt.Fprintf(os.Stderr, "urun-netholder: %v\n", err)
		return 125
	}
	h, err := start(req)
	if err != nil {
		stage.SendFailure(sock, 125, err)
		fmt.Fprintf(os.Stderr, "urun-netholder: %v\n", err)
		return 125
	}
	stage.Send(sock, stage.Started, "")
	sock.Close()
	h.serve()
	return 0
}

type holder struct {
	dir      string
	listener *net.UnixListener
	fw       *firewall

	mu      sync.Mutex
	state   usernet.State
	clients int
	// dns are the name servers in the containers that ask names of the
	// holder, by the pid of the container's waiter.
	dns map[int]*nameServer
	// watched are the waiters whose end the holder waits for.
	watched map[int]bool
	idle    *time.Timer
}

func start(req usernet.HolderRequest) (*holder, error) {
	h := &holder{dir: req.Dir, dns: map[int]*nameServer{}, watched: map[int]bool{}}
	userns, err := os.Open("/proc/self/ns/user")
	if err != nil {
		return nil, fmt.Errorf("open the holder's user namespace: %w", err)
	}
	var st unix.Stat_t
	err = unix.Fstat(int(userns.Fd()), &st)
	userns.Close()
	if err != nil {
		return nil, fmt.Errorf("identify the holder's user namespace: %w", err)
	}
	if req.Recovered {
		if h.state, err = usernet.ReadState(h.dir); err != nil {
			return nil, err
		}
	}
	if h.state.UserNS != 0 && h.state.UserNS != st.Ino {
		h.state = usernet.State{}
	}
	h.state.UserNS = st.Ino
	h.state.HolderPID = os.Getpid()
	if err := setUpNamespace(); err != nil {
		return nil, err
	}
	if h.fw, err = newFirewall(); err != nil {
		return nil, err
	}
	for _, n := range h.state.Networks {
		if err := h.fw.addNetwork(n); err != nil {
			return nil, err
		}
	}
	h.adoptRunningContainers()
	if err := h.save(); err != nil {
		return nil, err
	}
	if err := atomicfile.Write(usernet.PIDPath(h.dir), []byte(strconv.Itoa(os.Getpid())+"\n")); err != nil {
		return nil, fmt.Errorf("write the holder's pid file: %w", err)
	}
	path := usernet.SocketPath(h.dir)
	os.Remove(path)
	if h.listener, err = net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"}); err != nil {
		return nil, fmt.Errorf("listen on %s: %w", path, err)
	}
	h.listener.SetUnlinkOnClose(false)
	h.idle = time.AfterFunc(idleGrace, h.endIfIdle)
	return h, nil
}

// adoptRunningContainers takes back, after a killed holder, the
// containers still running: their end is watched and their name servers
// served again; those gone are forgotten.
func (h *holder) adoptRunningContainers() {
	var live []usernet.Endpoint
	for _, e := range h.state.Endpoints {
		if usernet.WaiterAlive(e.WaiterPID, h.state.UserNS) {
			live = append(live, e)
		}
	}
	h.state.Endpoints = live
	for id, c := range h.state.Containers {
		if !usernet.WaiterAlive(c.WaiterPID, h.state.UserNS) {
			delete(h.state.Containers, id)
			continue
		}
		h.watch(id, c.WaiterPID)
		if !c.Names {
			continue
		}
		if err := h.serveNames(id, c.WaiterPID); err != nil {
			fmt.Fprintf(os.Stderr, "urun-netholder: container %s: %v\n", id, err)
		}
	}
}

// serve accepts clients until the holder ends.
func (h *holder) serve() {
	for {
		conn, err := h.listener.AcceptUnix()
		if err != nil {
			return
		}
		h.mu.Lock()
		h.clients++
		h.mu.Unlock()
		go h.serveClient(conn)
	}
}

func (h *holder) serveClient(conn *net.UnixConn) {
	defer func() {
		conn.Close()
		h.mu.Lock()
		h.clients--
		h.checkIdle()
		h.mu.Unlock()
	}()
	dec := json.NewDecoder(bufio.NewReader(conn))
	enc := json.NewEncoder(conn)
	for {
		var req usernet.Request
		if err := dec.Decode(&req); err != nil {
			return
		}
		reply := h.handle(req)
		reply.HolderPID = os.Getpid()
		if err := enc.Encode(reply); err != nil {
			return
		}
	}
}

func (h *holder) handle(req usernet.Request) usernet.Reply {
	h.mu.Lock()
	defer h.mu.Unlock()
	var reply usernet.Reply
	var err error
	switch {
	case req.Hello:
	case req.Attach != nil:
		reply.Endpoints, err = h.attach(*req.Attach)
	case req.Detach != nil:
		err = h.detach(*req.Detach)
	default:
		err = errors.New("unknown request")
	}
	if err != nil {
		reply.Error = err.Error()
	}
	return reply
}

// save writes the state whole.
func (h *holder) save() error {
	if err := atomicfile.WriteJSON(usernet.StatePath(h.dir), h.state); err != nil {
		return fmt.Errorf("write the networks' state: %w", err)
	}
	return nil
}

// checkIdle arms the timer that ends the holder once nothing is attached
// and nobody is connected. Called with mu held.
func (h *holder) checkIdle() {
	if h.clients == 0 && len(h.state.Containers) == 0 {
		h.idle.Reset(idleGrace)
	}
}

// endIfIdle ends the holder if it is still idle, under the networks'
// lock: a client that found the holder under the lock has said hello, and
// so counts, before the lock is free; one that comes after finds no
// socket and starts a new holder.
func (h *holder) endIfIdle() {
	lock, err := os.OpenFile(usernet.LockPath(h.dir), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return
	}
	defer lock.Close()
	if err := unix.Flock(int(lock.Fd()), unix.LOCK_EX); err != nil {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.clients != 0 || len(h.state.Containers) != 0 {
		return
	}
	os.Remove(usernet.SocketPath(h.dir))
	os.Remove(usernet.StatePath(h.dir))
	os.Remove(usernet.PIDPath(h.dir))
	// The uplink reads end of file on its exit pipe and ends too.
	os.Exit(0)
}
