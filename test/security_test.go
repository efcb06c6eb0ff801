package test

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// dockerDefaultCaps is Docker's default capability set as /proc shows it.
const dockerDefaultCaps = "00000000a80425fb"

// procStatus returns the fields of /proc/self/status a process in a
// container run with flags sees.
func procStatus(t *testing.T, e *env, flags ...string) map[string]string {
	t.Helper()
	args := append(append([]string{"run", "--rm"}, flags...), busyboxRef, "cat", "/proc/self/status")
	out := e.urun(t, args...).ok(t)
	fields := map[string]string{}
	for _, l := range lines(out) {
		k, v, ok := strings.Cut(l, ":")
		if ok {
			fields[k] = strings.TrimSpace(v)
		}
	}
	return fields
}

// allCaps is every capability of this kernel as /proc shows the set.
func allCaps(t *testing.T) string {
	data, err := os.ReadFile("/proc/sys/kernel/cap_last_cap")
	require.NoError(t, err)
	last, err := strconv.Atoi(strings.TrimSpace(string(data)))
	require.NoError(t, err)
	return fmt.Sprintf("%016x", uint64(1)<<(last+1)-1)
}

func TestRunGivesDockersCapabilitiesAndNoNewPrivileges(t *testing.T) {
	e := sharedStore(t)
	for _, c := range []struct {
		name                string
		flags               []string
		eff, bnd, noNewPriv string
	}{
		{"root by default", nil, dockerDefaultCaps, dockerDefaultCaps, "1"},
		{"a user other than root has none effective", []string{"--user", "app"}, "0000000000000000", dockerDefaultCaps, "1"},
		{"cap-drop ALL", []string{"--cap-drop", "ALL"}, "0000000000000000", "0000000000000000", "1"},
		{"cap-drop ALL then cap-add one", []string{"--cap-drop", "all", "--cap-add", "net_bind_service"}, "0000000000000400", "0000000000000400", "1"},
		{"cap-add NET_ADMIN", []string{"--cap-add", "CAP_NET_ADMIN"}, "00000000a80435fb", "00000000a80435fb", "1"},
		{"cap-drop two, comma-separated", []string{"--cap-drop", "CHOWN,NET_RAW"}, "00000000a80405fa", "00000000a80405fa", "1"},
		{"no-new-privileges=false", []string{"--security-opt", "no-new-privileges=false"}, dockerDefaultCaps, dockerDefaultCaps, "0"},
		{"privileged", []string{"--privileged"}, allCaps(t), allCaps(t), "0"},
	} {
		t.Run(c.name, func(t *testing.T) {
			st := procStatus(t, e, c.flags...)
			assert.Equal(t, c.eff, st["CapEff"], "CapEff")
			assert.Equal(t, c.eff, st["CapPrm"], "CapPrm")
			assert.Equal(t, c.bnd, st["CapBnd"], "CapBnd")
			assert.Equal(t, "0000000000000000", st["CapInh"], "CapInh")
			assert.Equal(t, "0000000000000000", st["CapAmb"], "CapAmb")
			assert.Equal(t, c.noNewPriv, st["NoNewPrivs"], "NoNewPrivs")
		})
	}
}

func TestExecGetsTheContainersCapabilities(t *testing.T) {
	e := sharedStore(t)
	id := e.runDetached(t, "--cap-drop", "ALL", "--cap-add", "KILL", busyboxRef, "sleep", "60")
	out := e.urun(t, "exec", id, "cat", "/proc/self/status").ok(t)
	assert.Contains(t, out, "CapEff:\t0000000000000020")
	assert.Contains(t, out, "CapBnd:\t0000000000000020")
	assert.Contains(t, out, "NoNewPrivs:\t1")
}

func TestRunRefusesWhatTheDefaultCapabilitiesDoNotAllow(t *testing.T) {
	e := sharedStore(t)
	for _, c := range []struct {
		name, script string
	}{
		{"mount a new proc", "mkdir /p && mount -t proc proc /p"},
		{"mount a tmpfs", "mkdir /m && mount -t tmpfs none /m"},
		{"change the host name", "hostname other"},
	} {
		t.Run(c.name, func(t *testing.T) {
			res := e.urun(t, "run", "--rm", busyboxRef, "sh", "-c", c.script)
			assert.NotEqual(t, 0, res.code, "%s must fail under the default capabilities: %s", c.script, res.describe())
			assert.Regexp(t, `(?i)permission denied|operation not permitted`, res.stderr, "the kernel's refusal: %s", res.describe())
		})
	}
	e.urun(t, "run", "--rm", "--privileged", busyboxRef, "sh", "-c", "mkdir /p && mount -t proc proc /p && test -e /p/self/status").ok(t)
}

