// Package hostinfo explains the host to the user, as `docker info` does:
// where urun stores things, which rootfs driver it uses and why, and
// whether user namespaces, overlay in a user namespace and FUSE work here.
// Collect runs on the host side; Probe runs in a user namespace it spawns.
package hostinfo

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/urun/urun/cgroupv2"
	"github.com/urun/urun/config"
	"github.com/urun/urun/containers"
	"github.com/urun/urun/idmap"
	"github.com/urun/urun/image/local"
)

// Info is what `urun info` shows.
type Info struct {
	Docker
	Version string    `json:"version"`
	Host    Host      `json:"host"`
	User    User      `json:"user"`
	Store   Store     `json:"store"`
	Rootfs  Rootfs    `json:"rootfs"`
	Network Network   `json:"network"`
	Cgroups Cgroups   `json:"cgroups"`
	Probe   ProbeInfo `json:"probe"`
}

type Host struct {
	Kernel string `json:"kernel"`
	OS     string `json:"os"`
	Arch   string `json:"arch"`
}

type User struct {
	Name      string        `json:"name"`
	UID       uint32        `json:"uid"`
	GID       uint32        `json:"gid"`
	SubUIDs   []idmap.Range `json:"subuids"`
	SubGIDs   []idmap.Range `json:"subgids"`
	Problem   string        `json:"problem,omitempty"`
	NewUIDMap string        `json:"newuidmap"`
	NewGIDMap string        `json:"newgidmap"`
}

type Store struct {
	GraphRoot     string `json:"graph_root"`
	RunRoot       string `json:"run_root"`
	ContainersDir string `json:"containers_dir"`
	ConfigFile    string `json:"config_file"`
	// StorageDriver is the storage library's driver for image layers.
	StorageDriver string `json:"storage_driver"`
	// AdditionalImageStores are the read-only shared image stores
	// (additionalimagestores), in the order they are searched.
	AdditionalImageStores []SharedStore `json:"additional_image_stores"`
}

// SharedStore is a read-only shared image store and what it holds.
type SharedStore struct {
	Path   string `json:"path"`
	Images int    `json:"images"`
	// Problem says why its images cannot be used: not there on this
	// node, or not readable.
	Problem string `json:"problem,omitempty"`
}

// sharedStores counts the images of each shared store, as `urun images`
// finds them.
func sharedStores(dirs []string) []SharedStore {
	out := []SharedStore{}
	for _, dir := range dirs {
		s := SharedStore{Path: dir}
		ids, err := local.IDs(dir)
		switch {
		case err != nil:
			s.Problem = (&local.SharedStoreError{Store: dir, Err: err}).Error()
		case ids == nil:
			if _, err := os.Stat(dir); err != nil {
				s.Problem = err.Error()
			}
		}
		s.Images = len(ids)
		out = append(out, s)
	}
	return out
}

type Rootfs struct {
	Configured    string `json:"configured"`
	Chosen        string `json:"chosen"`
	Why           string `json:"why"`
	FuseOverlayfs string `json:"fuse_overlayfs"`
}

type Network struct {
	Default     string `json:"default"`
	Slirp4netns string `json:"slirp4netns"`
	Pasta       string `json:"pasta"`
}

type Cgroups struct {
	Version string `json:"version"`
	Manager string `json:"manager"`
	Note    string `json:"note"`
}

// ProbeInfo is what a trial in a real user namespace found.
type ProbeInfo struct {
	UserNamespace        bool   `json:"user_namespace"`
	UserNamespaceProblem string `json:"user_namespace_problem,omitempty"`
	NativeOverlay        bool   `json:"native_overlay"`
	NativeOverlayProblem string `json:"native_overlay_problem,omitempty"`
	Fuse                 bool   `json:"fuse"`
	FuseProblem          string `json:"fuse_problem,omitempty"`
}

// Collect gathers Info, spawning self (urun's own binary) in a user
// namespace to try what can only be known by trying.
func Collect(cfg *config.Config, version, self string) Info {
	info := Info{Version: version}
	var uts unix.Utsname
	if unix.Uname(&uts) == nil {
		info.Host.Kernel = unix.ByteSliceToString(uts.Release[:])
	}
	info.Host.OS, info.Host.Arch = osName(), runtime.GOARCH
	info.Store = Store{GraphRoot: cfg.GraphRoot, RunRoot: cfg.RunRoot, ContainersDir: containers.KeptLayersDir(cfg), ConfigFile: cfg.Source, StorageDriver: "overlay",
		AdditionalImageStores: sharedStores(cfg.AdditionalImageStores)}
	if info.Store.ConfigFile == "" {
		info.Store.ConfigFile = config.Path() + " (absent: defaults)"
	}
	info.Network = Network{Default: cfg.Network, Slirp4netns: lookPath("slirp4netns"), Pasta: lookPath("pasta")}
	info.Cgroups = cgroups()
	info.Rootfs = Rootfs{Configured: cfg.RootfsDriver, FuseOverlayfs: lookPath("fuse-overlayfs")}
	info.User.NewUIDMap, _ = idmap.HelperPath("newuidmap")
	info.User.NewGIDMap, _ = idmap.HelperPath("newgidmap")

	caller, err := idmap.CurrentCaller()
	info.User.Name, info.User.UID, info.User.GID = caller.Name, caller.UID, caller.GID
	var mappings idmap.Mappings
	if err == nil {
		files := idmap.Files{}
		info.User.SubUIDs, err = files.Ranges(idmap.UIDs, caller.Name, int(caller.UID))
		if err == nil {
			info.User.SubGIDs, err = files.Ranges(idmap.GIDs, caller.Name, int(caller.GID))
		}
		mappings = idmap.Build(caller.UID, caller.GID, info.User.SubUIDs, info.User.SubGIDs)
		if errors.Is(err, idmap.ErrNoRange) || caller.UID == 0 {
			// Root keeps the host's ids; a user without a range gets a
			// single id: containers run either way.
			if caller.UID != 0 {
				info.User.Problem = err.Error() + " (meanwhile containers get your uid alone)"
			}
			mappings, _, err = files.ForCallerOrSingle(caller)
		}
	}
	if err != nil {
		info.User.Problem = err.Error()
		info.Probe.UserNamespaceProblem = "not tried: " + err.Error()
	} else {
		info.Probe = runProbe(cfg, self, mappings)
	}
	info.Rootfs.Chosen, info.Rootfs.Why = chooseRootfs(cfg.RootfsDriver, info.Probe, info.Rootfs.FuseOverlayfs)
	if local.NeedsFuseOverlayfs(cfg.GraphRoot) && cfg.RootfsDriver != "native" {
		info.Rootfs.Chosen, info.Rootfs.Why = "fuse-overlayfs", "the image store's layers were unpacked for fuse-overlayfs (.wh. whiteouts)"
	}
	info.collectDocker(cfg, self)
	return info
}

