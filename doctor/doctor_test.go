package doctor

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"

	"github.com/urun/urun/cgroupv2"
)

// seen is what a user reads of one check: its status, and words of its
// message and of its fix.
type seen struct {
	status  Status
	message []string
	fix     []string
	noFix   bool
}

func (s seen) assert(t *testing.T, r Result) {
	t.Helper()
	assert.Equal(t, s.status, r.Status, "status; message: %s", r.Message)
	for _, m := range s.message {
		assert.Contains(t, r.Message, m)
	}
	for _, f := range s.fix {
		assert.Contains(t, r.Fix, f)
	}
	if s.noFix {
		assert.Empty(t, r.Fix)
	}
}

type checkCase struct {
	name  string
	setup func(f *fake, h *Host)
	want  seen
}

func runCases(t *testing.T, c check, cases []checkCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(t)
			h := f.host()
			if tc.setup != nil {
				tc.setup(f, h)
			}
			tc.want.assert(t, c(h))
		})
	}
}

func TestSubordinateIDs(t *testing.T) {
	runCases(t, checkSubIDs, []checkCase{
		{"a user with ranges sees them", nil,
			seen{status: OK, message: []string{"uids 100000-165535", "gids 100000-165535"}, noFix: true}},
		{"a user without a line is told of the single-id namespace and given a usermod line past every other user's block", func(f *fake, h *Host) {
			f.write("/etc/subuid", "bob:100000:65536\ncarol:165536:65536\n")
			f.write("/etc/subgid", "bob:100000:65536\ndave:231072:65536\n")
		}, seen{status: Warning, message: []string{"single-id user namespace", "/etc/subuid and /etc/subgid"},
			fix: []string{"sudo usermod --add-subuids 296608-362143 --add-subgids 296608-362143 alice"}}},
		// getsubids (not installed, or finding no range) fails: the ranges
		// cannot be had, and urun cannot map containers as it would.
		{"a user whose ids come from a directory service is told to add them there", func(f *fake, h *Host) {
			f.write("/etc/nsswitch.conf", "passwd: files sss\nsubid: sss\n")
			h.Caller.Name = "nosuchuser-urun-doctor-test"
		}, seen{status: Problem, message: []string{"getsubids", "from sss"}, fix: []string{"in sss", "ipa subid-generate --owner nosuchuser-urun-doctor-test"}}},
		{"a user with only subuid is told subgid lacks the line", func(f *fake, h *Host) {
			f.write("/etc/subgid", "")
		}, seen{status: Warning, message: []string{"in /etc/subgid:"}, fix: []string{"usermod"}}},
		{"a user whose line is by uid sees the ranges", func(f *fake, h *Host) {
			f.write("/etc/subuid", "1000:200000:65536\n")
			f.write("/etc/subgid", "1000:200000:65536\n")
		}, seen{status: OK, message: []string{"uids 200000-265535"}}},
		{"a user with too few ids is warned", func(f *fake, h *Host) {
			f.write("/etc/subuid", "alice:100000:1000\n")
		}, seen{status: Warning, message: []string{"only 1000 ids"}, fix: []string{"usermod"}}},
		{"a malformed line of the user is a problem", func(f *fake, h *Host) {
			f.write("/etc/subuid", "alice:100000:lots\n")
		}, seen{status: Problem, message: []string{"alice:100000:lots"}}},
		{"root skips it", func(f *fake, h *Host) { h.IsRoot = true },
			seen{status: Skipped, message: []string{"root"}}},
	})
}

