//go:build containers_image_openpgp && exclude_graphdriver_btrfs

package build

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	securejoin "github.com/cyphar/filepath-securejoin"
	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/opencontainers/go-digest"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/urun/urun/image"
)

// runMounts turns RUN --mount options into the container's mounts, and
// returns what releases them once the command ended.
func (b *builder) runMounts(st *stageState, mounts []*instructions.Mount, scratch string) ([]specs.Mount, func(), error) {
	var out []specs.Mount
	var releases []func()
	release := func() {
		for i := len(releases) - 1; i >= 0; i-- {
			releases[i]()
		}
	}
	for n, m := range mounts {
		target := m.Target
		if target != "" && !filepath.IsAbs(target) {
			target = workdirPath(st.config.Config.WorkingDir, target)
		}
		switch m.Type {
		case instructions.MountTypeCache:
			dir, unlock, err := b.cacheMountDir(m)
			if err != nil {
				release()
				return nil, nil, err
			}
			releases = append(releases, unlock)
			out = append(out, specs.Mount{Destination: target, Type: "bind", Source: dir, Options: []string{"rbind"}})
		case instructions.MountTypeTmpfs:
			opts := []string{"nosuid", "nodev"}
			if m.SizeLimit > 0 {
				opts = append(opts, "size="+strconv.FormatInt(m.SizeLimit, 10))
			}
			out = append(out, specs.Mount{Destination: target, Type: "tmpfs", Source: "tmpfs", Options: opts})
		case instructions.MountTypeSecret:
			id := m.CacheID
			if id == "" {
				id = filepath.Base(target)
			}
			if target == "" {
				target = "/run/secrets/" + id
			}
			src, ok := b.o.Secrets[id]
			if !ok {
				if m.Required {
					release()
					return nil, nil, fmt.Errorf("secret %s is required but not given: add --secret id=%s,src=FILE", id, id)
				}
				continue
			}
			out = append(out, specs.Mount{Destination: target, Type: "bind", Source: src, Options: []string{"bind", "ro", "nosuid", "nodev", "noexec"}})
		case instructions.MountTypeBind:
			root := b.bctx.Dir
			if m.From != "" {
				r, unmount, err := b.sourceRoot(st, m.From)
				if err != nil {
					release()
					return nil, nil, err
				}
				releases = append(releases, unmount)
				root = r
			}
			src, err := securejoin.SecureJoin(root, m.Source)
			if err != nil {
				release()
				return nil, nil, fmt.Errorf("--mount source %s: %w", m.Source, err)
			}
			if _, err := os.Stat(src); err != nil {
				release()
				return nil, nil, fmt.Errorf("--mount source %s: %w", m.Source, err)
			}
			if m.ReadOnly {
				out = append(out, specs.Mount{Destination: target, Type: "bind", Source: src, Options: []string{"rbind", "ro"}})
				continue
			}
			// rw: the command may write, and what it writes is dropped.
			fi, err := os.Stat(src)
			if err != nil || !fi.IsDir() {
				out = append(out, specs.Mount{Destination: target, Type: "bind", Source: src, Options: []string{"rbind", "ro"}})
				continue
			}
			mnt := filepath.Join(scratch, fmt.Sprintf("bind-%d", n))
			upper, work := mnt+"-upper", mnt+"-work"
			for _, d := range []string{upper, work} {
				if err := os.MkdirAll(d, 0o755); err != nil {
					release()
					return nil, nil, err
				}
			}
			unmount, err := b.mountLayers([]string{src}, upper, work, mnt)
			if err != nil {
				release()
				return nil, nil, err
			}
			releases = append(releases, func() { _ = unmount() })
			out = append(out, specs.Mount{Destination: target, Type: "bind", Source: mnt, Options: []string{"rbind"}})
		default:
			release()
			return nil, nil, fmt.Errorf("RUN --mount=type=%s is not supported by urun build (cache, bind, tmpfs and secret are)", m.Type)
		}
	}
	return out, release, nil
}

// cacheMountDir is the directory of a RUN --mount=type=cache, kept in the
// store between builds; with sharing=locked, it is locked until the
// command ends.
func (b *builder) cacheMountDir(m *instructions.Mount) (string, func(), error) {
	id := m.CacheID
	if id == "" {
		id = m.Target
	}
	base := image.BuildCacheMountsDir(b.store.GraphRoot())
	if err := os.MkdirAll(base, 0o700); err != nil {
		return "", nil, fmt.Errorf("create the cache mounts' directory: %w", err)
	}
	dir := filepath.Join(base, digest.FromString(id).Encoded()[:24])
	mode := os.FileMode(0o755)
	if m.Mode != nil {
		mode = os.FileMode(*m.Mode)
	}
	if err := os.Mkdir(dir, mode); err == nil {
		// Mkdir's mode passes the umask; Docker's is exact.
		if err := os.Chmod(dir, mode); err != nil {
			return "", nil, err
		}
		uid, gid := 0, 0
		if m.UID != nil {
			uid = int(*m.UID)
		}
		if m.GID != nil {
			gid = int(*m.GID)
		}
		if err := os.Lchown(dir, uid, gid); err != nil {
			return "", nil, fmt.Errorf("cache mount %s: give it to %d:%d: %w", id, uid, gid, err)
		}
	} else if !os.IsExist(err) {
		return "", nil, fmt.Errorf("create cache mount %s: %w", id, err)
	}
	if m.CacheSharing != instructions.MountSharingLocked {
		return dir, func() {}, nil
	}
	f, err := os.OpenFile(dir+".lock", os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return "", nil, err
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX); err != nil {
		f.Close()
		return "", nil, err
	}
	return dir, func() { f.Close() }, nil
}

// sourceRoot mounts, read-only, the file system of the stage or image
// from names (COPY --from, RUN --mount from=), and returns its root and
// the unmount.
func (b *builder) sourceRoot(st *stageState, from string) (string, func(), error) {
	from, err := b.expandWith(from, b.globalEnv())
	if err != nil {
		return "", nil, err
	}
	var top string
	if j, ok := b.df.stageIndex(from, st.index); ok {
		if b.results[j] == nil {
			return "", nil, fmt.Errorf("stage %s is not built", from)
		}
		top = b.results[j].top
	} else {
		img, err := b.baseImage(from)
		if err != nil {
			return "", nil, err
		}
		top = img.TopLayer
	}
	dir, err := os.MkdirTemp(b.tmp, "from-")
	if err != nil {
		return "", nil, err
	}
	lower, err := b.lowerDirs(top, dir)
	if err != nil {
		return "", nil, err
	}
	if len(lower) == 1 {
		// One layer is its own file system; overlay wants two to mount
		// without an upper directory.
		return lower[0], func() {}, nil
	}
	root := filepath.Join(dir, "rootfs")
	unmount, err := b.mountLayers(lower, "", "", root)
	if err != nil {
		return "", nil, err
	}
	return root, func() { _ = unmount() }, nil
}
