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
	"os/exec"
	"path/filepath"

	"golang.org/x/sys/unix"

	"github.com/urun/urun/config"
	"github.com/urun/urun/containers"
	"github.com/urun/urun/idmap"
	"github.com/urun/urun/image/local"
	"github.com/urun/urun/spec"
	"github.com/urun/urun/userns"
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
func readAccess(cfg *config.Config, ref string) (*view, userns.Options, error) {
	c, err := findContainer(cfg, ref)
	if err != nil {
		return nil, userns.Options{}, err
	}
	v, err := readView(cfg, c)
	if err != nil {
		return nil, userns.Options{}, err
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
func writeAccess(cfg *config.Config, c containers.Container, ref string) (*view, userns.Options, func(), error) {
	lock, err := containers.Lock(c.Dir)
	if errors.Is(err, unix.EWOULDBLOCK) {
		opts, err := joinRunning(c, ref)
		return nil, opts, func() {}, err
	}
	if err != nil {
		return nil, userns.Options{}, nil, fmt.Errorf("lock container %s: %w", ref, err)
	}
	v, err := readView(cfg, c)
	if err != nil {
		lock.Close()
		return nil, userns.Options{}, nil, err
	}
	v.Writable = true
	opts, err := stageMappings()
	if err != nil {
		lock.Close()
		return nil, userns.Options{}, nil, err
	}
	return v, opts, func() { lock.Close() }, nil
}

// joinRunning are the options of a stage in running container c's user
// and mount namespaces.
func joinRunning(c containers.Container, ref string) (userns.Options, error) {
	initPID, err := containers.InitPID(c.Dir)
	if errors.Is(err, os.ErrNotExist) {
		return userns.Options{}, fmt.Errorf("container %s %w", ref, ErrBusy)
	}
	if err != nil {
		return userns.Options{}, fmt.Errorf("find container %s's init: %w", ref, err)
	}
	pid, err := containers.NamespacePID(initPID)
	if err != nil {
		return userns.Options{}, fmt.Errorf("find container %s's namespaces: %w", ref, err)
	}
	return userns.Options{JoinPID: pid, JoinNamespaces: []string{"mnt"}}, nil
}

// stageMappings are the options of a stage in a new user namespace with
// the containers' mapping and a mount namespace of its own.
func stageMappings() (userns.Options, error) {
	mappings, err := idmap.ForCurrentCaller()
	if err != nil {
		return userns.Options{}, err
	}
	return userns.Options{Mappings: mappings, Flags: unix.CLONE_NEWNS}, nil
}

// stage is a running copy stage.
type stage struct {
	p *userns.Process
}

// startStage spawns the copy stage for req with stdin and stdout (nil:
// /dev/null); the caller closes its own ends of pipes it passed.
func startStage(opts userns.Options, req request, stdin, stdout *os.File) (*stage, error) {
	data, err := json.Marshal(req)
	if err != nil {
		return nil, fmt.Errorf("encode the copy request: %w", err)
	}
	self, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("find urun's own binary: %w", err)
	}
	cmd := exec.Command(self)
	cmd.Args = []string{StageName, string(data)}
	// PATH finds fuse-overlayfs; nothing else of the caller's environment
	// is wanted in there.
	cmd.Env = []string{"PATH=" + os.Getenv("PATH")}
	if stdin != nil {
		cmd.Stdin = stdin
	}
	if stdout != nil {
		cmd.Stdout = stdout
	}
	cmd.Stderr = os.Stderr
	p, err := userns.Run(cmd, opts)
	if err != nil {
		return nil, fmt.Errorf("enter the container's namespaces: %w", err)
	}
	return &stage{p: p}, nil
}

// next reads the stage's next message; an "error" one becomes the error.
func (s *stage) next(ref string) (message, error) {
	m, err := receive(s.p.Sync)
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
func (s *stage) expect(ref, want string) (message, error) {
	m, err := s.next(ref)
	if err == nil && m.Kind != want {
		err = fmt.Errorf("the copy stage said %q, want %q", m.Kind, want)
	}
	return m, err
}

// finish waits for the stage's "done" and its exit.
func (s *stage) finish(ref string) error {
	_, err := s.expect(ref, "done")
	s.p.Sync.Close()
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
func (s *stage) abort() {
	s.p.Sync.Close()
	s.p.Cmd.Process.Kill()
	s.p.Cmd.Wait()
}
