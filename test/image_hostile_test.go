package test

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"

	"github.com/urun/urun/test/testbed"
)

// Each hostile layer (testbed.HostileLayers) is pushed on top of busybox
// and pulled: the pull either refuses it with urun's error and stores
// nothing, or stores it neutralised and the image runs. Either way the
// sentinel directories outside the store, in the user's home, in /tmp and
// beside the store, are as they were, and nothing lands in the store
// outside a layer's directory.
func TestPullOfHostileLayersWritesNothingOutsideTheLayer(t *testing.T) {
	f, _ := pullTestImages(t)
	e := newEnv(t)
	e.urun(t, "pull", "-q", busyboxRef).ok(t)

	home, err := os.UserHomeDir()
	require.NoError(t, err)
	sentinels := []string{plantSentinel(t, home), plantSentinel(t, "/tmp")}
	// GRAPHROOT/overlay/ID/diff climbs to GRAPHROOT's parent in four steps.
	beside := filepath.Join(filepath.Dir(e.GraphRoot()), "sentinel")
	require.NoError(t, os.MkdirAll(beside, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(beside, testbed.SentinelFile), []byte(testbed.SentinelBody), 0o644))
	sentinels = append(sentinels, beside)
	targets := testbed.HostileTargets{Home: sentinels[0], Tmp: sentinels[1], Rel: "../../../../sentinel"}

	for _, h := range testbed.HostileLayers(targets) {
		t.Run(h.Name, func(t *testing.T) {
			img, err := testbed.HostileImage(f.Busybox, "test/hostile", h)
			require.NoError(t, err)
			require.NoError(t, reg.Push(img))
			ref := reg.Ref(img)
			beforeImages, beforeLayers := imageIDs(t, e), storedLayers(t, e)

			res := e.urun(t, "pull", ref)
			switch res.code {
			case 0:
				t.Logf("%s (%s): neutralised", h.Name, h.Why)
				assert.Equal(t, layer2Body, e.urun(t, "run", "--rm", ref, "cat", "/etc/layer2").ok(t), "the image runs")
				// Where the entries went, for the log.
				e.urun(t, "run", "--rm", ref, "sh", "-c", "find / -xdev \\( -name "+testbed.Pwned+" -o -name '.wh.*' -o -path '/evil*' -o -name hl -o -name escape -o -name up \\) -exec ls -ld {} + 2>&1; true").ok(t)
			case 1:
				t.Logf("%s (%s): refused", h.Name, h.Why)
				assertUrunError(t, res, "urun: pull ")
				assert.Contains(t, res.stderr, "layer", "the message says a layer was refused")
				assert.Equal(t, beforeImages, imageIDs(t, e), "no image stored")
				assert.Equal(t, beforeLayers, storedLayers(t, e), "no layer left")
			default:
				t.Fatalf("want the pull refused (1) or done (0): %s", res.describe())
			}
			for _, d := range sentinels {
				checkSentinel(t, d)
			}
			checkStoreContained(t, e)
			if h.Name == "setuid" && res.code == 0 {
				// Kept as Docker keeps them, owned by the user's ids, in a
				// store other users cannot enter.
				assert.Equal(t, "4755 2755\n", e.urun(t, "run", "--rm", ref, "sh", "-c", "echo $(stat -c %a /usr/suid /usr/sgid)").ok(t))
				st, err := os.Stat(filepath.Join(e.GraphRoot(), "overlay"))
				require.NoError(t, err)
				assert.Zero(t, st.Mode().Perm()&0o077, "the layers' directory is the user's alone: %v", st.Mode())
			}
		})
	}
	e.urun(t, "run", "--rm", busyboxRef, "true").ok(t)
}

func plantSentinel(t *testing.T, parent string) string {
	t.Helper()
	d, err := os.MkdirTemp(parent, "urun-sentinel-")
	require.NoError(t, err)
	t.Cleanup(func() { removeTree(d) })
	require.NoError(t, os.Chmod(d, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(d, testbed.SentinelFile), []byte(testbed.SentinelBody), 0o644))
	return d
}

// checkSentinel fails unless dir holds its canary alone, unchanged, with
// one link and no extended attribute, and dir has none either.
func checkSentinel(t *testing.T, dir string) {
	t.Helper()
	assert.Equal(t, []string{testbed.SentinelFile}, entries(t, dir), "sentinel directory %s", dir)
	canary := filepath.Join(dir, testbed.SentinelFile)
	b, err := os.ReadFile(canary)
	if assert.NoError(t, err, "sentinel %s", canary) {
		assert.Equal(t, testbed.SentinelBody, string(b), "sentinel %s", canary)
	}
	var st unix.Stat_t
	if assert.NoError(t, unix.Lstat(canary, &st)) {
		assert.EqualValues(t, 1, st.Nlink, "%s has no other hard link", canary)
		assert.Equal(t, uint32(syscall.S_IFREG), st.Mode&syscall.S_IFMT, "%s is still a regular file", canary)
	}
	for _, p := range []string{dir, canary} {
		n, err := unix.Llistxattr(p, make([]byte, 4096))
		assert.NoError(t, err)
		assert.Zero(t, n, "%s has no extended attributes", p)
	}
}

// checkStoreContained fails on a hostile layer's file found in the store
// outside a layer's own directory (…/diff/…), on a device node other
// than an overlay whiteout (0/0), and on a file owned by the host's root.
func checkStoreContained(t *testing.T, e *env) {
	t.Helper()
	root := e.GraphRoot()
	filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrPermission) {
				return nil // a subordinate id's directory
			}
			t.Errorf("walk %s: %v", path, err)
			return nil
		}
		rel, _ := filepath.Rel(root, path)
		inLayer := strings.Contains("/"+rel+"/", "/diff/")
		name := d.Name()
		if !inLayer && (name == testbed.Pwned || name == testbed.SentinelFile || strings.HasPrefix(name, ".wh.")) {
			t.Errorf("a hostile layer wrote %s outside any layer's directory", path)
		}
		var st unix.Stat_t
		if err := unix.Lstat(path, &st); err != nil {
			return nil
		}
		if typ := st.Mode & syscall.S_IFMT; (typ == syscall.S_IFCHR || typ == syscall.S_IFBLK) && st.Rdev != 0 {
			t.Errorf("device node %s (%d:%d) in the store", path, unix.Major(st.Rdev), unix.Minor(st.Rdev))
		}
		if st.Uid == 0 {
			t.Errorf("%s is owned by the host's root", path)
		}
		return nil
	})
}
