package rootfscopy

import (
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/unix"

	"github.com/urun/urun/rootfs"
	"github.com/urun/urun/stage"
)

// StageMain runs in the namespace stage the host spawned, as root of a
// user namespace with the container's mapping: it sees the container's
// root file system as its own root (chroot into an overlay of its layers,
// or the running container's mount namespace), so no path or symlink in
// the container leads outside it, and it reads or writes there, with the
// tar stream on stdin or stdout. It reports to the host over the stage's
// socket and returns the exit code.
func StageMain() int {
	sync := stage.Socket()
	var req request
	if err := stage.Request(&req); err != nil || sync == nil {
		fmt.Fprintln(os.Stderr, "urun: the copy stage must be started by urun")
		return 125
	}
	err := enterRootfs(req.View)
	if err == nil {
		err = serve(sync, req)
	}
	if err != nil {
		m := message{Kind: "error", Error: err.Error()}
		var nf *notFoundError
		if errors.As(err, &nf) {
			m.NotFound = nf.path
		}
		send(sync, m)
		return 125
	}
	if err := send(sync, message{Kind: "done"}); err != nil {
		return 125
	}
	return 0
}

// notFoundError is a container path that does not exist.
type notFoundError struct {
	path string
	err  error
}

func (e *notFoundError) Error() string { return e.err.Error() }

func notFound(path string, err error) error {
	if errors.Is(err, os.ErrNotExist) {
		return &notFoundError{path: path, err: err}
	}
	return err
}

// enterRootfs mounts the view and makes it this process's root. The mount
// is detached at once: the root keeps it alive until the stage exits, and
// then nothing is left mounted (a fuse-overlayfs daemon ends with it).
func enterRootfs(v *view) error {
	if v == nil {
		// Joined the container's mount namespace: already at its root.
		return unix.Chdir("/")
	}
	if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
		return fmt.Errorf("make mounts private: %w", err)
	}
	driver, err := rootfs.ForName(v.Driver)
	if err != nil {
		return err
	}
	layers := rootfs.Layers{Lower: v.Lower, Dir: v.LinkDir}
	if v.Writable {
		layers.Upper, layers.Work = v.Upper, v.Work
	} else {
		// The writable layer on top of the image's, read-only: its
		// whiteouts hide what the container deleted.
		layers.Lower = append([]string{v.Upper}, v.Lower...)
	}
	if err := driver.Mount(layers, v.Target); err != nil {
		return fmt.Errorf("mount the container's file system: %w", err)
	}
	root, err := unix.Open(v.Target, unix.O_PATH|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("open %s: %w", v.Target, err)
	}
	defer unix.Close(root)
	if err := unix.Unmount(v.Target, unix.MNT_DETACH); err != nil {
		return fmt.Errorf("detach %s: %w", v.Target, err)
	}
	if err := unix.Fchdir(root); err != nil {
		return fmt.Errorf("enter the container's file system: %w", err)
	}
	if err := unix.Chroot("."); err != nil {
		return fmt.Errorf("chroot into the container's file system: %w", err)
	}
	return unix.Chdir("/")
}

func serve(sync *os.File, req request) error {
	switch req.Op {
	case opCopyOut:
		return sendOut(sync, req)
	case opCopyIn:
		return receiveIn(sync, req)
	case opExport:
		return exportRoot()
	}
	return fmt.Errorf("unknown copy operation %q", req.Op)
}

// sendOut tells the host what the source is, then writes it as a tar
// stream with the container's uids and gids on stdout.
func sendOut(sync *os.File, req request) error {
	path, fi, src, err := statSource(req.Path, req.FollowLink)
	if err != nil {
		return notFound(req.Path, err)
	}
	if err := send(sync, message{Kind: "stat", Source: &src}); err != nil {
		return err
	}
	a := newArchiver(os.Stdout, ownIDs)
	if err := a.add(path, fi, src.Base); err != nil {
		return err
	}
	return a.close()
}

// receiveIn finds the destination, tells the host it is ready, and unpacks
// the tar stream on stdin there.
func receiveIn(sync *os.File, req request) error {
	dst, err := statDest(req.Path)
	var noParent *ErrNoParent
	if errors.As(err, &noParent) {
		return notFound(noParent.Dir, os.ErrNotExist)
	}
	if err != nil {
		return err
	}
	var plan Plan
	if req.Source == nil {
		// A stream from stdin is unpacked into a directory as it is.
		if !dst.IsDir {
			return fmt.Errorf("the destination %s must be a directory", req.Path)
		}
		plan = Plan{Dir: dst.Path}
	} else if plan, err = planCopy(*req.Source, dst, req.Path); err != nil {
		return err
	}
	if err := send(sync, message{Kind: "ready"}); err != nil {
		return err
	}
	own := ownRoot
	if req.Archive {
		own = ownArchive
	}
	return extract(os.Stdin, "/", plan, own, os.Stderr)
}

// exportRoot writes the whole file system as a tar stream on stdout.
func exportRoot() error {
	fi, err := os.Lstat("/")
	if err != nil {
		return err
	}
	a := newArchiver(os.Stdout, ownIDs)
	if err := a.add("/", fi, ""); err != nil {
		return err
	}
	return a.close()
}