// Docker's masked and read-only paths (see spec.DefaultMaskedPaths); the
// test checks those this host's kernel has.
var (
	maskedPaths = []string{
		"/proc/asound", "/proc/acpi", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
		"/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi",
		"/sys/firmware", "/sys/devices/virtual/powercap",
	}
	readonlyPaths = []string{"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"}
)

func existingOnHost(t *testing.T, paths []string) []string {
	var out []string
	for _, p := range paths {
		if _, err := os.Lstat(p); err == nil {
			out = append(out, p)
		}
	}
	require.NotEmpty(t, out, "none of %v exists on this host", paths)
	return out
}

// mountPoints returns the mount points /proc/self/mountinfo lists in a
// container run with flags, with each one's per-mount options.
func mountPoints(t *testing.T, e *env, flags ...string) map[string]string {
	t.Helper()
	args := append(append([]string{"run", "--rm"}, flags...), busyboxRef, "cat", "/proc/self/mountinfo")
	out := e.urun(t, args...).ok(t)
	points := map[string]string{}
	for _, l := range lines(out) {
		f := strings.Fields(l)
		if len(f) > 5 {
			points[f[4]] = f[5]
		}
	}
	return points
}

func TestRunMasksAndProtectsProcAndSys(t *testing.T) {
	e := sharedStore(t)
	masked := existingOnHost(t, maskedPaths)
	readonly := existingOnHost(t, readonlyPaths)

	points := mountPoints(t, e)
	for _, p := range masked {
		assert.Contains(t, points, p, "%s is masked by a mount", p)
	}
	for _, p := range readonly {
		assert.True(t, strings.HasPrefix(points[p], "ro"), "%s is mounted read-only: %q", p, points[p])
	}
	// What a process reads and writes there.
	script := `for p in "$@"; do if [ -d $p ]; then echo "$p $(ls -A $p | wc -l)"; else echo "$p $(cat $p | wc -c)"; fi; done
if echo 1 > /proc/sys/vm/drop_caches 2>/dev/null; then echo "sys writable"; else echo "sys read-only"; fi`
	args := append([]string{"run", "--rm", "--cap-add", "SYS_ADMIN", busyboxRef, "sh", "-c", script, "sh"}, masked...)
	out := e.urun(t, args...).ok(t)
	for _, p := range masked {
		assert.Contains(t, out, p+" 0\n", "%s shows nothing", p)
	}
	assert.Contains(t, out, "sys read-only\n", "/proc/sys stays read-only even with CAP_SYS_ADMIN")

	unmasked := mountPoints(t, e, "--security-opt", "unmask="+masked[0]+":/proc/sys")
	assert.NotContains(t, unmasked, masked[0])
	assert.NotContains(t, unmasked, "/proc/sys")
	for _, p := range masked[1:] {
		assert.Contains(t, unmasked, p, "the other masks stay")
	}
	all := mountPoints(t, e, "--security-opt", "unmask=ALL")
	for _, p := range append(masked, readonly...) {
		assert.NotContains(t, all, p, "unmask=ALL")
	}

	out = e.urun(t, "run", "--rm", "--security-opt", "mask=/etc/layer2", busyboxRef, "wc", "-c", "/etc/layer2").ok(t)
	assert.Equal(t, "0 /etc/layer2\n", out)

	privileged := mountPoints(t, e, "--privileged")
	for _, p := range append(masked, readonly...) {
		assert.NotContains(t, privileged, p, "--privileged masks nothing")
	}
	assert.True(t, strings.HasPrefix(privileged["/sys"], "rw"), "--privileged: /sys is writable: %q", privileged["/sys"])
}

