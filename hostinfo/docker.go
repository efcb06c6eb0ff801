package hostinfo

import (
	"crypto/sha256"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"

	units "github.com/docker/go-units"
	"golang.org/x/sys/unix"

	"github.com/urun/urun/config"
	"github.com/urun/urun/containers"
	"github.com/urun/urun/image/local"
)

// Docker are the keys of `docker info`'s document that scripts read
// ({{.KernelVersion}}, {{json .SecurityOptions}}), with Docker's names
// and meaning; Info embeds them beside urun's own sections.
type Docker struct {
	ID                string
	Containers        int
	ContainersRunning int
	ContainersPaused  int
	ContainersStopped int
	Images            int
	Driver            string
	DriverStatus      [][2]string
	// What the host's cgroups give a container (all false on a v1 or
	// hybrid host, where urun sets no limits, but for root).
	MemoryLimit     bool
	SwapLimit       bool
	CPUCfsPeriod    bool `json:"CpuCfsPeriod"`
	CPUCfsQuota     bool `json:"CpuCfsQuota"`
	CPUShares       bool
	CPUSet          bool
	PidsLimit       bool
	LoggingDriver   string
	CgroupDriver    string
	CgroupVersion   string
	KernelVersion   string
	OperatingSystem string
	OSVersion       string
	OSType          string
	Architecture    string
	NCPU            int
	MemTotal        int64
	Name            string
	DockerRootDir   string
	ServerVersion   string
	Runtimes        map[string]Runtime
	DefaultRuntime  string
	SecurityOptions []string
	Warnings        []string
	ClientInfo      ClientInfo
}

// Runtime is an OCI runtime Docker knows; urun is its own.
type Runtime struct {
	Path string `json:"path"`
}

// ClientInfo is the Client: section of `docker info`.
type ClientInfo struct {
	Version string
	Context string
	Debug   bool
}

// collectDocker fills d; the cgroup and rootfs sections must be filled
// first.
func (i *Info) collectDocker(cfg *config.Config, self string) {
	d := &i.Docker
	d.ServerVersion, d.OSType, d.Driver = i.Version, "linux", i.Store.StorageDriver
	d.ClientInfo = ClientInfo{Version: i.Version, Context: "default"}
	d.DriverStatus = [][2]string{{"Rootfs Driver", i.Rootfs.Chosen}, {"Graph Root", cfg.GraphRoot}}
	d.KernelVersion, d.Architecture = i.Host.Kernel, machine()
	d.OperatingSystem, d.OSVersion = i.Host.OS, osRelease("VERSION_ID")
	d.NCPU = runtime.NumCPU()
	var si unix.Sysinfo_t
	if unix.Sysinfo(&si) == nil {
		d.MemTotal = int64(si.Totalram) * int64(si.Unit)
	}
	d.Name, _ = os.Hostname()
	d.DockerRootDir = cfg.GraphRoot
	d.ID = engineID(cfg.GraphRoot)
	d.LoggingDriver = "k8s-file"
	d.CgroupDriver, d.CgroupVersion = i.Cgroups.Manager, "1"
	if i.Cgroups.Version == "v2" {
		d.CgroupVersion = "2"
		d.MemoryLimit, d.SwapLimit, d.CPUCfsPeriod, d.CPUCfsQuota, d.CPUShares, d.CPUSet, d.PidsLimit = true, true, true, true, true, true, true
	}
	// Root on a v1 host: the v1 manager.
	v1Limits := i.Cgroups.Version != "v2" && i.Cgroups.Manager == "cgroupfs"
	if v1Limits {
		_, err := os.Stat("/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes")
		d.MemoryLimit, d.SwapLimit, d.CPUCfsPeriod, d.CPUCfsQuota, d.CPUShares, d.CPUSet, d.PidsLimit = true, err == nil, true, true, true, true, true
	}
	d.Runtimes = map[string]Runtime{"urun": {Path: self}}
	d.DefaultRuntime = "urun"
	d.SecurityOptions = []string{"name=seccomp,profile=builtin", "name=rootless"}
	if i.Cgroups.Version == "v2" {
		d.SecurityOptions = append(d.SecurityOptions, "name=cgroupns")
	}
	if i.Cgroups.Version != "v2" && !v1Limits {
		d.Warnings = append(d.Warnings, "WARNING: No resource limits: "+i.Cgroups.Note)
	}
	if i.User.Problem != "" {
		d.Warnings = append(d.Warnings, "WARNING: "+i.User.Problem)
	}
	if list, err := containers.List(cfg); err == nil {
		for _, c := range list {
			d.Containers++
			switch c.StateName() {
			case "running", "restarting":
				d.ContainersRunning++
			case "paused":
				d.ContainersPaused++
			default:
				d.ContainersStopped++
			}
		}
	}
	if ids, err := local.IDs(cfg.GraphRoot); err == nil {
		d.Images = len(ids)
	}
}

// machine is the kernel's name of the architecture (x86_64), as Docker
// shows it; GOARCH is in Host.Arch.
func machine() string {
	var uts unix.Utsname
	if unix.Uname(&uts) != nil {
		return runtime.GOARCH
	}
	return unix.ByteSliceToString(uts.Machine[:])
}

