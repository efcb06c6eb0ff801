package idmap

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSubIDFileGivesTheCallerItsRanges(t *testing.T) {
	tests := []struct {
		name    string
		content string
		want    []Range
	}{
		{
			name:    "line with the user's name",
			content: "bob:200000:65536\nalice:100000:65536\n",
			want:    []Range{{Start: 100000, Count: 65536}},
		},
		{
			name:    "line with the user's numeric uid",
			content: "1000:100000:65536\n",
			want:    []Range{{Start: 100000, Count: 65536}},
		},
		{
			name:    "several ranges by name and uid, in file order",
			content: "alice:100000:65536\nbob:200000:65536\n1000:300000:1000\nalice:500000:10\n",
			want:    []Range{{Start: 100000, Count: 65536}, {Start: 300000, Count: 1000}, {Start: 500000, Count: 10}},
		},
		{
			name:    "comments, indented comments and blank lines",
			content: "# subordinate ids\n\n   \n   # alice:1:1\nalice:100000:65536\n",
			want:    []Range{{Start: 100000, Count: 65536}},
		},
		{
			name:    "surrounding spaces are trimmed",
			content: "  alice:100000:65536  \n",
			want:    []Range{{Start: 100000, Count: 65536}},
		},
		{
			name:    "malformed lines are skipped as shadow does",
			content: "alice:100000\nalice:1:2:3\ngarbage\nalice:100000:65536\n",
			want:    []Range{{Start: 100000, Count: 65536}},
		},
		{
			name:    "a bad line of another user is no concern",
			content: "bob:x:0\nalice:100000:65536\n",
			want:    []Range{{Start: 100000, Count: 65536}},
		},
		{
			name:    "a name that only starts with the user's is another user",
			content: "alice2:100000:65536\nalic:200000:65536\n10000:300000:1\n",
			want:    nil,
		},
		{
			name:    "a range ending at the top of the 32-bit space",
			content: "alice:4294901760:65536\n",
			want:    []Range{{Start: 4294901760, Count: 65536}},
		},
		{
			name:    "empty file",
			content: "",
			want:    nil,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseSubIDs(strings.NewReader(tt.content), "alice", 1000)
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestSubIDLineWithBadNumbersIsAnError(t *testing.T) {
	tests := []struct {
		name     string
		content  string
		wantLine string
	}{
		{"zero count", "alice:100000:0\n", "line 1"},
		{"range past the 32-bit space", "# c\nalice:4294967295:2\n", "line 2"},
		{"count over 32 bits", "alice:0:4294967296\n", "line 1"},
		{"start over 32 bits", "alice:4294967296:1\n", "line 1"},
		{"start not a number", "alice:abc:10\n", "line 1"},
		{"negative start", "alice:-1:10\n", "line 1"},
		{"count not a number", "1000:100000:many\n", "line 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseSubIDs(strings.NewReader(tt.content), "alice", 1000)
			require.Error(t, err)
			assert.Nil(t, got)
			assert.Contains(t, err.Error(), tt.wantLine)
			assert.Contains(t, err.Error(), "NAME:START:COUNT")
		})
	}
}

// subidFiles writes subuid, subgid and (when nsswitch is not "") an
// nsswitch.conf into a temporary directory; a missing nsswitch.conf is
// pointed at a path that does not exist, so the host's file is never read.
func subidFiles(t *testing.T, subuid, subgid, nsswitch string) Files {
	t.Helper()
	dir := t.TempDir()
	f := Files{
		SubUID:   filepath.Join(dir, "subuid"),
		SubGID:   filepath.Join(dir, "subgid"),
		NSSwitch: filepath.Join(dir, "nsswitch.conf"),
	}
	require.NoError(t, os.WriteFile(f.SubUID, []byte(subuid), 0o644))
	require.NoError(t, os.WriteFile(f.SubGID, []byte(subgid), 0o644))
	if nsswitch != "" {
		require.NoError(t, os.WriteFile(f.NSSwitch, []byte(nsswitch), 0o644))
	}
	return f
}

func TestSubIDRangesAreReadFromTheFileOfTheirKind(t *testing.T) {
	tests := []struct {
		name     string
		nsswitch string
	}{
		{"without nsswitch.conf", ""},
		{"nsswitch.conf without a subid line", "passwd: files\ngroup: files\n"},
		{"nsswitch.conf with subid: files", "passwd: files\nsubid: files\n"},
		{"nsswitch.conf with another source commented out", "#subid: sss\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := subidFiles(t, "alice:100000:65536\n", "alice:300000:1000\n", tt.nsswitch)

			uids, err := f.Ranges(UIDs, "alice", 1000)
			require.NoError(t, err)
			assert.Equal(t, []Range{{Start: 100000, Count: 65536}}, uids)

			gids, err := f.Ranges(GIDs, "alice", 1000)
			require.NoError(t, err)
			assert.Equal(t, []Range{{Start: 300000, Count: 1000}}, gids)
		})
	}
}

func TestUserWithoutSubIDsIsToldToRunUsermod(t *testing.T) {
	tests := []struct {
		name   string
		kind   Kind
		subuid string
		subgid string
		remove bool // delete the file instead
	}{
		{name: "no line in subuid", kind: UIDs, subuid: "bob:100000:65536\n", subgid: "alice:100000:65536\n"},
		{name: "no line in subgid", kind: GIDs, subuid: "alice:100000:65536\n", subgid: "bob:100000:65536\n"},
		{name: "empty subuid", kind: UIDs, subuid: "", subgid: "alice:100000:65536\n"},
		{name: "subuid does not exist", kind: UIDs, remove: true},
		{name: "subgid does not exist", kind: GIDs, remove: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := subidFiles(t, tt.subuid, tt.subgid, "")
			file := f.SubUID
			if tt.kind == GIDs {
				file = f.SubGID
			}
			if tt.remove {
				require.NoError(t, os.Remove(file))
			}

			got, err := f.Ranges(tt.kind, "alice", 1000)
			require.Error(t, err)
			assert.Nil(t, got)
			assert.ErrorIs(t, err, ErrNoRange)
			assert.Contains(t, err.Error(), file)
			assert.Contains(t, err.Error(), "usermod --add-subuids")
			assert.Contains(t, err.Error(), `"alice"`)
		})
	}
}