func TestRunReadOnlyKeepsTmpAndRunWritable(t *testing.T) {
	e := sharedStore(t)
	res := e.urun(t, "run", "--rm", "--read-only", busyboxRef, "touch", "/etc/new")
	assert.NotEqual(t, 0, res.code)
	assert.Contains(t, res.stderr, "Read-only file system")
	e.urun(t, "run", "--rm", "--read-only", busyboxRef, "sh", "-c", "touch /tmp/a /var/tmp/b /run/c /dev/shm/d").ok(t)
	e.urun(t, "run", "--rm", "--read-only", "--tmpfs", "/tmp:size=1m", busyboxRef, "touch", "/tmp/a").ok(t)
}

func TestRunRejectsBadSecurityOptions(t *testing.T) {
	e := sharedStore(t)
	for _, c := range []struct {
		flags []string
		msg   string
	}{
		{[]string{"--cap-add", "NET_FOO"}, `unknown capability "NET_FOO"`},
		{[]string{"--cap-drop", "bogus"}, `--cap-drop: unknown capability "bogus"`},
		{[]string{"--security-opt", "no-new-privileges=maybe"}, "want no-new-privileges=true or =false"},
		{[]string{"--security-opt", "mask=relative/path"}, "not a clean absolute path"},
		{[]string{"--security-opt", "apparmor=x"}, "unknown option"},
		{[]string{"--security-opt", "seccomp=/no/such/profile.json"}, "read the seccomp profile"},
		{[]string{"--security-opt", "seccomp"}, "give seccomp=unconfined or seccomp=PROFILE.json"},
	} {
		t.Run(strings.Join(c.flags, " "), func(t *testing.T) {
			args := append(append([]string{"run", "--rm"}, c.flags...), busyboxRef, "true")
			res := e.urun(t, args...)
			res.exits(t, 125)
			assert.Contains(t, res.stderr, c.msg)
		})
	}
}

func TestContainerProcessesHoldOnlyTheirStdio(t *testing.T) {
	e := sharedStore(t)
	// "; true" keeps sh from exec'ing ls, whose own descriptor would show.
	out := e.urun(t, "run", "--rm", busyboxRef, "sh", "-c", "ls /proc/$$/fd; true").ok(t)
	assert.Equal(t, []string{"0", "1", "2"}, lines(out), "the command's descriptors")
	id := e.runDetached(t, busyboxRef, "sleep", "60")
	out = e.urun(t, "exec", id, "sh", "-c", "ls /proc/$$/fd; ls /proc/1/fd").ok(t)
	assert.Equal(t, []string{"0", "1", "2", "0", "1", "2"}, lines(out), "an exec'd process's and the detached PID 1's descriptors")
}

func TestWorkingDirectoryThroughADescriptorCannotLeaveTheContainer(t *testing.T) {
	e := sharedStore(t)
	id := e.runDetached(t, busyboxRef, "sleep", "60")
	for fd := 3; fd <= 12; fd++ {
		dir := fmt.Sprintf("/proc/self/fd/%d", fd)
		for _, args := range [][]string{
			{"run", "--rm", "-w", dir, busyboxRef, "ls", "-a"},
			{"exec", "-w", dir, id, "ls", "-a"},
		} {
			res := e.urun(t, args...)
			assert.Contains(t, []int{1, 125, 126}, res.code, "%s must fail: %s", res.cmdline, res.describe())
			assert.Contains(t, res.stderr, dir)
		}
	}
}

func TestUrunsBinaryIsOutOfTheContainersReach(t *testing.T) {
	e := sharedStore(t)
	// With --init PID 1 is urun's tiny init; an exec'd process runs urun's
	// binary until it execs. Neither may be opened through /proc.
	id := e.runDetached(t, "--init", busyboxRef, "sleep", "60")
	script := `for f in /proc/1/exe /proc/1/root /proc/1/fd; do if ls -d $f/. >/dev/null 2>&1 || cat $f >/dev/null 2>&1; then echo "$f open"; else echo "$f refused"; fi; done
if echo x >> /proc/1/exe 2>/dev/null; then echo "exe writable"; else echo "exe not writable"; fi`
	out := e.urun(t, "exec", id, "sh", "-c", script).ok(t)
	assert.Equal(t, []string{"/proc/1/exe refused", "/proc/1/root refused", "/proc/1/fd refused", "exe not writable"}, lines(out))
	status := e.urun(t, "exec", id, "cat", "/proc/1/status").ok(t)
	assert.Contains(t, status, "CapEff:\t0000000000000020", "the tiny init keeps CAP_KILL alone, to pass signals on")
	assert.Contains(t, status, "CapBnd:\t0000000000000020")
}

