package rootfscopy

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCpArgumentsNameAContainerBeforeTheColon(t *testing.T) {
	tests := []struct {
		arg, container, path string
	}{
		{"web:/etc/hosts", "web", "/etc/hosts"},
		{"web:etc", "web", "etc"},
		{"/tmp/a:b", "", "/tmp/a:b"},
		{"./file:name", "", "./file:name"},
		{"plain", "", "plain"},
		{"-", "", "-"},
		{"web:", "web", ""},
	}
	for _, tt := range tests {
		t.Run(tt.arg, func(t *testing.T) {
			c, p := SplitArg(tt.arg)
			assert.Equal(t, tt.container, c)
			assert.Equal(t, tt.path, p)
		})
	}
}

func TestCopyFollowsDockersPathRules(t *testing.T) {
	file := Source{Base: "f", IsDir: false}
	dir := Source{Base: "d", IsDir: true}
	contents := Source{Base: ".", IsDir: true}
	tests := []struct {
		name    string
		src     Source
		dst     Dest
		dstArg  string
		want    Plan
		wantErr error
	}{
		{"file into an existing directory", file, Dest{Path: "/x", Exists: true, IsDir: true}, "/x", Plan{Dir: "/x", From: "f", To: "f"}, nil},
		{"file onto an existing file", file, Dest{Path: "/x/g", Exists: true}, "/x/g", Plan{Dir: "/x", From: "f", To: "g"}, nil},
		{"file to a new name", file, Dest{Path: "/x/new"}, "/x/new", Plan{Dir: "/x", From: "f", To: "new"}, nil},
		{"file to a new path ending in /", file, Dest{Path: "/x/new"}, "/x/new/", Plan{}, ErrNoDestDir},
		{"directory into an existing directory", dir, Dest{Path: "/x", Exists: true, IsDir: true}, "/x", Plan{Dir: "/x", From: "d", To: "d"}, nil},
		{"directory to a new name", dir, Dest{Path: "/x/new"}, "/x/new/", Plan{Dir: "/x", From: "d", To: "new"}, nil},
		{"directory onto a file", dir, Dest{Path: "/x/g", Exists: true}, "/x/g", Plan{}, ErrDirOntoFile},
		{"contents into an existing directory", contents, Dest{Path: "/x", Exists: true, IsDir: true}, "/x", Plan{Dir: "/x", From: ".", To: "."}, nil},
		{"contents to a new name", contents, Dest{Path: "/x/new"}, "/x/new", Plan{Dir: "/x", From: ".", To: "new"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := planCopy(tt.src, tt.dst, tt.dstArg)
			if tt.wantErr != nil {
				require.ErrorIs(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestRebaseRenamesOnlyTheTopEntry(t *testing.T) {
	p := Plan{Dir: "/x", From: "d", To: "new"}
	assert.Equal(t, "new", p.rebase("d"))
	assert.Equal(t, "new/", p.rebase("d/"))
	assert.Equal(t, "new/a/b", p.rebase("d/a/b"))
	assert.Equal(t, "dd/a", p.rebase("dd/a"))
	contents := Plan{Dir: "/x", From: ".", To: "new"}
	assert.Equal(t, "new/a", contents.rebase("./a"))
}

func TestSourceAndDestinationAreFoundAsDockerFindsThem(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.Mkdir(filepath.Join(dir, "d"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "d", "f"), []byte("x"), 0o644))
	require.NoError(t, os.Symlink("d", filepath.Join(dir, "link")))

	t.Run("a symlink source is the link unless followed", func(t *testing.T) {
		_, fi, src, err := statSource(filepath.Join(dir, "link"), false)
		require.NoError(t, err)
		assert.Equal(t, os.ModeSymlink, fi.Mode()&os.ModeSymlink)
		assert.Equal(t, Source{Base: "link"}, src)
		path, fi, src, err := statSource(filepath.Join(dir, "link"), true)
		require.NoError(t, err)
		assert.True(t, fi.IsDir())
		assert.Equal(t, filepath.Join(dir, "d"), path)
		assert.Equal(t, Source{Base: "link", IsDir: true}, src, "the link's name is kept")
	})
	t.Run("a trailing /. copies the contents", func(t *testing.T) {
		_, _, src, err := statSource(filepath.Join(dir, "d")+"/.", false)
		require.NoError(t, err)
		assert.Equal(t, Source{Base: ".", IsDir: true}, src)
	})
	t.Run("a file with a trailing / is not a directory", func(t *testing.T) {
		_, _, _, err := statSource(filepath.Join(dir, "d", "f")+"/", false)
		require.Error(t, err)
	})
	t.Run("a missing source", func(t *testing.T) {
		_, _, _, err := statSource(filepath.Join(dir, "nope"), false)
		require.ErrorIs(t, err, os.ErrNotExist)
	})
	t.Run("a destination through a symlink is resolved", func(t *testing.T) {
		got, err := statDest(filepath.Join(dir, "link"))
		require.NoError(t, err)
		assert.Equal(t, Dest{Path: filepath.Join(dir, "d"), Exists: true, IsDir: true}, got)
	})
	t.Run("a new destination needs its parent", func(t *testing.T) {
		got, err := statDest(filepath.Join(dir, "link", "new"))
		require.NoError(t, err)
		assert.Equal(t, Dest{Path: filepath.Join(dir, "d", "new")}, got)
		_, err = statDest(filepath.Join(dir, "missing", "new"))
		var noParent *ErrNoParent
		require.ErrorAs(t, err, &noParent)
		assert.Equal(t, filepath.Join(dir, "missing"), noParent.Dir)
	})
}

func TestADeviceIsNoDestination(t *testing.T) {
	_, err := statDest("/dev/null")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "must be a directory or a regular file")
}
