package config

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// testHome points every directory urun derives from the environment at a
// fresh temporary tree and returns it.
type testHome struct {
	home, config, data, runtime string
}

func setTestHome(t *testing.T) testHome {
	t.Helper()
	root := t.TempDir()
	h := testHome{
		home:    filepath.Join(root, "home"),
		config:  filepath.Join(root, "config"),
		data:    filepath.Join(root, "data"),
		runtime: filepath.Join(root, "run"),
	}
	for _, d := range []string{h.home, h.config, h.data} {
		require.NoError(t, os.Mkdir(d, 0o755))
	}
	require.NoError(t, os.Mkdir(h.runtime, 0o700))
	t.Setenv("HOME", h.home)
	t.Setenv("XDG_CONFIG_HOME", h.config)
	t.Setenv("XDG_DATA_HOME", h.data)
	t.Setenv("XDG_RUNTIME_DIR", h.runtime)
	return h
}

func writeConf(t *testing.T, path, content string) {
	t.Helper()
	require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
	require.NoError(t, os.WriteFile(path, []byte(content), 0o644))
}

func TestConfigFileIsFoundUnderXDGConfigHome(t *testing.T) {
	h := setTestHome(t)
	assert.Equal(t, filepath.Join(h.config, "urun", "urun.conf"), Path())

	t.Setenv("XDG_CONFIG_HOME", "relative/config") // ignored, as the spec says
	assert.Equal(t, filepath.Join(h.home, ".config", "urun", "urun.conf"), Path())
}

func TestWithoutConfigFileTheDefaultsApply(t *testing.T) {
	h := setTestHome(t)

	c, err := Load("")
	require.NoError(t, err)
	assert.Equal(t, &Config{
		GraphRoot:    filepath.Join(h.data, "urun", "storage"),
		RunRoot:      filepath.Join(h.runtime, "urun"),
		RootfsDriver: "auto",
		Network:      "slirp4netns",
	}, c)
}

func TestDefaultStorageIsUnderTheHomeWithoutXDGDataHome(t *testing.T) {
	h := setTestHome(t)
	t.Setenv("XDG_DATA_HOME", "")

	c, err := Load("")
	require.NoError(t, err)
	assert.Equal(t, filepath.Join(h.home, ".local", "share", "urun", "storage"), c.GraphRoot)
}

func TestConfigFileOverridesTheDefaults(t *testing.T) {
	tests := []struct {
		name     string
		content  string
		explicit bool // pass the path to Load instead of using the default place
		check    func(t *testing.T, h testHome, c *Config)
	}{
		{
			name:    "every setting",
			content: "root = \"/srv/urun\"\nrunroot = \"/run/urun-test\"\nrootfs_driver = \"fuse-overlayfs\"\nnetwork = \"host\"\n",
			check: func(t *testing.T, h testHome, c *Config) {
				assert.Equal(t, "/srv/urun", c.GraphRoot)
				assert.Equal(t, "/run/urun-test", c.RunRoot)
				assert.Equal(t, "fuse-overlayfs", c.RootfsDriver)
				assert.Equal(t, "host", c.Network)
			},
		},
		{
			name:    "only the driver; the rest stay default",
			content: "# urun settings\nrootfs_driver = \"native\"\n",
			check: func(t *testing.T, h testHome, c *Config) {
				assert.Equal(t, "native", c.RootfsDriver)
				assert.Equal(t, filepath.Join(h.data, "urun", "storage"), c.GraphRoot)
				assert.Equal(t, filepath.Join(h.runtime, "urun"), c.RunRoot)
				assert.Equal(t, "slirp4netns", c.Network)
			},
		},
		{
			name:     "explicit file",
			content:  "root = \"/elsewhere\"\n",
			explicit: true,
			check: func(t *testing.T, h testHome, c *Config) {
				assert.Equal(t, "/elsewhere", c.GraphRoot)
				assert.Equal(t, "auto", c.RootfsDriver)
			},
		},
		{
			name:    "empty file",
			content: "",
			check: func(t *testing.T, h testHome, c *Config) {
				assert.Equal(t, "auto", c.RootfsDriver)
				assert.Equal(t, filepath.Join(h.data, "urun", "storage"), c.GraphRoot)
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := setTestHome(t)
			path := Path()
			arg := ""
			if tt.explicit {
				path = filepath.Join(t.TempDir(), "custom.conf")
				arg = path
			}
			writeConf(t, path, tt.content)

			c, err := Load(arg)
			require.NoError(t, err)
			assert.Equal(t, path, c.Source)
			tt.check(t, h, c)
		})
	}
}

