package doctor

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	units "github.com/docker/go-units"
	"golang.org/x/sys/unix"

	"github.com/urun/urun/config"
)

// nearestExisting is dir or its nearest existing ancestor: a store not
// made yet will be made there.
func nearestExisting(dir string) string {
	for d := filepath.Clean(dir); ; d = filepath.Dir(d) {
		if _, err := os.Stat(d); err == nil || d == filepath.Dir(d) {
			return d
		}
	}
}

// localStoreDir is where the fix puts a store that cannot stay where it
// is: /var/tmp is on the node's own disk on clusters, and kept across
// reboots.
func (h *Host) localStoreDir() string {
	if h.IsRoot {
		return "/var/lib/urun/storage"
	}
	return h.LocalStore
}

// setRootFix sets root in urun.conf (a flat TOML file: the key goes at the
// end, any earlier root line removed).
func (h *Host) setRootFix(dir string) string {
	conf := h.ConfigPath
	return fmt.Sprintf(`mkdir -p %s %s && touch %s && sed -i '/^root *=/d' %s && echo 'root = "%s"' >> %s`,
		dir, filepath.Dir(conf), conf, conf, dir, conf)
}

func checkStoreFS(h *Host) Result {
	r := Result{Name: "store"}
	if h.Config == nil {
		r.Status, r.Message = Skipped, "the configuration could not be read (see config)"
		return r
	}
	dir := nearestExisting(h.Config.GraphRoot)
	var st unix.Statfs_t
	if err := h.Statfs(dir, &st); err != nil {
		r.Status, r.Message = Warning, fmt.Sprintf("statfs %s: %v", dir, err)
		return r
	}
	t := config.FileSystemOf(uint32(st.Type))
	if t.NoStore {
		r.Status = Problem
		r.Message = fmt.Sprintf("the store %s is on %s: overlay cannot keep containers' layers there; put the store on a local disk", h.Config.GraphRoot, t.Name)
		r.Fix = h.setRootFix(h.localStoreDir())
		return r
	}
	r.Status, r.Message = OK, fmt.Sprintf("%s on %s", h.Config.GraphRoot, t.Name)
	return r
}

// Free space below which a store cannot pull an image (problem) or soon
// will not (warning), and a run root cannot hold a container's state.
const (
	storeTooFull   = 100 << 20
	storeNearFull  = 1 << 30
	runRootTooFull = 1 << 20
	runRootLow     = 16 << 20
)

func checkDiskSpace(h *Host) Result {
	r := Result{Name: "disk-space", Status: OK}
	if h.Config == nil {
		r.Status, r.Message = Skipped, "the configuration could not be read (see config)"
		return r
	}
	var parts []string
	for _, d := range []struct {
		what, dir       string
		tooFull, nearly uint64
	}{
		{"store", h.Config.GraphRoot, storeTooFull, storeNearFull},
		{"run root", h.Config.RunRoot, runRootTooFull, runRootLow},
	} {
		dir := nearestExisting(d.dir)
		var st unix.Statfs_t
		if err := h.Statfs(dir, &st); err != nil {
			r.Status = worse(r.Status, Warning)
			parts = append(parts, fmt.Sprintf("%s: statfs %s: %v", d.what, dir, err))
			continue
		}
		free := st.Bavail * uint64(st.Bsize)
		part := fmt.Sprintf("%s %s free", d.what, units.BytesSize(float64(free)))
		switch {
		case free < d.tooFull:
			r.Status = worse(r.Status, Problem)
			part += " (too little to pull or start)"
		case free < d.nearly:
			r.Status = worse(r.Status, Warning)
			part += " (little)"
		}
		if st.Files > 0 && st.Ffree == 0 {
			r.Status = worse(r.Status, Problem)
			part += " (no free inodes)"
		}
		parts = append(parts, part+" on "+dir)
	}
	r.Message = strings.Join(parts, "; ")
	if r.Status != OK {
		r.Fix = "urun system prune -a  # or move the store: " + h.setRootFix(h.localStoreDir())
	}
	return r
}

// worse is the graver of two statuses.
func worse(a, b Status) Status {
	rank := map[Status]int{Skipped: 0, OK: 1, Warning: 2, Problem: 3}
	if rank[b] > rank[a] {
		return b
	}
	return a
}

