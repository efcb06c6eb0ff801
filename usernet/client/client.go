package client

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/urun/urun/config"
	"github.com/urun/urun/lockwait"
	"github.com/urun/urun/network"
	"github.com/urun/urun/stage"
	"github.com/urun/urun/usernet"
)

// Session is a connection to the holder; the holder stays while it is
// open. A Session whose holder is still starting holds the networks' lock
// until it connects (ready).
type Session struct {
	conn *net.UnixConn
	dec  *json.Decoder
	// HolderPID is the holder's pid: its namespaces are in /proc.
	HolderPID int
	dir       string
	// starting is the holder this session started, until it is ready;
	// lock is the networks' lock meanwhile.
	starting *startingHolder
	lock     *os.File
}

// Connect connects to the user's holder, or starts one (or a new one in a
// killed holder's namespaces) when none answers, and returns as soon as
// its namespaces exist: the first container of a network starts while the
// holder does.
func Connect(cfg *config.Config) (*Session, error) {
	dir := usernet.Dir(cfg)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create the networks' run directory: %w", err)
	}
	lock, err := os.OpenFile(usernet.LockPath(dir), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open the networks' lock: %w", err)
	}
	if err := lockwait.Take(lock, unix.LOCK_EX, cfg.LockWait(), "the networks' lock"); err != nil {
		lock.Close()
		return nil, err
	}
	s := &Session{dir: dir}
	if err := s.dial(); err == nil {
		lock.Close()
		return s, nil
	}
	if s.starting, err = startHolder(dir); err != nil {
		lock.Close()
		return nil, err
	}
	s.HolderPID, s.lock = s.starting.pid, lock
	return s, nil
}

// ready waits until the holder this session started is up, and connects.
func (s *Session) ready() error {
	if s.starting == nil {
		return nil
	}
	defer s.lock.Close()
	err := <-s.starting.ready
	s.starting = nil
	if err != nil {
		return err
	}
	if err := s.dial(); err != nil {
		return fmt.Errorf("connect to the network holder it started: %w%s", err, logTail(usernet.LogPath(s.dir)))
	}
	return nil
}

// dial connects and says hello: once the holder answers, it counts the
// connection and does not end while it is open.
func (s *Session) dial() error {
	conn, err := net.DialUnix("unix", nil, &net.UnixAddr{Name: usernet.SocketPath(s.dir), Net: "unix"})
	if err != nil {
		return err
	}
	s.conn, s.dec = conn, json.NewDecoder(bufio.NewReader(conn))
	reply, err := s.call(usernet.Request{Hello: true})
	if err != nil {
		conn.Close()
		s.conn = nil
		return err
	}
	s.HolderPID = reply.HolderPID
	return nil
}

// callTimeout bounds one exchange: attaching takes milliseconds.
const callTimeout = 30 * time.Second

func (s *Session) call(r usernet.Request) (usernet.Reply, error) {
	var reply usernet.Reply
	s.conn.SetDeadline(time.Now().Add(callTimeout))
	data, err := json.Marshal(r)
	if err != nil {
		return reply, err
	}
	if _, err := s.conn.Write(append(data, '\n')); err != nil {
		return reply, fmt.Errorf("talk to the network holder: %w", err)
	}
	if err := s.dec.Decode(&reply); err != nil {
		return reply, fmt.Errorf("read the network holder's answer: %w%s", err, logTail(usernet.LogPath(s.dir)))
	}
	if reply.Error != "" {
		return reply, errors.New(reply.Error)
	}
	return reply, nil
}

// Attach connects a container to networks and returns its new endpoints.
func (s *Session) Attach(r usernet.AttachRequest) ([]usernet.Endpoint, error) {
	if err := s.ready(); err != nil {
		return nil, err
	}
	reply, err := s.call(usernet.Request{Attach: &r})
	return reply.Endpoints, err
}

// Detach disconnects a container from a network.
func (s *Session) Detach(r usernet.DetachRequest) error {
	if err := s.ready(); err != nil {
		return err
	}
	_, err := s.call(usernet.Request{Detach: &r})
	return err
}

// Close ends the session (once a holder it started is up); a holder with
// nothing attached then ends.
func (s *Session) Close() error {
	err := s.ready()
	if s.conn != nil {
		s.conn.Close()
	}
	return err
}

// OpenNamespaces opens the holder's user and network namespaces, for a
// container to nest in and to keep.
func (s *Session) OpenNamespaces() (userns, netns *os.File, err error) {
	if userns, err = os.Open(usernet.ProcPath(s.HolderPID, "ns/user")); err != nil {
		return nil, nil, fmt.Errorf("open the network holder's user namespace: %w", err)
	}
	if netns, err = os.Open(usernet.ProcPath(s.HolderPID, "ns/net")); err != nil {
		userns.Close()
		return nil, nil, fmt.Errorf("open the network holder's network namespace: %w", err)
	}
	return userns, netns, nil
}

// logTail is the end of a log, to explain a failure.
func logTail(path string) string {
	if text := network.LogTail(path, 3); text != "" {
		return " (" + path + ": " + text + ")"
	}
	return ""
}

// Repair brings back the name servers and the uplink of a holder that
// was killed while containers were attached, and forgets the record of
// one that left none behind. Every urun command calls it: it costs a
// failed open while no holder runs, and reading the pid file and the
// holder's /proc/PID/comm while one does.
func Repair(cfg *config.Config) {
	dir := usernet.Dir(cfg)
	data, err := os.ReadFile(usernet.PIDPath(dir))
	if err != nil {
		return
	}
	if pid, err := strconv.Atoi(strings.TrimSpace(string(data))); err == nil && holderAlive(pid) {
		return
	}
	st, err := usernet.ReadState(dir)
	if err != nil {
		return
	}
	for _, c := range st.Containers {
		if usernet.WaiterAlive(c.WaiterPID, st.UserNS) {
			if s, err := Connect(cfg); err == nil {
				s.Close()
			}
			return
		}
	}
	os.Remove(usernet.StatePath(dir))
	os.Remove(usernet.SocketPath(dir))
	os.Remove(usernet.PIDPath(dir))
}

// holderAlive says whether pid is a holder.
func holderAlive(pid int) bool {
	comm, err := os.ReadFile(usernet.ProcPath(pid, "comm"))
	return err == nil && strings.TrimSpace(string(comm)) == string(stage.NetHolder)
}
