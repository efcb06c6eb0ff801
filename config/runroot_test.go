package config

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// pairingHome is one user's directories with two run directories: the
// login session's $XDG_RUNTIME_DIR and the one of a command without it.
type pairingHome struct {
	testHome
	other string // another private run directory
}

func setPairingHome(t *testing.T) pairingHome {
	h := pairingHome{testHome: setTestHome(t), other: filepath.Join(t.TempDir(), "other")}
	require.NoError(t, os.Mkdir(h.other, 0o700))
	return h
}

func (h pairingHome) graphRoot() string { return filepath.Join(h.data, "urun", "storage") }

func (h pairingHome) recorded(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(h.graphRoot(), RunRootRecord))
	require.NoError(t, err)
	return string(b)
}

// runningIn stands for package containers (config cannot import it):
// shortIDs are the store's containers running in runRoot.
func runningIn(runRoot string, shortIDs ...string) func(string, string) []string {
	return func(root, graphRoot string) []string {
		if root != runRoot {
			return nil
		}
		return shortIDs
	}
}

func TestTheFirstCommandPairsTheStoreWithItsRunRoot(t *testing.T) {
	h := setPairingHome(t)
	c, err := LoadWith("", Overrides{})
	require.NoError(t, err)
	assert.Equal(t, filepath.Join(h.runtime, "urun"), c.RunRoot)
	assert.Equal(t, filepath.Join(h.runtime, "urun")+"\n", h.recorded(t))
}

func TestACommandWithoutTheSessionsRunDirectoryFollowsTheStoresPairing(t *testing.T) {
	h := setPairingHome(t)
	_, err := LoadWith("", Overrides{})
	require.NoError(t, err)

	t.Setenv("XDG_RUNTIME_DIR", h.other) // su, cron, ssh without a session
	c, err := LoadWith("", Overrides{})
	require.NoError(t, err)
	assert.Equal(t, filepath.Join(h.runtime, "urun"), c.RunRoot, "the store's run root, not the environment's")
}

func TestAPairedRunRootThatIsGoneIsReplacedByTheDefault(t *testing.T) {
	h := setPairingHome(t)
	_, err := LoadWith("", Overrides{})
	require.NoError(t, err)
	require.NoError(t, os.RemoveAll(h.runtime)) // a reboot, or the session's end

	t.Setenv("XDG_RUNTIME_DIR", h.other)
	c, err := LoadWith("", Overrides{})
	require.NoError(t, err)
	assert.Equal(t, filepath.Join(h.other, "urun"), c.RunRoot)
	assert.Equal(t, filepath.Join(h.other, "urun")+"\n", h.recorded(t))
}

func TestAnExplicitRunRoot(t *testing.T) {
	tests := []struct {
		name       string
		running    bool
		wantErr    bool
		wantRecord func(h pairingHome) string
	}{
		{"is refused while the store's containers run in the paired one", true, true,
			func(h pairingHome) string { return filepath.Join(h.runtime, "urun") }},
		{"replaces the pairing when nothing runs there", false, false,
			func(h pairingHome) string { return filepath.Join(h.other, "run") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := setPairingHome(t)
			_, err := LoadWith("", Overrides{})
			require.NoError(t, err)
			var running []string
			if tt.running {
				running = []string{"0123456789ab"}
			}
			requested := filepath.Join(h.other, "run")

			c, err := LoadWith("", Overrides{RunRoot: requested, RunningContainers: runningIn(filepath.Join(h.runtime, "urun"), running...)})
			if tt.wantErr {
				require.Error(t, err)
				var inUse *RunRootInUseError
				require.ErrorAs(t, err, &inUse)
				assert.Contains(t, err.Error(), filepath.Join(h.runtime, "urun"))
				assert.Contains(t, err.Error(), requested)
				assert.Contains(t, err.Error(), "0123456789ab")
			} else {
				require.NoError(t, err)
				assert.Equal(t, requested, c.RunRoot)
			}
			assert.Equal(t, tt.wantRecord(h)+"\n", h.recorded(t))
		})
	}
}

func TestAStoreWhosePairingCannotBeWrittenStillLoads(t *testing.T) {
	h := setPairingHome(t)
	notADir := filepath.Join(t.TempDir(), "file")
	require.NoError(t, os.WriteFile(notADir, nil, 0o600))
	graphRoot := filepath.Join(notADir, "storage") // as on a full or read-only file system: no record

	c, err := LoadWith("", Overrides{GraphRoot: graphRoot})
	require.NoError(t, err)
	assert.Equal(t, filepath.Join(h.runtime, "urun"), c.RunRoot)
}

// The tests must not depend on the machine's own /run/user/UID (a
// developer's login session has one, CI's container not).
func init() {
	loginRuntimeBase = filepath.Join(os.TempDir(), "urun-config-test-no-logind")
}

// setLoginRuntimeBase makes a stand-in for /run/user with, when mode is
// not 0, the caller's directory in it, and returns that directory.
func setLoginRuntimeBase(t *testing.T, mode os.FileMode) string {
	t.Helper()
	saved := loginRuntimeBase
	t.Cleanup(func() { loginRuntimeBase = saved })
	loginRuntimeBase = t.TempDir()
	dir := filepath.Join(loginRuntimeBase, strconv.Itoa(os.Getuid()))
	if mode != 0 {
		require.NoError(t, os.Mkdir(dir, 0o700))
		require.NoError(t, os.Chmod(dir, mode))
	}
	return dir
}

func TestWithoutASessionTheRunDirectoryIsTheOneLogindMadeForTheUser(t *testing.T) {
	tests := []struct {
		name string
		xdg  func(t *testing.T) string // "" leaves XDG_RUNTIME_DIR unset
	}{
		{"su, sudo -u or cron: XDG_RUNTIME_DIR unset", func(*testing.T) string { return "" }},
		{"a Slurm job: the login node's XDG_RUNTIME_DIR, missing here", func(t *testing.T) string { return filepath.Join(t.TempDir(), "login-node", "run") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			setTestHome(t)
			login := setLoginRuntimeBase(t, 0o700)
			if xdg := tt.xdg(t); xdg != "" {
				t.Setenv("XDG_RUNTIME_DIR", xdg)
			} else {
				os.Unsetenv("XDG_RUNTIME_DIR")
			}
			got, err := RuntimeDir()
			require.NoError(t, err)
			assert.Equal(t, login, got)
			c, err := LoadWith("", Overrides{})
			require.NoError(t, err)
			assert.Equal(t, filepath.Join(login, "urun"), c.RunRoot, "the run root a login session on this host uses")
		})
	}
}

func TestTheSessionsRunDirectoryWinsOverTheOneLogindMade(t *testing.T) {
	h := setTestHome(t)
	setLoginRuntimeBase(t, 0o700)
	got, err := RuntimeDir()
	require.NoError(t, err)
	assert.Equal(t, h.runtime, got)
}

func TestALogindDirectoryOthersMayWriteToIsNotUsed(t *testing.T) {
	tests := []struct {
		name string
		mode os.FileMode
	}{
		{"missing (no session, no linger on this host)", 0},
		{"writable by others", 0o777},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			setTestHome(t)
			os.Unsetenv("XDG_RUNTIME_DIR")
			setLoginRuntimeBase(t, tt.mode)
			want := privateTmp(t)
			got, err := RuntimeDir()
			require.NoError(t, err)
			assert.Equal(t, want, got, "the private directory under the temporary directory")
		})
	}
}
