// Package rootfscopy copies files into and out of containers (`urun cp`)
// and writes a container's whole file system as a tar stream (`urun
// export`). Files in a container belong to the caller's subordinate ids,
// so the files are read and written by a namespace stage (ns_*.go) that
// sees the container's root file system as its own root; the host side
// (host_*.go) finds the container, spawns the stage and reads or writes
// the host's files as the calling user. The tar stream between them is
// built and unpacked by tar_*.go; paths.go has docker cp's path rules.
package rootfscopy

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"

	"github.com/urun/urun/config"
	"github.com/urun/urun/containers"
	"github.com/urun/urun/idmap"
	"github.com/urun/urun/image/local"
	"github.com/urun/urun/spec"
	"github.com/urun/urun/stage"
)

// findContainer returns the container the user called ref.
func findContainer(cfg *config.Config, ref string) (containers.Container, error) {
	list, err := containers.List(cfg)
	if err != nil {
		return containers.Container{}, err
	}
	return containers.Find(list, ref)
}

// readAccess finds container ref and how a stage reads it: a read-only
// view of its layers, in a user namespace with the containers' mapping.
func readAccess(cfg *config.Config, ref string) (*view, stage.Namespaces, error) {
	c, err := findContainer(cfg, ref)
	if err != nil {
		return nil, nil, err
	}
	v, err := readView(cfg, c)
	if err != nil {
		return nil, nil, err
	}
	opts, err := stageMappings()
	return v, opts, err
}

// readView is an overlay of the container's writable layer over its
// image's layers, read-only: safe beside a running container's own.
func readView(cfg *config.Config, c containers.Container) (*view, error) {
	img, err := local.Read(cfg.GraphRoot, c.ImageID)
	if err != nil {
		return nil, fmt.Errorf("find the image of container %s: %w", containers.ShortID(c.ID), err)
	}
	if len(img.Layers) == 0 {
		return nil, fmt.Errorf("the image of container %s has no layers", containers.ShortID(c.ID))
	}
	lower, linkDir := img.LowerDirs()
	layer := containers.LayerDir(cfg, c.State)
	target := filepath.Join(c.Dir, "rootfs")
	if err := os.MkdirAll(target, 0o755); err != nil {
		return nil, fmt.Errorf("create a mount point for container %s's files: %w", containers.ShortID(c.ID), err)
	}
	return &view{
		Driver: driverOf(cfg, c), Lower: lower, LinkDir: linkDir,
		Upper: filepath.Join(layer, "diff"), Work: filepath.Join(layer, "work"), Target: target,
	}, nil
}

// driverOf is the rootfs driver the container was made with, which knows
// how its writable layer marks deleted files; without its config, the one
// a new container would get.
func driverOf(cfg *config.Config, c containers.Container) string {
	var cc spec.Container
	if data, err := os.ReadFile(containers.RunConfigPath(c.Dir)); err == nil && json.Unmarshal(data, &cc) == nil && cc.Rootfs.Driver != "" {
		return cc.Rootfs.Driver
	}
	if local.NeedsFuseOverlayfs(cfg.GraphRoot) {
		return "fuse-overlayfs"
	}
	return cfg.RootfsDriver
}

// ErrBusy refuses to write into a container that another urun holds
// while its command has not started: it is starting, or another copy
// writes into it.
var ErrBusy = errors.New("is busy (starting, or another urun is copying into it): try again in a moment")

// writeAccess is how a copy into container c reaches its files: a
// stopped container's layers are mounted read-write while its lock keeps
// it from starting (unlock releases it); a running container's mount
// namespace is joined.
func writeAccess(cfg *config.Config, c containers.Container, ref string) (*view, stage.Namespaces, func(), error) {
	lock, err := containers.Lock(c.Dir)
	if errors.Is(err, unix.EWOULDBLOCK) {
		opts, err := joinRunning(c, ref)
		return nil, opts, func() {}, err
	}
	if err != nil {
		return nil, nil, nil, fmt.Errorf("lock container %s: %w", ref, err)
	}
	v, err := readView(cfg, c)
	if err != nil {
		lock.Close()
		return nil, nil, nil, err
	}
	v.Writable = true
	opts, err := stageMappings()
	if err != nil {
		lock.Close()
		return nil, nil, nil, err
	}
	return v, opts, func() { lock.Close() }, nil
}

// joinRunning are the options of a stage in running container c's user
// and mount namespaces.
func joinRunning(c containers.Container, ref string) (stage.Namespaces, error) {
	initPID, err := containers.InitPID(c.Dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("container %s %w", ref, ErrBusy)
	}
	if err != nil {
		return nil, fmt.Errorf("find container %s's init: %w", ref, err)
	}
	pid, err := containers.NamespacePID(initPID)
	if err != nil {
		return nil, fmt.Errorf("find container %s's namespaces: %w", ref, err)
	}
	return stage.Join{PID: pid, Namespaces: []string{"mnt"}}, nil
}

// stageMappings are the options of a stage in a new user namespace with
// the containers' mapping and a mount namespace of its own.
func stageMappings() (stage.Namespaces, error) {
	mappings, err := idmap.ForCurrentCaller()
	if err != nil {
		return nil, err
	}
	return stage.Create{Mappings: mappings, Unshare: unix.CLONE_NEWNS}, nil
}

// copyStage is a running copy stage.
type copyStage struct {
	p *stage.Process
}

// startStage spawns the copy stage for req with stdin and stdout (nil:
// /dev/null); the caller closes its own ends of pipes it passed.
func startStage(ns stage.Namespaces, req request, stdin, stdout *os.File) (*copyStage, error) {
	cmd, err := stage.Command(stage.Copy)
	if err != nil {
		return nil, err
	}
	if stdin != nil {
		cmd.Stdin = stdin
	}
	if stdout != nil {
		cmd.Stdout = stdout
	}
	cmd.Stderr = os.Stderr
	p, err := stage.Run(cmd, ns, req)
	if err != nil {
		return nil, fmt.Errorf("enter the container's namespaces: %w", err)
	}
	return &copyStage{p: p}, nil
}

// next reads the stage's next message; an "error" one becomes the error.
func (s *copyStage) next(ref string) (message, error) {
	m, err := receive(s.p.Socket)
	if err != nil {
		if errors.Is(err, errSilent) {
			return m, fmt.Errorf("%w: %v", err, s.p.Cmd.Wait())
		}
		return m, err
	}
	if m.Kind != "error" {
		return m, nil
	}
	if m.NotFound != "" {
		return m, fmt.Errorf("Could not find the file %s in container %s", m.NotFound, ref)
	}
	return m, errors.New(m.Error)
}

// expect reads the next message, which must be of kind want.
func (s *copyStage) expect(ref, want string) (message, error) {
	m, err := s.next(ref)
	if err == nil && m.Kind != want {
		err = fmt.Errorf("the copy stage said %q, want %q", m.Kind, want)
	}
	return m, err
}

// finish waits for the stage's "done" and its exit.
func (s *copyStage) finish(ref string) error {
	_, err := s.expect(ref, "done")
	s.p.Socket.Close()
	werr := s.p.Cmd.Wait()
	if err != nil {
		return err
	}
	if werr != nil {
		return fmt.Errorf("the copy stage failed: %w", werr)
	}
	return nil
}

// abort ends the stage after a failure on the host side.
func (s *copyStage) abort() {
	s.p.Socket.Close()
	s.p.Cmd.Process.Kill()
	s.p.Cmd.Wait()
}