func TestNewuidmap(t *testing.T) {
	runCases(t, checkNewuidmap, []checkCase{
		{"setuid root is ok and the trial's mapping is reported", nil,
			seen{status: OK, message: []string{"/usr/bin/newuidmap (setuid root)", "mapped a trial namespace"}}},
		{"file capabilities are ok", func(f *fake, h *Host) {
			f.owners["/usr/bin/newuidmap"] = [2]uint32{unix.S_IFREG | 0o755, 0}
			f.xattrs["/usr/bin/newuidmap"] = capXattr(1<<capSetuid, true)
		}, seen{status: OK, message: []string{"cap_setuid+ep"}}},
		{"a capability without the effective flag is a problem", func(f *fake, h *Host) {
			f.owners["/usr/bin/newuidmap"] = [2]uint32{unix.S_IFREG | 0o755, 0}
			f.xattrs["/usr/bin/newuidmap"] = capXattr(1<<capSetuid, false)
		}, seen{status: Problem, message: []string{"neither setuid root nor"}, fix: []string{"sudo chmod u+s /usr/bin/newuidmap", "setcap cap_setuid+ep"}}},
		{"cap_setgid alone does not do for newuidmap", func(f *fake, h *Host) {
			f.owners["/usr/bin/newuidmap"] = [2]uint32{unix.S_IFREG | 0o755, 0}
			f.xattrs["/usr/bin/newuidmap"] = capXattr(1<<capSetgid, true)
		}, seen{status: Problem, fix: []string{"chmod u+s"}}},
		{"setuid but not owned by root is a problem", func(f *fake, h *Host) {
			f.owners["/usr/bin/newuidmap"] = [2]uint32{unix.S_IFREG | unix.S_ISUID | 0o755, 1000}
		}, seen{status: Problem, fix: []string{"sudo chown root:root /usr/bin/newuidmap && sudo chmod u+s /usr/bin/newuidmap"}}},
		{"a nosuid mount is a problem", func(f *fake, h *Host) {
			f.flags["/usr"] = unix.ST_NOSUID
		}, seen{status: Problem, message: []string{"nosuid"}}},
		{"missing with ranges is a problem", func(f *fake, h *Host) {
			delete(f.programs, "newuidmap")
			f.remove("/usr/bin/newuidmap")
		}, seen{status: Problem, message: []string{"not found"}, fix: []string{"apt-get install uidmap"}}},
		{"found outside PATH in /usr/sbin", func(f *fake, h *Host) {
			delete(f.programs, "newuidmap")
			f.remove("/usr/bin/newuidmap")
			f.write("/usr/sbin/newuidmap", "")
			f.owners["/usr/sbin/newuidmap"] = [2]uint32{unix.S_IFREG | unix.S_ISUID | 0o755, 0}
		}, seen{status: OK, message: []string{"/usr/sbin/newuidmap"}}},
		{"missing without ranges only warns", func(f *fake, h *Host) {
			delete(f.programs, "newuidmap")
			f.remove("/usr/bin/newuidmap")
			f.write("/etc/subuid", "")
			h.Trials.MappingTried = false
		}, seen{status: Warning, message: []string{"needed once you have subordinate ids"}, fix: []string{"apt-get install uidmap"}}},
		{"a failed mapping trial naming it is a problem", func(f *fake, h *Host) {
			h.Trials.Mapping = fmt.Errorf("write the user namespace's id maps: newuidmap 42 0 1000 1 1 100000 65536: exit status 1: newuidmap: write to uid_map failed")
		}, seen{status: Problem, message: []string{"failed to map", "write to uid_map failed"}}},
		{"root skips it", func(f *fake, h *Host) { h.IsRoot = true }, seen{status: Skipped}},
	})
}

func TestNewgidmapIsCheckedForItsOwnCapability(t *testing.T) {
	runCases(t, checkNewgidmap, []checkCase{
		{"cap_setgid is ok", func(f *fake, h *Host) {
			f.owners["/usr/bin/newgidmap"] = [2]uint32{unix.S_IFREG | 0o755, 0}
			f.xattrs["/usr/bin/newgidmap"] = capXattr(1<<capSetgid, true)
		}, seen{status: OK, message: []string{"cap_setgid+ep"}}},
		{"a failed trial of newuidmap is not newgidmap's", func(f *fake, h *Host) {
			h.Trials.Mapping = fmt.Errorf("newuidmap 42 0 1000 1: exit status 1")
		}, seen{status: OK}},
	})
}

