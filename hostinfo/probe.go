package hostinfo

import (
	"github.com/urun/urun/stage"

	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// probeRequest is what Collect asks of the probe stage.
type probeRequest struct {
	// TempDir is where the probe makes its overlay (the run root).
	TempDir string `json:"temp_dir"`
}

// Probe runs in the user and mount namespaces that Collect spawned
// (stage.Probe) and reports what works.
func Probe() int {
	p := ProbeInfo{UserNamespace: true}
	var req probeRequest
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
