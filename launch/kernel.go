package launch

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/urun/urun/config"
	"github.com/urun/urun/image/local"
	"github.com/urun/urun/spec"
	"github.com/urun/urun/stage"
)

// unshareFlags are the namespaces the container's stage makes besides
// its user and network ones: the mount namespace always, the PID, UTS
// and IPC ones unless the container shares the host's (--pid, --uts,
// --ipc host).
func unshareFlags(s *specs.Spec) uintptr {
	flags := uintptr(unix.CLONE_NEWNS)
	for _, n := range []struct {
		typ  specs.LinuxNamespaceType
		flag uintptr
	}{{specs.PIDNamespace, unix.CLONE_NEWPID}, {specs.UTSNamespace, unix.CLONE_NEWUTS}, {specs.IPCNamespace, unix.CLONE_NEWIPC}} {
		if spec.HasNamespace(s, n.typ) {
			flags |= n.flag
		}
	}
	return flags
}

// userMountsOver says whether the user mounts a file of their own on
// dest (-v /etc/hosts:/etc/hosts): it replaces the one urun writes, as
// in Docker.
func userMountsOver(mounts []specs.Mount, dest string) bool {
	for _, m := range mounts {
		if m.Destination == dest {
			return true
		}
	}
	return false
}

// setOOMScoreAdj gives the stage --oom-score-adj before it forks init,
// which inherits it. The host writes it: init, not dumpable, cannot open
// its own /proc/self/oom_score_adj, and the stage waits for Continue.
func setOOMScoreAdj(p *stage.Process, s *specs.Spec) error {
	if s.Process == nil || s.Process.OOMScoreAdj == nil {
		return nil
	}
	adj := *s.Process.OOMScoreAdj
	path := fmt.Sprintf("/proc/%d/oom_score_adj", p.Cmd.Process.Pid)
	if err := os.WriteFile(path, []byte(strconv.Itoa(adj)), 0); err != nil {
		if errors.Is(err, unix.EACCES) || errors.Is(err, unix.EPERM) {
			return fmt.Errorf("set --oom-score-adj %d: %w: a rootless container can only raise it above urun's own (%s)", adj, err, "/proc/self/oom_score_adj")
		}
		return fmt.Errorf("set --oom-score-adj %d: %w", adj, err)
	}
	return nil
}

// imageMounts takes the --mount type=image mounts out of mounts and
// resolves each into its image's layers (spec.ImageMount) for init; with
// rw, a writable layer of its own in the container's directory. Most
// containers have none and pay nothing.
func (c *container) imageMounts(mounts []specs.Mount) ([]specs.Mount, []spec.ImageMount, error) {
	if !slices.ContainsFunc(mounts, func(m specs.Mount) bool { return m.Type == spec.ImageType }) {
		return mounts, nil, nil
	}
	var kept []specs.Mount
	var out []spec.ImageMount
	for i, m := range mounts {
		if m.Type != spec.ImageType {
			kept = append(kept, m)
			continue
		}
		img, err := findMountedImage(c.cfg, m.Source)
		if err != nil {
			return nil, nil, err
		}
		lower, linkDir := img.LowerDirs()
		im := spec.ImageMount{Destination: m.Destination, Lower: lower, LinkDir: linkDir}
		if slices.Contains(m.Options, "rw") {
			dir := filepath.Join(c.layerDir, "image-mounts", strconv.Itoa(i))
			im.Upper, im.Work = filepath.Join(dir, "diff"), filepath.Join(dir, "work")
			for _, d := range []string{im.Upper, im.Work} {
				if err := os.MkdirAll(d, 0o755); err != nil {
					return nil, nil, fmt.Errorf("create the writable layer of --mount type=image,source=%s: %w", m.Source, err)
				}
			}
		}
		out = append(out, im)
	}
	return kept, out, nil
}

// findMountedImage finds the stored image a --mount type=image names.
func findMountedImage(cfg *config.Config, ref string) (*local.Image, error) {
	name, err := local.Normalize(ref)
	if err != nil {
		return nil, fmt.Errorf("--mount type=image,source=%s: %w", ref, err)
	}
	img, err := local.Find(cfg.GraphRoot, name)
	if errors.Is(err, local.ErrNotFound) {
		img, err = local.Find(cfg.GraphRoot, ref)
	}
	if err != nil {
		if errors.Is(err, local.ErrNotFound) {
			return nil, fmt.Errorf("--mount type=image,source=%s: no such image is stored: pull it first ('urun pull %s')", ref, ref)
		}
		return nil, fmt.Errorf("--mount type=image,source=%s: %w", ref, err)
	}
	return img, nil
}

// checkImageMounts refuses, before a container is made, a --mount
// type=image of an image that is not stored.
func checkImageMounts(cfg *config.Config, mounts []specs.Mount) error {
	for _, m := range mounts {
		if m.Type == spec.ImageType {
			if _, err := findMountedImage(cfg, m.Source); err != nil {
				return err
			}
		}
	}
	return nil
}

// sharesOurPIDNamespace says whether process pid is in urun's own PID
// namespace (a container run with --pid host).
func sharesOurPIDNamespace(pid int) bool {
	theirs, err := os.Readlink(fmt.Sprintf("/proc/%d/ns/pid", pid))
	if err != nil {
		return false
	}
	ours, err := os.Readlink("/proc/self/ns/pid")
	return err == nil && ours == theirs
}
