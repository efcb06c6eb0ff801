package request

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// The request travels as JSON on a pipe the helper inherits, whose
// descriptor fdEnv names: a pipe, since the request may hold a password,
// which must not show in the helper's arguments or environment (other
// users read those in /proc).
const fdEnv = "_URUN_IMAGE_REQUEST"

// ErrNone is Receive's error when this process was sent no request: it
// was run by hand.
var ErrNone = errors.New("no request from urun")

// Send attaches r to cmd, which is not started yet, for Receive in the
// process it starts. The pipe holds the whole request before the start,
// so nothing waits on the reader; the caller closes the returned end
// once cmd has started.
func Send(cmd *exec.Cmd, r Request) (*os.File, error) {
	data, err := json.Marshal(r)
	if err != nil {
		return nil, fmt.Errorf("encode the request: %w", err)
	}
	rd, wr, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("make the request's pipe: %w", err)
	}
	defer wr.Close()
	// The pipe grows to hold it, up to /proc/sys/fs/pipe-max-size (1 MiB).
	size, err := unix.FcntlInt(wr.Fd(), unix.F_GETPIPE_SZ, 0)
	if err == nil && size < len(data) {
		size, err = unix.FcntlInt(wr.Fd(), unix.F_SETPIPE_SZ, len(data))
	}
	if err == nil && size < len(data) {
		err = fmt.Errorf("it is larger than a pipe holds (%d bytes)", size)
	}
	if err == nil {
		_, err = wr.Write(data)
	}
	if err != nil {
		rd.Close()
		return nil, fmt.Errorf("write the request (%d bytes): %w", len(data), err)
	}
	cmd.ExtraFiles = append(cmd.ExtraFiles, rd)
	if cmd.Env == nil {
		cmd.Env = os.Environ()
	}
	cmd.Env = append(withoutFDEnv(cmd.Env), fdEnv+"="+strconv.Itoa(2+len(cmd.ExtraFiles)))
	return rd, nil
}

// Receive reads the request Send attached to this process, and closes and
// unsets it, so that the processes this one starts do not see it.
func Receive() (Request, error) {
	var r Request
	v, ok := os.LookupEnv(fdEnv)
	if !ok {
		return r, ErrNone
	}
	os.Unsetenv(fdEnv)
	fd, err := strconv.Atoi(v)
	if err != nil || fd < 3 {
		return r, fmt.Errorf("%s=%q names no file descriptor", fdEnv, v)
	}
	f := os.NewFile(uintptr(fd), "request")
	defer f.Close()
	if err := json.NewDecoder(f).Decode(&r); err != nil {
		return r, fmt.Errorf("read urun's request: %w", err)
	}
	return r, nil
}

func withoutFDEnv(env []string) []string {
	out := env[:0:0]
	for _, e := range env {
		if !strings.HasPrefix(e, fdEnv+"=") {
			out = append(out, e)
		}
	}
	return out
}
