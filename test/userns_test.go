package test

import (
	"bufio"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The user-namespace modes: --userns keep-id and the others (run as
// uruntest, who has subordinate ids), a user without subordinate ids
// (TestNoSubuid*, run as urunnosub by hack/test.sh) and root
// (TestAsRoot*, run as root by hack/test.sh).

// ownerOnHost is the uid and gid owning path.
func ownerOnHost(t *testing.T, path string) (uint32, uint32) {
	t.Helper()
	st, err := os.Lstat(path)
	require.NoError(t, err)
	sys := st.Sys().(*syscall.Stat_t)
	return sys.Uid, sys.Gid
}

// sharedDir is a new directory for a -v DIR:DIR that containers of any of
// the caller's ids may write in.
func sharedDir(t *testing.T) string {
	t.Helper()
	dir := mkTemp(t)
	require.NoError(t, os.Chmod(dir, 0o777))
	return dir
}

func TestUserNSKeepIDRunsTheJobAsYou(t *testing.T) {
	if _, err := callerRange("/etc/subuid"); err != nil {
		t.Skipf("keep-id with subordinate ids needs a caller with a range (%v); TestNoSubuidKeepID covers the caller without", err)
	}
	me, err := user.Current()
	require.NoError(t, err)
	e := newUserNSEnv(t)
	e.urun(t, "pull", "-q", busyboxRef).ok(t)
	dir := mkTemp(t)
	tests := []struct {
		name    string
		args    []string
		command string
		want    string
	}{
		{"id -u is your uid", nil, "id -u", me.Uid},
		{"id -g is your gid", nil, "id -g", me.Gid},
		{"whoami is your name", nil, "whoami", me.Username},
		{"HOME is your home", nil, "echo $HOME", me.HomeDir},
		{"your home exists and is yours", nil, "stat -c %u $HOME", me.Uid},
		{"the image's root files stay root's", nil, "stat -c %u:%g /bin/busybox /etc/passwd", "0:0\n0:0"},
		{"the image's other owners stay theirs", nil, "stat -c %u:%g /home/app", "1000:1000"},
		{"the image's root may not be written", nil, "touch /etc/x 2>/dev/null || echo refused", "refused"},
		{"keep-id:uid=,gid= picks the ids inside", []string{"--userns", "keep-id:uid=2000,gid=3000"}, "id -u; id -g; stat -c %u /bin/busybox", "2000\n3000\n0"},
		{"--user still wins", []string{"--user", "0"}, "id -u", "0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"run", "--rm", "--network", "none", "--userns", "keep-id"}, tt.args...)
			args = append(args, "-v", dir+":"+dir, busyboxRef, "sh", "-c", tt.command)
			out := e.urun(t, args...).ok(t)
			assert.Equal(t, tt.want, strings.TrimSpace(out))
		})
	}
	t.Run("files written into -v $DIR:$DIR are yours on the host", func(t *testing.T) {
		e.urun(t, "run", "--rm", "--network", "none", "--userns", "keep-id", "-v", dir+":"+dir, "-w", dir, busyboxRef,
			"sh", "-c", "echo result > out.txt && mkdir sub").ok(t)
		for _, name := range []string{"out.txt", "sub"} {
			uid, gid := ownerOnHost(t, filepath.Join(dir, name))
			assert.Equal(t, me.Uid, strconv.Itoa(int(uid)), name)
			assert.Equal(t, me.Gid, strconv.Itoa(int(gid)), name)
		}
	})
	t.Run("URUN_USERNS sets the default", func(t *testing.T) {
		e2 := *e
		e2.vars = append(append([]string(nil), e.vars...), "URUN_USERNS=keep-id")
		assert.Equal(t, me.Uid, strings.TrimSpace(e2.urun(t, "run", "--rm", "--network", "none", busyboxRef, "id", "-u").ok(t)))
	})
}

func TestUserNSValuesUrunCannotHonourAreRefused(t *testing.T) {
	e := newUserNSEnv(t)
	tests := []struct {
		name    string
		args    []string
		mention string
	}{
		{"an unknown mode", []string{"--userns", "bogus"}, "keep-id"},
		{"nomap, whose image files would belong to nobody", []string{"--userns", "nomap"}, "nobody"},
		{"a namespace by path", []string{"--userns", "ns:/proc/1/ns/user"}, "not supported"},
		{"keep-id with a bad uid", []string{"--userns", "keep-id:uid=x"}, "uid=N"},
		{"keep-id with an unknown option", []string{"--userns", "keep-id:size=3"}, "size"},
		{"auto with podman's options", []string{"--userns", "auto:size=1000"}, "no options"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append(append([]string{"run", "--rm"}, tt.args...), busyboxRef, "true")
			res := e.urun(t, args...)
			res.exits(t, 125)
			assert.Contains(t, res.stderr, tt.mention)
		})
	}
	t.Run("keep-id on a network of urun's, whose user namespace the container enters", func(t *testing.T) {
		if os.Getuid() == 0 {
			t.Skip("root's keep-id is refused before the network is looked at (TestAsRootContainersKeepTheHostsIDs)")
		}
		e.urun(t, "pull", "-q", busyboxRef).ok(t)
		e.urun(t, "network", "create", "kid").ok(t)
		t.Cleanup(func() { e.urun(t, "network", "rm", "kid") })
		res := e.urun(t, "run", "--rm", "--network", "kid", "--userns", "keep-id", busyboxRef, "true")
		res.exits(t, 125)
		assert.Contains(t, res.stderr, "slirp4netns")
	})
}

