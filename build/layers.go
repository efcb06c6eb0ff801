//go:build containers_image_openpgp && exclude_graphdriver_btrfs

package build

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	securejoin "github.com/cyphar/filepath-securejoin"
	"golang.org/x/sys/unix"

	"github.com/urun/urun/image"
	"github.com/urun/urun/image/local"
	"github.com/urun/urun/inside"
	"github.com/urun/urun/rootfs"
	"github.com/urun/urun/trace"
)

// lowerDirs are the directories of layer top and those below it, top
// first, as full paths (the builder mounts them itself; a relative form
// would need a change of its working directory). A stage without layers
// gets an empty directory in scratch.
func (b *builder) lowerDirs(top, scratch string) ([]string, error) {
	if top == "" {
		empty := filepath.Join(scratch, "empty")
		if err := os.MkdirAll(empty, 0o755); err != nil {
			return nil, fmt.Errorf("create an empty lower layer: %w", err)
		}
		return []string{empty}, nil
	}
	chain, err := image.LayerChain(b.store, top)
	if err != nil {
		return nil, fmt.Errorf("read the layers below: %w", err)
	}
	lower, dir := chain.LowerDirs()
	if dir != "" {
		for i, l := range lower {
			lower[i] = filepath.Join(dir, l)
		}
	}
	return lower, nil
}

// rootfsFor is how a stage on lower (top first) is mounted, as a
// container of the same layers would be (local.RootfsFor): a stage FROM an
// image of a shared store of root's gets fuse-overlayfs showing its files
// as root's, so that RUN may change them.
func (b *builder) rootfsFor(lower []string) (local.RootfsChoice, error) {
	choice, err := local.RootfsForLayers(lower, b.cfg.AdditionalImageStores, b.cfg.GraphRoot, b.cfg.RootfsDriver)
	if err == nil && choice.Notice != "" && !b.rootfsNoticeSaid {
		b.rootfsNoticeSaid = true
		fmt.Fprintln(b.o.Err, "urun:", choice.Notice)
	}
	return choice, err
}

// mountLayers mounts lower (top first) with upper and work, or read-only
// without upper, at target, and returns the unmount.
func (b *builder) mountLayers(lower []string, upper, work, target string) (func() error, error) {
	choice, err := b.rootfsFor(lower)
	if err != nil {
		return nil, err
	}
	driver, err := rootfs.ForName(choice.Driver)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(target, 0o755); err != nil {
		return nil, fmt.Errorf("create mount point %s: %w", target, err)
	}
	if err := driver.Mount(rootfs.Layers{Lower: lower, Upper: upper, Work: work, SquashOwners: choice.SquashOwners}, target); err != nil {
		return nil, err
	}
	return func() error {
		if err := unix.Unmount(target, 0); err != nil {
			if err := unix.Unmount(target, unix.MNT_DETACH); err != nil {
				return fmt.Errorf("unmount %s: %w", target, err)
			}
		}
		return nil
	}, nil
}

// writeLayer adds a layer to st, written by fill. With mount, fill gets
// the stage's file system mounted at root, the new layer its upper
// directory; without, it gets root "" and mounts what it needs itself
// (RUN's init does). lower are the layers below, top first.
func (b *builder) writeLayer(st *stageState, createdBy, key string, mount bool, fill func(root string, lower []string, ld *image.LayerDir) error) error {
	layer, err := image.WriteLayer(b.store, st.top, func(ld *image.LayerDir) error {
		lower, err := b.lowerDirs(st.top, ld.Scratch)
		if err != nil {
			return err
		}
		if !mount {
			// init makes the working directory of the command it runs.
			st.workdir = ""
			return fill("", lower, ld)
		}
		root := filepath.Join(ld.Scratch, "rootfs")
		unmount, err := b.mountLayers(lower, ld.Dir, ld.Work, root)
		if err != nil {
			return err
		}
		err = b.makeWorkdir(st, root)
		if err == nil {
			err = fill(root, lower, ld)
		}
		if uerr := unmount(); err == nil {
			err = uerr
		}
		trace.Mark("build", fmt.Sprintf("step%d-layer-written", b.step))
		return err
	})
	if err != nil {
		return err
	}
	b.addLayer(st, layer, createdBy)
	return b.remember(st, key)
}

func (b *builder) addLayer(st *stageState, layer *image.NewLayer, createdBy string) {
	st.top = layer.ID
	st.layers = append(st.layers, *layer)
	st.config.RootFS.DiffIDs = append(st.config.RootFS.DiffIDs, layer.DiffID)
	st.addHistory(createdBy, false)
}

