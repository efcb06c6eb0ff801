package test

import (
	"encoding/json"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// doctorRow is one row of `urun doctor`'s table: CHECK STATUS DETAILS,
// and the fix line under it.
type doctorRow struct{ status, details, fix string }

// doctorRows reads the table by check name.
func doctorRows(t *testing.T, out string) map[string]doctorRow {
	t.Helper()
	ls := lines(out)
	require.NotEmpty(t, ls)
	require.Regexp(t, `^CHECK +STATUS +DETAILS$`, ls[0], "the header row")
	rows := map[string]doctorRow{}
	row := regexp.MustCompile(`^(\S+) +(ok|warning|problem|skipped) +(.*)$`)
	fix := regexp.MustCompile(`^ +fix: (.*)$`)
	last := ""
	for _, l := range ls[1:] {
		if m := row.FindStringSubmatch(l); m != nil {
			rows[m[1]] = doctorRow{status: m[2], details: m[3]}
			last = m[1]
		} else if m := fix.FindStringSubmatch(l); m != nil && last != "" {
			r := rows[last]
			r.fix = m[1]
			rows[last] = r
		}
	}
	return rows
}

// doctorDoc is `urun doctor --format json`.
type doctorDoc struct {
	OK     bool `json:"ok"`
	Checks []struct {
		Name    string `json:"name"`
		Status  string `json:"status"`
		Message string `json:"message"`
		Fix     string `json:"fix"`
	} `json:"checks"`
}

func TestDoctorFindsTheTestHostReady(t *testing.T) {
	uids, err := callerRange("/etc/subuid")
	if err != nil {
		t.Skip("needs a caller with subordinate ids (TestNoSubuidDoctor* covers the others)")
	}
	e := newEnv(t)
	res := e.urun(t, "doctor")
	out := res.ok(t)
	rows := doctorRows(t, out)
	for _, name := range []string{"user", "config", "subids", "newuidmap", "newgidmap", "userns", "apparmor", "overlay", "fuse", "store", "disk-space", "session", "network", "ports", "ping", "cgroups", "systemd", "linger"} {
		require.Contains(t, rows, name, "the table has a row for %s", name)
		assert.NotEqual(t, "problem", rows[name].status, "%s: %s", name, rows[name].details)
	}
	for _, name := range []string{"subids", "newuidmap", "newgidmap", "userns", "overlay", "store", "network"} {
		assert.Equal(t, "ok", rows[name].status, "the test host has what %s checks: %s", name, rows[name].details)
	}
	assert.Contains(t, rows["subids"].details, strconv.Itoa(uids.start)+"-"+strconv.Itoa(uids.start+uids.count-1), "the caller's range")
	assert.Contains(t, rows["newuidmap"].details, "mapped a trial namespace", "newuidmap was tried for real")
	assert.Contains(t, rows["userns"].details, "created one")
	assert.Contains(t, rows["session"].details, e.RunRoot(), "the run root is named")
	assert.Contains(t, out, "urun can run containers here")
}

func TestDoctorJSONForHealthScripts(t *testing.T) {
	e := newEnv(t)
	out := e.urun(t, "doctor", "--format", "json").ok(t)
	var doc doctorDoc
	require.NoError(t, json.Unmarshal([]byte(out), &doc), "one JSON document: %s", out)
	assert.True(t, doc.OK)
	names := map[string]string{}
	for _, c := range doc.Checks {
		assert.NotEmpty(t, c.Name)
		assert.Contains(t, []string{"ok", "warning", "problem", "skipped"}, c.Status, c.Name)
		assert.NotEmpty(t, c.Message, c.Name)
		if c.Status == "ok" {
			assert.Empty(t, c.Fix, "an ok check has nothing to fix: %s", c.Name)
		}
		names[c.Name] = c.Status
	}
	for _, name := range []string{"subids", "userns", "overlay", "store", "cgroups"} {
		assert.Contains(t, names, name)
	}

	t.Run("a template per check", func(t *testing.T) {
		out := e.urun(t, "doctor", "--format", "{{.Name}}={{.Status}}").ok(t)
		got := lines(out)
		require.Len(t, got, len(doc.Checks), "one line per check")
		for i, c := range doc.Checks {
			assert.Equal(t, c.Name+"="+c.Status, got[i])
		}
	})
}

func TestDoctorNamesTheStoresFileSystem(t *testing.T) {
	for _, dir := range []string{os.TempDir(), "/dev/shm"} {
		var st unix.Statfs_t
		if unix.Statfs(dir, &st) != nil || unix.Access(dir, unix.W_OK) != nil {
			continue
		}
		want := map[int64]string{0xEF53: "ext4", 0x01021994: "tmpfs", 0x58465342: "XFS", 0x9123683E: "Btrfs"}[int64(st.Type)]
		if want == "" {
			continue
		}
		t.Run(want, func(t *testing.T) {
			root, err := os.MkdirTemp(dir, "urun-doctor-store-")
			require.NoError(t, err)
			t.Cleanup(func() { removeTree(root) })
			e := newEnv(t)
			e.flags = append(e.flags, "--root", root)
			rows := doctorRows(t, e.urun(t, "doctor").ok(t))
			assert.Equal(t, "ok", rows["store"].status)
			assert.Contains(t, rows["store"].details, root+" on "+want)
			assert.Contains(t, rows["overlay"].details, root, "overlay is tried where the store is")
			assert.Contains(t, rows["disk-space"].details, "free on "+root)
		})
	}
}

func TestDoctorExitsOneWithTheFixWhenTheNetworkHelperIsMissing(t *testing.T) {
	e := newEnv(t)
	farm := linkFarmWithout(t, "slirp4netns")
	e.vars = append(e.vars, "PATH="+binDir+":"+farm)
	res := e.urun(t, "doctor")
	res.exits(t, 1)
	rows := doctorRows(t, res.stdout)
	assert.Equal(t, "problem", rows["network"].status)
	assert.Contains(t, rows["network"].details, "slirp4netns")
	assert.Contains(t, rows["network"].fix, "apt-get install slirp4netns")
	assert.Contains(t, res.stdout, "urun cannot run containers here: 1 problem")
	assert.Empty(t, strings.TrimSpace(res.stderr), "the table said it all")

	out := e.urun(t, "doctor", "--format", "json")
	out.exits(t, 1)
	var doc doctorDoc
	require.NoError(t, json.Unmarshal([]byte(out.stdout), &doc))
	assert.False(t, doc.OK)
}

func TestDoctorReportsABrokenConfiguration(t *testing.T) {
	e := newEnv(t)
	require.NoError(t, os.WriteFile(e.configHome+"/urun/urun.conf", []byte("rootfs_driver = \"bogus\"\n"), 0o600))
	res := e.urun(t, "doctor")
	res.exits(t, 1)
	rows := doctorRows(t, res.stdout)
	assert.Equal(t, "problem", rows["config"].status)
	assert.Contains(t, rows["config"].details, "bogus")
	assert.Contains(t, rows["config"].fix, e.configHome+"/urun/urun.conf")
	assert.Equal(t, "skipped", rows["store"].status)
}

// usermodLine is the fix for a user without subordinate ids.
var usermodLine = regexp.MustCompile(`usermod --add-subuids (\d+)-(\d+) --add-subgids (\d+)-(\d+) (\S+)`)

func TestNoSubuidDoctorWarnsAndSuggestsAFreeRange(t *testing.T) {
	if r, err := callerRange("/etc/subuid"); err == nil {
		t.Skipf("the caller has the subordinate uid range %d:%d; this test needs a user without one (hack/test.sh runs it as urunnosub)", r.start, r.count)
	}
	e := newEnv(t)
	res := e.urun(t, "doctor")
	out := res.ok(t)
	rows := doctorRows(t, out)
	sub := rows["subids"]
	assert.Equal(t, "warning", sub.status)
	assert.Contains(t, sub.details, "single-id user namespace")
	m := usermodLine.FindStringSubmatch(sub.fix)
	require.NotNil(t, m, "the fix is a usermod line: %q", sub.fix)
	assert.Equal(t, os.Getenv("USER"), m[5])
	start, _ := strconv.ParseUint(m[1], 10, 64)
	end, _ := strconv.ParseUint(m[2], 10, 64)
	assert.Equal(t, m[1]+"-"+m[2], m[3]+"-"+m[4], "one block for uids and gids")
	assert.Equal(t, uint64(65535), end-start)
	for _, file := range []string{"/etc/subuid", "/etc/subgid"} {
		data, err := os.ReadFile(file)
		require.NoError(t, err)
		for _, l := range lines(string(data)) {
			f := strings.Split(l, ":")
			if len(f) != 3 {
				continue
			}
			s, err1 := strconv.ParseUint(f[1], 10, 64)
			n, err2 := strconv.ParseUint(f[2], 10, 64)
			if err1 != nil || err2 != nil {
				continue
			}
			assert.Falsef(t, start < s+n && s <= end, "the suggested %d-%d collides with %s's line %q", start, end, file, l)
		}
	}
	// The user can still run containers: the check is a warning.
	assert.Contains(t, out, "urun can run containers here")
	assert.Equal(t, "ok", rows["userns"].status, rows["userns"].details)
}

// In the VM test bed uruntest has what this host lacks: systemd as init,
// pure cgroup v2, a lingering user manager with every controller
// delegated (hack/vm/image.sh), and a session's XDG_RUNTIME_DIR.
func TestVMDoctorSeesCgroupV2TheUserManagerAndLingering(t *testing.T) {
	inVM(t)
	e := newEnv(t)
	res := e.urun(t, "doctor", "--format", "json")
	require.Contains(t, []int{0, 1}, res.code, res.describe())
	var doc doctorDoc
	require.NoError(t, json.Unmarshal([]byte(res.stdout), &doc))
	got := map[string]string{}
	for _, c := range doc.Checks {
		got[c.Name] = c.Status + ": " + c.Message
	}
	for name, want := range map[string]string{
		"cgroups": "ok: cgroup v2",
		"systemd": "ok: your user manager answers",
		"linger":  "ok: lingering is on",
		"session": "ok: XDG_RUNTIME_DIR=/run/user/" + strconv.Itoa(os.Getuid()),
	} {
		assert.True(t, strings.HasPrefix(got[name], want), "%s: want %q..., got %q", name, want, got[name])
	}
	assert.Contains(t, got["cgroups"], "cpu, memory, pids, io", "every controller is delegated to the user manager")
}