func TestBadConfigIsAnError(t *testing.T) {
	tests := []struct {
		name, content, wantErr string
	}{
		{"unknown rootfs driver", "rootfs_driver = \"overlay2\"\n", `rootfs driver "overlay2": want one of auto, native, fuse-overlayfs`},
		{"empty rootfs driver", "rootfs_driver = \"\"\n", `rootfs driver ""`},
		{"not TOML", "root = /no/quotes\n", "read configuration"},
		{"wrong type", "root = 5\n", "read configuration"},
		{"lock timeout without unit", "lock_timeout = \"30\"\n", `lock_timeout "30": want a duration above zero`},
		{"negative lock timeout", "lock_timeout = \"-1s\"\n", `lock_timeout "-1s"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			setTestHome(t)
			writeConf(t, Path(), tt.content)

			_, err := Load("")
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.wantErr)
		})
	}
}

func TestLockTimeoutBoundsLockWaits(t *testing.T) {
	tests := []struct {
		content string
		want    time.Duration
	}{
		{"", DefaultLockTimeout},
		{"lock_timeout = \"5s\"\n", 5 * time.Second},
		{"lock_timeout = \"2m\"\n", 2 * time.Minute},
	}
	for _, tt := range tests {
		t.Run(tt.content, func(t *testing.T) {
			setTestHome(t)
			writeConf(t, Path(), tt.content)
			c, err := Load("")
			require.NoError(t, err)
			assert.Equal(t, tt.want, c.LockWait())
		})
	}
}

func TestExplicitConfigFileMustExist(t *testing.T) {
	setTestHome(t)
	missing := filepath.Join(t.TempDir(), "nope.conf")

	_, err := Load(missing)
	require.Error(t, err)
	assert.ErrorIs(t, err, os.ErrNotExist)
	assert.Contains(t, err.Error(), missing)
}

func TestStorageRunRootDerivesFromTheRunRoot(t *testing.T) {
	c := &Config{GraphRoot: "/g", RunRoot: "/r"}
	assert.Equal(t, "/r/storage", c.StorageRunRoot())
}

// privateTmp unsets XDG_RUNTIME_DIR and points the temporary directory (and
// the home and XDG directories) at fresh ones; it returns where
// RuntimeDir's fallback will be.
func privateTmp(t *testing.T) string {
	t.Helper()
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	t.Setenv("HOME", t.TempDir())
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	t.Setenv("XDG_DATA_HOME", t.TempDir())
	t.Setenv("XDG_RUNTIME_DIR", "")
	require.NoError(t, os.Unsetenv("XDG_RUNTIME_DIR"))
	return filepath.Join(tmp, "urun-"+strconv.Itoa(os.Getuid()))
}

func TestRuntimeDirIsXDGRuntimeDir(t *testing.T) {
	xdg := t.TempDir()
	t.Setenv("XDG_RUNTIME_DIR", xdg)

	got, err := RuntimeDir()
	require.NoError(t, err)
	assert.Equal(t, xdg, got)
}

func TestWithoutXDGRuntimeDirAPrivateTmpDirectoryIsUsed(t *testing.T) {
	tests := []struct {
		name string
		xdg  func(t *testing.T) string // "" leaves XDG_RUNTIME_DIR unset
	}{
		{"unset", func(*testing.T) string { return "" }},
		{"relative", func(*testing.T) string { return "run/user" }},
		{"missing", func(t *testing.T) string { return filepath.Join(t.TempDir(), "gone") }},
		{"a file", func(t *testing.T) string {
			p := filepath.Join(t.TempDir(), "file")
			require.NoError(t, os.WriteFile(p, nil, 0o600))
			return p
		}},
		{"owned by someone else", func(t *testing.T) string {
			d := t.TempDir()
			if os.Getuid() != 0 {
				t.Skip("changing a directory's owner needs root")
			}
			require.NoError(t, os.Chown(d, os.Getuid()+4242, -1))
			return d
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := privateTmp(t)
			if xdg := tt.xdg(t); xdg != "" {
				t.Setenv("XDG_RUNTIME_DIR", xdg)
			}

			got, err := RuntimeDir()
			require.NoError(t, err)
			assert.Equal(t, want, got)
			st, err := os.Stat(got)
			require.NoError(t, err)
			assert.True(t, st.IsDir())
			assert.Equal(t, os.FileMode(0o700), st.Mode().Perm())

			again, err := RuntimeDir()
			require.NoError(t, err, "an existing private directory is reused")
			assert.Equal(t, want, again)
		})
	}
}

func TestUnsafeTmpRuntimeDirIsRefused(t *testing.T) {
	tests := []struct {
		name    string
		prepare func(t *testing.T, dir string)
	}{
		{"writable by everyone", func(t *testing.T, dir string) {
			require.NoError(t, os.Mkdir(dir, 0o700))
			require.NoError(t, os.Chmod(dir, 0o777))
		}},
		{"writable by the group", func(t *testing.T, dir string) {
			require.NoError(t, os.Mkdir(dir, 0o700))
			require.NoError(t, os.Chmod(dir, 0o770))
		}},
		{"readable by others", func(t *testing.T, dir string) {
			require.NoError(t, os.Mkdir(dir, 0o700))
			require.NoError(t, os.Chmod(dir, 0o705))
		}},
		{"owned by another user", func(t *testing.T, dir string) {
			if os.Getuid() != 0 {
				t.Skip("changing a directory's owner needs root")
			}
			require.NoError(t, os.Mkdir(dir, 0o700))
			require.NoError(t, os.Chown(dir, os.Getuid()+4242, -1))
		}},
		{"a symlink to a private directory", func(t *testing.T, dir string) {
			target := t.TempDir()
			require.NoError(t, os.Symlink(target, dir))
		}},
		{"a file", func(t *testing.T, dir string) {
			require.NoError(t, os.WriteFile(dir, nil, 0o600))
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := privateTmp(t)
			tt.prepare(t, dir)

			_, err := RuntimeDir()
			require.Error(t, err)
			assert.Contains(t, err.Error(), dir)
			assert.Contains(t, err.Error(), "not a private directory")
			assert.Contains(t, err.Error(), "XDG_RUNTIME_DIR")

			_, err = Load("")
			assert.Error(t, err, "Load refuses it too")
		})
	}
}

func TestTmpDirAndPullStallTimeout(t *testing.T) {
	h := setTestHome(t)
	t.Setenv("URUN_PULL_STALL_TIMEOUT", "")
	c, err := Load("")
	require.NoError(t, err)
	assert.Equal(t, filepath.Join(h.data, "urun", "storage", "urun-tmp"), c.ImageTempDir())
	d, err := c.StallTimeout()
	require.NoError(t, err)
	assert.Equal(t, DefaultPullStallTimeout, d)

	writeConf(t, Path(), "tmp_dir = \"/big/tmp\"\npull_stall_timeout = \"2m\"\n")
	c, err = Load("")
	require.NoError(t, err)
	assert.Equal(t, "/big/tmp", c.ImageTempDir())
	d, err = c.StallTimeout()
	require.NoError(t, err)
	assert.Equal(t, "2m0s", d.String())

	t.Setenv("URUN_PULL_STALL_TIMEOUT", "3s")
	d, err = c.StallTimeout()
	require.NoError(t, err)
	assert.Equal(t, "3s", d.String(), "the environment overrides urun.conf")

	for _, tc := range []struct{ conf, env, want string }{
		{"tmp_dir = \"relative\"\n", "", "tmp_dir \"relative\": give an absolute path"},
		{"pull_stall_timeout = \"soon\"\n", "", "pull_stall_timeout \"soon\": want a positive duration"},
		{"", "-1s", "$URUN_PULL_STALL_TIMEOUT \"-1s\": want a positive duration"},
	} {
		writeConf(t, Path(), tc.conf)
		t.Setenv("URUN_PULL_STALL_TIMEOUT", tc.env)
		_, err := Load("")
		require.Error(t, err)
		assert.Contains(t, err.Error(), tc.want)
	}
}
