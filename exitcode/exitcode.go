// Package exitcode is the one error type that carries the status urun
// ends with, and the one reading of how a child process ended. Docker's
// codes: 125 urun itself failed, 126 the command cannot be run, 127 it
// was not found, 128+N signal N ended it.
package exitcode

import (
	"errors"
	"fmt"
	"os/exec"
	"syscall"
)

// The statuses urun itself gives, as Docker's.
const (
	Failed        = 125
	CannotExecute = 126
	NotFound      = 127
	// Signaled is added to the number of the signal that ended a process.
	Signaled = 128
)

// Error is a failure that ends urun with Code. An Err that is nil or
// says nothing marks a failure already reported (by the image helper, a
// stage that printed its reason): urun exits without a word.
type Error struct {
	Code int
	Err  error
}

func (e *Error) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("exit status %d", e.Code)
	}
	return e.Err.Error()
}

func (e *Error) Unwrap() error { return e.Err }

// Silent reports whether the failure was already reported.
func (e *Error) Silent() bool { return e.Err == nil || e.Err.Error() == "" }

// New returns an Error with the given code and reason.
func New(code int, err error) *Error { return &Error{Code: code, Err: err} }

// Of is the status err stands for: an Error's Code, else Failed.
func Of(err error) int {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return Failed
}

// FromWait turns what (*exec.Cmd).Wait returned into the status the
// process ended with: its own, or 128+N when signal N killed it. The
// error is not nil only when the process could not be waited for.
func FromWait(waitErr error) (int, error) {
	if waitErr == nil {
		return 0, nil
	}
	var exitErr *exec.ExitError
	if !errors.As(waitErr, &exitErr) {
		return 0, fmt.Errorf("wait for the process: %w", waitErr)
	}
	if st, ok := exitErr.Sys().(syscall.WaitStatus); ok && st.Signaled() {
		return Signaled + int(st.Signal()), nil
	}
	return exitErr.ExitCode(), nil
}
