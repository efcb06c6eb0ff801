package helper

import (
	"errors"
	"fmt"
	"io"

	"github.com/urun/urun/image/request"
)

// PasswordWarning is Docker's warning for a password on the command line.
const PasswordWarning = "WARNING! Using --password via the CLI is insecure. Use --password-stdin."

// Login has urun-image do `urun login`: check the credentials with the
// registry, store them and ask on the terminal for what is missing. A
// password given with -p travels in the request, never in the helper's
// arguments or environment (which other users can read in /proc); urun
// prints PasswordWarning on warn first.
func Login(store request.Store, l request.Login, warn io.Writer) error {
	if l.Password != "" && l.PasswordStdin {
		return errors.New("--password and --password-stdin are mutually exclusive")
	}
	if l.PasswordStdin && l.Username == "" {
		return errors.New("--password-stdin needs --username (-u)")
	}
	if l.Password != "" {
		fmt.Fprintln(warn, PasswordWarning)
	}
	return Run(request.Request{Store: store, Login: &l})
}
