package idmap

import (
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestKeepIDPutsTheCallerAtTheirOwnID(t *testing.T) {
	sub := Build(1001, 1001, []Range{{Start: 100000, Count: 65536}}, []Range{{Start: 100000, Count: 65536}})
	tests := []struct {
		name  string
		store Mappings
		id    uint32
		want  []Entry
	}{
		{
			name:  "a user with a subordinate range",
			store: sub, id: 1001,
			want: []Entry{{0, 100000, 1001}, {1001, 1001, 1}, {1002, 101001, 64535}},
		},
		{
			name:  "keep-id:uid=0 keeps the store's own order",
			store: sub, id: 0,
			want: []Entry{{0, 1001, 1}, {1, 100000, 65536}},
		},
		{
			name:  "a uid above the range maps the range below it",
			store: sub, id: 2000000,
			want: []Entry{{0, 100000, 65536}, {2000000, 1001, 1}},
		},
		{
			name:  "without subordinate ids the caller alone",
			store: Single(1001, 1001), id: 1001,
			want: []Entry{{1001, 1001, 1}},
		},
		{
			name:  "two subordinate ranges are split where the caller sits",
			store: Build(5, 5, []Range{{Start: 100000, Count: 3}, {Start: 200000, Count: 10}}, nil),
			id:    5,
			want:  []Entry{{0, 100000, 3}, {3, 200000, 2}, {5, 5, 1}, {6, 200002, 8}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := KeepID(tt.store, tt.id, tt.id)
			assert.Equal(t, tt.want, got.UIDs)
			assert.Equal(t, Size(tt.store.UIDs), Size(got.UIDs), "as many ids as the store's")
		})
	}
}

func TestTheSuggestedFixCollidesWithNobody(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := dir + "/" + name
		writeFile(t, p, content)
		return p
	}
	tests := []struct {
		name           string
		subuid, subgid string
		passwd         string
		want           string
	}{
		{"empty files", "", "", "", "100000-165535"},
		{"one user at the start", "a:100000:65536\n", "a:100000:65536\n", "", "165536-231071"},
		{"a gid range counts too", "a:100000:65536\n", "b:165536:65536\n", "", "231072-296607"},
		{"an odd range in between", "a:100000:65536\nb:170000:10\n", "", "", "231072-296607"},
		{"a user's uid in the way", "a:100000:65536\n", "", "x:x:170000:100::/:/bin/sh\n", "231072-296607"},
		{"a gap is reused", "a:165536:65536\n", "", "", "100000-165535"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := Files{SubUID: write("subuid", tt.subuid), SubGID: write("subgid", tt.subgid), Passwd: write("passwd", tt.passwd)}
			assert.Equal(t, "sudo usermod --add-subuids "+tt.want+" --add-subgids "+tt.want+" alice", f.FixCommand("alice"))
		})
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestAStoreKeepsTheMappingsItWasFilledWith(t *testing.T) {
	sub := Build(1001, 1001, []Range{{Start: 100000, Count: 65536}}, []Range{{Start: 100000, Count: 65536}})
	single := Single(1001, 1001)
	tests := []struct {
		name         string
		filled, now  Mappings
		wantMismatch bool
		mention      string
	}{
		{"same mappings", sub, sub, false, ""},
		{"the user got a range later", single, sub, true, "rm -rf"},
		{"the user lost the range", sub, single, true, "administrator"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			assert.NoError(t, CheckStore(root, tt.filled, false), "no record yet, nothing recorded")
			assert.NoFileExists(t, root+"/"+StoreRecord)
			assert.NoError(t, CheckStore(root, tt.filled, true))
			err := CheckStore(root, tt.now, true)
			if !tt.wantMismatch {
				assert.NoError(t, err)
				return
			}
			var mismatch *MismatchError
			assert.ErrorAs(t, err, &mismatch)
			assert.Contains(t, err.Error(), tt.mention)
			assert.Contains(t, err.Error(), root)
		})
	}
}