func TestUserNSStoreFilledWithOtherMappingsIsRefused(t *testing.T) {
	e := newUserNSEnv(t)
	e.urun(t, "pull", "-q", busyboxRef).ok(t)
	record := filepath.Join(e.GraphRoot(), "urun-idmap")
	require.FileExists(t, record, "the first image command records the store's mappings")
	// As if the store had been filled before the caller got (or lost)
	// subordinate ids: uid 7 alone.
	require.NoError(t, os.WriteFile(record, []byte("uid_map\n0 7 1\ngid_map\n0 7 1\n"), 0o644))
	for _, args := range [][]string{{"run", "--rm", busyboxRef, "true"}, {"pull", "-q", busyboxRef}} {
		res := e.urun(t, args...)
		assert.NotEqual(t, 0, res.code, "%v", args)
		assert.Contains(t, res.stderr, "other id mappings", "%v", args)
		assert.Contains(t, res.stderr, "--root", "%v: the message says what to do", args)
	}
}

func TestUserNSFakerootMapsYouAloneWithoutANotice(t *testing.T) {
	e := newUserNSEnv(t)
	e.urun(t, "pull", "-q", busyboxRef).ok(t)
	res := e.urun(t, "run", "--rm", "--network", "none", "--userns", "fakeroot", busyboxRef, "cat", "/proc/self/uid_map")
	out := res.ok(t)
	assert.Equal(t, []string{"0", strconv.Itoa(os.Getuid()), "1"}, strings.Fields(out))
	assert.NotContains(t, res.stderr, "notice")
	res = e.urun(t, "run", "--rm", "--network", "none", "--userns", "fakeroot", "--group-add", "1000", busyboxRef, "true")
	res.exits(t, 125)
	assert.Contains(t, res.stderr, "--group-add")
}

// subIDRanges are every line's ranges in a subuid(5)-format file.
func subIDRanges(t *testing.T, file string) []idRange {
	t.Helper()
	f, err := os.Open(file)
	if os.IsNotExist(err) {
		return nil
	}
	require.NoError(t, err)
	defer f.Close()
	var out []idRange
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Split(strings.TrimSpace(sc.Text()), ":")
		if len(fields) != 3 {
			continue
		}
		start, err1 := strconv.Atoi(fields[1])
		count, err2 := strconv.Atoi(fields[2])
		if err1 == nil && err2 == nil {
			out = append(out, idRange{start, count})
		}
	}
	return out
}

// newUserNSEnv is a new store (as newEnv's) that a caller without subordinate ids can
// remove too: the layers' read-only directories (an image's 0555 root)
// are theirs, yet without subordinate ids mkTemp's removal has no
// namespace to override their modes from.
func newUserNSEnv(t *testing.T) *env {
	t.Helper()
	// --root: root's default store is the system's.
	e := newEnvWith(t, envOptions{explicitRoot: true})
	if _, err := callerRange("/etc/subuid"); err == nil || os.Getuid() == 0 {
		return e
	}
	t.Cleanup(func() {
		if out, err := exec.Command("chmod", "-R", "u+w", e.dir).CombinedOutput(); err != nil {
			t.Logf("chmod -R u+w %s: %v: %s", e.dir, err, out)
		}
	})
	return e
}

func skipUnlessNoSubuid(t *testing.T) {
	t.Helper()
	if os.Getuid() == 0 {
		t.Skip("root keeps the host's ids and needs no subordinate ids (TestAsRoot*); this test needs a user without them (hack/test.sh runs it as urunnosub)")
	}
	if r, err := callerRange("/etc/subuid"); err == nil {
		t.Skipf("the caller has the subordinate uid range %d:%d in /etc/subuid; this test needs a user without one (hack/test.sh runs it as urunnosub)", r.start, r.count)
	}
}

