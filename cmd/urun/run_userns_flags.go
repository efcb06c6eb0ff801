package main

import (
	"fmt"
	"os"

	"github.com/spf13/pflag"

	"github.com/urun/urun/launch"
	"github.com/urun/urun/spec"
)

// usernsEnv is --userns's default when the flag is not given, as podman's
// PODMAN_USERNS.
const usernsEnv = "URUN_USERNS"

// usernsFlags is `urun run` and `urun create`'s --userns.
type usernsFlags struct {
	mode string
}

func addUserNSFlags(fl *pflag.FlagSet, f *usernsFlags) {
	fl.StringVar(&f.mode, "userns", "", `user namespace: "auto" (the default: root inside is you, the ids above it your subordinate ids; a single id, you as root, if you have none; root's containers get the host's ids unchanged), "host" (the same for you; for root, the host's ids), "keep-id[:uid=N,gid=N]" (you are your own uid and gid inside, or N, with your name in /etc/passwd and your home as HOME; the image's files keep their owners) or "fakeroot" (you as root and no other id); $`+usernsEnv+` sets the default`)
}

// apply reads --userns, else $URUN_USERNS, into o (launch does what
// the mode asks of the spec).
func (f *usernsFlags) apply(o *launch.Options) error {
	value := f.mode
	if value == "" {
		value = os.Getenv(usernsEnv)
	}
	u, err := spec.ParseUserNS(value)
	if err != nil {
		if f.mode == "" {
			return fmt.Errorf("$%s: %w", usernsEnv, err)
		}
		return err
	}
	return o.UseUserNS(u)
}
