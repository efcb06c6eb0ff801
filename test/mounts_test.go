package test

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRunBindMountWritesLandOnHostAsCaller(t *testing.T) {
	e := sharedStore(t)
	for _, c := range []struct{ name, flag, value string }{
		{"-v", "-v", "%s:/data"},
		{"--mount", "--mount", "type=bind,source=%s,target=/data"},
	} {
		t.Run(c.name, func(t *testing.T) {
			host := mkTemp(t)
			require.NoError(t, os.WriteFile(filepath.Join(host, "from-host"), []byte("host data\n"), 0o644))
			spec := strings.Replace(c.value, "%s", host, 1)
			out := e.urun(t, "run", "--rm", c.flag, spec, busyboxRef, "sh", "-c", "cat /data/from-host && echo written > /data/from-container").ok(t)
			assert.Equal(t, "host data\n", out, "the host's file is visible inside")
			b, err := os.ReadFile(filepath.Join(host, "from-container"))
			require.NoError(t, err, "the file written inside is on the host")
			assert.Equal(t, "written\n", string(b))
			st, err := os.Stat(filepath.Join(host, "from-container"))
			require.NoError(t, err)
			sys := st.Sys().(*syscall.Stat_t)
			assert.Equal(t, uint32(os.Getuid()), sys.Uid, "container root writes as the calling user")
			assert.Equal(t, uint32(os.Getgid()), sys.Gid)
		})
	}
}

func TestRunReadOnlyBindMountRefusesWrites(t *testing.T) {
	e := sharedStore(t)
	for _, c := range []struct{ name, flag, value string }{
		{"-v :ro", "-v", "%s:/data:ro"},
		{"--mount readonly", "--mount", "type=bind,source=%s,target=/data,readonly"},
	} {
		t.Run(c.name, func(t *testing.T) {
			host := mkTemp(t)
			require.NoError(t, os.WriteFile(filepath.Join(host, "from-host"), []byte("host data\n"), 0o644))
			spec := strings.Replace(c.value, "%s", host, 1)
			out := e.urun(t, "run", "--rm", c.flag, spec, busyboxRef, "cat", "/data/from-host").ok(t)
			assert.Equal(t, "host data\n", out)
			res := e.urun(t, "run", "--rm", c.flag, spec, busyboxRef, "sh", "-c", "echo x > /data/new")
			assert.NotEqual(t, 0, res.code, "writing to a read-only mount must fail: %s", res.describe())
			assert.Contains(t, res.stderr, "Read-only file system")
			_, err := os.Stat(filepath.Join(host, "new"))
			assert.True(t, os.IsNotExist(err), "nothing was written on the host")
		})
	}
}

func TestRunTmpfsMounts(t *testing.T) {
	e := sharedStore(t)
	for _, c := range []struct{ name string }{{"--tmpfs"}, {"--mount type=tmpfs"}} {
		t.Run(c.name, func(t *testing.T) {
			args := []string{"--tmpfs", "/scratch"}
			if c.name != "--tmpfs" {
				args = []string{"--mount", "type=tmpfs,target=/scratch"}
			}
			out := e.urun(t, append(append([]string{"run", "--rm"}, args...), busyboxRef,
				"sh", "-c", "echo hi > /scratch/f && cat /scratch/f && cat /proc/mounts")...).ok(t)
			ls := lines(out)
			require.NotEmpty(t, ls)
			assert.Equal(t, "hi", ls[0])
			m := mountsAt(strings.Join(ls[1:], "\n"), "/scratch")
			require.NotEmpty(t, m, "/scratch is a mount point")
			assert.Equal(t, "tmpfs", m[len(m)-1][2])
		})
	}
	t.Run("is empty in the next container", func(t *testing.T) {
		out := e.urun(t, "run", "--rm", "--tmpfs", "/scratch", busyboxRef, "ls", "-A", "/scratch").ok(t)
		assert.Equal(t, "", out)
	})
}

func TestRunHasProcSysAndDev(t *testing.T) {
	e := sharedStore(t)
	mounts := e.urun(t, "run", "--rm", busyboxRef, "cat", "/proc/mounts").ok(t)
	for _, c := range []struct{ target, fstype string }{
		{"/proc", "proc"},
		{"/sys", "sysfs"},
		{"/dev", "tmpfs"},
		{"/dev/pts", "devpts"},
		{"/dev/shm", "tmpfs"},
		{"/dev/mqueue", "mqueue"},
	} {
		m := mountsAt(mounts, c.target)
		if assert.NotEmpty(t, m, "%s is mounted", c.target) {
			assert.Equal(t, c.fstype, m[len(m)-1][2], "file system type at %s", c.target)
		}
	}
	if m := mountsAt(mounts, "/sys"); len(m) > 0 {
		assert.True(t, hasOption(m[len(m)-1][3], "ro"), "/sys is read-only: %v", m[len(m)-1])
	}

	t.Run("/sys refuses writes", func(t *testing.T) {
		res := e.urun(t, "run", "--rm", busyboxRef, "touch", "/sys/urun-test")
		assert.NotEqual(t, 0, res.code, res.describe())
	})
	t.Run("/proc is the container's", func(t *testing.T) {
		out := e.urun(t, "run", "--rm", busyboxRef, "readlink", "/proc/self").ok(t)
		assert.Equal(t, "1", strings.TrimSpace(out))
	})
	t.Run("/dev devices", func(t *testing.T) {
		out := e.urun(t, "run", "--rm", busyboxRef, "ls", "-A", "/dev").ok(t)
		names := strings.Fields(out)
		for _, n := range []string{"null", "zero", "full", "random", "urandom", "tty", "pts", "shm", "mqueue"} {
			assert.Contains(t, names, n, "/dev/%s", n)
		}
		for _, n := range []string{"sda", "vda", "nvme0", "mem", "kmsg"} {
			assert.NotContains(t, names, n, "the host's /dev/%s must not show", n)
		}
		out = e.urun(t, "run", "--rm", busyboxRef, "sh", "-c",
			"echo gone > /dev/null && head -c 5 /dev/zero | wc -c && head -c 7 /dev/urandom | wc -c && if echo x > /dev/full; then echo full-accepted; fi").ok(t)
		assert.Equal(t, []string{"5", "7"}, strings.Fields(out))
	})
}
