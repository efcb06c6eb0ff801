package main

import (
	"fmt"
	"os"
	"os/user"
	"strconv"
	"strings"

	"github.com/spf13/pflag"

	"github.com/urun/urun/idmap"
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

// apply records the mode in o's spec; keep-id also makes the caller the
// container's user (unless --user says otherwise) and names the passwd
// line init adds.
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
	if u.Mode == "" {
		return nil
	}
	if o.Spec.Annotations == nil {
		o.Spec.Annotations = map[string]string{}
	}
	o.Spec.Annotations[spec.UserNSAnnotation] = u.String()
	if u.Mode != spec.UserNSKeepID {
		return nil
	}
	if os.Getuid() == 0 {
		return fmt.Errorf("--userns keep-id: you are root, whose containers keep the host's ids anyway; run without it")
	}
	k, err := keepIDUser(u)
	if err != nil {
		return err
	}
	o.Spec.Annotations[spec.KeepIDUserAnnotation] = k.String()
	if o.Spec.User != "" {
		return nil
	}
	o.Spec.User = fmt.Sprintf("%d:%d", k.UID, k.GID)
	// The image's uid may be listed already, with another home.
	for _, e := range o.Spec.Env {
		if e == "HOME" || strings.HasPrefix(e, "HOME=") {
			return nil
		}
	}
	o.Spec.Env = append(o.Spec.Env, "HOME="+k.Home)
	return nil
}

// keepIDUser is the caller as keep-id shows them inside: their name, the
// ids (theirs, or uid= and gid=) and their home directory.
func keepIDUser(u spec.UserNS) (spec.KeepIDUser, error) {
	caller, err := idmap.CurrentCaller()
	if err != nil {
		return spec.KeepIDUser{}, fmt.Errorf("--userns keep-id: %w", err)
	}
	k := spec.KeepIDUser{Name: caller.Name, UID: caller.UID, GID: caller.GID}
	if u.UID != nil {
		k.UID = *u.UID
	}
	if u.GID != nil {
		k.GID = *u.GID
	}
	if pw, err := user.LookupId(strconv.Itoa(int(caller.UID))); err == nil && pw.HomeDir != "" {
		k.Home = pw.HomeDir
	} else if k.Home, err = os.UserHomeDir(); err != nil {
		k.Home = "/"
	}
	return k, nil
}