// makeWorkdir makes a WORKDIR that no layer has made yet, as Docker's
// builder does: mode 0755, the directory itself the USER's.
func (b *builder) makeWorkdir(st *stageState, root string) error {
	if st.workdir == "" {
		return nil
	}
	dir := st.workdir
	st.workdir = ""
	p, err := resolveInRoot(root, dir)
	if err != nil {
		return err
	}
	_, missing := os.Stat(p)
	if err := os.MkdirAll(p, 0o755); err != nil {
		return fmt.Errorf("make WORKDIR %s: %w", dir, err)
	}
	if missing == nil || st.config.Config.User == "" {
		return nil
	}
	u, err := userInRoot(root, st.config.Config.User)
	if err != nil {
		return err
	}
	if err := os.Lchown(p, int(u.UID), int(u.GID)); err != nil {
		return fmt.Errorf("give WORKDIR %s to %s: %w", dir, st.config.Config.User, err)
	}
	return nil
}

// userInRoot resolves USER in the image's own /etc/passwd and /etc/group.
func userInRoot(root, user string) (inside.ExecUser, error) {
	open := func(name string) io.Reader {
		p, err := resolveInRoot(root, name)
		if err != nil {
			return strings.NewReader("")
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return strings.NewReader("")
		}
		return bytes.NewReader(data)
	}
	return inside.ResolveUser(user, open("/etc/passwd"), open("/etc/group"))
}

// makeWorkdirLayer makes the layer of a WORKDIR that ends a stage.
func (b *builder) makeWorkdirLayer(st *stageState) error {
	lower, err := b.lowerDirs(st.top, b.tmp)
	if err != nil {
		return err
	}
	if st.workdir == "/" || statBelow(lower, st.workdir) != nil {
		// The image has it: nothing to make.
		st.workdir = ""
		return nil
	}
	key := st.nextKey("WORKDIR-mkdir", st.workdir)
	if hit, err := b.cached(st, key); hit || err != nil {
		st.workdir = ""
		return err
	}
	return b.writeLayer(st, "WORKDIR "+st.workdir, key, true, func(string, []string, *image.LayerDir) error { return nil })
}

// removePlaceholders removes from the layer in upper the mount points
// that RUN's mounts made (empty files and directories the image below
// does not have), so that /etc/resolv.conf, a secret's or a cache's
// mount point do not end up in the image; and then the directories that
// overlay copied up only to hold them (/etc), where nothing else changed
// in them.
func removePlaceholders(upper string, lower []string, targets []string) {
	for _, t := range targets {
		for p := filepath.Clean("/" + t); p != "/"; p = filepath.Dir(p) {
			full := filepath.Join(upper, p)
			fi, err := os.Lstat(full)
			if err != nil {
				continue
			}
			if below := statBelow(lower, p); below != nil {
				if !fi.IsDir() || !sameOwnerAndMode(fi, below) || isOpaque(full) || unix.Rmdir(full) != nil {
					break
				}
				continue
			}
			if fi.IsDir() {
				if unix.Rmdir(full) != nil {
					break // not empty: RUN wrote in it
				}
				continue
			}
			if fi.Mode().IsRegular() && fi.Size() == 0 {
				os.Remove(full)
				continue
			}
			break
		}
	}
}

// statBelow is the file rel is in the topmost lower layer that has it.
func statBelow(lower []string, rel string) os.FileInfo {
	for _, l := range lower {
		if fi, err := os.Lstat(filepath.Join(l, rel)); err == nil {
			return fi
		}
	}
	return nil
}

func sameOwnerAndMode(a, b os.FileInfo) bool {
	sa, oka := a.Sys().(*syscall.Stat_t)
	sb, okb := b.Sys().(*syscall.Stat_t)
	return oka && okb && sa.Mode == sb.Mode && sa.Uid == sb.Uid && sa.Gid == sb.Gid
}

func isOpaque(dir string) bool {
	buf := make([]byte, 8)
	for _, attr := range []string{"user.overlay.opaque", "trusted.overlay.opaque", "user.fuseoverlayfs.opaque"} {
		if _, err := unix.Lgetxattr(dir, attr, buf); err == nil {
			return true
		}
	}
	_, err := os.Lstat(filepath.Join(dir, ".wh..wh..opq"))
	return err == nil
}

// resolveInRoot is p inside root, its symlinks resolved inside root.
func resolveInRoot(root, p string) (string, error) {
	if !strings.HasPrefix(p, "/") {
		p = "/" + p
	}
	return securejoin.SecureJoin(root, p)
}