func TestUnreadableSubIDFileIsNotMistakenForAMissingRange(t *testing.T) {
	f := subidFiles(t, "", "", "")
	require.NoError(t, os.Remove(f.SubUID))
	require.NoError(t, os.Mkdir(f.SubUID, 0o755)) // reading a directory fails

	_, err := f.Ranges(UIDs, "alice", 1000)
	require.Error(t, err)
	assert.NotErrorIs(t, err, ErrNoRange)
	assert.Contains(t, err.Error(), "read subordinate uids of alice from "+f.SubUID)
}

func TestMalformedSubIDLineIsReportedWithItsFile(t *testing.T) {
	f := subidFiles(t, "alice:100000:0\n", "alice:100000:65536\n", "")

	_, err := f.Ranges(UIDs, "alice", 1000)
	require.Error(t, err)
	assert.NotErrorIs(t, err, ErrNoRange)
	assert.Contains(t, err.Error(), f.SubUID)
	assert.Contains(t, err.Error(), "line 1")
}

func TestNsswitchSubidLineChoosesTheSource(t *testing.T) {
	tests := []struct {
		name    string
		content string // "-" for no file at all
		want    string
	}{
		{"no nsswitch.conf", "-", ""},
		{"no subid line", "passwd: files systemd\ngroup: files\n", ""},
		{"files", "subid: files\n", "files"},
		{"first of several sources", "passwd: files\nsubid:   sss  files\n", "sss"},
		{"no space after the colon", "subid:sss\n", "sss"},
		{"spaces around the key", "  subid  : sss\n", "sss"},
		{"trailing comment", "subid: files # not sss\n", "files"},
		{"commented-out line", "# subid: sss\n", ""},
		{"line with no source", "subid:\n", ""},
		{"only the value is a comment", "subid: # sss\n", ""},
		{"similar key", "subids: sss\nsubuid: sss\n", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "nsswitch.conf")
			if tt.content != "-" {
				require.NoError(t, os.WriteFile(path, []byte(tt.content), 0o644))
			}
			assert.Equal(t, tt.want, subidService(path))
		})
	}
}

func TestCallerMappingsComeFromTheSubIDFiles(t *testing.T) {
	f := subidFiles(t, "alice:100000:65536\n", "1000:200000:65536\nalice:400000:100\n", "")

	m, err := f.ForCaller(Caller{Name: "alice", UID: 1000, GID: 1000})
	require.NoError(t, err)
	assert.Equal(t, Mappings{
		UIDs: []Entry{{ContainerID: 0, HostID: 1000, Size: 1}, {ContainerID: 1, HostID: 100000, Size: 65536}},
		GIDs: []Entry{{ContainerID: 0, HostID: 1000, Size: 1}, {ContainerID: 1, HostID: 200000, Size: 65536}, {ContainerID: 65537, HostID: 400000, Size: 100}},
	}, m)
}

func TestCallerWithoutSubGIDsCannotGetMappings(t *testing.T) {
	f := subidFiles(t, "alice:100000:65536\n", "", "")

	_, err := f.ForCaller(Caller{Name: "alice", UID: 1000, GID: 1000})
	require.Error(t, err)
	assert.ErrorIs(t, err, ErrNoRange)
	assert.Contains(t, err.Error(), f.SubGID)
}

func TestSystemFilesAreReadByDefault(t *testing.T) {
	tests := []struct {
		kind Kind
		want string
	}{
		{UIDs, "/etc/subuid"},
		{GIDs, "/etc/subgid"},
	}
	for _, tt := range tests {
		t.Run(tt.kind.String(), func(t *testing.T) {
			assert.Equal(t, tt.want, Files{}.path(tt.kind))
			assert.Equal(t, "/etc/nsswitch.conf", Files{}.nsswitch())
		})
	}
}
