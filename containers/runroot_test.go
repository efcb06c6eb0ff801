package containers

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

func TestRunningInListsTheStoresContainersWhoseUrunHoldsThem(t *testing.T) {
	runRoot, graphRoot := t.TempDir(), "/graph"
	// container makes a run state directory whose record names store,
	// held as its urun holds it when running.
	container := func(shortID, store string, running bool) {
		dir := filepath.Join(runRoot, "containers", shortID)
		require.NoError(t, os.MkdirAll(dir, 0o700))
		require.NoError(t, os.WriteFile(filepath.Join(dir, stateFile), []byte(`{"graph_root":"`+store+`"}`), 0o600))
		if !running {
			return
		}
		f, err := os.Open(dir)
		require.NoError(t, err)
		t.Cleanup(func() { f.Close() })
		require.NoError(t, unix.Flock(int(f.Fd()), unix.LOCK_EX))
	}
	container("0123456789ab", graphRoot, true)
	container("1123456789ab", graphRoot, false)
	container("2123456789ab", "/elsewhere", true) // another store's

	assert.Equal(t, []string{"0123456789ab"}, RunningIn(runRoot, graphRoot))
	assert.Empty(t, RunningIn(t.TempDir(), graphRoot), "a run root without containers")
}
