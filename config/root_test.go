package config

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestMain runs the package's tests with a user's defaults, whoever runs
// them (CI runs the unit tests as root); TestRootGetsTheSystemStore
// switches to root's.
func TestMain(m *testing.M) {
	isHostRoot = func() bool { return false }
	os.Exit(m.Run())
}

func TestRootGetsTheSystemStore(t *testing.T) {
	isHostRoot = func() bool { return true }
	t.Cleanup(func() { isHostRoot = func() bool { return false } })
	t.Setenv("XDG_DATA_HOME", t.TempDir())
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	c, err := Load("")
	require.NoError(t, err)
	assert.Equal(t, RootGraphRoot, c.GraphRoot)
	assert.Equal(t, RootRunRoot, c.RunRoot)

	conf := filepath.Join(t.TempDir(), "urun.conf")
	require.NoError(t, os.WriteFile(conf, []byte("root = \"/srv/urun\"\n"), 0o600))
	c, err = Load(conf)
	require.NoError(t, err)
	assert.Equal(t, "/srv/urun", c.GraphRoot, "the configuration file still wins")
}
