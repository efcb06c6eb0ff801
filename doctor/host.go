package doctor

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/urun/urun/cgroupv2"
)

// networkHelper is the program the default network needs ("" for none,
// host and container:NAME): urun's networks reach out through
// slirp4netns too.
func networkHelper(mode string) string {
	kind, _, _ := strings.Cut(mode, ":")
	switch kind {
	case "none", "host", "container":
		return ""
	case "pasta":
		return "pasta"
	}
	return "slirp4netns"
}

var helperPackage = map[string]string{"slirp4netns": "slirp4netns", "pasta": "passt"}

func checkNetwork(h *Host) Result {
	r := Result{Name: "network"}
	mode := "slirp4netns"
	if h.Config != nil && h.Config.Network != "" {
		mode = h.Config.Network
	}
	need := networkHelper(mode)
	var found []string
	for _, name := range []string{"slirp4netns", "pasta"} {
		if p, err := h.LookPath(name); err == nil {
			found = append(found, p)
		} else {
			found = append(found, name+" not installed")
		}
	}
	tunErr := h.OpenRW(h.path("/dev/net/tun"))
	tun := "/dev/net/tun opens read-write"
	if tunErr != nil {
		tun = "/dev/net/tun: " + tunErr.Error()
	}
	r.Message = "default network " + mode + "; " + strings.Join(found, ", ") + "; " + tun
	r.Status = OK
	if need == "" {
		return r
	}
	if _, err := h.LookPath(need); err != nil {
		r.Status = Problem
		r.Message = fmt.Sprintf("the default network %s needs %s, which is not in PATH; %s", mode, need, tun)
		r.Fix = fmt.Sprintf("sudo apt-get install %s  # Fedora, RHEL: sudo dnf install %s", helperPackage[need], helperPackage[need])
		return r
	}
	if tunErr != nil {
		r.Status = Problem
		r.Message = fmt.Sprintf("the default network %s needs /dev/net/tun: %v", mode, tunErr)
		r.Fix = "sudo chmod 0666 /dev/net/tun"
		if !h.exists("/dev/net/tun") {
			r.Fix = "sudo modprobe tun"
		}
	}
	return r
}

func checkPorts(h *Host) Result {
	r := Result{Name: "ports", Status: OK}
	start := 1024
	if v, ok := h.readTrimmed("/proc/sys/net/ipv4/ip_unprivileged_port_start"); ok {
		if n, err := strconv.Atoi(v); err == nil {
			start = n
		}
	}
	switch {
	case h.IsRoot:
		r.Message = "root may publish any host port"
	case start <= 0:
		r.Message = "any host port can be published (net.ipv4.ip_unprivileged_port_start = 0)"
	default:
		r.Message = fmt.Sprintf("host ports from %d up can be published (net.ipv4.ip_unprivileged_port_start = %d); for lower ones: sudo sysctl -w net.ipv4.ip_unprivileged_port_start=80",
			start, start)
	}
	return r
}

func checkPing(h *Host) Result {
	r := Result{Name: "ping", Status: OK}
	v, ok := h.readTrimmed("/proc/sys/net/ipv4/ping_group_range")
	if h.IsRoot {
		r.Message = "root may ping"
		return r
	}
	if !ok {
		r.Message = "net.ipv4.ping_group_range unreadable"
		return r
	}
	var lo, hi uint64
	if _, err := fmt.Sscan(v, &lo, &hi); err == nil && uint64(h.Caller.GID) >= lo && uint64(h.Caller.GID) <= hi {
		r.Message = "net.ipv4.ping_group_range (" + v + ") holds your gid: ping works in containers with --network host too"
		return r
	}
	r.Message = fmt.Sprintf("net.ipv4.ping_group_range (%s) leaves out your gid %d: ping in a container with --network host fails; to allow it: sudo sysctl -w net.ipv4.ping_group_range='0 2147483647'",
		strings.Join(strings.Fields(v), " "), h.Caller.GID)
	return r
}

// containerControllers are the controllers Docker's limit flags need.
var containerControllers = []string{"cpu", "memory", "pids", "io"}

// missingControllers are those of containerControllers that dir's
// cgroup.controllers does not list.
func (h *Host) missingControllers(dir string) ([]string, error) {
	data, err := os.ReadFile(h.path(filepath.Join(dir, "cgroup.controllers")))
	if err != nil {
		return nil, err
	}
	have := strings.Fields(string(data))
	var missing []string
	for _, c := range containerControllers {
		if !slices.Contains(have, c) {
			missing = append(missing, c)
		}
	}
	return missing, nil
}

// userManagerDir is the cgroup of the caller's systemd user manager, in
// which it makes containers' scopes.
func (h *Host) userManagerDir() string {
	uid := strconv.Itoa(int(h.Caller.UID))
	return filepath.Join(cgroupv2.Root, "user.slice", "user-"+uid+".slice", "user@"+uid+".service")
}

// delegateFix has systemd give users' managers every controller.
const delegateFix = `sudo mkdir -p /etc/systemd/system/user@.service.d && printf '[Service]\nDelegate=cpu cpuset io memory pids\n' | sudo tee /etc/systemd/system/user@.service.d/delegate.conf && sudo systemctl daemon-reload`

const unifiedFix = `sudo sed -i 's/^GRUB_CMDLINE_LINUX="/&systemd.unified_cgroup_hierarchy=1 /' /etc/default/grub && sudo update-grub && sudo reboot`

