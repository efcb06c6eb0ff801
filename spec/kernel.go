package spec

import (
	"fmt"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"

	units "github.com/docker/go-units"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// Kernel is what --ulimit, --shm-size, --sysctl, --group-add,
// --domainname, --oom-score-adj, --ipc, --pid and --uts ask for.
type Kernel struct {
	// Ulimits are --ulimit values, TYPE=SOFT[:HARD].
	Ulimits []string `json:"ulimits,omitempty"`
	// ShmSize is the size of /dev/shm in bytes; 0 for Docker's 64 MiB.
	ShmSize int64 `json:"shm_size,omitempty"`
	// Sysctls are --sysctl KEY=VALUE.
	Sysctls []string `json:"sysctls,omitempty"`
	// GroupAdd are groups (gids or names in the image's /etc/group) the
	// process is in besides its user's.
	GroupAdd   []string `json:"group_add,omitempty"`
	Domainname string   `json:"domainname,omitempty"`
	// OOMScoreAdj is --oom-score-adj when given.
	OOMScoreAdj *int `json:"oom_score_adj,omitempty"`
	// IPC, PID and UTS are the namespace modes: "" (private), "host",
	// "container:ID" (another container's, which must be running; given
	// as container:NAME, recorded with its id); IPC also "private" and
	// "shareable" (Docker's names of a namespace of its own; only a
	// shareable one can be joined) and "none" (one of its own without
	// /dev/shm).
	IPC string `json:"ipc,omitempty"`
	PID string `json:"pid,omitempty"`
	UTS string `json:"uts,omitempty"`
}

// GroupAddAnnotation records --group-add in the spec (comma-separated):
// names are resolved in the container's /etc/group when it starts, and
// `urun exec` gives the same groups.
const GroupAddAnnotation = "run.urun.group-add"

// DefaultShmSize is Docker's size of /dev/shm.
const DefaultShmSize = 64 << 20

// ipcSysctls are the prefixes of the IPC namespace's sysctls (kernel.shmmax,
// kernel.msg_next_id, kernel.sem, fs.mqueue.msg_max, ...).
var ipcSysctls = []string{"kernel.shm", "kernel.msg", "kernel.sem_", "fs.mqueue."}

// sysctlKey is what a key may hold: it becomes a path under /proc/sys.
// It is compiled on first use, so that no urun start pays for it.
var sysctlKey = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[a-zA-Z0-9_-]+(\.[a-zA-Z0-9_-]+)+$`) })

// ParseSysctl splits --sysctl KEY=VALUE and refuses a key that is not
// namespaced (it would change the host), as Docker does. hostNetwork and
// hostIPC refuse the keys of a namespace the container shares with the
// host.
func ParseSysctl(v string, hostNetwork, hostIPC bool) (key, value string, err error) {
	if err := checkText("--sysctl", v); err != nil {
		return "", "", err
	}
	key, value, ok := strings.Cut(v, "=")
	key = strings.TrimSpace(key)
	if !ok || !sysctlKey().MatchString(key) {
		return "", "", fmt.Errorf("--sysctl %q: want KEY=VALUE, such as net.ipv4.ip_forward=1", v)
	}
	switch {
	case strings.HasPrefix(key, "net."):
		if hostNetwork {
			return "", "", fmt.Errorf("--sysctl %q: net.* sysctls of the host's network cannot be set from a container (--network host); drop it or give the container a network of its own", v)
		}
	case isIPCSysctl(key):
		if hostIPC {
			return "", "", fmt.Errorf("--sysctl %q: the IPC namespace is the host's (--ipc host); drop it or leave --ipc out", v)
		}
	default:
		return "", "", fmt.Errorf("--sysctl %q: not a namespaced sysctl, so setting it would change the host: only net.*, kernel.shm*, kernel.msg*, kernel.sem and fs.mqueue.* can be set", v)
	}
	return key, value, nil
}

func isIPCSysctl(key string) bool {
	return key == "kernel.sem" || slices.ContainsFunc(ipcSysctls, func(prefix string) bool { return strings.HasPrefix(key, prefix) })
}

// rlimitTypes are the spec's names of --ulimit's types.
var rlimitTypes = map[string]int{
	"as": unix.RLIMIT_AS, "core": unix.RLIMIT_CORE, "cpu": unix.RLIMIT_CPU, "data": unix.RLIMIT_DATA,
	"fsize": unix.RLIMIT_FSIZE, "locks": unix.RLIMIT_LOCKS, "memlock": unix.RLIMIT_MEMLOCK,
	"msgqueue": unix.RLIMIT_MSGQUEUE, "nice": unix.RLIMIT_NICE, "nofile": unix.RLIMIT_NOFILE,
	"nproc": unix.RLIMIT_NPROC, "rss": unix.RLIMIT_RSS, "rtprio": unix.RLIMIT_RTPRIO,
	"rttime": unix.RLIMIT_RTTIME, "sigpending": unix.RLIMIT_SIGPENDING, "stack": unix.RLIMIT_STACK,
}

// RlimitNumber is the kernel's number of a spec rlimit type
// ("RLIMIT_NOFILE").
func RlimitNumber(typ string) (int, bool) {
	n, ok := rlimitTypes[strings.ToLower(strings.TrimPrefix(typ, "RLIMIT_"))]
	return n, ok
}

// ParseUlimit parses --ulimit TYPE=SOFT[:HARD] as Docker does (-1 is
// unlimited; a lone value is both limits). getLimit reads the caller's
// limits: an unprivileged user cannot raise a hard limit, so a value
// above the caller's hard limit is refused here rather than at start.
func ParseUlimit(v string, getLimit func(resource int) (unix.Rlimit, error)) (specs.POSIXRlimit, error) {
	if err := checkText("--ulimit", v); err != nil {
		return specs.POSIXRlimit{}, err
	}
	u, err := units.ParseUlimit(v)
	if err != nil {
		return specs.POSIXRlimit{}, fmt.Errorf("--ulimit %q: %v: want TYPE=SOFT[:HARD], such as nofile=1024:4096", v, err)
	}
	res, ok := rlimitTypes[u.Name]
	if !ok {
		return specs.POSIXRlimit{}, fmt.Errorf("--ulimit %q: unknown type %q", v, u.Name)
	}
	soft, hard := uint64(u.Soft), uint64(u.Hard)
	if u.Soft < 0 {
		soft = unix.RLIM_INFINITY
	}
	if u.Hard < 0 {
		hard = unix.RLIM_INFINITY
	}
	if soft > hard {
		return specs.POSIXRlimit{}, fmt.Errorf("--ulimit %q: the soft limit is above the hard limit: give SOFT:HARD with SOFT at most HARD", v)
	}
	if getLimit != nil {
		have, err := getLimit(res)
		if err == nil && hard > have.Max {
			return specs.POSIXRlimit{}, fmt.Errorf("--ulimit %q: the hard limit is above yours (%s): a rootless container cannot raise it; give at most %s", v, limitText(have.Max), limitText(have.Max))
		}
	}
	return specs.POSIXRlimit{Type: "RLIMIT_" + strings.ToUpper(u.Name), Soft: soft, Hard: hard}, nil
}

func limitText(n uint64) string {
	if n == unix.RLIM_INFINITY {
		return "unlimited"
	}
	return strconv.FormatUint(n, 10)
}

// CallerLimit reads one of the calling process's resource limits.
func CallerLimit(resource int) (unix.Rlimit, error) {
	var r unix.Rlimit
	err := unix.Getrlimit(resource, &r)
	return r, err
}

// ParseShmSize parses --shm-size: a positive size, bytes or with a unit
// (b, k, m, g), as Docker.
func ParseShmSize(v string) (int64, error) {
	n, err := units.RAMInBytes(v)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("--shm-size %q: want a size above 0, such as 64m or 1g", v)
	}
	return n, nil
}

// containerModePrefix starts a namespace mode that names another
// container: container:NAME.
const containerModePrefix = "container:"

// JoinedContainer is the container whose namespace mode joins (a --ipc,
// --pid or --uts container:NAME), or "".
func JoinedContainer(mode string) string {
	name, ok := strings.CutPrefix(mode, containerModePrefix)
	if !ok {
		return ""
	}
	return name
}

// ContainerMode is the mode that joins container ref's namespace.
func ContainerMode(ref string) string { return containerModePrefix + ref }

// JoinsContainer says whether k joins another container's IPC, PID or
// UTS namespace.
func (k Kernel) JoinsContainer() bool {
	return JoinedContainer(k.IPC) != "" || JoinedContainer(k.PID) != "" || JoinedContainer(k.UTS) != ""
}

// checkNamespaceMode refuses a mode of --ipc, --pid or --uts urun does
// not know.
func checkNamespaceMode(flag, mode string, extra ...string) error {
	if err := checkText(flag, mode); err != nil {
		return err
	}
	if mode == "" || mode == "host" || slices.Contains(extra, mode) {
		return nil
	}
	if strings.HasPrefix(mode, containerModePrefix) {
		if name := JoinedContainer(mode); name == "" || strings.ContainsAny(name, " /:") {
			return fmt.Errorf("%s %q: want container:NAME, the name or id of a running container", flag, mode)
		}
		return nil
	}
	want := append([]string{"host"}, extra...)
	return fmt.Errorf("%s %q: unknown mode: want %s or container:NAME", flag, mode, strings.Join(want, " or "))
}

// check refuses values of k that cannot work, before anything is made.
func (k Kernel) check(hostNetwork bool) error {
	if err := checkNamespaceMode("--ipc", k.IPC, "private", "shareable", "none"); err != nil {
		return err
	}
	if err := checkNamespaceMode("--pid", k.PID); err != nil {
		return err
	}
	if err := checkNamespaceMode("--uts", k.UTS); err != nil {
		return err
	}
	for _, v := range k.Sysctls {
		if _, _, err := ParseSysctl(v, hostNetwork, k.IPC == "host"); err != nil {
			return err
		}
		if key, _, _ := strings.Cut(v, "="); JoinedContainer(k.IPC) != "" && isIPCSysctl(strings.TrimSpace(key)) {
			return fmt.Errorf("--sysctl %q: the IPC namespace is container %s's (--ipc %s); drop it or set it there", v, JoinedContainer(k.IPC), k.IPC)
		}
	}
	for _, v := range k.Ulimits {
		if _, err := ParseUlimit(v, CallerLimit); err != nil {
			return err
		}
	}
	for _, g := range k.GroupAdd {
		if g == "" || strings.ContainsAny(g, ",: ") || checkText("--group-add", g) != nil {
			return fmt.Errorf("--group-add %q: give a group's name in the image's /etc/group or a numeric gid", g)
		}
	}
	if k.Domainname != "" {
		if err := checkText("--domainname", k.Domainname); err != nil {
			return err
		}
		if len(k.Domainname) > hostNameMax || strings.ContainsAny(k.Domainname, " /") {
			return fmt.Errorf("--domainname %q: give a domain name of at most %d letters, digits, '-' and '.'", k.Domainname, hostNameMax)
		}
		if k.UTS == "host" {
			return fmt.Errorf("--domainname %q with --uts host: the UTS namespace is the host's; drop one", k.Domainname)
		}
		if JoinedContainer(k.UTS) != "" {
			return fmt.Errorf("--domainname %q with --uts %s: the UTS namespace is that container's; drop one", k.Domainname, k.UTS)
		}
	}
	if k.OOMScoreAdj != nil {
		adj := *k.OOMScoreAdj
		if adj < -1000 || adj > 1000 {
			return fmt.Errorf("--oom-score-adj %d: want a number from -1000 to 1000", adj)
		}
		if own, err := ownOOMScoreAdj(); err == nil && adj < own {
			return fmt.Errorf("--oom-score-adj %d: below yours (%d): a rootless container can only raise it; give %d or more", adj, own, own)
		}
	}
	return nil
}

func ownOOMScoreAdj() (int, error) {
	data, err := os.ReadFile("/proc/self/oom_score_adj")
	if err != nil {
		return 0, err
	}
	return strconv.Atoi(strings.TrimSpace(string(data)))
}

// apply writes k into s, built with hostNetwork.
func (k Kernel) apply(s *specs.Spec, hostNetwork bool) {
	for _, v := range k.Ulimits {
		// Check has parsed them; the caller's limits are checked there.
		if r, err := ParseUlimit(v, nil); err == nil {
			s.Process.Rlimits = append(s.Process.Rlimits, r)
		}
	}
	sysctl := map[string]string{}
	// As Docker: a process that is not root may listen on any port of the
	// container's own network.
	if !hostNetwork {
		sysctl["net.ipv4.ip_unprivileged_port_start"] = "0"
	}
	for _, v := range k.Sysctls {
		if key, value, err := ParseSysctl(v, hostNetwork, k.IPC == "host"); err == nil {
			sysctl[key] = value
		}
	}
	if len(sysctl) > 0 {
		s.Linux.Sysctl = sysctl
	}
	if len(k.GroupAdd) > 0 {
		if s.Annotations == nil {
			s.Annotations = map[string]string{}
		}
		s.Annotations[GroupAddAnnotation] = strings.Join(k.GroupAdd, ",")
	}
	s.Domainname = k.Domainname
	s.Process.OOMScoreAdj = k.OOMScoreAdj
	for i, m := range s.Mounts {
		if m.Destination == "/dev/shm" && m.Type == "tmpfs" && m.Source == "shm" && k.ShmSize > 0 {
			opts := slices.DeleteFunc(slices.Clone(m.Options), func(o string) bool { return strings.HasPrefix(o, "size=") })
			s.Mounts[i].Options = append(opts, fmt.Sprintf("size=%dk", (k.ShmSize+1023)/1024))
		}
	}
	if k.PID == "host" {
		// A PID namespace the container does not own takes no procfs of
		// its own: it sees the host's.
		for i, m := range s.Mounts {
			if m.Destination == "/proc" {
				s.Mounts[i] = specs.Mount{Destination: "/proc", Type: "bind", Source: "/proc", Options: []string{"rbind", "nosuid", "noexec", "nodev"}}
			}
		}
	}
	if k.IPC == "none" || JoinedContainer(k.IPC) != "" {
		// As Docker: a namespace of its own with no /dev/shm. In another
		// container's, its /dev/shm is bound when the container starts
		// (package launch).
		s.Mounts = slices.DeleteFunc(s.Mounts, func(m specs.Mount) bool { return m.Destination == "/dev/shm" && m.Source == "shm" })
	}
	if k.IPC == "host" {
		// As Docker: the host's /dev/shm and POSIX message queues.
		var kept []specs.Mount
		for _, m := range s.Mounts {
			switch m.Destination {
			case "/dev/shm", "/dev/mqueue":
				if _, err := os.Stat(m.Destination); err != nil {
					continue
				}
				m = specs.Mount{Destination: m.Destination, Type: "bind", Source: m.Destination, Options: []string{"rbind", "nosuid", "noexec", "nodev"}}
			}
			kept = append(kept, m)
		}
		s.Mounts = kept
	}
}

// namespaceTypes are the namespaces a container gets of its own, given
// its modes.
func (k Kernel) namespaceTypes(hostNetwork bool) []specs.LinuxNamespace {
	ns := []specs.LinuxNamespace{{Type: specs.UserNamespace}, {Type: specs.MountNamespace}}
	// One shared with the host or another container is not its own.
	if k.PID != "host" && JoinedContainer(k.PID) == "" {
		ns = append(ns, specs.LinuxNamespace{Type: specs.PIDNamespace})
	}
	if k.UTS != "host" && JoinedContainer(k.UTS) == "" {
		ns = append(ns, specs.LinuxNamespace{Type: specs.UTSNamespace})
	}
	if k.IPC != "host" && JoinedContainer(k.IPC) == "" {
		ns = append(ns, specs.LinuxNamespace{Type: specs.IPCNamespace})
	}
	if !hostNetwork {
		ns = append(ns, specs.LinuxNamespace{Type: specs.NetworkNamespace})
	}
	return ns
}

// HasNamespace says whether s gives the container a namespace of typ of
// its own. A spec without namespaces (kept by an older urun) has all.
func HasNamespace(s *specs.Spec, typ specs.LinuxNamespaceType) bool {
	if s.Linux == nil || len(s.Linux.Namespaces) == 0 {
		return true
	}
	return slices.ContainsFunc(s.Linux.Namespaces, func(n specs.LinuxNamespace) bool { return n.Type == typ })
}