func checkOverlay(h *Host) Result {
	r := Result{Name: "overlay"}
	t := h.Trials
	switch {
	case h.IsRoot:
		r.Status, r.Message = Skipped, "root: the kernel's overlay is mounted without a user namespace (see store for its file system)"
		return r
	case !t.UserNSTried || t.UserNS != nil:
		r.Status, r.Message = Skipped, "not tried: no user namespace (see userns)"
		return r
	case t.Overlay == nil:
		r.Status = OK
		r.Message = "the kernel mounts overlay in a user namespace on " + t.OverlayDir + " (native rootfs driver: fastest)"
		return r
	}
	r.Message = fmt.Sprintf("the kernel's overlay failed in a user namespace on %s: %v", t.OverlayDir, t.Overlay)
	if h.fuseUsable() == nil {
		r.Status = Warning
		r.Message += "; urun uses fuse-overlayfs instead (slower to start and to read)"
		if h.storeUnfit() {
			r.Message += " (see store)"
		} else {
			r.Fix = "a kernel of 5.11 or later mounts overlay in user namespaces"
		}
		return r
	}
	r.Status = Problem
	r.Message += ", and fuse-overlayfs is not usable either (see fuse): urun cannot assemble a container's root"
	r.Fix = h.fuseFix()
	return r
}

func (h *Host) storeUnfit() bool {
	if h.Config == nil {
		return false
	}
	var st unix.Statfs_t
	return h.Statfs(nearestExisting(h.Config.GraphRoot), &st) == nil && config.FileSystemOf(uint32(st.Type)).NoStore
}

// fuseUsable says why fuse-overlayfs cannot work, nil when it can.
func (h *Host) fuseUsable() error {
	if _, err := h.LookPath("fuse-overlayfs"); err != nil {
		return errors.New("fuse-overlayfs is not installed")
	}
	if err := h.OpenRW(h.path("/dev/fuse")); err != nil {
		return fmt.Errorf("/dev/fuse: %w", err)
	}
	return nil
}

func (h *Host) fuseFix() string {
	if _, err := h.LookPath("fuse-overlayfs"); err != nil {
		return "sudo apt-get install fuse-overlayfs  # Fedora, RHEL: sudo dnf install fuse-overlayfs"
	}
	if !h.exists("/dev/fuse") {
		return "sudo modprobe fuse"
	}
	return "sudo chmod 0666 /dev/fuse"
}

func checkFuse(h *Host) Result {
	r := Result{Name: "fuse"}
	err := h.fuseUsable()
	if err == nil {
		path, _ := h.LookPath("fuse-overlayfs")
		r.Status, r.Message = OK, path+", and /dev/fuse opens read-write"
		return r
	}
	configured := h.Config != nil && h.Config.RootfsDriver == "fuse-overlayfs"
	nativeWorks := h.IsRoot || (h.Trials.UserNSTried && h.Trials.UserNS == nil && h.Trials.Overlay == nil)
	r.Message, r.Fix = "fuse-overlayfs is not usable: "+err.Error(), h.fuseFix()
	switch {
	case configured:
		r.Status, r.Message = Problem, r.Message+" (rootfs_driver = \"fuse-overlayfs\" in the configuration)"
	case nativeWorks:
		r.Status, r.Message = Warning, r.Message+" (not needed while the kernel's overlay works)"
	default:
		r.Status = Problem
	}
	return r
}

func checkSession(h *Host) Result {
	r := Result{Name: "session", Status: OK}
	runRoot := "(unknown: see config)"
	if h.Config != nil {
		runRoot = h.Config.RunRoot
	}
	dir := h.Getenv("XDG_RUNTIME_DIR")
	switch {
	case dir == "":
		r.Message = "no login session (XDG_RUNTIME_DIR unset, as under su, sudo, cron or a batch job): fine, run state is in " + runRoot
	case !filepath.IsAbs(dir):
		r.Status, r.Message = Warning, "XDG_RUNTIME_DIR="+dir+" is not an absolute path: ignored, run state is in "+runRoot
		r.Fix = "unset XDG_RUNTIME_DIR"
	default:
		mode, uid, err := h.Owner(dir)
		if err != nil || mode&unix.S_IFMT != unix.S_IFDIR || uid != h.Caller.UID {
			r.Status = Warning
			r.Message = "XDG_RUNTIME_DIR=" + dir + " is not a directory of yours: ignored, run state is in " + runRoot
			r.Fix = "unset XDG_RUNTIME_DIR"
			return r
		}
		r.Message = "XDG_RUNTIME_DIR=" + dir + "; run state is in " + runRoot
	}
	return r
}
