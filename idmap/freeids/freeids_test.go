package freeids

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestFindSuggestsABlockNoOneHas(t *testing.T) {
	for _, c := range []struct {
		name  string
		taken []Range
		used  []uint64
		want  uint64
	}{
		{"an empty host gets shadow's first block", nil, nil, 100000},
		{"the next block after useradd's first user", []Range{{100000, 65536}}, nil, 165536},
		{"a gap between users is used", []Range{{100000, 65536}, {231072, 65536}}, nil, 165536},
		{"a range that only touches a block's end leaves it free", []Range{{165536, 65536}}, nil, 100000},
		{"a small range inside a block takes the whole block", []Range{{150000, 10}}, nil, 165536},
		{"a range across two blocks takes both", []Range{{160000, 10000}}, nil, 231072},
		{"a directory service's uid in a block takes it", nil, []uint64{120000}, 165536},
		{"ids below the first block do not matter", nil, []uint64{0, 1000, 65534}, 100000},
	} {
		t.Run(c.name, func(t *testing.T) {
			r, ok := Find(c.taken, c.used)
			require.True(t, ok)
			assert.Equal(t, Range{c.want, Block}, r)
			for _, tk := range c.taken {
				assert.False(t, r.overlaps(tk), "%v overlaps %v", r, tk)
			}
		})
	}
	t.Run("a full id space has no block", func(t *testing.T) {
		_, ok := Find([]Range{{First, 1<<32 - First}}, nil)
		assert.False(t, ok)
	})
}

func TestSuggestReadsEveryUsersLinesAndRealIDs(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, []byte(content), 0o644))
		return p
	}
	files := Files{
		SubUID: write("subuid", "# comment\nbob:100000:65536\nmalformed line\n1005:165536:65536\n"),
		// gids are avoided too: one block serves both.
		SubGID: write("subgid", "bob:100000:65536\ncarol:231072:65536\n"),
		Passwd: write("passwd", "root:x:0:0::/:/bin/sh\nldapuser:x:296700:100::/:/bin/sh\n"),
		Group:  write("group", "root:x:0:\n"),
	}
	r, err := Suggest(files)
	require.NoError(t, err)
	assert.Equal(t, Range{362144, Block}, r)

	r, err = Suggest(files, 362200)
	require.NoError(t, err)
	assert.Equal(t, uint64(427680), r.Start, "the caller's own uid counts")

	r, err = Suggest(Files{SubUID: filepath.Join(dir, "none"), SubGID: filepath.Join(dir, "none"), Passwd: filepath.Join(dir, "none"), Group: filepath.Join(dir, "none")})
	require.NoError(t, err, "missing files hold nothing")
	assert.Equal(t, uint64(First), r.Start)
}

func TestUsermodCommandNamesBothFilesAndTheUser(t *testing.T) {
	cmd := UsermodCommand("alice", Range{165536, Block})
	assert.Equal(t, "sudo usermod --add-subuids 165536-231071 --add-subgids 165536-231071 alice", cmd)
}
