package rootfscopy

import (
	"errors"
	"fmt"
	"os"
	"syscall"

	"github.com/urun/urun/config"
	"github.com/urun/urun/idmap"
)

// CopyOptions are `urun cp`'s arguments: Src and Dst as the user wrote
// them, one of them CONTAINER:PATH, the other a host path or "-" (a tar
// stream on stdin or stdout).
type CopyOptions struct {
	Src, Dst string
	// FollowLink follows a symlink that the source path names (-L).
	FollowLink bool
	// Archive keeps the uids and gids of files copied in, mapped through
	// the container's user namespace (-a); else they are root's.
	Archive bool
	// Quiet says nothing once done (-q); else a copy between files says
	// how much it copied on stderr when stderr is a terminal.
	Quiet bool
}

// Copy copies between a container and the host as docker cp does. Files
// copied out belong to the caller on the host; files copied in belong to
// the container's root unless Archive.
func Copy(cfg *config.Config, o CopyOptions) error {
	srcRef, srcPath := SplitArg(o.Src)
	dstRef, dstPath := SplitArg(o.Dst)
	switch {
	case srcRef != "" && dstRef != "":
		return errors.New("copying between containers is not supported: copy to the host first")
	case srcRef == "" && dstRef == "":
		return errors.New("must specify at least one container source: name a path in a container as CONTAINER:PATH")
	case srcPath == "" || dstPath == "":
		return errors.New("empty path: give CONTAINER:PATH and a host path or -")
	case srcRef != "":
		return copyOut(cfg, srcRef, srcPath, dstPath, o)
	}
	return copyIn(cfg, srcPath, dstRef, dstPath, o)
}

func copyOut(cfg *config.Config, ref, srcPath, dstPath string, o CopyOptions) error {
	v, opts, err := readAccess(cfg, ref)
	if err != nil {
		return err
	}
	req := request{Op: opCopyOut, Path: containerPath(srcPath), FollowLink: o.FollowLink, View: v}
	if dstPath == "-" {
		s, err := startStage(opts, req, nil, os.Stdout)
		if err != nil {
			return err
		}
		if _, err := s.expect(ref, "stat"); err != nil {
			s.abort()
			return err
		}
		return s.finish(ref)
	}
	r, w, err := os.Pipe()
	if err != nil {
		return fmt.Errorf("create a pipe: %w", err)
	}
	defer r.Close()
	s, err := startStage(opts, req, nil, w)
	w.Close()
	if err != nil {
		return err
	}
	m, err := s.expect(ref, "stat")
	if err != nil {
		s.abort()
		return err
	}
	plan, err := planHostDest(*m.Source, dstPath)
	in := &counter{r: r}
	if err == nil {
		err = extract(in, plan.Dir, plan, ownCaller, os.Stderr)
	}
	if err != nil {
		s.abort()
		return fmt.Errorf("copy to %s: %w", dstPath, err)
	}
	if err := s.finish(ref); err != nil {
		return err
	}
	report(o, in.n)
	return nil
}

func planHostDest(src Source, dstPath string) (Plan, error) {
	dst, err := statDest(dstPath)
	if err != nil {
		return Plan{}, err
	}
	return planCopy(src, dst, dstPath)
}

func copyIn(cfg *config.Config, srcPath, ref, dstPath string, o CopyOptions) error {
	var hostPath string
	var fi os.FileInfo
	var src Source
	req := request{Op: opCopyIn, Path: containerPath(dstPath), Archive: o.Archive}
	if srcPath != "-" {
		var err error
		if hostPath, fi, src, err = statSource(srcPath, o.FollowLink); err != nil {
			return err
		}
		req.Source = &src
	}
	c, err := findContainer(cfg, ref)
	if err != nil {
		return err
	}
	v, opts, unlock, err := writeAccess(cfg, c, ref)
	if err != nil {
		return err
	}
	defer unlock()
	req.View = v
	if srcPath == "-" {
		s, err := startStage(opts, req, os.Stdin, nil)
		if err != nil {
			return err
		}
		if _, err := s.expect(ref, "ready"); err != nil {
			s.abort()
			return err
		}
		return s.finish(ref)
	}
	owner, err := hostOwner(o.Archive)
	if err != nil {
		return err
	}
	r, w, err := os.Pipe()
	if err != nil {
		return fmt.Errorf("create a pipe: %w", err)
	}
	s, err := startStage(opts, req, r, nil)
	r.Close()
	if err != nil {
		w.Close()
		return err
	}
	if _, err := s.expect(ref, "ready"); err != nil {
		w.Close()
		s.abort()
		return err
	}
	out := &counter{w: w}
	a := newArchiver(out, owner)
	err = a.add(hostPath, fi, src.Base)
	if err == nil {
		err = a.close()
	}
	w.Close()
	if err != nil && !errors.Is(err, syscall.EPIPE) {
		s.abort()
		return fmt.Errorf("copy %s: %w", srcPath, err)
	}
	// A broken pipe means the stage stopped: its reason is the one to say.
	if err := s.finish(ref); err != nil {
		return err
	}
	report(o, out.n)
	return nil
}

// hostOwner gives the uid and gid a host file has in the archive sent
// into a container: the container's ids for the file's host ids with
// archive (-a), else root (the stage makes them root's anyway).
func hostOwner(archive bool) (func(string, uint32, uint32) (int, int, error), error) {
	if !archive {
		return func(string, uint32, uint32) (int, int, error) { return 0, 0, nil }, nil
	}
	m, err := idmap.ForCurrentCaller()
	if err != nil {
		return nil, err
	}
	return func(path string, uid, gid uint32) (int, int, error) {
		cuid, ok := fromHost(m.UIDs, uid)
		if !ok {
			return 0, 0, fmt.Errorf("%s belongs to uid %d, which the container's user namespace does not map: copy without -a", path, uid)
		}
		cgid, ok := fromHost(m.GIDs, gid)
		if !ok {
			return 0, 0, fmt.Errorf("%s belongs to gid %d, which the container's user namespace does not map: copy without -a", path, gid)
		}
		return int(cuid), int(cgid), nil
	}, nil
}

// fromHost translates a host id to the container id it shows as.
func fromHost(entries []idmap.Entry, id uint32) (uint32, bool) {
	for _, e := range entries {
		if id >= e.HostID && id-e.HostID < e.Size {
			return e.ContainerID + (id - e.HostID), true
		}
	}
	return 0, false
}
