package inside

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/urun/urun/exitcode"
)

// lookPath finds the command as the container sees it: in the container's
// PATH (not urun's), relative to its working directory when it has a '/'.
func lookPath(file string, env []string) (string, error) {
	if strings.Contains(file, "/") {
		if err := checkExecutable(file); err != nil {
			return "", commandError(file, err)
		}
		return file, nil
	}
	path := ""
	for _, e := range env {
		if v, ok := strings.CutPrefix(e, "PATH="); ok {
			path = v
		}
	}
	var denied error
	for _, dir := range filepath.SplitList(path) {
		if dir == "" {
			dir = "."
		}
		candidate := filepath.Join(dir, file)
		err := checkExecutable(candidate)
		if err == nil {
			return candidate, nil
		}
		if errors.Is(err, syscall.EACCES) && denied == nil {
			denied = err
		}
	}
	if denied != nil {
		return "", commandError(file, denied)
	}
	return "", exitcode.New(exitcode.NotFound, fmt.Errorf("exec: %q: executable file not found in $PATH", file))
}

func checkExecutable(path string) error {
	st, err := os.Stat(path)
	if err != nil {
		return err
	}
	if st.IsDir() {
		return syscall.EISDIR
	}
	if st.Mode().Perm()&0o111 == 0 {
		return syscall.EACCES
	}
	return nil
}

// commandError words a failure to run file with Docker's exit codes: not
// there is 127, there but not runnable is 126.
func commandError(file string, err error) *exitcode.Error {
	code := exitcode.CannotExecute
	if errors.Is(err, os.ErrNotExist) || errors.Is(err, syscall.ENOENT) || errors.Is(err, syscall.ENOTDIR) {
		code = exitcode.NotFound
	}
	var errno syscall.Errno
	msg := err.Error()
	if errors.As(err, &errno) {
		msg = errno.Error()
	}
	return exitcode.New(code, fmt.Errorf("exec: %q: %s", file, msg))
}