func osRelease(key string) string {
	data, err := os.ReadFile("/etc/os-release")
	if err != nil {
		return ""
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, key+"="); ok {
			return strings.Trim(v, `"`)
		}
	}
	return ""
}

// engineID is a stable id of this store on this machine, in the form of
// Docker's engine id, derived rather than written so that `urun info`
// writes nothing.
func engineID(graphRoot string) string {
	machineID, _ := os.ReadFile("/etc/machine-id")
	sum := sha256.Sum256([]byte(strings.TrimSpace(string(machineID)) + "\x00" + graphRoot))
	h := fmt.Sprintf("%x", sum[:16])
	return strings.ToUpper(h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32])
}

// PrintDocker writes info as `docker info` lays it out, with urun's own
// explanations (subordinate ids, the rootfs driver, cgroups) where they
// belong; its warnings go to errW, as Docker's.
func PrintDocker(w, errW io.Writer, i Info) {
	d := i.Docker
	yes := func(ok bool, problem string) string {
		if ok {
			return "yes"
		}
		return "no: " + problem
	}
	p := func(format string, a ...any) { fmt.Fprintf(w, format+"\n", a...) }
	p("Client:")
	p(" Version:    %s", d.ClientInfo.Version)
	p(" Context:    %s", d.ClientInfo.Context)
	p(" Debug Mode: %t", d.ClientInfo.Debug)
	p("")
	p("Server:")
	p(" Containers: %d", d.Containers)
	p("  Running: %d", d.ContainersRunning)
	p("  Paused: %d", d.ContainersPaused)
	p("  Stopped: %d", d.ContainersStopped)
	p(" Images: %d", d.Images)
	p(" Server Version: %s", d.ServerVersion)
	p(" Storage Driver: %s", d.Driver)
	p("  Rootfs Driver: %s (configured: %s)", i.Rootfs.Chosen, i.Rootfs.Configured)
	p("   Why: %s", i.Rootfs.Why)
	p("  fuse-overlayfs: %s", orMissing(i.Rootfs.FuseOverlayfs, "fuse-overlayfs"))
	p(" Logging Driver: %s", d.LoggingDriver)
	p(" Cgroup Driver: %s", d.CgroupDriver)
	p(" Cgroup Version: %s", d.CgroupVersion)
	p("  Cgroups: %s", i.Cgroups.Version)
	if i.Cgroups.Note != "" {
		p("  Note: %s", i.Cgroups.Note)
	}
	p(" Security Options:")
	for _, o := range d.SecurityOptions {
		name, rest, _ := strings.Cut(strings.TrimPrefix(o, "name="), ",")
		p("  %s", name)
		if profile, ok := strings.CutPrefix(rest, "profile="); ok {
			p("   Profile: %s", profile)
		}
	}
	p(" Runtimes: urun")
	p(" Default Runtime: %s", d.DefaultRuntime)
	p(" Kernel Version: %s", d.KernelVersion)
	p(" Operating System: %s", d.OperatingSystem)
	p(" OSType: %s", d.OSType)
	p(" Architecture: %s", d.Architecture)
	p(" CPUs: %d", d.NCPU)
	p(" Total Memory: %s", units.BytesSize(float64(d.MemTotal)))
	p(" Name: %s", d.Name)
	p(" ID: %s", d.ID)
	p(" Docker Root Dir: %s", d.DockerRootDir)
	p(" Run Root: %s", i.Store.RunRoot)
	if len(i.Store.AdditionalImageStores) > 0 {
		p(" Additional Image Stores (read-only, shared):")
		for _, s := range i.Store.AdditionalImageStores {
			if s.Problem != "" {
				p("  %s: %s", s.Path, s.Problem)
				continue
			}
			p("  %s: %s", s.Path, plural(s.Images, "image"))
		}
	}
	p(" Config File: %s", i.Store.ConfigFile)
	p(" User: %s (uid %d, gid %d)", i.User.Name, i.User.UID, i.User.GID)
	p("  Subuid Ranges: %s", ranges(i.User.SubUIDs))
	p("  Subgid Ranges: %s", ranges(i.User.SubGIDs))
	if i.User.Problem != "" {
		p("  Problem: %s", i.User.Problem)
	}
	p("  newuidmap: %s", orMissing(i.User.NewUIDMap, "uidmap"))
	p("  newgidmap: %s", orMissing(i.User.NewGIDMap, "uidmap"))
	p(" Probe (tried in a user namespace):")
	p("  User Namespaces: %s", yes(i.Probe.UserNamespace, i.Probe.UserNamespaceProblem))
	p("  Overlay In A User Namespace: %s", yes(i.Probe.NativeOverlay, i.Probe.NativeOverlayProblem))
	p("  FUSE: %s", yes(i.Probe.Fuse, i.Probe.FuseProblem))
	p(" Network:")
	p("  Default: %s", i.Network.Default)
	p("  slirp4netns: %s", orMissing(i.Network.Slirp4netns, "slirp4netns"))
	p("  pasta: %s", orMissing(i.Network.Pasta, "passt"))
	for _, warning := range d.Warnings {
		fmt.Fprintln(errW, warning)
	}
}

// plural is "1 image", "2 images".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