func TestSeccompRefusesWhatDockersProfileRefuses(t *testing.T) {
	e := sharedStore(t)
	for _, c := range []struct {
		name, script string
		// needsCaps: the default capabilities refuse it too, so only
		// --privileged allows it.
		needsCaps bool
	}{
		{"a new user namespace", "unshare -U true", false},
		{"a new mount namespace", "unshare -m true", true},
	} {
		t.Run(c.name, func(t *testing.T) {
			res := e.urun(t, "run", "--rm", busyboxRef, "sh", "-c", c.script)
			assert.NotEqual(t, 0, res.code, "%s: %s", c.script, res.describe())
			assert.Contains(t, res.stderr, "Operation not permitted")
			if !c.needsCaps {
				e.urun(t, "run", "--rm", "--security-opt", "seccomp=unconfined", busyboxRef, "sh", "-c", c.script).ok(t)
			}
			e.urun(t, "run", "--rm", "--privileged", busyboxRef, "sh", "-c", c.script).ok(t)
		})
	}
	st := procStatus(t, e)
	assert.Equal(t, "2", st["Seccomp"], "filter mode")
	assert.Equal(t, "0", procStatus(t, e, "--security-opt", "seccomp=unconfined")["Seccomp"])
	assert.Equal(t, "2", procStatus(t, e, "--security-opt", "no-new-privileges=false", "--user", "app")["Seccomp"],
		"without no_new_privs the filter is loaded before the switch of user")

	// A profile of the user's own, in Docker's format.
	profile := filepath.Join(mkTemp(t), "no-mkdir.json")
	require.NoError(t, os.WriteFile(profile, []byte(`{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["mkdir","mkdirat"],"action":"SCMP_ACT_ERRNO","errnoRet":13}]}`), 0o644))
	res := e.urun(t, "run", "--rm", "--security-opt", "seccomp="+profile, busyboxRef, "mkdir", "/x")
	assert.NotEqual(t, 0, res.code)
	assert.Contains(t, res.stderr, "Permission denied", "errnoRet 13 is EACCES")
	e.urun(t, "run", "--rm", "--security-opt", "seccomp="+profile, busyboxRef, "touch", "/x").ok(t)

	id := e.runDetached(t, busyboxRef, "sleep", "60")
	res = e.urun(t, "exec", id, "unshare", "-U", "true")
	assert.NotEqual(t, 0, res.code, "exec gets the container's filter: %s", res.describe())
}

func TestConfinedContainerIsRefusedKernelSurface(t *testing.T) {
	e, ref := helperStore(t)
	hostPID := strconv.Itoa(os.Getpid())
	for _, c := range []struct {
		name string
		call []string
		// privileged says whether --privileged lifts the refusal.
		privileged bool
	}{
		{"keyctl", []string{"keyctl"}, true},
		{"add_key", []string{"add_key"}, true},
		// The test's own process is on the host, outside the container's
		// PID namespace: no flag makes it reachable.
		{"ptrace of a host process", []string{"ptrace", hostPID}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			args := append([]string{"run", "--rm", ref, helperPath, "try"}, c.call...)
			out := e.urun(t, args...).ok(t)
			assert.True(t, strings.HasPrefix(out, "refused: "), "under the defaults: %q", out)
			args = append([]string{"run", "--rm", "--privileged", ref, helperPath, "try"}, c.call...)
			out = e.urun(t, args...).ok(t)
			if c.privileged {
				assert.Equal(t, "allowed\n", out, "with --privileged")
			} else {
				assert.True(t, strings.HasPrefix(out, "refused: "), "even with --privileged: %q", out)
			}
		})
	}
}