func TestUserNamespaces(t *testing.T) {
	runCases(t, checkUserNS, []checkCase{
		{"allowed and tried", nil, seen{status: OK, message: []string{"63000", "created one"}}},
		{"limited to zero is a problem with the sysctl", func(f *fake, h *Host) {
			f.write("/proc/sys/user/max_user_namespaces", "0\n")
		}, seen{status: Problem, fix: []string{"sudo sysctl -w user.max_user_namespaces=28633", "/etc/sysctl.d/"}}},
		{"Debian's old switch off is a problem with the sysctl", func(f *fake, h *Host) {
			f.write("/proc/sys/kernel/unprivileged_userns_clone", "0\n")
		}, seen{status: Problem, fix: []string{"sudo sysctl -w kernel.unprivileged_userns_clone=1"}}},
		{"a refused trial is a problem naming why", func(f *fake, h *Host) {
			h.Trials.UserNS = fmt.Errorf("clone(CLONE_NEWUSER): %w", unix.EPERM)
		}, seen{status: Problem, message: []string{"operation not permitted", "seccomp"}}},
		{"root skips it", func(f *fake, h *Host) { h.IsRoot = true }, seen{status: Skipped}},
	})
}

func TestAppArmorRestriction(t *testing.T) {
	runCases(t, checkAppArmor, []checkCase{
		{"no such sysctl", nil, seen{status: OK, noFix: true}},
		{"switched off", func(f *fake, h *Host) {
			f.write("/proc/sys/kernel/apparmor_restrict_unprivileged_userns", "0\n")
		}, seen{status: OK}},
		{"restricting, and the trial could not mount: a profile for urun's programs", func(f *fake, h *Host) {
			f.write("/proc/sys/kernel/apparmor_restrict_unprivileged_userns", "1\n")
			h.Self = "/opt/urun/bin/urun"
			h.Trials.Overlay = fmt.Errorf("mount overlay with userxattr: %w", unix.EPERM)
		}, seen{status: Problem, message: []string{"kernel.apparmor_restrict_unprivileged_userns=0"},
			fix: []string{"profile urun /opt/urun/bin/urun{,-init,-image,-netholder}", "userns,", "apparmor_parser -r /etc/apparmor.d/urun"}}},
		{"restricting, but a profile lets urun mount", func(f *fake, h *Host) {
			f.write("/proc/sys/kernel/apparmor_restrict_unprivileged_userns", "1\n")
		}, seen{status: OK, message: []string{"a profile allows urun"}}},
	})
}

func TestStoreFileSystem(t *testing.T) {
	unfit := map[string]uint32{
		"NFS": 0x6969, "Lustre": 0x0BD00BD0, "GPFS": 0x47504653, "BeeGFS": 0x19830326,
		"CIFS": 0xFF534D42, "SMB2": 0xFE534D42, "CephFS": 0x00C36400, "FUSE": 0x65735546,
	}
	var cases []checkCase
	for name, magic := range unfit {
		cases = append(cases, checkCase{"a store on " + name + " is a problem with a local root in urun.conf", func(f *fake, h *Host) {
			f.fsType["/home"] = magic
		}, seen{status: Problem, message: []string{name, "local disk"},
			fix: []string{`root = "/var/tmp/urun-1000/storage"`, ">> /home/alice/.config/urun/urun.conf", "mkdir -p /var/tmp/urun-1000/storage"}}})
	}
	for name, magic := range map[string]uint32{"ext4": 0xEF53, "XFS": 0x58465342, "tmpfs": 0x01021994, "Btrfs": 0x9123683E} {
		cases = append(cases, checkCase{"a store on " + name + " is fine", func(f *fake, h *Host) {
			f.fsType["/home"] = magic
		}, seen{status: OK, message: []string{name}}})
	}
	cases = append(cases,
		checkCase{"a store not made yet is judged by its parent", func(f *fake, h *Host) {
			h.Config.GraphRoot += "/not/yet"
			f.fsType["/home"] = 0x6969
		}, seen{status: Problem, message: []string{"NFS"}}},
		checkCase{"an unknown file system is named by number", func(f *fake, h *Host) {
			f.fsType["/home"] = 0x12345678
		}, seen{status: OK, message: []string{"0x12345678"}}},
	)
	runCases(t, checkStoreFS, cases)
}

