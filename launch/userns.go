package launch

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/urun/urun/idmap"
	"github.com/urun/urun/spec"
)

// UseUserNS records --userns u in o's spec; keep-id also makes the
// caller the container's user (unless --user says otherwise), with their
// home as HOME, and names the passwd line init adds.
func (o *Options) UseUserNS(u spec.UserNS) error {
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

// userNSMappings are the maps of the container's new user namespace, by
// its --userns (spec.UserNSAnnotation). A caller without subordinate ids
// gets a single id and, unless they asked for it, one notice of what
// that cannot do.
func (c *container) userNSMappings() (idmap.Mappings, error) {
	store, source, err := idmap.StoreMappings()
	if err != nil {
		return store, err
	}
	if err := idmap.CheckStore(c.cfg.GraphRoot, store, false); err != nil {
		return store, err
	}
	value := c.spec.Annotations[spec.UserNSAnnotation]
	if value == "" && source != idmap.SingleID {
		return store, nil
	}
	u, err := spec.ParseUserNS(value)
	if err != nil {
		return store, err
	}
	single := source == idmap.SingleID || u.Mode == spec.UserNSFakeroot
	if single && c.spec.Annotations[spec.GroupAddAnnotation] != "" {
		return store, errors.New("--group-add cannot work in a user namespace of a single id (no subordinate ids, or --userns fakeroot): it maps no other group, and the kernel lets no one there set groups")
	}
	switch u.Mode {
	case spec.UserNSFakeroot:
		return idmap.Single(uint32(os.Getuid()), uint32(os.Getgid())), nil
	case spec.UserNSKeepID:
		k, err := spec.ParseKeepIDUser(c.spec.Annotations[spec.KeepIDUserAnnotation])
		if err != nil {
			return store, err
		}
		if source == idmap.SubIDs {
			if err := checkKeepIDReach(c.stateDir); err != nil {
				return store, err
			}
		}
		return idmap.KeepID(store, k.UID, k.GID), nil
	}
	if source == idmap.SingleID {
		tellSingleID(c.stderr)
	}
	return store, nil
}

// singleIDNoticeOnce: the notice is of the caller, not of a container, so
// one urun command tells it once: `run -d` creates and then starts, `start`
// may start many, a foreground `run` restarts by its policy.
var singleIDNoticeOnce sync.Once

// tellSingleID writes singleIDNotice on w, unless this urun told it
// already.
func tellSingleID(w io.Writer) {
	if w == nil {
		w = os.Stderr
	}
	singleIDNoticeOnce.Do(func() { fmt.Fprintln(w, singleIDNotice()) })
}

// noticeSingleIDFor tells the caller on w what a container of s cannot
// do, when the caller's lack of subordinate ids gives it a single id they
// did not ask for (fakeroot asks for it; keep-id is them as themselves),
// as userNSMappings decides. A detached container's client says it: the
// monitor, which maps the container, has no terminal to tell.
func noticeSingleIDFor(w io.Writer, s *specs.Spec) {
	_, source, err := idmap.StoreMappings()
	if err != nil || source != idmap.SingleID {
		return
	}
	if u, err := spec.ParseUserNS(s.Annotations[spec.UserNSAnnotation]); err == nil && u.Mode != spec.UserNSFakeroot && u.Mode != spec.UserNSKeepID {
		tellSingleID(w)
	}
}

// singleIDNotice says, in one line, what a container of a single id
// cannot do and how an administrator gives the caller subordinate ids.
func singleIDNotice() string {
	caller, _ := idmap.CurrentCaller()
	name := caller.Name
	if name == "" {
		name = fmt.Sprint(caller.UID)
	}
	return fmt.Sprintf("urun: notice: you (%s) have no subordinate ids in /etc/subuid and /etc/subgid, so the container maps your uid alone, as root: files of other owners become yours, and --user other than root, --group-add and apt's _apt sandbox fail (--userns fakeroot asks for this without the notice); an administrator fixes it with: %s",
		name, idmap.Files{}.FixCommand(name, uint64(caller.UID), uint64(caller.GID)))
}

// checkKeepIDReach refuses a run state that keep-id's init could not read.
// Init is root of a namespace where the caller is another id: it reads
// the caller's private directories by its capabilities alone, which the
// kernel grants only over files whose owner and group the namespace maps.
// A directory of the caller's with a group of another (a run directory
// made by root for the user, say) would fail there with "permission
// denied".
func checkKeepIDReach(dir string) error {
	uid, gid := uint32(os.Getuid()), uint32(os.Getgid())
	for d := dir; ; d = filepath.Dir(d) {
		var st unix.Stat_t
		if err := unix.Stat(d, &st); err == nil && st.Uid == uid && st.Gid != gid && st.Mode&0o001 == 0 {
			return fmt.Errorf("--userns keep-id: %s is yours but of group %d, which keep-id's user namespace does not map, so the container's init could not enter it: 'chgrp %d %s', or give others search permission (chmod o+x)", d, st.Gid, gid, d)
		}
		if d == "/" || d == "." {
			return nil
		}
	}
}
