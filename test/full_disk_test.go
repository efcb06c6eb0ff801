package test

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// smallFS is a small file system of the test user's own (a 256 MiB
// tmpfs), which hack/setup-host.sh mounts as root: the suite's user cannot
// mount one, and filling the disk the rest of the suite uses is no option.
const smallFS = "/var/lib/urun-test/small-fs"

// smallFSEnv is a store (graph root and run root) on the small file
// system, removed at the end.
func smallFSEnv(t *testing.T) *env {
	t.Helper()
	requireSmallFS(t)
	dir, err := os.MkdirTemp(smallFS, "store-")
	require.NoError(t, err)
	t.Cleanup(func() {
		if err := removeTree(dir); err != nil {
			t.Errorf("remove the store on %s: %v", smallFS, err)
		}
	})
	e, err := makeEnv(mkTemp(t), envOptions{runRoot: filepath.Join(dir, "run")})
	require.NoError(t, err)
	e.graphRoot = filepath.Join(dir, "graph")
	e.flags = append(e.flags, "--root", e.graphRoot)
	return e
}

// fillUp fills the file system of dir to its last byte with one file, and
// returns that file.
func fillUp(t *testing.T, dir string) string {
	t.Helper()
	filler := filepath.Join(dir, "filler")
	f, err := os.OpenFile(filler, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	require.NoError(t, err)
	defer f.Close()
	var st unix.Statfs_t
	require.NoError(t, unix.Statfs(dir, &st))
	if free := int64(st.Bavail) * st.Bsize; free > 0 {
		require.NoError(t, unix.Fallocate(int(f.Fd()), 0, 0, free))
	}
	// What fallocate left (metadata rounding): byte by byte, to the end.
	block := make([]byte, 4096)
	for {
		if _, err := f.Write(block); err != nil {
			require.ErrorIs(t, err, unix.ENOSPC)
			break
		}
	}
	for _, n := range []int{512, 1} {
		for {
			if _, err := f.Write(block[:n]); err != nil {
				break
			}
		}
	}
	require.NoError(t, unix.Statfs(dir, &st))
	require.Zero(t, st.Bavail, "free blocks on %s after filling it", dir)
	return filler
}

func freeBytes(t *testing.T, dir string) int64 {
	var st unix.Statfs_t
	require.NoError(t, unix.Statfs(dir, &st))
	return int64(st.Bavail) * st.Bsize
}

// A full store is one a user frees with stop, kill, rm -f, rmi and prune:
// they work. What needs space (run, pull, load) fails (run 125, the others
// 1, as Docker's CLI) with a
// message naming the full file system, and leaves nothing.
func TestOnAFullStoreStopKillRmRmiAndPruneFreeSpaceWhileRunPullAndLoadFail(t *testing.T) {
	e := smallFSEnv(t)
	appArchive := filepath.Join(mkTemp(t), "app.tar")
	sharedStore(t).urun(t, "save", "-o", appArchive, appRef).ok(t)

	e.urun(t, "pull", "-q", busyboxRef).ok(t)
	for _, name := range []string{"stopped", "killed", "removed"} {
		e.urun(t, "run", "-d", "--name", name, busyboxRef, "sh", "-c", "trap 'exit 3' TERM; while :; do sleep 0.1; done").ok(t)
	}
	e.urun(t, "create", "--name", "created", busyboxRef, "true").ok(t)
	rootfs := filepath.Join(mkTemp(t), "rootfs.tar")
	e.urun(t, "export", "-o", rootfs, "created").ok(t)
	e.urun(t, "import", rootfs).ok(t) // untagged: what image prune removes
	images := imageIDs(t, e)
	require.Len(t, images, 2)

	filler := fillUp(t, filepath.Dir(e.graphRoot))
	t.Logf("filled %s with %s", smallFS, filler)
	storeState := func() []string {
		var s []string
		for _, d := range []string{filepath.Join(e.graphRoot, "urun-containers"), filepath.Join(e.graphRoot, "urun-transient"),
			filepath.Join(e.RunRoot(), "containers"), filepath.Join(e.graphRoot, "overlay"), filepath.Join(e.graphRoot, "urun-tmp")} {
			for _, n := range entries(t, d) {
				s = append(s, filepath.Join(d, n))
			}
		}
		slices.Sort(s)
		return s
	}
	before := storeState()

	t.Run("run, pull and load fail naming the full file system and leave nothing", func(t *testing.T) {
		for _, args := range [][]string{
			{"run", "--rm", busyboxRef, "true"},
			{"run", "-d", busyboxRef, "true"},
			{"create", busyboxRef, "true"},
			{"pull", appRef},
			{"load", "-i", appArchive},
		} {
			res := e.urun(t, args...)
			want := 1
			if args[0] == "run" || args[0] == "create" {
				want = 125
			}
			res.exits(t, want)
			assert.Contains(t, res.stderr, "no space left on the file system", "%s says why", res.cmdline)
			assert.Contains(t, res.stderr, smallFS, "%s names the full file system", res.cmdline)
			assert.Equal(t, before, storeState(), "%s leaves nothing", res.cmdline)
		}
		assert.Equal(t, images, imageIDs(t, e))
	})

	t.Run("stop, kill, rm -f, rmi and prune work", func(t *testing.T) {
		e.urun(t, "stop", "-t", "5", "stopped").ok(t)
		assert.Equal(t, "exited 3\n", e.urun(t, "inspect", "-f", "{{.State.Status}} {{.State.ExitCode}}", "stopped").ok(t))
		e.urun(t, "kill", "killed").ok(t)
		require.Eventually(t, func() bool {
			return e.urun(t, "inspect", "-f", "{{.State.Status}}", "killed").stdout == "exited\n"
		}, 20*time.Second, 100*time.Millisecond, "the killed container ends")
		e.urun(t, "rm", "-f", "removed").ok(t)
		assert.NotEqual(t, 0, e.urun(t, "inspect", "removed").code, "rm -f removed it")
		assert.Greater(t, freeBytes(t, smallFS), int64(0), "rm -f freed space")

		// Full again: each of them must work on a full store.
		require.NoError(t, os.Remove(filler))
		filler = fillUp(t, filepath.Dir(e.graphRoot))
		e.urun(t, "rm", "stopped", "killed", "created").ok(t)
		assert.Empty(t, e.urun(t, "ps", "-a", "-q").ok(t))
		require.NoError(t, os.Remove(filler))
		filler = fillUp(t, filepath.Dir(e.graphRoot))
		e.urun(t, "image", "prune", "-f").ok(t)
		assert.Len(t, imageIDs(t, e), 1, "prune removed the untagged image")
		assert.Greater(t, freeBytes(t, smallFS), int64(0), "prune freed space")
		require.NoError(t, os.Remove(filler))
		filler = fillUp(t, filepath.Dir(e.graphRoot))
		e.urun(t, "rmi", busyboxRef).ok(t)
		assert.Empty(t, imageIDs(t, e), "rmi removed busybox")
		assert.Greater(t, freeBytes(t, smallFS), int64(0), "rmi freed space")
	})

	require.NoError(t, os.Remove(filler))
	e.urun(t, "pull", "-q", busyboxRef).ok(t)
	e.urun(t, "run", "--rm", busyboxRef, "true").ok(t)
}

// requireSmallFS fails the test unless smallFS is a file system of the
// test user's own.
func requireSmallFS(t *testing.T) {
	t.Helper()
	var fs, parent unix.Stat_t
	err := unix.Stat(smallFS, &fs)
	if err == nil {
		err = unix.Stat(filepath.Dir(smallFS), &parent)
	}
	if err != nil || fs.Dev == parent.Dev || int(fs.Uid) != os.Getuid() {
		t.Fatalf("%s is not a file system of uid %d's own (%v): run `hack/setup-host.sh test` as root, which mounts one for the suite's user uruntest (as another user, mount a small tmpfs there owned by you)", smallFS, os.Getuid(), err)
	}
}
