package helper

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
)

// LoginRequest is what `urun login` was given.
type LoginRequest struct {
	Registry      string // "" for Docker Hub
	Username      string
	Password      string // -p; "" when not given
	PasswordStdin bool
	TLSVerify     *bool
	AuthFile      string
}

// PasswordWarning is Docker's warning for a password on the command line.
const PasswordWarning = "WARNING! Using --password via the CLI is insecure. Use --password-stdin."

// Login runs `urun-image login`, which checks the credentials with the
// registry, stores them and asks on the terminal for what is missing. A
// password given with -p reaches the helper through a pipe (never its
// arguments or environment, which other users can read in /proc); urun
// prints PasswordWarning on warn first.
func Login(opts Options, r LoginRequest, warn io.Writer) error {
	if r.Password != "" && r.PasswordStdin {
		return errors.New("--password and --password-stdin are mutually exclusive")
	}
	if r.PasswordStdin && r.Username == "" {
		return errors.New("--password-stdin needs --username (-u)")
	}
	args := []string{"login"}
	if r.Username != "" {
		args = append(args, "--username="+r.Username)
	}
	if r.PasswordStdin {
		args = append(args, "--password-stdin")
	}
	if r.TLSVerify != nil {
		args = append(args, "--tls-verify="+strconv.FormatBool(*r.TLSVerify))
	}
	if r.AuthFile != "" {
		args = append(args, "--authfile="+r.AuthFile)
	}
	if r.Password != "" {
		fmt.Fprintln(warn, PasswordWarning)
		pr, pw, err := os.Pipe()
		if err != nil {
			return fmt.Errorf("pass the password to %s: %w", Name, err)
		}
		defer pr.Close()
		// A goroutine: a password longer than the pipe's buffer must
		// not block the start of its reader.
		go func() {
			_, _ = io.WriteString(pw, r.Password)
			pw.Close()
		}()
		opts.ExtraFiles = append(append([]*os.File(nil), opts.ExtraFiles...), pr)
		args = append(args, "--password-fd="+strconv.Itoa(2+len(opts.ExtraFiles)))
	}
	args = append(args, "--")
	if r.Registry != "" {
		args = append(args, r.Registry)
	}
	return Run(opts, args...)
}