func TestSetuidProgramGainsNothingUnderNoNewPrivileges(t *testing.T) {
	e, ref := helperStore(t)
	// As root in the container: a setuid-root copy of the helper, which
	// the user app (1000) then runs.
	script := `mkdir /home/app/bin && cp ` + helperPath + ` /home/app/bin/ && chmod 4755 /home/app/bin/` + helperName + ` &&
exec ` + helperPath + ` drop-to 1000 /home/app/bin/` + helperName + ` creds`
	out := e.urun(t, "run", "--rm", ref, "sh", "-c", script).ok(t)
	assert.Equal(t, "euid 1000 CapEff 0000000000000000\n", out, "no_new_privs: the setuid bit gives nothing")

	out = e.urun(t, "run", "--rm", "--security-opt", "no-new-privileges=false", ref, "sh", "-c", script).ok(t)
	assert.Equal(t, "euid 0 CapEff "+dockerDefaultCaps+"\n", out,
		"without no_new_privs the setuid bit makes the container's root, and the capabilities stay within the bounding set")
	out = e.urun(t, "run", "--rm", "--security-opt", "no-new-privileges=false", ref, "cat", "/proc/self/uid_map").ok(t)
	assert.Equal(t, []string{"0", strconv.Itoa(os.Getuid()), "1"}, strings.Fields(lines(out)[0]), "the container's root is you on the host, nothing more")
}

// A volume whose container path leads through a symlink of the image must
// land inside the container: the image cannot aim a mount at the host.
func TestVolumeThroughAnImageSymlinkStaysInTheContainer(t *testing.T) {
	e := sharedStore(t)
	vol := mkTemp(t)
	require.NoError(t, os.WriteFile(filepath.Join(vol, "from-volume"), []byte("v\n"), 0o644))
	// Sentinels on the host where the symlinks point, if followed there.
	hostDir := mkTemp(t)
	for _, c := range []struct {
		name, link, target string
	}{
		{"absolute symlink to a host directory", "/etc/evil", hostDir},
		{"relative symlink climbing out", "/etc/climb", "../../../../../../../../" + strings.TrimPrefix(hostDir, "/")},
	} {
		t.Run(c.name, func(t *testing.T) {
			// The container makes the symlink in its writable layer, stops;
			// the second start mounts the volume through it.
			name := "symlink-" + strings.ReplaceAll(c.name, " ", "-")
			e.urun(t, "create", "--name", name, "-v", vol+":"+c.link+"/mnt", busyboxRef, "sh", "-c", "ls "+c.link+"/mnt; readlink "+c.link).ok(t)
			t.Cleanup(func() { e.urun(t, "rm", "-f", name) })
			// The symlink exists before the mount only if the image has it:
			// put it in the layer with cp, as a user of the image could.
			linkDir := mkTemp(t)
			require.NoError(t, os.Symlink(c.target, filepath.Join(linkDir, filepath.Base(c.link))))
			e.urun(t, "cp", filepath.Join(linkDir, filepath.Base(c.link)), name+":"+c.link).ok(t)
			res := e.urun(t, "start", "-a", name)
			entries, err := os.ReadDir(hostDir)
			require.NoError(t, err)
			assert.Empty(t, entries, "nothing may be created in the host directory the symlink names: %s", res.describe())
			assert.Equal(t, 0, res.code, res.describe())
			assert.Equal(t, "from-volume\n"+c.target+"\n", res.stdout, "the volume is mounted where the symlink leads inside the container")
		})
	}
}

func TestVolumeOntoProcOrDevIsRefused(t *testing.T) {
	e := sharedStore(t)
	vol := mkTemp(t)
	for _, dst := range []string{"/proc", "/proc/sys", "/dev"} {
		res := e.urun(t, "run", "--rm", "-v", vol+":"+dst, busyboxRef, "true")
		res.exits(t, 125)
		assert.Contains(t, res.stderr, "cannot mount on "+dst)
		entries, err := os.ReadDir(vol)
		require.NoError(t, err)
		assert.Empty(t, entries, "nothing written into the volume")
	}
}

func TestCallersEnvironmentStaysOutOfTheContainer(t *testing.T) {
	shared := sharedStore(t)
	e := *shared
	e.vars = append(append([]string{}, shared.vars...), "URUN_TEST_SECRET=leaked", "PASSED_ON=yes")
	out := e.urun(t, "run", "--rm", "-e", "PASSED_ON", "-e", "SET=1", busyboxRef, "env").ok(t)
	assert.NotContains(t, out, "URUN_TEST_SECRET")
	assert.Contains(t, lines(out), "PASSED_ON=yes", "-e KEY passes the caller's value on")
	assert.Contains(t, lines(out), "SET=1")
	id := e.runDetached(t, busyboxRef, "sleep", "60")
	out = e.urun(t, "exec", id, "env").ok(t)
	assert.NotContains(t, out, "URUN_TEST_SECRET")
	for _, l := range lines(out) {
		k, _, _ := strings.Cut(l, "=")
		assert.Contains(t, []string{"PATH", "FIXTURE", "HOSTNAME", "HOME"}, k, "exec's environment is the image's and the container's only")
	}
}

