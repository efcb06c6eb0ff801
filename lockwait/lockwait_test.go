package lockwait

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// open opens path again: flock locks of two descriptions of one file
// exclude each other even in one process.
func open(t *testing.T, path string) *os.File {
	t.Helper()
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	require.NoError(t, err)
	t.Cleanup(func() { f.Close() })
	return f
}

func TestTakeWaitsWhileTheHolderLetsGoWithinTheBound(t *testing.T) {
	path := filepath.Join(t.TempDir(), "lock")
	holder := open(t, path)
	require.NoError(t, unix.Flock(int(holder.Fd()), unix.LOCK_EX))
	go func() {
		time.Sleep(100 * time.Millisecond)
		unix.Flock(int(holder.Fd()), unix.LOCK_UN)
	}()
	start := time.Now()
	require.NoError(t, Take(open(t, path), unix.LOCK_EX, 5*time.Second, "the test lock"))
	assert.GreaterOrEqual(t, time.Since(start), 100*time.Millisecond)
}

func TestTakeGivesUpAfterTheBoundNamingTheHolder(t *testing.T) {
	tests := []struct {
		name       string
		held, want int
	}{
		{"exclusive wanted, shared held", unix.LOCK_SH, unix.LOCK_EX},
		{"shared wanted, exclusive held", unix.LOCK_EX, unix.LOCK_SH},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "lock")
			holder := open(t, path)
			require.NoError(t, unix.Flock(int(holder.Fd()), tt.held))

			waiter := open(t, path)
			start := time.Now()
			err := Take(waiter, tt.want, 200*time.Millisecond, "the test lock")
			var timeout *TimeoutError
			require.True(t, errors.As(err, &timeout), "%v", err)
			assert.GreaterOrEqual(t, time.Since(start), 200*time.Millisecond)
			assert.Contains(t, err.Error(), fmt.Sprintf("the test lock is locked by pid %d (", os.Getpid()))

			locks, err := Locks(waiter)
			require.NoError(t, err)
			require.Len(t, locks, 1)
			assert.Equal(t, Lock{PID: os.Getpid(), Exclusive: tt.held == unix.LOCK_EX}, locks[0])
		})
	}
}

func TestHoldersNamesTheProcessThatHoldsTheLock(t *testing.T) {
	path := filepath.Join(t.TempDir(), "lock")
	f := open(t, path)
	require.NoError(t, unix.Flock(int(f.Fd()), unix.LOCK_SH))
	want := fmt.Sprintf("pid %d (", os.Getpid())
	assert.Contains(t, Holders(f), want)
}

func TestSharedLocksDoNotWaitForEachOther(t *testing.T) {
	path := filepath.Join(t.TempDir(), "lock")
	require.NoError(t, unix.Flock(int(open(t, path).Fd()), unix.LOCK_SH))
	require.NoError(t, Take(open(t, path), unix.LOCK_SH, time.Nanosecond, "the test lock"))
}

// What `urun run` pays for the image use lock when nobody holds it.
func BenchmarkTakeUncontended(b *testing.B) {
	path := filepath.Join(b.TempDir(), "lock")
	for b.Loop() {
		f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
		if err != nil {
			b.Fatal(err)
		}
		if err := Take(f, unix.LOCK_SH, time.Second, "bench"); err != nil {
			b.Fatal(err)
		}
		f.Close()
	}
}
