// Package volumes keeps Docker's local volumes, rootless: each is a
// directory under the graph root with its metadata (volume.json) beside
// its data (_data), which containers bind. It creates, lists, inspects,
// removes and prunes them, and resolves a container's -v, --mount,
// --volumes-from and its image's VOLUME paths into bind mounts of them
// (resolve.go). Files in a volume belong to the user and subordinate ids
// as the container wrote them: setting a new volume up (copy-up, chown)
// is done by the container's init (package inside), removing one by a
// stage in the user namespace (containers.RemoveOwnedDirs).
package volumes

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/urun/urun/atomicfile"
	"github.com/urun/urun/config"
	"github.com/urun/urun/lockwait"
	"github.com/urun/urun/spec"
)

// AnonymousLabel marks an anonymous volume, as Docker 23+ does: `volume
// prune` without -a removes only these.
const AnonymousLabel = "com.docker.volume.anonymous"

// Driver is the one volume driver there is.
const Driver = "local"

// Volume is a volume's metadata, as volume.json keeps it.
type Volume struct {
	Name      string            `json:"name"`
	Driver    string            `json:"driver"`
	Labels    map[string]string `json:"labels,omitempty"`
	Options   map[string]string `json:"options,omitempty"`
	CreatedAt time.Time         `json:"created_at"`
	// Dir is the volume's directory (not kept: where it was read).
	Dir string `json:"-"`
}

// Anonymous reports whether the volume was made for one container.
func (v Volume) Anonymous() bool {
	_, ok := v.Labels[AnonymousLabel]
	return ok
}

// Mountpoint is the directory containers see: the data directory, or the
// host directory of a type=none,o=bind volume.
func (v Volume) Mountpoint() string {
	if v.Options["type"] == "none" && v.Options["device"] != "" {
		return v.Options["device"]
	}
	return filepath.Join(v.Dir, dataDir)
}

// Tmpfs reports whether the volume is a type=tmpfs one: each container
// gets a fresh tmpfs, with the volume's size and mode.
func (v Volume) Tmpfs() bool { return v.Options["type"] == "tmpfs" }

const (
	dataDir      = "_data"
	metadataFile = "volume.json"
	// SetUpMark is the file init leaves in a volume's directory once it
	// set the volume up (copy-up or chown): that happens once.
	SetUpMark = "set-up"
	// lockFile, in a volume's directory, is what init holds while it sets
	// the volume up.
	lockFile = "lock"
	// storeLock, in the store, is held shared by a container being made
	// with volumes until its record names them, exclusive by rm and prune.
	storeLock = ".lock"
)

// Root is where the volumes of cfg's store live.
func Root(cfg *config.Config) string { return filepath.Join(cfg.GraphRoot, "urun-volumes") }

// CreateOptions are `volume create`'s options.
type CreateOptions struct {
	Name   string
	Driver string
	// Opts are --opt KEY=VALUE: type, device, o.
	Opts   []string
	Labels map[string]string
}

// ParseOptions checks --opt values as the local driver takes them.
func ParseOptions(opts []string) (map[string]string, error) {
	out := map[string]string{}
	for _, o := range opts {
		key, value, ok := strings.Cut(o, "=")
		if !ok {
			return nil, fmt.Errorf("--opt %q: want KEY=VALUE with KEY type, device or o", o)
		}
		switch key {
		case "type", "device", "o":
			out[key] = value
		default:
			return nil, fmt.Errorf("--opt %q: invalid option key %q: the local driver takes type, device and o", o, key)
		}
	}
	if len(out) == 0 {
		return nil, nil
	}
	switch out["type"] {
	case "tmpfs":
		if out["device"] != "" && out["device"] != "tmpfs" {
			return nil, fmt.Errorf("--opt device=%s: a tmpfs volume has no device", out["device"])
		}
		for _, o := range splitO(out["o"]) {
			key, _, _ := strings.Cut(o, "=")
			if !slices.Contains([]string{"size", "mode", "uid", "gid", "nr_inodes", "nr_blocks"}, key) {
				return nil, fmt.Errorf("--opt o=%s: a tmpfs volume takes size=, mode=, uid=, gid=, nr_inodes=, not %q", out["o"], o)
			}
		}
	case "none":
		if !slices.Contains(splitO(out["o"]), "bind") {
			return nil, fmt.Errorf("--opt type=none needs o=bind: urun mounts no devices, it binds a host directory")
		}
		if !filepath.IsAbs(out["device"]) {
			return nil, fmt.Errorf("--opt device=%q: a bind volume needs the absolute path of a host directory", out["device"])
		}
		st, err := os.Stat(out["device"])
		if err != nil || !st.IsDir() {
			return nil, fmt.Errorf("--opt device=%s: not a directory (%v)", out["device"], err)
		}
		for _, o := range splitO(out["o"]) {
			if !slices.Contains([]string{"bind", "rbind", "ro", "rw"}, o) {
				return nil, fmt.Errorf("--opt o=%s: a bind volume takes bind, ro or rw, not %q", out["o"], o)
			}
		}
	case "":
		return nil, fmt.Errorf("--opt: type= is needed with other options (type=tmpfs, or type=none with o=bind,device=DIR)")
	default:
		return nil, fmt.Errorf("--opt type=%s: rootless, urun mounts no devices: use type=tmpfs, or type=none,o=bind,device=DIR", out["type"])
	}
	return out, nil
}