func chooseRootfs(configured string, p ProbeInfo, fuseBin string) (string, string) {
	switch configured {
	case "native":
		return "native", "forced by configuration or --rootfs-driver"
	case "fuse-overlayfs":
		return "fuse-overlayfs", "forced by configuration or --rootfs-driver"
	}
	if p.NativeOverlay {
		return "native", "the kernel mounts overlay in a user namespace (userxattr): fastest, no helper process"
	}
	if fuseBin != "" && p.Fuse {
		return "fuse-overlayfs", "the kernel's overlay failed in a user namespace (" + p.NativeOverlayProblem + ")"
	}
	return "none usable", "native overlay failed (" + p.NativeOverlayProblem + ") and fuse-overlayfs is not usable: install the fuse-overlayfs package and make /dev/fuse readable"
}

func runProbe(cfg *config.Config, self string, m idmap.Mappings) ProbeInfo {
	if err := os.MkdirAll(cfg.RunRoot, 0o700); err != nil {
		return ProbeInfo{UserNamespaceProblem: err.Error()}
	}
	info, err := RunProbe(context.Background(), self, m, cfg.RunRoot)
	switch {
	case err != nil && !info.UserNamespace:
		return ProbeInfo{UserNamespaceProblem: err.Error()}
	case err != nil:
		return ProbeInfo{UserNamespace: true, NativeOverlayProblem: "probe failed: " + err.Error()}
	}
	return info
}

// lookPath finds a program the way urun will when it runs it: in $PATH.
func lookPath(name string) string {
	path, _ := exec.LookPath(name)
	return path
}

func osName() string {
	data, err := os.ReadFile("/etc/os-release")
	if err != nil {
		return runtime.GOOS
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, "PRETTY_NAME="); ok {
			return strings.Trim(v, `"`)
		}
	}
	return runtime.GOOS
}

// cgroups describes the host's cgroup hierarchy and where containers'
// cgroups go on it.
func cgroups() Cgroups {
	var st unix.Statfs_t
	if unix.Statfs("/sys/fs/cgroup", &st) == nil && st.Type == unix.CGROUP2_SUPER_MAGIC {
		h, err := cgroupv2.DetectHost()
		if err != nil {
			return Cgroups{Version: "v2", Manager: "none", Note: err.Error()}
		}
		manager, where := cgroupv2.DefaultPlace(h)
		return Cgroups{Version: "v2", Manager: manager, Note: where}
	}
	version := "v1"
	if unix.Statfs("/sys/fs/cgroup/unified", &st) == nil && st.Type == unix.CGROUP2_SUPER_MAGIC {
		version = "v1 (hybrid)"
	}
	// Root has the v1 controllers, as Docker's cgroupfs driver uses them.
	if os.Geteuid() == 0 {
		if err := cgroupv2.CheckV1Mounts(); err != nil {
			return Cgroups{Version: version, Manager: "none", Note: "root's limits on cgroup v1 need the memory, pids and cpu controllers mounted and writable: " + err.Error()}
		}
		return Cgroups{Version: version, Manager: "cgroupfs", Note: "root's containers get cgroup v1 directories of their own, /sys/fs/cgroup/CONTROLLER/urun/urun-ID, with their limits (users' containers get none on this host)"}
	}
	if version == "v1 (hybrid)" {
		return Cgroups{Version: "v1 (hybrid)", Manager: "none", Note: "cgroup v2 is mounted only at /sys/fs/cgroup/unified beside v1 controllers: rootless limits need a pure cgroup v2 host with systemd delegation"}
	}
	return Cgroups{Version: "v1", Manager: "none", Note: "rootless limits need cgroup v2 with systemd delegation"}
}

func ranges(rs []idmap.Range) string {
	if len(rs) == 0 {
		return "none"
	}
	var parts []string
	for _, r := range rs {
		parts = append(parts, fmt.Sprintf("%d-%d (%d ids)", r.Start, uint64(r.Start)+uint64(r.Count)-1, r.Count))
	}
	return strings.Join(parts, ", ")
}

func orMissing(path, pkg string) string {
	if path == "" {
		return "not installed (package " + pkg + ")"
	}
	return path
}
