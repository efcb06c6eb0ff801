// Package helper runs urun-image, the program that does urun's image work
// (pull, images, push...), and hands it its request (package request). It
// is what the `urun` binary links instead of the storage and image
// libraries, and must stay light.
package helper

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"

	"github.com/urun/urun/exitcode"
	"github.com/urun/urun/image/request"
	"github.com/urun/urun/stage"
)

// Name is the helper's file name.
const Name = "urun-image"

// Path finds urun-image: see Find.
func Path() (string, error) { return Find(Name, "the image helper") }

// Find finds one of urun's programs: next to the running executable
// (symlinks resolved), then in ../libexec/urun/ relative to it, then in
// $PATH. what names it in the error.
func Find(name, what string) (string, error) {
	var tried []string
	if exe, err := os.Executable(); err == nil {
		if real, err := filepath.EvalSymlinks(exe); err == nil {
			exe = real
		}
		dir := filepath.Dir(exe)
		for _, p := range []string{
			filepath.Join(dir, name),
			filepath.Join(filepath.Dir(dir), "libexec", "urun", name),
		} {
			if isExecutable(p) {
				return p, nil
			}
			tried = append(tried, p)
		}
	}
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	tried = append(tried, "$PATH")
	return "", fmt.Errorf("%s %s is missing: looked for %s; install it next to urun (or in ../libexec/urun/)", what, name, joinList(tried))
}

func isExecutable(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular() && st.Mode().Perm()&0o111 != 0
}

func joinList(items []string) string {
	switch len(items) {
	case 0:
		return ""
	case 1:
		return items[0]
	}
	out := ""
	for i, s := range items {
		switch {
		case i == 0:
		case i == len(items)-1:
			out += " and "
		default:
			out += ", "
		}
		out += s
	}
	return out
}

// Run has urun-image do r, with urun's stdin, stdout and stderr and the
// signals urun gets passed on. A failure the helper reported itself is a
// silent *exitcode.Error: the helper has printed the reason ("urun:
// ..."), urun ends with its status and says nothing more.
func Run(r request.Request) error {
	return RunTo(r, os.Stdout)
}

// RunTo is Run with the helper's standard output (a pulled image's id, the
// image list) going to stdout: `urun run` pulling a missing image keeps it
// off its own stdout, which is the container's; `urun inspect` reads it.
// Progress and errors go to stderr.
func RunTo(r request.Request, stdout io.Writer) error {
	path, err := Path()
	if err != nil {
		return err
	}
	cmd := stage.CommandOf(path, stage.Image)
	// The helper needs the caller's environment: registries.conf, auth
	// files, proxies.
	cmd.Env = os.Environ()
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, stdout, os.Stderr
	// Ctrl-C reaches the helper too (same process group); signals sent to
	// urun alone are passed on.
	err = stage.RunToEnd(cmd, stage.Caller{}, r, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT)
	var exit *exitcode.Error
	if err != nil && !errors.As(err, &exit) {
		return fmt.Errorf("ask %s to %s: %w", Name, r.Command(), err)
	}
	return err
}
