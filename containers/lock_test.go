package containers

import (
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// holdLock takes how on dir through a description of its own, as
// another urun would.
func holdLock(t *testing.T, dir string, how int) *os.File {
	t.Helper()
	f, err := os.Open(dir)
	require.NoError(t, err)
	t.Cleanup(func() { f.Close() })
	require.NoError(t, unix.Flock(int(f.Fd()), how))
	return f
}

func TestLockWaitsOutAnotherCommandsLook(t *testing.T) {
	dir := t.TempDir()
	look := holdLock(t, dir, unix.LOCK_SH)
	go func() {
		time.Sleep(100 * time.Millisecond)
		unix.Flock(int(look.Fd()), unix.LOCK_UN)
	}()
	lock, err := Lock(dir)
	require.NoError(t, err, "a look is waited out")
	lock.Close()
}

func TestLockOfAContainerItsUrunHoldsFailsAtOnce(t *testing.T) {
	dir := t.TempDir()
	holdLock(t, dir, unix.LOCK_EX)
	start := time.Now()
	_, err := Lock(dir)
	assert.ErrorIs(t, err, unix.EWOULDBLOCK)
	assert.Less(t, time.Since(start), time.Second, "no wait for a running container")
}

func TestLockWithinNamesTheHolderOnceTheBoundPasses(t *testing.T) {
	dir := t.TempDir()
	holdLock(t, dir, unix.LOCK_EX)
	_, err := LockWithin(dir, "web", 100*time.Millisecond)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "container web is locked by pid ")
}
