package containers

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A recorded pid is trusted only when it names a process in another user
// namespace: the number of an ended init may belong to anything by now.
func TestInitPIDRefusesWhatIsNoContainersInit(t *testing.T) {
	tests := []struct {
		name, content, err string
	}{
		{"a process of ours", strconv.Itoa(os.Getpid()), "is not a container's init"},
		{"garbage", "twelve", "bad pid"},
		{"the host's init", "1", "bad pid"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			require.NoError(t, os.WriteFile(filepath.Join(dir, initPIDFile), []byte(tt.content), 0o600))
			_, err := InitPID(dir)
			assert.ErrorContains(t, err, tt.err)
		})
	}
	t.Run("no record", func(t *testing.T) {
		_, err := InitPID(t.TempDir())
		assert.ErrorIs(t, err, os.ErrNotExist)
	})
}

func TestNamespacePIDOfAnInspectableProcessIsItself(t *testing.T) {
	pid, err := NamespacePID(os.Getpid())
	require.NoError(t, err)
	assert.Equal(t, os.Getpid(), pid)
}
