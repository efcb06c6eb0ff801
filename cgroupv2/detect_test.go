package cgroupv2

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

func TestHostModeComesFromTheFileSystemsAtSysFsCgroup(t *testing.T) {
	for _, c := range []struct {
		name          string
		root, unified int64
		want          Mode
	}{
		{"cgroup2 at /sys/fs/cgroup", unix.CGROUP2_SUPER_MAGIC, 0, Unified},
		{"tmpfs with cgroup2 at unified", unix.TMPFS_MAGIC, unix.CGROUP2_SUPER_MAGIC, Hybrid},
		{"tmpfs with v1 hierarchies only", unix.TMPFS_MAGIC, 0, Legacy},
		{"tmpfs with a tmpfs at unified", unix.TMPFS_MAGIC, unix.TMPFS_MAGIC, Legacy},
	} {
		t.Run(c.name, func(t *testing.T) {
			assert.Equal(t, c.want, modeOf(c.root, c.unified))
		})
	}
}

func TestThisHostsModeIsDetected(t *testing.T) {
	var st unix.Statfs_t
	require.NoError(t, unix.Statfs(Root, &st))
	mode, err := DetectMode()
	require.NoError(t, err)
	assert.Equal(t, st.Type == unix.CGROUP2_SUPER_MAGIC, mode == Unified)
}

func TestOwnCgroupIsTheUnifiedLineOfProcSelfCgroup(t *testing.T) {
	for _, c := range []struct {
		name, data, want string
	}{
		{"unified host", "0::/user.slice/user-1001.slice/session-3.scope\n", "/user.slice/user-1001.slice/session-3.scope"},
		{"hybrid host", "12:memory:/user.slice\n1:name=systemd:/user.slice/x.scope\n0::/user.slice/x.scope\n", "/user.slice/x.scope"},
		{"root cgroup", "0::/\n", "/"},
		{"removed cgroup", "0::/a/b (deleted)\n", "/a/b"},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := parseProcCgroup([]byte(c.data))
			require.NoError(t, err)
			assert.Equal(t, c.want, got)
		})
	}
	for _, bad := range []string{"", "4:pids:/user.slice\n", "0::relative\n"} {
		_, err := parseProcCgroup([]byte(bad))
		assert.Error(t, err, "%q", bad)
	}
	own, err := OwnCgroup()
	require.NoError(t, err)
	assert.Regexp(t, "^/", own)
}

func TestTheCommonAncestorOfTwoCgroups(t *testing.T) {
	for _, c := range []struct{ a, b, want string }{
		{"/user.slice/user-1001.slice/session-1.scope", "/user.slice/user-1001.slice/user@1001.service/user.slice/urun-x.scope/container", "/user.slice/user-1001.slice"},
		{"/job_1/leaf", "/job_1/urun-x", "/job_1"},
		{"/a", "/b", "/"},
		{"/", "/a/b", "/"},
		{"/a/b", "/a/b", "/a/b"},
		{"/a/bc", "/a/b", "/a"},
	} {
		assert.Equal(t, c.want, commonAncestor(c.a, c.b), "%s and %s", c.a, c.b)
	}
}
