package hostinfo

import (
	"encoding/json"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// ProbeStageName is argv[0] of the namespace stage that runs Probe: urun's
// main dispatches on it.
const ProbeStageName = "urun-probe"

// Probe runs in the user and mount namespaces that Collect spawned and
// prints what works as JSON on stdout.
func Probe() int {
	p := ProbeInfo{UserNamespace: true}
	dir, err := os.MkdirTemp("", "urun-probe-")
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
	if err := json.NewEncoder(os.Stdout).Encode(p); err != nil {
		return 1
	}
	return 0
}