func TestNoSubuidRunsYouAsRootWithANoticeNamingTheFix(t *testing.T) {
	skipUnlessNoSubuid(t)
	me, err := user.Current()
	require.NoError(t, err)
	e := newUserNSEnv(t)
	dir := sharedDir(t)
	res := e.urun(t, "run", "--rm", "--network", "none", "-v", dir+":"+dir, busyboxRef, "sh", "-c",
		"id -u; stat -c %u:%g /bin/busybox /home/app; echo result > "+dir+"/out.txt")
	out := res.ok(t)
	assert.Equal(t, []string{"0", "0:0", "0:0"}, lines(out), "root inside; the image's files of other owners are squashed to you")
	uid, gid := ownerOnHost(t, filepath.Join(dir, "out.txt"))
	assert.Equal(t, []uint32{uint32(os.Getuid()), uint32(os.Getgid())}, []uint32{uid, gid}, "the job's files are yours on the host")

	notices := noticeLine.FindAllString(res.stderr, -1)
	require.Len(t, notices, 1, "one notice: %s", res.stderr)
	notice := notices[0]
	for _, what := range []string{"/etc/subuid", "--user", "_apt", "files of other owners"} {
		assert.Contains(t, notice, what)
	}
	m := regexp.MustCompile(`sudo usermod --add-subuids (\d+)-(\d+) --add-subgids (\d+)-(\d+) (\S+)`).FindStringSubmatch(notice)
	require.NotNil(t, m, "the notice names the fix: %s", notice)
	start, _ := strconv.Atoi(m[1])
	end, _ := strconv.Atoi(m[2])
	assert.Equal(t, m[1]+"-"+m[2], m[3]+"-"+m[4], "the same range for uids and gids")
	assert.Equal(t, me.Username, m[5])
	assert.Equal(t, 65536, end-start+1)
	assert.GreaterOrEqual(t, start, 100000)
	for _, file := range []string{"/etc/subuid", "/etc/subgid"} {
		for _, r := range subIDRanges(t, file) {
			assert.False(t, start < r.start+r.count && r.start <= end, "the suggested range %d-%d collides with %d:%d in %s", start, end, r.start, r.count, file)
		}
	}

	t.Run("fakeroot asks for it without the notice", func(t *testing.T) {
		res := e.urun(t, "run", "--rm", "--network", "none", "--userns", "fakeroot", busyboxRef, "true")
		res.ok(t)
		assert.NotContains(t, res.stderr, "notice")
	})
	t.Run("another user inside is refused with the reason", func(t *testing.T) {
		res := e.urun(t, "run", "--rm", "--network", "none", "--user", "1000", busyboxRef, "true")
		res.exits(t, 125)
		assert.Contains(t, res.stderr, "/etc/subuid")
	})
	t.Run("--group-add is refused with the reason", func(t *testing.T) {
		res := e.urun(t, "run", "--rm", "--network", "none", "--group-add", "1000", busyboxRef, "true")
		res.exits(t, 125)
		assert.Contains(t, res.stderr, "single id")
	})
	t.Run("exec, cp and rm work", func(t *testing.T) {
		e.urun(t, "run", "-d", "--name", "nosub", "--network", "none", busyboxRef, "sleep", "60").ok(t)
		e.urun(t, "exec", "nosub", "sh", "-c", "echo hi > /made").ok(t)
		e.urun(t, "cp", "nosub:/made", filepath.Join(dir, "made")).ok(t)
		data, err := os.ReadFile(filepath.Join(dir, "made"))
		require.NoError(t, err)
		assert.Equal(t, "hi\n", string(data))
		e.urun(t, "rm", "-f", "nosub").ok(t)
	})
}

// noticeLine is a line of urun's notices on stderr.
var noticeLine = regexp.MustCompile(`(?m)^urun: notice: .*$`)

