package doctor

import (
	"encoding/binary"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/urun/urun/cgroupv2"
	"github.com/urun/urun/config"
	"github.com/urun/urun/idmap"
)

// fake is a host made of files under a temporary directory and answers
// given by hand: what each check is fed in the tests.
type fake struct {
	t    *testing.T
	root string
	// programs found in PATH, by name.
	programs map[string]string
	// fsType and free space by path (the longest prefix wins).
	fsType map[string]uint32
	flags  map[string]int64
	free   map[string]uint64
	inodes map[string][2]uint64 // total, free
	// owners: mode and uid by path (under root).
	owners map[string][2]uint32
	xattrs map[string][]byte
	// deviceErr by device path (no entry: it opens).
	deviceErr map[string]error
	env       map[string]string
}

// newFake is an ordinary user alice (uid 1000) with urun's programs
// installed, setuid helpers, a local ext4 store and plenty of room.
func newFake(t *testing.T) *fake {
	f := &fake{
		t:    t,
		root: t.TempDir(),
		programs: map[string]string{
			"newuidmap": "/usr/bin/newuidmap", "newgidmap": "/usr/bin/newgidmap",
			"fuse-overlayfs": "/usr/bin/fuse-overlayfs", "slirp4netns": "/usr/bin/slirp4netns", "pasta": "/usr/bin/pasta",
		},
		fsType:    map[string]uint32{"/": 0xEF53},
		flags:     map[string]int64{},
		free:      map[string]uint64{"/": 50 << 30},
		inodes:    map[string][2]uint64{"/": {1000, 500}},
		owners:    map[string][2]uint32{},
		xattrs:    map[string][]byte{},
		deviceErr: map[string]error{},
		env:       map[string]string{},
	}
	f.write("/etc/subuid", "alice:100000:65536\n")
	f.write("/etc/subgid", "alice:100000:65536\n")
	f.write("/etc/passwd", "root:x:0:0::/root:/bin/sh\nalice:x:1000:1000::/home/alice:/bin/sh\n")
	f.write("/etc/group", "root:x:0:\nalice:x:1000:\n")
	f.write("/proc/sys/user/max_user_namespaces", "63000\n")
	f.write("/proc/sys/net/ipv4/ip_unprivileged_port_start", "1024\n")
	f.write("/proc/sys/net/ipv4/ping_group_range", "0\t2147483647\n")
	for _, p := range []string{"/usr/bin/newuidmap", "/usr/bin/newgidmap"} {
		f.write(p, "")
		f.owners[p] = [2]uint32{unix.S_IFREG | unix.S_ISUID | 0o755, 0}
	}
	return f
}

func (f *fake) write(path, content string) {
	f.t.Helper()
	full := filepath.Join(f.root, path)
	if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
		f.t.Fatal(err)
	}
	if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
		f.t.Fatal(err)
	}
}

func (f *fake) remove(path string) {
	if err := os.Remove(filepath.Join(f.root, path)); err != nil {
		f.t.Fatal(err)
	}
}

// under strips the fake root off a path the checks built with Host.path.
func (f *fake) under(path string) string {
	if rel, err := filepath.Rel(f.root, path); err == nil && filepath.IsLocal(rel) {
		return "/" + rel
	}
	return path
}

// longest is the value of the longest path prefix of path in m.
func longest[V any](m map[string]V, path string) (V, bool) {
	for p := filepath.Clean(path); ; p = filepath.Dir(p) {
		if v, ok := m[p]; ok {
			return v, true
		}
		if p == "/" || p == "." {
			var zero V
			return zero, false
		}
	}
}

// host is the Host the checks see: alice's, with the store in
// ~/.local/share/urun/storage, trials that all worked, cgroup v2 with
// a delegated cgroup holding every controller.
func (f *fake) host() *Host {
	store := filepath.Join(f.root, "home/alice/.local/share/urun/storage")
	if err := os.MkdirAll(store, 0o700); err != nil {
		f.t.Fatal(err)
	}
	own := "/sys/fs/cgroup/user.slice/job"
	f.write(own+"/cgroup.controllers", "cpuset cpu io memory pids\n")
	h := &Host{
		Root:       f.root,
		Caller:     idmap.Caller{Name: "alice", UID: 1000, GID: 1000},
		Self:       "/usr/bin/urun",
		Config:     &config.Config{GraphRoot: store, RunRoot: "/run/user/1000/urun", Network: "slirp4netns", RootfsDriver: "auto"},
		ConfigPath: "/home/alice/.config/urun/urun.conf",
		LocalStore: "/var/tmp/urun-1000/storage",
		Cgroup:     cgroupv2.Host{Mode: cgroupv2.Unified, OwnDir: own, Delegated: true, Writable: true},
		Trials:     Trials{UserNSTried: true, OverlayDir: store, MappingTried: true},
		Getenv:     func(k string) string { return f.env[k] },
		LookPath: func(name string) (string, error) {
			if p, ok := f.programs[name]; ok {
				return p, nil
			}
			return "", exec.ErrNotFound
		},
		Statfs: func(path string, st *unix.Statfs_t) error {
			path = f.under(path)
			t, _ := longest(f.fsType, path)
			flags, _ := longest(f.flags, path)
			free, _ := longest(f.free, path)
			inodes, _ := longest(f.inodes, path)
			*st = unix.Statfs_t{Type: int64(t), Flags: flags, Bsize: 4096, Bavail: free / 4096, Files: inodes[0], Ffree: inodes[1]}
			return nil
		},
		Owner: func(path string) (uint32, uint32, error) {
			if o, ok := f.owners[f.under(path)]; ok {
				return o[0], o[1], nil
			}
			return 0, 0, os.ErrNotExist
		},
		Xattr: func(path, name string) ([]byte, error) {
			if v, ok := f.xattrs[f.under(path)]; ok && name == "security.capability" {
				return v, nil
			}
			return nil, unix.ENODATA
		},
		OpenRW: func(path string) error { return f.deviceErr[f.under(path)] },
	}
	return h
}

// capXattr is a security.capability value (revision 2) with the
// permitted bits and, if effective, the effective flag.
func capXattr(permitted uint32, effective bool) []byte {
	v := make([]byte, 20)
	magic := uint32(0x02000000)
	if effective {
		magic |= 1
	}
	binary.LittleEndian.PutUint32(v[0:], magic)
	binary.LittleEndian.PutUint32(v[4:], permitted)
	return v
}

var errEPERM = errors.New("operation not permitted")