func TestDeviceBindsOnlyADeviceYouCanOpen(t *testing.T) {
	e := sharedStore(t)
	out := e.urun(t, "run", "--rm", "--device", "/dev/fuse", "--device", "/dev/net/tun:/dev/tun:r", busyboxRef,
		"sh", "-c", "test -c /dev/fuse && test -c /dev/tun && cut -d' ' -f5,6 /proc/self/mountinfo | grep -E '^/dev/(fuse|tun) '").ok(t)
	assert.Contains(t, lines(out), "/dev/fuse rw,nosuid,noexec,relatime")
	assert.Contains(t, lines(out), "/dev/tun ro,nosuid,noexec,relatime", "without w the device is read-only")

	// A device of the host's that this user cannot open.
	var closed string
	entries, err := os.ReadDir("/dev")
	require.NoError(t, err)
	for _, en := range entries {
		p := "/dev/" + en.Name()
		if en.Type()&os.ModeDevice != 0 && unix.Access(p, unix.R_OK) != nil {
			closed = p
			break
		}
	}
	require.NotEmpty(t, closed, "the host has no device this user cannot open")
	for _, c := range []struct{ device, msg string }{
		{closed, "you cannot open " + closed},
		{"/etc/passwd", "/etc/passwd is not a device"},
		{"/dev/no-such-device", "no such file or directory"},
		{"/dev/fuse:/mnt/fuse", `the container path "/mnt/fuse" must be below /dev`},
		{"/dev/fuse:/dev/fuse:rwx", `permissions "rwx"`},
	} {
		res := e.urun(t, "run", "--rm", "--device", c.device, busyboxRef, "true")
		res.exits(t, 125)
		assert.Contains(t, res.stderr, c.msg)
	}
	out = e.urun(t, "run", "--rm", "--privileged", busyboxRef, "ls", "/dev", "/dev/net").ok(t)
	assert.Contains(t, lines(out), "fuse", "--privileged binds the devices you can open")
	assert.Contains(t, lines(out), "tun")
	assert.NotContains(t, lines(out), filepath.Base(closed), "but not those you cannot")
}

// The class of CVE-2019-5736: a container whose command leads to
// /proc/self/exe (directly, through a symlink, or as a script's
// interpreter) would run urun's own binary inside the container, which
// could then be opened for writing through /proc. urun's binary is out of
// the container's reach once init has pivoted: every way fails to exec.
func TestContainerCannotExecUrunsBinaryThroughProcSelfExe(t *testing.T) {
	e := sharedStore(t)
	dir := mkTemp(t)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "s"), []byte("#!/proc/self/exe version\n"), 0o755))
	require.NoError(t, os.Symlink("/proc/self/exe", filepath.Join(dir, "l")))
	running := e.runDetached(t, busyboxRef, "sleep", "60")
	for _, c := range []struct{ name, cmd string }{
		{"directly", "/proc/self/exe"},
		{"through a symlink", "/l"},
		{"as a script's interpreter", "/s"},
	} {
		t.Run(c.name, func(t *testing.T) {
			name := "selfexe" + strings.ReplaceAll(c.cmd, "/", "-")
			e.urun(t, "create", "--name", name, busyboxRef, c.cmd, "version").ok(t)
			t.Cleanup(func() { e.urun(t, "rm", "-f", name) })
			if c.cmd != "/proc/self/exe" {
				e.urun(t, "cp", filepath.Join(dir, c.cmd), name+":/").ok(t)
				e.urun(t, "cp", filepath.Join(dir, c.cmd), running+":/").ok(t)
			}
			for _, args := range [][]string{{"start", "-a", name}, {"exec", running, c.cmd, "version"}} {
				res := e.urun(t, args...)
				assert.Equal(t, 127, res.code, "%s: %s", res.cmdline, res.describe())
				assert.NotContains(t, res.stdout, "Go version:", "what urun version prints")
			}
		})
	}
}