// The monitor of a detached container has no terminal: the command the
// user typed tells the notice, once.
func TestNoSubuidDetachedContainersGiveTheNoticeOnce(t *testing.T) {
	skipUnlessNoSubuid(t)
	e := newUserNSEnv(t)
	e.urun(t, "pull", "-q", busyboxRef).ok(t)
	for _, tt := range []struct {
		name string
		// commands start the container "job"; each tells the notice once.
		commands [][]string
	}{
		{"run -d", [][]string{{"run", "-d", "--name", "job", "--network", "none", busyboxRef, "sleep", "60"}}},
		{"create, then start", [][]string{
			{"create", "--name", "job", "--network", "none", busyboxRef, "sleep", "60"},
			{"start", "job"},
		}},
		{"restart", [][]string{
			{"run", "-d", "--name", "job", "--network", "none", busyboxRef, "sleep", "60"},
			{"restart", "-t", "0", "job"},
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Cleanup(func() { e.urun(t, "rm", "-f", "job") })
			for _, args := range tt.commands {
				res := e.urun(t, args...)
				res.ok(t)
				assert.Len(t, noticeLine.FindAllString(res.stderr, -1), 1, "urun %s tells the notice once: %s", args[0], res.stderr)
			}
			assert.Equal(t, "0", strings.TrimSpace(e.urun(t, "exec", "job", "id", "-u").ok(t)), "the container runs, you as root")
		})
	}
	t.Run("a foreground run through a monitor", func(t *testing.T) {
		// --sig-proxy=false runs under a monitor and attaches to it.
		res := e.urun(t, "run", "--rm", "--sig-proxy=false", "--network", "none", busyboxRef, "echo", "ran")
		assert.Equal(t, "ran\n", res.ok(t))
		assert.Len(t, noticeLine.FindAllString(res.stderr, -1), 1, "one notice: %s", res.stderr)
	})
}

func TestNoSubuidKeepIDIsYouAndTheImageIsYours(t *testing.T) {
	skipUnlessNoSubuid(t)
	e := newUserNSEnv(t)
	dir := sharedDir(t)
	out := e.urun(t, "run", "--rm", "--network", "none", "--userns", "keep-id", "-v", dir+":"+dir, busyboxRef, "sh", "-c",
		"id -u; stat -c %u /bin/busybox; echo x > "+dir+"/f").ok(t)
	me := strconv.Itoa(os.Getuid())
	assert.Equal(t, []string{me, me}, lines(out), "your uid inside; without subordinate ids the image's files show as yours")
	uid, _ := ownerOnHost(t, filepath.Join(dir, "f"))
	assert.Equal(t, uint32(os.Getuid()), uid)
}

func skipUnlessRoot(t *testing.T) {
	t.Helper()
	if os.Getuid() != 0 {
		t.Skipf("runs as root (hack/test.sh runs TestAsRoot* as root); this is uid %d", os.Getuid())
	}
}

func TestAsRootContainersKeepTheHostsIDs(t *testing.T) {
	skipUnlessRoot(t)
	e := newEnvWith(t, envOptions{explicitRoot: true})
	dir := sharedDir(t)
	res := e.urun(t, "run", "--rm", "--network", "none", "-v", dir+":"+dir, busyboxRef, "sh", "-c",
		"id -u; cat /proc/self/uid_map; stat -c %u:%g /home/app; touch "+dir+"/f && chown 1234:5678 "+dir+"/f")
	out := res.ok(t)
	assert.NotContains(t, res.stderr, "subordinate")
	l := lines(out)
	require.Len(t, l, 3)
	assert.Equal(t, "0", l[0])
	assert.Equal(t, []string{"0", "0", "4294967295"}, strings.Fields(l[1]), "no remapping")
	assert.Equal(t, "1000:1000", l[2])
	uid, gid := ownerOnHost(t, filepath.Join(dir, "f"))
	assert.Equal(t, []uint32{1234, 5678}, []uint32{uid, gid}, "container uid N is host uid N")

	// The pulled image's files are stored with their real owners.
	var owners []string
	filepath.Walk(filepath.Join(e.GraphRoot(), "overlay"), func(path string, info os.FileInfo, err error) error {
		if err == nil && strings.HasSuffix(path, "/diff/home/app") {
			uid, gid := ownerOnHost(t, path)
			owners = append(owners, strconv.Itoa(int(uid))+":"+strconv.Itoa(int(gid)))
		}
		return nil
	})
	assert.Contains(t, owners, "1000:1000")

	t.Run("keep-id is refused with the reason", func(t *testing.T) {
		res := e.urun(t, "run", "--rm", "--userns", "keep-id", busyboxRef, "true")
		res.exits(t, 125)
		assert.Contains(t, res.stderr, "root")
	})
}

func TestAsRootTheStoreIsTheSystemOne(t *testing.T) {
	skipUnlessRoot(t)
	e := newEnvWith(t, envOptions{defaultRunRoot: true})
	out := e.urun(t, "info").ok(t)
	assert.Contains(t, out, "/var/lib/urun/storage")
	assert.Contains(t, out, "/run/urun")
}
