package stage

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"

	"github.com/urun/urun/exitcode"

	"golang.org/x/sys/unix"
)

// Kind is a message's first byte; the rest is its text. nsenter.c
// declares the kinds it uses as MSG_* with the same letters.
type Kind byte

// The messages on a stage's socket, in the order of the exchange drawn in
// the package comment.
const (
	// UserNSMade: nsenter.c made the user namespace; the host writes its
	// maps.
	UserNSMade Kind = 'U'
	// Proceed: the host wrote the maps (Create), or moved the stage into
	// the container's cgroup (Join with HoldJoin).
	Proceed Kind = 'M'
	// InitPID: the waiter forked init, whose host pid is the text.
	InitPID Kind = 'P'
	// Errno: nsenter.c failed: "<errno> <what>".
	Errno Kind = 'E'
	// Terminal: init or exec made the command's pty; the master travels
	// with it.
	Terminal Kind = 'T'
	// Waiting: init passed every check and waits for Go.
	Waiting Kind = 'W'
	// Go: the host attached the network: init may exec the command.
	Go Kind = 'G'
	// Failed: the stage failed before exec: "<exit code> <why>".
	Failed Kind = 'X'
	// InitEnded, on the end socket (ReportEnd): init ended.
	InitEnded Kind = 'D'
	// Listening: the monitor's attach socket is up.
	Listening Kind = 'L'
	// Started: the monitor's container started its command.
	Started Kind = 'S'
	// Report: the copy stage's progress (JSON, package rootfscopy).
	Report Kind = 'R'
)

// Message is one message read from a stage's socket.
type Message struct {
	Kind Kind
	Text string
	// File is a descriptor that came with it (Terminal).
	File *os.File
}

// Send writes one message.
func Send(sock *os.File, kind Kind, text string) error {
	return unix.Sendmsg(int(sock.Fd()), append([]byte{byte(kind)}, text...), nil, nil, unix.MSG_NOSIGNAL)
}

// SendFile writes one message with a descriptor.
func SendFile(sock *os.File, kind Kind, f *os.File) error {
	return unix.Sendmsg(int(sock.Fd()), []byte{byte(kind)}, unix.UnixRights(int(f.Fd())), nil, unix.MSG_NOSIGNAL)
}

// SendFailure reports why the stage failed before exec, with the exit
// code urun is to end with.
func SendFailure(sock *os.File, code int, err error) error {
	return Send(sock, Failed, strconv.Itoa(code)+" "+err.Error())
}

// ErrClosed: the other side closed the socket (a stage that exec'd, or
// one that ended).
var ErrClosed = errors.New("the stage's socket was closed")

// Receive reads one message. An Errno message becomes its error; a
// closed socket is ErrClosed.
func Receive(sock *os.File) (Message, error) {
	oob := make([]byte, unix.CmsgSpace(4))
	for {
		// The message's size first: a Report may be long.
		size, _, err := unix.Recvfrom(int(sock.Fd()), nil, unix.MSG_PEEK|unix.MSG_TRUNC)
		if err == unix.EINTR {
			continue
		}
		buf := make([]byte, max(size, 1))
		n, oobn, _, _, err := unix.Recvmsg(int(sock.Fd()), buf, oob, unix.MSG_CMSG_CLOEXEC)
		if err == unix.EINTR {
			continue
		}
		if err != nil || n == 0 {
			return Message{}, ErrClosed
		}
		m := Message{Kind: Kind(buf[0]), Text: string(buf[1:n])}
		if m.Kind == Errno {
			return m, nsenterError(m.Text)
		}
		if oobn > 0 {
			if m.File, err = receivedFile(oob[:oobn]); err != nil {
				return m, err
			}
		}
		return m, nil
	}
}

func receivedFile(oob []byte) (*os.File, error) {
	msgs, err := unix.ParseSocketControlMessage(oob)
	if err == nil && len(msgs) == 1 {
		if fds, err := unix.ParseUnixRights(&msgs[0]); err == nil && len(fds) == 1 {
			return os.NewFile(uintptr(fds[0]), "from-stage"), nil
		}
	}
	return nil, errors.New("the stage sent a bad descriptor")
}

// Expect reads one message and fails unless it is of kind want.
func Expect(sock *os.File, want Kind) (Message, error) {
	m, err := Receive(sock)
	if err != nil {
		return m, err
	}
	if m.Kind != want {
		return m, fmt.Errorf("the stage sent %q, want %q", byte(m.Kind), byte(want))
	}
	return m, nil
}

// SendReport sends v, in JSON, as a Report.
func SendReport(sock *os.File, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return Send(sock, Report, string(data))
}

// ReceiveReport reads a Report into v; a stage that ended without one is
// ErrClosed.
func ReceiveReport(sock *os.File, v any) error {
	m, err := Expect(sock, Report)
	if err != nil {
		return err
	}
	if err := json.Unmarshal([]byte(m.Text), v); err != nil {
		return fmt.Errorf("the stage sent %q: %w", m.Text, err)
	}
	return nil
}

// Failure is the error a Failed message (see SendFailure) carries, with
// the exit code urun is to end with.
func (m Message) Failure() *exitcode.Error {
	codeText, why, _ := strings.Cut(m.Text, " ")
	code, err := strconv.Atoi(codeText)
	if err != nil {
		code = exitcode.Failed
	}
	return exitcode.New(code, errors.New(why))
}

// nsenterError turns nsenter.c's "<errno> <what>" into an error that
// names the fix where one is known.
func nsenterError(msg string) error {
	num, what, _ := strings.Cut(msg, " ")
	n, _ := strconv.Atoi(num)
	errno := syscall.Errno(n)
	err := fmt.Errorf("%s: %w", what, errno)
	if what == "unshare user namespace" {
		return fmt.Errorf("%w\n%s", err, UserNamespaceHint(errno))
	}
	return err
}

// UserNamespaceHint explains why creating a user namespace failed and how
// to allow it.
func UserNamespaceHint(errno syscall.Errno) string {
	if errno == unix.ENOSPC {
		return "user namespaces are limited to zero: raise the sysctl user.max_user_namespaces (e.g. 'sudo sysctl -w user.max_user_namespaces=28633')"
	}
	if v, err := os.ReadFile("/proc/sys/kernel/unprivileged_userns_clone"); err == nil && strings.TrimSpace(string(v)) == "0" {
		return "unprivileged user namespaces are disabled: enable them with 'sudo sysctl -w kernel.unprivileged_userns_clone=1'"
	}
	if v, err := os.ReadFile("/proc/sys/kernel/apparmor_restrict_unprivileged_userns"); err == nil && strings.TrimSpace(string(v)) == "1" {
		return "AppArmor restricts unprivileged user namespaces: allow urun with an AppArmor profile granting 'userns,' or set 'sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0'"
	}
	return "unprivileged user namespaces are not available here (a seccomp filter or a container around urun may forbid them)"
}
