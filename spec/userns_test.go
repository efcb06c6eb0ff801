package spec

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestUserNSFlagReadsPodmansModes(t *testing.T) {
	id := func(n uint32) *uint32 { return &n }
	tests := []struct {
		value   string
		want    UserNS
		wantErr string
	}{
		{value: "", want: UserNS{}},
		{value: "auto", want: UserNS{}},
		{value: "host", want: UserNS{Mode: UserNSHost}},
		{value: "keep-id", want: UserNS{Mode: UserNSKeepID}},
		{value: "keep-id:uid=200,gid=210", want: UserNS{Mode: UserNSKeepID, UID: id(200), GID: id(210)}},
		{value: "keep-id:gid=5", want: UserNS{Mode: UserNSKeepID, GID: id(5)}},
		{value: "fakeroot", want: UserNS{Mode: UserNSFakeroot}},
		{value: "nomap", wantErr: "nobody"},
		{value: "auto:size=100", wantErr: "no options"},
		{value: "keep-id:uid=-1", wantErr: "uid=N"},
		{value: "keep-id:uid=4294967295", wantErr: "uid=N"},
		{value: "keep-id:size=3", wantErr: `"size"`},
		{value: "ns:/proc/1/ns/user", wantErr: "not supported"},
		{value: "host:x", wantErr: "no options"},
		{value: "private-ish", wantErr: "want auto"},
	}
	for _, tt := range tests {
		t.Run(tt.value, func(t *testing.T) {
			got, err := ParseUserNS(tt.value)
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
			again, err := ParseUserNS(got.String())
			require.NoError(t, err)
			assert.Equal(t, got, again, "String reads back")
		})
	}
}

func TestKeepIDUserReadsBack(t *testing.T) {
	k := KeepIDUser{Name: "alice", UID: 1000, GID: 100, Home: "/home/alice"}
	got, err := ParseKeepIDUser(k.String())
	require.NoError(t, err)
	assert.Equal(t, k, got)
	for _, bad := range []string{"", "alice:1000:100", ":1:1:/", "alice:x:1:/", "alice:1:1:/a:b"} {
		_, err := ParseKeepIDUser(bad)
		assert.Error(t, err, bad)
	}
}

func TestKeepIDShiftShowsTheImagesOwners(t *testing.T) {
	tests := []struct {
		name     string
		size, id uint32
		want     string
	}{
		{"a user with a range of 65536", 65537, 1001, "1001:0:1:0:1:1001:1002:1002:64535"},
		{"keep-id:uid=0", 65537, 0, "0:0:1:1:1:65536"},
		{"a uid above the range", 65537, 2000000, "2000000:0:1:0:1:65536"},
		{"a single id", 1, 1001, "1001:0:1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, KeepIDShift(tt.size, tt.id))
		})
	}
}