func checkCgroups(h *Host) Result {
	r := Result{Name: "cgroups"}
	c := h.Cgroup
	if h.CgroupErr != nil && c.Mode != cgroupv2.Unified {
		r.Status, r.Message = Warning, "cgroups: "+h.CgroupErr.Error()+": containers get no cgroup of their own, and limit flags (--memory, --cpus, --pids-limit) are refused"
		return r
	}
	if c.Mode != cgroupv2.Unified && h.IsRoot && h.RootV1 == nil {
		r.Status = OK
		r.Message = "this host has " + c.Mode.String() + ": root's containers get cgroup v1 directories (/sys/fs/cgroup/CONTROLLER/urun/urun-ID) with their limits; users' containers get none"
		return r
	}
	if c.Mode != cgroupv2.Unified {
		r.Status = Warning
		r.Message = "this host has " + c.Mode.String() + ": containers get no cgroup of their own, and limit flags (--memory, --cpus, --pids-limit) are refused"
		if h.IsRoot && h.RootV1 != nil {
			r.Message = "this host has " + c.Mode.String() + ", and root's cgroup v1 manager cannot work (" + h.RootV1.Error() + "): containers get no cgroup of their own, and limit flags (--memory, --cpus, --pids-limit) are refused"
		}
		r.Fix = unifiedFix
		return r
	}
	var where, dir, fix string
	switch {
	case h.IsRoot:
		where, dir = "root manages cgroups directly", cgroupv2.Root
		fix = "echo '+cpu +memory +pids +io' | sudo tee " + cgroupv2.Root + "/cgroup.subtree_control"
	case c.Delegated:
		where, dir = "your cgroup "+c.OwnDir+" is delegated to you: containers get cgroups below it", c.OwnDir
		fix = "ask whoever made " + c.OwnDir + " (a unit with Delegate=yes, Slurm's cgroup/v2) to delegate the controllers; on a systemd host: " + delegateFix
	case c.Bus != "" && h.Trials.SystemdBus == nil:
		where, dir = "your systemd user manager gives each container a delegated scope", h.userManagerDir()
		fix = delegateFix
	default:
		r.Status = Warning
		r.Message = "cgroup v2, but your cgroup " + c.OwnDir + " is not delegated to you and no systemd user manager answers (see systemd): containers get no cgroup of their own, and limit flags are refused"
		if h.hasSystemd() {
			r.Fix = "sudo loginctl enable-linger " + h.Caller.Name
		}
		return r
	}
	r.Status, r.Message = OK, "cgroup v2; "+where
	missing, err := h.missingControllers(dir)
	switch {
	case err != nil:
		r.Status, r.Message = Warning, r.Message+"; its controllers are unknown: "+err.Error()
	case len(missing) > 0:
		r.Status = Warning
		r.Message += fmt.Sprintf("; without the controllers %s there (%s/cgroup.controllers), their limits are refused", strings.Join(missing, ", "), dir)
		r.Fix = fix
	default:
		r.Message += " (controllers " + strings.Join(containerControllers, ", ") + ")"
	}
	return r
}

// hasSystemd: systemd is the host's init.
func (h *Host) hasSystemd() bool { return h.exists("/run/systemd/system") }

func checkSystemd(h *Host) Result {
	r := Result{Name: "systemd"}
	t, c := h.Trials, h.Cgroup
	switch {
	case h.IsRoot:
		r.Status, r.Message = Skipped, "root: urun needs no systemd user manager"
	case !h.hasSystemd():
		r.Status, r.Message = Skipped, "systemd is not this host's init: no systemd cgroup manager (cgroupfs where a cgroup is delegated)"
	case t.SystemdTried && t.SystemdBus == nil:
		r.Status, r.Message = OK, "your user manager answers at "+c.Bus
		if t.SystemdVersion != "" {
			r.Message += " (systemd " + t.SystemdVersion + ")"
		}
	case c.Delegated:
		r.Status, r.Message = OK, "no user manager answers, none needed: your cgroup is delegated to you"
	default:
		r.Status = Warning
		uid := strconv.Itoa(int(h.Caller.UID))
		if c.Bus == "" {
			r.Message = "no user bus (DBUS_SESSION_BUS_ADDRESS unset, no $XDG_RUNTIME_DIR/bus): urun cannot ask systemd for containers' cgroups"
		} else {
			r.Message = "your user manager at " + c.Bus + " does not answer: " + fmt.Sprint(t.SystemdBus)
		}
		sock := "/run/user/" + uid + "/bus"
		if h.exists(sock) && h.Getenv("XDG_RUNTIME_DIR") == "" {
			r.Message += "; it runs, at " + sock
			r.Fix = "export XDG_RUNTIME_DIR=/run/user/" + uid
		} else {
			r.Fix = "sudo loginctl enable-linger " + h.Caller.Name
		}
	}
	return r
}

func checkLinger(h *Host) Result {
	r := Result{Name: "linger"}
	switch {
	case h.IsRoot:
		r.Status, r.Message = Skipped, "root: the system manager does not end with a session"
	case !h.hasSystemd():
		r.Status, r.Message = Skipped, "systemd is not this host's init"
	case h.exists(filepath.Join("/var/lib/systemd/linger", h.Caller.Name)):
		r.Status, r.Message = OK, "lingering is on: your user manager, and the containers in its scopes, outlive your sessions"
	default:
		r.Status = Warning
		r.Message = "lingering is off: when your last session ends, systemd stops your user manager, and with it the containers in its scopes"
		r.Fix = "sudo loginctl enable-linger " + h.Caller.Name
	}
	return r
}
