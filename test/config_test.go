package test

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// rootFSType runs a container and returns the file system type of its /.
func rootFSType(t *testing.T, e *env, globals ...string) string {
	t.Helper()
	args := append(append(slicesClone(globals), "run", "--rm"), busyboxRef, "cat", "/proc/mounts")
	m := mountsAt(e.urun(t, args...).ok(t), "/")
	require.NotEmpty(t, m, "a mount at /")
	return m[len(m)-1][2]
}

func TestConfigFileSetsDirectoriesAndDriver(t *testing.T) {
	e := newEnv(t)
	e.flags = nil // the file, not flags, names the directories

	// check writes a configuration naming fresh directories at path and
	// checks that urun, given globals, uses them.
	check := func(t *testing.T, path string, globals ...string) {
		t.Helper()
		graph, run := mkTemp(t), filepath.Join(mkTemp(t), "run")
		conf := fmt.Sprintf("root = %q\nrunroot = %q\nrootfs_driver = \"fuse-overlayfs\"\n", graph, run)
		require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o700))
		require.NoError(t, os.WriteFile(path, []byte(conf), 0o600))
		defer os.Remove(path)

		e.urun(t, append(slicesClone(globals), "pull", busyboxRef)...).ok(t)
		ents, err := os.ReadDir(graph)
		require.NoError(t, err)
		assert.NotEmpty(t, ents, "the image went to the configured root")
		assert.Equal(t, "fuse.fuse-overlayfs", rootFSType(t, e, globals...), "the configured rootfs driver is used")
		assert.Equal(t, "overlay", rootFSType(t, e, append(slicesClone(globals), "--rootfs-driver", "native")...), "the flag overrides the file")
		_, err = os.Stat(run)
		assert.NoError(t, err, "the configured run root is used")
	}
	t.Run("default place", func(t *testing.T) {
		check(t, filepath.Join(e.configHome, "urun", "urun.conf"))
	})
	t.Run("--config", func(t *testing.T) {
		p := filepath.Join(e.dir, "elsewhere.conf")
		check(t, p, "--config", p)
	})
	t.Run("--config naming a missing file", func(t *testing.T) {
		res := e.urun(t, "--config", filepath.Join(e.dir, "missing.conf"), "info")
		res.exits(t, 1)
		assert.Contains(t, res.stderr, "missing.conf")
	})
}