func TestDiskSpace(t *testing.T) {
	runCases(t, checkDiskSpace, []checkCase{
		{"plenty", nil, seen{status: OK, message: []string{"store 50GiB free", "run root"}, noFix: true}},
		{"a nearly full store warns", func(f *fake, h *Host) { f.free["/home"] = 500 << 20 },
			seen{status: Warning, message: []string{"(little)"}, fix: []string{"urun system prune -a"}}},
		{"a full store is a problem", func(f *fake, h *Host) { f.free["/home"] = 10 << 20 },
			seen{status: Problem, message: []string{"too little"}}},
		{"no free inodes is a problem", func(f *fake, h *Host) { f.inodes["/home"] = [2]uint64{1000, 0} },
			seen{status: Problem, message: []string{"no free inodes"}}},
	})
}

func TestOverlayAndFuse(t *testing.T) {
	runCases(t, checkOverlay, []checkCase{
		{"native overlay works", nil, seen{status: OK, message: []string{"native"}}},
		{"overlay fails but fuse-overlayfs works: a warning", func(f *fake, h *Host) {
			h.Trials.Overlay = fmt.Errorf("mount overlay with userxattr: %w", unix.EINVAL)
		}, seen{status: Warning, message: []string{"fuse-overlayfs instead"}}},
		{"neither works: a problem naming the package", func(f *fake, h *Host) {
			h.Trials.Overlay = fmt.Errorf("mount overlay with userxattr: %w", unix.EINVAL)
			delete(f.programs, "fuse-overlayfs")
		}, seen{status: Problem, message: []string{"cannot assemble"}, fix: []string{"apt-get install fuse-overlayfs"}}},
		{"no user namespace: not tried", func(f *fake, h *Host) { h.Trials.UserNS = unix.EPERM }, seen{status: Skipped}},
	})
	runCases(t, checkFuse, []checkCase{
		{"usable", nil, seen{status: OK, message: []string{"/usr/bin/fuse-overlayfs"}}},
		{"an unreadable /dev/fuse while native overlay works warns", func(f *fake, h *Host) {
			f.write("/dev/fuse", "")
			f.deviceErr["/dev/fuse"] = unix.EACCES
		}, seen{status: Warning, fix: []string{"sudo chmod 0666 /dev/fuse"}}},
		{"no /dev/fuse at all: load the module", func(f *fake, h *Host) {
			f.deviceErr["/dev/fuse"] = unix.ENOENT
		}, seen{status: Warning, fix: []string{"sudo modprobe fuse"}}},
		{"configured as the driver but missing is a problem", func(f *fake, h *Host) {
			h.Config.RootfsDriver = "fuse-overlayfs"
			delete(f.programs, "fuse-overlayfs")
		}, seen{status: Problem, fix: []string{"apt-get install fuse-overlayfs"}}},
	})
}

func TestNetwork(t *testing.T) {
	runCases(t, checkNetwork, []checkCase{
		{"everything there", nil, seen{status: OK, message: []string{"/usr/bin/slirp4netns", "/dev/net/tun opens"}}},
		{"no slirp4netns for the default network", func(f *fake, h *Host) { delete(f.programs, "slirp4netns") },
			seen{status: Problem, fix: []string{"apt-get install slirp4netns"}}},
		{"no pasta when pasta is the default", func(f *fake, h *Host) {
			h.Config.Network = "pasta"
			delete(f.programs, "pasta")
		}, seen{status: Problem, fix: []string{"apt-get install passt"}}},
		{"no /dev/net/tun", func(f *fake, h *Host) { f.deviceErr["/dev/net/tun"] = unix.ENOENT },
			seen{status: Problem, fix: []string{"sudo modprobe tun"}}},
		{"/dev/net/tun not readable", func(f *fake, h *Host) {
			f.write("/dev/net/tun", "")
			f.deviceErr["/dev/net/tun"] = unix.EACCES
		}, seen{status: Problem, fix: []string{"sudo chmod 0666 /dev/net/tun"}}},
		{"--network none by default needs no helper", func(f *fake, h *Host) {
			h.Config.Network = "none"
			delete(f.programs, "slirp4netns")
			f.deviceErr["/dev/net/tun"] = unix.ENOENT
		}, seen{status: OK, message: []string{"slirp4netns not installed"}}},
	})
}

