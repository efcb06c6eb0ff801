package hostinfo

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"

	"golang.org/x/sys/unix"

	"github.com/urun/urun/idmap"
	"github.com/urun/urun/stage"
)

// ProbeRequest is what RunProbe asks of the probe stage.
type ProbeRequest struct {
	// TempDir is where the probe makes its overlay (Collect: the run
	// root; urun doctor: the store).
	TempDir string `json:"temp_dir"`
}

// Probe runs in the user and mount namespaces that RunProbe spawned
// (stage.Probe) and reports what works.
func Probe() int {
	p := ProbeInfo{UserNamespace: true}
	var req ProbeRequest
	err := stage.Request(&req)
	var dir string
	if err == nil {
		dir, err = os.MkdirTemp(req.TempDir, "urun-probe-")
	}
	if err != nil {
		p.NativeOverlayProblem = err.Error()
	} else {
		defer os.RemoveAll(dir)
		for _, d := range []string{"lower", "upper", "work", "merged"} {
			os.Mkdir(filepath.Join(dir, d), 0o755)
		}
		opts := "lowerdir=" + filepath.Join(dir, "lower") + ",upperdir=" + filepath.Join(dir, "upper") +
			",workdir=" + filepath.Join(dir, "work") + ",userxattr"
		merged := filepath.Join(dir, "merged")
		if err := unix.Mount("overlay", merged, "overlay", 0, opts); err != nil {
			p.NativeOverlayProblem = "mount overlay with userxattr: " + err.Error()
		} else {
			p.NativeOverlay = true
			unix.Unmount(merged, unix.MNT_DETACH)
		}
	}
	if f, err := os.OpenFile("/dev/fuse", os.O_RDWR, 0); err != nil {
		p.FuseProblem = "open /dev/fuse: " + err.Error() + " (it must be mode 0666)"
	} else {
		f.Close()
		p.Fuse = true
	}
	if err := stage.SendReport(stage.Socket(), p); err != nil {
		return 1
	}
	return 0
}

// RunProbe runs self's probe stage (Probe) in a user namespace of m and a
// new mount namespace, where it tries overlay in a directory it makes in
// tempDir, and reads its report. The report's UserNamespace says whether
// the namespace was made, also when err says why no report came. Once ctx
// ends the stage is killed and RunProbe returns ctx's error at once: a
// hung mount or helper (newuidmap waiting on a directory service) must
// not hang the caller.
func RunProbe(ctx context.Context, self string, m idmap.Mappings, tempDir string) (ProbeInfo, error) {
	plain := stage.CommandOf(self, stage.Probe)
	cmd := exec.CommandContext(ctx, plain.Path)
	cmd.Args, cmd.Env = plain.Args, plain.Env
	type result struct {
		info ProbeInfo
		err  error
	}
	done := make(chan result, 1)
	go func() {
		p, err := stage.Run(cmd, stage.Create{Mappings: m, Unshare: unix.CLONE_NEWNS}, ProbeRequest{TempDir: tempDir})
		if err != nil {
			done <- result{err: err}
			return
		}
		var info ProbeInfo
		err = stage.ReceiveReport(p.Socket, &info)
		p.Socket.Close()
		cmd.Wait()
		info.UserNamespace = true
		done <- result{info, err}
	}()
	select {
	case r := <-done:
		if ctx.Err() != nil {
			// Killed: what failed then is the kill's doing.
			return ProbeInfo{}, ctx.Err()
		}
		return r.info, r.err
	case <-ctx.Done():
		return ProbeInfo{}, ctx.Err()
	}
}
