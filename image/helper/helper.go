// Package helper runs urun-image, the program that does urun's image work
// (pull, images). It is what the `urun` binary links instead of the
// storage and image libraries, and must stay light: the standard library
// only.
package helper

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"syscall"

	"github.com/urun/urun/exitcode"
)

// Name is the helper's file name.
const Name = "urun-image"

// Options are the global settings urun passes on to the helper; empty
// fields leave the helper to read them from urun.conf.
type Options struct {
	Root         string // --root: the image store
	RunRoot      string // --runroot
	RootfsDriver string // --rootfs-driver: auto, native or fuse-overlayfs
	ConfigFile   string // --config

	// ExtraFiles are passed to the helper as file descriptors 3, 4...:
	// `urun login -p` hands the password over in a pipe, never in the
	// helper's arguments or environment.
	ExtraFiles []*os.File

	// Stdout receives the helper's standard output (the pulled image's
	// id, the image list); nil means os.Stdout. `urun run` pulling a
	// missing image sets it to os.Stderr or io.Discard so the container's
	// output stays alone on stdout. Progress and errors always go to
	// stderr.
	Stdout io.Writer

	// Platform is Pull's --platform, OS/ARCH[/VARIANT]: which image of
	// an index to pull ("" the host's). Other subcommands ignore it.
	Platform string
}

func (o Options) args() []string {
	var a []string
	for _, f := range []struct{ flag, value string }{
		{"--root", o.Root},
		{"--runroot", o.RunRoot},
		{"--rootfs-driver", o.RootfsDriver},
		{"--config", o.ConfigFile},
	} {
		if f.value != "" {
			a = append(a, f.flag+"="+f.value)
		}
	}
	return a
}

// Path finds urun-image: next to the running executable (symlinks
// resolved), then in ../libexec/urun/ relative to it, then in $PATH.
func Path() (string, error) {
	var tried []string
	if exe, err := os.Executable(); err == nil {
		if real, err := filepath.EvalSymlinks(exe); err == nil {
			exe = real
		}
		dir := filepath.Dir(exe)
		for _, p := range []string{
			filepath.Join(dir, Name),
			filepath.Join(filepath.Dir(dir), "libexec", "urun", Name),
		} {
			if isExecutable(p) {
				return p, nil
			}
			tried = append(tried, p)
		}
	}
	if p, err := exec.LookPath(Name); err == nil {
		return p, nil
	}
	tried = append(tried, "$PATH")
	return "", fmt.Errorf("the image helper %s is missing: looked for %s; install it next to urun (or in ../libexec/urun/)", Name, joinList(tried))
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

// Pull runs `urun-image pull`, which prints the image id on stdout as
// podman does; quiet drops the progress bars (shown on stderr only when it
// is a terminal). tlsVerify nil leaves TLS to registries.conf.
func Pull(opts Options, ref string, quiet bool, tlsVerify *bool) error {
	args := []string{"pull"}
	if quiet {
		args = append(args, "--quiet")
	}
	if tlsVerify != nil {
		args = append(args, "--tls-verify="+strconv.FormatBool(*tlsVerify))
	}
	if opts.Platform != "" {
		args = append(args, "--platform="+opts.Platform)
	}
	// "--" keeps a reference starting with "-" from being read as a flag.
	return Run(opts, append(args, "--", ref)...)
}

// Images runs `urun-image images` with the given flags (--quiet,
// --no-trunc, --format json).
func Images(opts Options, args ...string) error {
	return Run(opts, append([]string{"images"}, args...)...)
}

// Run runs `urun-image SUBCOMMAND ARGS...` (args starts with the
// subcommand) with urun's global settings, its stdio and signals passed
// on. A failure the helper reported itself is a silent *exitcode.Error:
// the helper has printed the reason ("urun: ..."), urun ends with its
// status and says nothing more.
func Run(opts Options, args ...string) error {
	path, err := Path()
	if err != nil {
		return err
	}
	cmd := exec.Command(path, append(opts.args(), args...)...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	if opts.Stdout != nil {
		cmd.Stdout = opts.Stdout
	}
	cmd.ExtraFiles = opts.ExtraFiles
	// Ctrl-C reaches the helper too (same process group); urun waits for
	// it to clean up instead of dying first, and passes on signals sent
	// to urun alone.
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT)
	defer signal.Stop(sigs)
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("run %s: %w", path, err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	for waiting := true; waiting; {
		select {
		case sig := <-sigs:
			cmd.Process.Signal(sig)
		case err = <-done:
			waiting = false
		}
	}
	code, err := exitcode.FromWait(err)
	if err != nil {
		return fmt.Errorf("run %s: %w", path, err)
	}
	if code != 0 {
		return exitcode.New(code, nil)
	}
	return nil
}