func splitO(o string) []string {
	if o == "" {
		return nil
	}
	return strings.Split(o, ",")
}

// NewName is a fresh anonymous volume name: 64 hex digits, as Docker's.
func NewName() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("make a volume name: %w", err)
	}
	return hex.EncodeToString(b), nil
}

// Create makes the volume o names (a new anonymous-style name when none)
// and returns it; an existing volume of that name is returned as it is,
// as Docker does. A volume appears whole or not at all: it is made under
// a temporary name and renamed into place.
func Create(cfg *config.Config, o CreateOptions) (Volume, error) {
	if o.Driver != "" && o.Driver != Driver {
		return Volume{}, fmt.Errorf("--driver %q: only the local driver exists", o.Driver)
	}
	opts, err := ParseOptions(o.Opts)
	if err != nil {
		return Volume{}, err
	}
	name := o.Name
	if name == "" {
		if name, err = NewName(); err != nil {
			return Volume{}, err
		}
	} else if err := spec.CheckVolumeName(name); err != nil {
		return Volume{}, err
	}
	if v, err := Get(cfg, name); err == nil {
		return v, nil
	} else if !errors.Is(err, ErrNotFound) {
		return Volume{}, err
	}
	root := Root(cfg)
	if err := os.MkdirAll(root, 0o700); err != nil {
		return Volume{}, fmt.Errorf("create the volume store %s: %w", root, err)
	}
	sweepAbandoned(root)
	tmp, release, err := makeNewDir(root)
	if err != nil {
		return Volume{}, fmt.Errorf("create volume %s: %w", name, err)
	}
	// After the rename, release removes only the lock.
	defer release()
	v := Volume{Name: name, Driver: Driver, Labels: o.Labels, Options: opts, CreatedAt: time.Now().UTC().Truncate(time.Second)}
	if err := os.Mkdir(filepath.Join(tmp, dataDir), 0o755); err != nil {
		return Volume{}, fmt.Errorf("create volume %s: %w", name, err)
	}
	if err := atomicfile.WriteJSON(filepath.Join(tmp, metadataFile), v); err != nil {
		return Volume{}, fmt.Errorf("create volume %s: %w", name, err)
	}
	dir := filepath.Join(root, name)
	if err := os.Rename(tmp, dir); err != nil {
		// Another urun made it meanwhile.
		if errors.Is(err, unix.EEXIST) || errors.Is(err, unix.ENOTEMPTY) {
			return Get(cfg, name)
		}
		return Volume{}, fmt.Errorf("create volume %s: %w", name, err)
	}
	v.Dir = dir
	emit(cfg, v, "create")
	return v, nil
}

// ErrNotFound is returned for a volume that does not exist.
var ErrNotFound = errors.New("no such volume")

// Get reads volume name.
func Get(cfg *config.Config, name string) (Volume, error) {
	if spec.CheckVolumeName(name) != nil {
		return Volume{}, fmt.Errorf("get %s: %w", name, ErrNotFound)
	}
	dir := filepath.Join(Root(cfg), name)
	data, err := os.ReadFile(filepath.Join(dir, metadataFile))
	if errors.Is(err, os.ErrNotExist) {
		return Volume{}, fmt.Errorf("get %s: %w", name, ErrNotFound)
	}
	if err != nil {
		return Volume{}, fmt.Errorf("read volume %s: %w", name, err)
	}
	var v Volume
	if err := json.Unmarshal(data, &v); err != nil {
		return Volume{}, fmt.Errorf("volume %s's metadata %s is damaged: %w", name, filepath.Join(dir, metadataFile), err)
	}
	v.Name, v.Dir = name, dir
	if v.Driver == "" {
		v.Driver = Driver
	}
	return v, nil
}

// List returns every volume, sorted by name.
func List(cfg *config.Config) ([]Volume, error) {
	sweepAbandoned(Root(cfg))
	entries, err := os.ReadDir(Root(cfg))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list volumes: %w", err)
	}
	var out []Volume
	for _, e := range entries {
		if !e.IsDir() || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		v, err := Get(cfg, e.Name())
		if err != nil {
			continue // being removed
		}
		out = append(out, v)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// lockStore takes the store lock: shared while a container is made with
// volumes, exclusive to remove volumes.
func lockStore(cfg *config.Config, exclusive bool) (*os.File, error) {
	root := Root(cfg)
	if err := os.MkdirAll(root, 0o700); err != nil {
		return nil, fmt.Errorf("create the volume store %s: %w", root, err)
	}
	f, err := os.OpenFile(filepath.Join(root, storeLock), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open the volume store lock: %w", err)
	}
	how := unix.LOCK_SH
	if exclusive {
		how = unix.LOCK_EX
	}
	if err := lockwait.Take(f, how, cfg.LockWait(), "the volume store "+root); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}