func TestCgroups(t *testing.T) {
	runCases(t, checkCgroups, []checkCase{
		{"a delegated cgroup with every controller", nil,
			seen{status: OK, message: []string{"delegated", "cpu, memory, pids, io"}}},
		{"a delegated cgroup without io warns", func(f *fake, h *Host) {
			f.write("/sys/fs/cgroup/user.slice/job/cgroup.controllers", "cpu memory pids\n")
		}, seen{status: Warning, message: []string{"without the controllers io"}, fix: []string{"Delegate="}}},
		{"hybrid cgroups warn with the boot option", func(f *fake, h *Host) {
			h.Cgroup = cgroupv2.Host{Mode: cgroupv2.Hybrid}
		}, seen{status: Warning, message: []string{"limit flags"}, fix: []string{"systemd.unified_cgroup_hierarchy=1"}}},
		{"root on hybrid cgroups gets v1 directories", func(f *fake, h *Host) {
			h.IsRoot = true
			h.Cgroup = cgroupv2.Host{Mode: cgroupv2.Hybrid}
		}, seen{status: OK, message: []string{"root's containers get cgroup v1 directories"}}},
		{"root on hybrid cgroups without the memory controller warns why", func(f *fake, h *Host) {
			h.IsRoot = true
			h.Cgroup = cgroupv2.Host{Mode: cgroupv2.Hybrid}
			h.RootV1 = errors.New("the cgroup v1 controller memory is not mounted")
		}, seen{status: Warning, message: []string{"memory is not mounted"}, fix: []string{"systemd.unified_cgroup_hierarchy=1"}}},
		{"the systemd user manager's controllers count when nothing is delegated", func(f *fake, h *Host) {
			h.Cgroup = cgroupv2.Host{Mode: cgroupv2.Unified, OwnDir: "/sys/fs/cgroup/user.slice/user-1000.slice/session-1.scope", Bus: "unix:path=/run/user/1000/bus"}
			f.write("/sys/fs/cgroup/user.slice/user-1000.slice/user@1000.service/cgroup.controllers", "cpu memory pids\n")
		}, seen{status: Warning, message: []string{"systemd user manager", "io"}, fix: []string{"/etc/systemd/system/user@.service.d/delegate.conf"}}},
		{"nothing delegated and no user manager: enable lingering", func(f *fake, h *Host) {
			h.Cgroup = cgroupv2.Host{Mode: cgroupv2.Unified, OwnDir: "/sys/fs/cgroup/system.slice/cron.service"}
			f.write("/run/systemd/system/.keep", "")
		}, seen{status: Warning, message: []string{"not delegated"}, fix: []string{"sudo loginctl enable-linger alice"}}},
	})
}

func TestSystemdAndLinger(t *testing.T) {
	withSystemd := func(f *fake, h *Host) { f.write("/run/systemd/system/.keep", "") }
	runCases(t, checkSystemd, []checkCase{
		{"no systemd on the host", nil, seen{status: Skipped}},
		{"the user manager answers", func(f *fake, h *Host) {
			withSystemd(f, h)
			h.Cgroup.Bus = "unix:path=/run/user/1000/bus"
			h.Trials.SystemdTried, h.Trials.SystemdVersion = true, "252"
		}, seen{status: OK, message: []string{"systemd 252"}}},
		{"under su the manager runs but XDG_RUNTIME_DIR is unset", func(f *fake, h *Host) {
			withSystemd(f, h)
			h.Cgroup.Delegated = false
			f.write("/run/user/1000/bus", "")
		}, seen{status: Warning, fix: []string{"export XDG_RUNTIME_DIR=/run/user/1000"}}},
		{"no manager but a delegated cgroup (a Slurm job) needs none", func(f *fake, h *Host) {
			withSystemd(f, h)
		}, seen{status: OK, message: []string{"none needed"}}},
	})
	runCases(t, checkLinger, []checkCase{
		{"no systemd on the host", nil, seen{status: Skipped}},
		{"lingering off warns", withSystemd, seen{status: Warning, fix: []string{"sudo loginctl enable-linger alice"}}},
		{"lingering on", func(f *fake, h *Host) {
			withSystemd(f, h)
			f.write("/var/lib/systemd/linger/alice", "")
		}, seen{status: OK}},
	})
}

