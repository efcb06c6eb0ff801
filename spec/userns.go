package spec

import (
	"fmt"
	"strconv"
	"strings"
)

// UserNS is --userns, as podman's where it applies.
type UserNS struct {
	// Mode is "" (the default: your subordinate ids, or a single id
	// without them, or the host's ids for root), UserNSHost, UserNSKeepID
	// or UserNSFakeroot.
	Mode string
	// UID and GID are keep-id's ids for the caller inside (uid=, gid=);
	// nil keeps the caller's own.
	UID, GID *uint32
}

// The --userns modes besides the default.
const (
	// UserNSHost: root's containers get the host's ids unchanged (which
	// is root's default); anyone else's the default, as rootless podman's
	// "host" (its own user namespace).
	UserNSHost = "host"
	// UserNSKeepID: the caller's uid and gid inside, and the caller in
	// the container's /etc/passwd and /etc/group.
	UserNSKeepID = "keep-id"
	// UserNSFakeroot: the caller as root and no other id, what a caller
	// without subordinate ids gets (Apptainer's --fakeroot without them).
	UserNSFakeroot = "fakeroot"
)

// UserNSAnnotation records --userns in the spec (UserNS.String), and
// KeepIDUserAnnotation the passwd line keep-id adds in the container
// (NAME:UID:GID:HOME).
const (
	UserNSAnnotation     = OwnAnnotationPrefix + "userns"
	KeepIDUserAnnotation = OwnAnnotationPrefix + "keep-id-user"
)

// ParseUserNS reads --userns: "", "auto" (the default), "host",
// "keep-id[:uid=N][,gid=N]" or "fakeroot"; podman's "nomap", "ns:PATH" and
// auto's options are refused with the reason.
func ParseUserNS(s string) (UserNS, error) {
	mode, opts, _ := strings.Cut(s, ":")
	switch mode {
	case "", "auto", "private":
		if opts != "" {
			return UserNS{}, fmt.Errorf("--userns %s: urun's default mapping takes no options (podman's auto options size=, uidmapping= pick ranges among many containers' on a shared host range, which urun does not keep)", s)
		}
		return UserNS{}, nil
	case UserNSHost, UserNSFakeroot:
		if opts != "" {
			return UserNS{}, fmt.Errorf("--userns %s: %s takes no options", s, mode)
		}
		return UserNS{Mode: mode}, nil
	case UserNSKeepID:
		u := UserNS{Mode: mode}
		if opts == "" {
			return u, nil
		}
		for _, opt := range strings.Split(opts, ",") {
			key, value, _ := strings.Cut(opt, "=")
			n, err := strconv.ParseUint(value, 10, 32)
			if err != nil || n == 1<<32-1 {
				return UserNS{}, fmt.Errorf("--userns %s: want keep-id:uid=N,gid=N with ids below 4294967295", s)
			}
			id := uint32(n)
			switch key {
			case "uid":
				u.UID = &id
			case "gid":
				u.GID = &id
			default:
				return UserNS{}, fmt.Errorf("--userns %s: keep-id takes uid=N and gid=N, not %q", s, key)
			}
		}
		return u, nil
	case "nomap":
		return UserNS{}, fmt.Errorf("--userns nomap is not supported: urun stores an image's root-owned files as your own uid, which nomap leaves unmapped, so they would belong to nobody inside; use keep-id (your ids inside) or the default")
	case "ns":
		return UserNS{}, fmt.Errorf("--userns %s: joining a user namespace by path is not supported; --network container:NAME shares a running container's", s)
	}
	return UserNS{}, fmt.Errorf("--userns %q: want auto (the default), host, keep-id[:uid=N,gid=N] or fakeroot", s)
}

// String is u as --userns takes it.
func (u UserNS) String() string {
	var opts []string
	if u.UID != nil {
		opts = append(opts, "uid="+strconv.FormatUint(uint64(*u.UID), 10))
	}
	if u.GID != nil {
		opts = append(opts, "gid="+strconv.FormatUint(uint64(*u.GID), 10))
	}
	if len(opts) == 0 {
		return u.Mode
	}
	return u.Mode + ":" + strings.Join(opts, ",")
}

// KeepIDUser is the caller as keep-id puts them in the container.
type KeepIDUser struct {
	Name     string
	UID, GID uint32
	Home     string
}

// String is the annotation's NAME:UID:GID:HOME.
func (k KeepIDUser) String() string {
	return fmt.Sprintf("%s:%d:%d:%s", k.Name, k.UID, k.GID, k.Home)
}

// ParseKeepIDUser reads KeepIDUserAnnotation.
func ParseKeepIDUser(s string) (KeepIDUser, error) {
	f := strings.SplitN(s, ":", 4)
	if len(f) != 4 {
		return KeepIDUser{}, fmt.Errorf("keep-id user %q: want NAME:UID:GID:HOME", s)
	}
	uid, err1 := strconv.ParseUint(f[1], 10, 32)
	gid, err2 := strconv.ParseUint(f[2], 10, 32)
	if err1 != nil || err2 != nil || f[0] == "" || strings.ContainsAny(f[0]+f[3], ":\n") {
		return KeepIDUser{}, fmt.Errorf("keep-id user %q: want NAME:UID:GID:HOME", s)
	}
	return KeepIDUser{Name: f[0], UID: uint32(uid), GID: uint32(gid), Home: f[3]}, nil
}

// KeepIDShift is what fuse-overlayfs's uidmapping (gidmapping) option
// takes so that, in a keep-id user namespace of size ids with the caller
// as id, the image's files show the owners they have under the store's
// mappings (idmap.KeepID): the image's 0 (the caller on disk) as 0, not id. Its entries
// are SEEN:SHOWN:COUNT, SEEN being the owner fuse-overlayfs sees in the
// keep-id namespace, SHOWN what it tells the kernel.
func KeepIDShift(size, id uint32) string {
	below := min(id, size-1)
	parts := []string{fmt.Sprintf("%d:0:1", id)}
	if below > 0 {
		parts = append(parts, fmt.Sprintf("0:1:%d", below))
	}
	if size-1 > id {
		parts = append(parts, fmt.Sprintf("%d:%d:%d", id+1, id+1, size-1-id))
	}
	return strings.Join(parts, ":")
}
