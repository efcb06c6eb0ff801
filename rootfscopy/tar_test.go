package rootfscopy

import (
	"archive/tar"
	"bytes"
	"io"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func archive(t *testing.T, path, name string) *bytes.Buffer {
	t.Helper()
	fi, err := os.Lstat(path)
	require.NoError(t, err)
	var buf bytes.Buffer
	a := newArchiver(&buf, ownIDs)
	require.NoError(t, a.add(path, fi, name))
	require.NoError(t, a.close())
	return &buf
}

func TestATreeSurvivesArchiveAndExtractWithModesTimesAndLinks(t *testing.T) {
	src := t.TempDir()
	mtime := time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC)
	require.NoError(t, os.MkdirAll(filepath.Join(src, "d", "sub"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(src, "d", "sub", "a"), []byte("alpha"), 0o600))
	require.NoError(t, os.Chmod(filepath.Join(src, "d", "sub", "a"), 0o750|os.ModeSetuid))
	require.NoError(t, os.Link(filepath.Join(src, "d", "sub", "a"), filepath.Join(src, "d", "hard")))
	require.NoError(t, os.Symlink("/etc/passwd", filepath.Join(src, "d", "abs")))
	require.NoError(t, os.Chtimes(filepath.Join(src, "d", "sub", "a"), mtime, mtime))
	require.NoError(t, os.Chmod(filepath.Join(src, "d", "sub"), 0o511))
	require.NoError(t, os.Chtimes(filepath.Join(src, "d", "sub"), mtime, mtime))
	t.Cleanup(func() { os.Chmod(filepath.Join(src, "d", "sub"), 0o755) })

	buf := archive(t, filepath.Join(src, "d"), "d")
	dst := t.TempDir()
	plan := Plan{Dir: dst, From: "d", To: "copy"}
	require.NoError(t, extract(buf, dst, plan, ownCaller, io.Discard))
	t.Cleanup(func() { os.Chmod(filepath.Join(dst, "copy", "sub"), 0o755) })

	a := filepath.Join(dst, "copy", "sub", "a")
	data, err := os.ReadFile(a)
	require.NoError(t, err)
	assert.Equal(t, "alpha", string(data))
	fi, err := os.Lstat(a)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o750)|os.ModeSetuid, fi.Mode())
	assert.True(t, fi.ModTime().Equal(mtime))
	sub, err := os.Lstat(filepath.Join(dst, "copy", "sub"))
	require.NoError(t, err)
	assert.Equal(t, os.ModeDir|0o511, sub.Mode())
	assert.True(t, sub.ModTime().Equal(mtime), "a directory's time is set after its contents")
	hard, err := os.Lstat(filepath.Join(dst, "copy", "hard"))
	require.NoError(t, err)
	assert.True(t, os.SameFile(fi, hard), "a hard link stays one")
	link, err := os.Readlink(filepath.Join(dst, "copy", "abs"))
	require.NoError(t, err)
	assert.Equal(t, "/etc/passwd", link)
}

func tarOf(t *testing.T, hdrs ...*tar.Header) *bytes.Buffer {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, h := range hdrs {
		require.NoError(t, tw.WriteHeader(h))
		if h.Size > 0 {
			_, err := tw.Write(bytes.Repeat([]byte("x"), int(h.Size)))
			require.NoError(t, err)
		}
	}
	require.NoError(t, tw.Close())
	return &buf
}

func TestExtractNeverWritesOutsideTheDestination(t *testing.T) {
	tests := []struct {
		name string
		hdrs []*tar.Header
	}{
		{"a .. entry", []*tar.Header{{Name: "../evil", Typeflag: tar.TypeReg, Mode: 0o644, Size: 1}}},
		{"a nested .. entry", []*tar.Header{{Name: "a/../../evil", Typeflag: tar.TypeReg, Mode: 0o644, Size: 1}}},
		{"through a symlink to an absolute path", []*tar.Header{
			{Name: "link", Typeflag: tar.TypeSymlink, Linkname: "OUTSIDE"},
			{Name: "link/evil", Typeflag: tar.TypeReg, Mode: 0o644, Size: 1},
		}},
		{"through a symlink climbing out", []*tar.Header{
			{Name: "up", Typeflag: tar.TypeSymlink, Linkname: "../../../../../../OUTSIDE"},
			{Name: "up/evil", Typeflag: tar.TypeReg, Mode: 0o644, Size: 1},
		}},
		{"a hard link to a file outside", []*tar.Header{{Name: "h", Typeflag: tar.TypeLink, Linkname: "../OUTSIDE/victim"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			outside := filepath.Join(root, "OUTSIDE")
			dest := filepath.Join(root, "dest")
			require.NoError(t, os.Mkdir(outside, 0o755))
			require.NoError(t, os.WriteFile(filepath.Join(outside, "victim"), []byte("v"), 0o644))
			require.NoError(t, os.Mkdir(dest, 0o755))
			for _, h := range tt.hdrs {
				if h.Typeflag == tar.TypeSymlink && h.Linkname == "OUTSIDE" {
					h.Linkname = outside
				}
			}
			extract(tarOf(t, tt.hdrs...), dest, Plan{Dir: dest}, ownCaller, io.Discard)
			entries, err := os.ReadDir(outside)
			require.NoError(t, err)
			require.Len(t, entries, 1, "nothing was added outside the destination")
			_, err = os.Stat(filepath.Join(root, "evil"))
			assert.ErrorIs(t, err, os.ErrNotExist)
			fi, err := os.Stat(filepath.Join(outside, "victim"))
			require.NoError(t, err)
			assert.Equal(t, uint64(1), uint64(fi.Sys().(*syscall.Stat_t).Nlink), "no link to the outside file")
		})
	}
}

func TestExtractRefusesToReplaceADirectoryWithAFile(t *testing.T) {
	dest := t.TempDir()
	require.NoError(t, os.Mkdir(filepath.Join(dest, "d"), 0o755))
	err := extract(tarOf(t, &tar.Header{Name: "d", Typeflag: tar.TypeReg, Mode: 0o644, Size: 1}), dest, Plan{Dir: dest}, ownCaller, io.Discard)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "cannot overwrite directory")
}
