package test

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Homes on NFS, Lustre, GPFS or BeeGFS: urun keeps its store on local disk.
// This host cannot mount NFS (its kernel has no NFS client), so the tests
// make urun take the home for NFS with URUN_TEST_NETWORK_FS; the unit
// tests of package config check the statfs magics.

// nfsHomeEnv is a fresh user whose home (the test's directory) is on
// "NFS", as is /var/tmp, so that urun's local store goes to TMPDIR, a
// directory of the test's.
func nfsHomeEnv(t *testing.T) (*env, string) {
	t.Helper()
	e := newEnvWith(t, envOptions{defaultRunRoot: true})
	tmp := mkTemp(t)
	e.vars = append(e.vars, "URUN_TEST_NETWORK_FS="+e.dir+":/var/tmp", "TMPDIR="+tmp)
	return e, filepath.Join(tmp, "urun-"+strconv.Itoa(os.Getuid()))
}

func TestAStoreInAHomeOnNFSGoesToLocalDiskWithOneNotice(t *testing.T) {
	e, local := nfsHomeEnv(t)

	r := e.urun(t, "pull", "-q", busyboxRef)
	r.ok(t)
	assert.Contains(t, r.stderr, filepath.Join(e.dataHome, "urun", "storage")+" is on NFS, a network file system")
	assert.Contains(t, r.stderr, filepath.Join(local, "storage"))
	assert.Contains(t, r.stderr, `set root = "/a/local/dir" in `+filepath.Join(e.configHome, "urun", "urun.conf"))

	r = e.urun(t, "run", "--rm", busyboxRef, "cat", "/etc/layer2")
	assert.Equal(t, layer2Body, r.ok(t))
	assert.Empty(t, r.stderr, "the notice is said once")

	_, err := os.Stat(filepath.Join(local, "storage", "urun-images"))
	require.NoError(t, err, "the images are in the local store")
	entries, err := os.ReadDir(e.dataHome)
	require.NoError(t, err)
	assert.Empty(t, entries, "urun wrote into the home on NFS")
}

func TestAStoreOnNFSAskedForIsRefusedWithTheFix(t *testing.T) {
	e, _ := nfsHomeEnv(t)
	for _, args := range [][]string{
		{"--root", filepath.Join(e.dir, "store"), "images"},
		{"--runroot", filepath.Join(e.dir, "run"), "ps"},
	} {
		r := e.urun(t, args...)
		assert.NotEqual(t, 0, r.code, r.describe())
		assert.Contains(t, r.stderr, "is on NFS, a network file system")
		assert.Contains(t, r.stderr, filepath.Join(e.configHome, "urun", "urun.conf"))
		_, err := os.Stat(args[1])
		assert.ErrorIs(t, err, os.ErrNotExist, "nothing is written there")
	}
}