func TestSessionAndRunRoot(t *testing.T) {
	runCases(t, checkSession, []checkCase{
		{"no session says where run state goes", nil,
			seen{status: OK, message: []string{"XDG_RUNTIME_DIR unset", "/run/user/1000/urun"}}},
		{"a session directory of one's own", func(f *fake, h *Host) {
			f.env["XDG_RUNTIME_DIR"] = "/run/user/1000"
			f.owners["/run/user/1000"] = [2]uint32{unix.S_IFDIR | 0o700, 1000}
		}, seen{status: OK, message: []string{"XDG_RUNTIME_DIR=/run/user/1000"}}},
		{"someone else's XDG_RUNTIME_DIR (sudo -u) is ignored with a warning", func(f *fake, h *Host) {
			f.env["XDG_RUNTIME_DIR"] = "/run/user/0"
			f.owners["/run/user/0"] = [2]uint32{unix.S_IFDIR | 0o700, 0}
		}, seen{status: Warning, message: []string{"not a directory of yours"}, fix: []string{"unset XDG_RUNTIME_DIR"}}},
	})
}

func TestPortsAndPing(t *testing.T) {
	runCases(t, checkPorts, []checkCase{
		{"ports from 1024 up, with the sysctl for lower ones", nil,
			seen{status: OK, message: []string{"from 1024 up", "net.ipv4.ip_unprivileged_port_start=80"}}},
		{"every port when the sysctl is 0", func(f *fake, h *Host) {
			f.write("/proc/sys/net/ipv4/ip_unprivileged_port_start", "0\n")
		}, seen{status: OK, message: []string{"any host port"}}},
	})
	runCases(t, checkPing, []checkCase{
		{"gid in range", nil, seen{status: OK, message: []string{"holds your gid"}}},
		{"gid out of range says the sysctl", func(f *fake, h *Host) {
			f.write("/proc/sys/net/ipv4/ping_group_range", "1\t0\n")
		}, seen{status: OK, message: []string{"leaves out your gid 1000", "ping_group_range='0 2147483647'"}}},
	})
}

func TestRootSeesRootModeAndSkippedUserChecks(t *testing.T) {
	f := newFake(t)
	h := f.host()
	h.IsRoot = true
	h.Trials = Trials{}
	r := Diagnose(h)
	assert.True(t, r.OK)
	byName := map[string]Result{}
	for _, c := range r.Checks {
		byName[c.Name] = c
	}
	assert.Contains(t, byName["user"].Message, "without id remapping")
	for _, name := range []string{"subids", "newuidmap", "newgidmap", "userns", "apparmor"} {
		assert.Equal(t, Skipped, byName[name].Status, name)
		assert.Contains(t, byName[name].Message, "root: ", name)
	}
}

func TestReportIsNotOKWithAProblem(t *testing.T) {
	f := newFake(t)
	h := f.host()
	assert.True(t, Diagnose(h).OK, "the fake host is healthy")
	f.fsType["/home"] = 0x6969
	r := Diagnose(h)
	require.False(t, r.OK)

	var out bytes.Buffer
	require.NoError(t, PrintTable(&out, r))
	text := out.String()
	assert.Regexp(t, `(?m)^CHECK +STATUS +DETAILS$`, text)
	assert.Regexp(t, `(?m)^store +problem +.*NFS`, text)
	assert.Regexp(t, `(?m)^ +fix: mkdir -p /var/tmp/urun-1000/storage`, text, "the fix is on its own indented line")
	assert.Contains(t, text, "urun cannot run containers here: 1 problem")

	data, err := json.Marshal(r)
	require.NoError(t, err)
	var doc struct {
		OK     bool `json:"ok"`
		Checks []map[string]string
	}
	require.NoError(t, json.Unmarshal(data, &doc))
	assert.False(t, doc.OK)
	var names []string
	for _, c := range doc.Checks {
		names = append(names, c["name"])
		assert.NotEmpty(t, c["status"])
		assert.NotEmpty(t, c["message"])
		if c["name"] == "store" {
			assert.True(t, strings.HasPrefix(c["fix"], "mkdir -p "), c["fix"])
		}
	}
	assert.Subset(t, names, []string{"subids", "newuidmap", "newgidmap", "userns", "apparmor", "overlay", "fuse", "store", "disk-space", "session", "network", "ports", "ping", "cgroups", "systemd", "linger"})
}
