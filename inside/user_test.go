package inside

import (
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const testPasswd = `root:x:0:0:root:/root:/bin/bash
daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin
# a comment
broken:line
badid:x:abc:1::/nowhere:/bin/sh
alice:x:1000:1000:Alice:/home/alice:/bin/sh
bob:x:1001:1001::/home/bob:/bin/sh
postgres:x:70:70::/var/lib/postgresql:/bin/sh
`

const testGroup = `root:x:0:
daemon:x:1:
wheel:x:10:alice,bob
staff:x:50:alice
postgres:x:70:
alice:x:1000:
bob:x:1001:bob
docker:x:999:carol
`

func TestUserOptionResolvesLikeDocker(t *testing.T) {
	tests := []struct {
		name, spec string
		want       ExecUser
	}{
		{"no user is root", "", ExecUser{UID: 0, GID: 0, Home: "/root"}},
		{"root by name", "root", ExecUser{UID: 0, GID: 0, Home: "/root"}},
		{"name", "alice", ExecUser{UID: 1000, GID: 1000, Groups: []uint32{10, 50}, Home: "/home/alice"}},
		{"uid in passwd", "1000", ExecUser{UID: 1000, GID: 1000, Groups: []uint32{10, 50}, Home: "/home/alice"}},
		{"uid not in passwd gets gid 0 and /", "4242", ExecUser{UID: 4242, GID: 0, Home: "/"}},
		{"name:group", "alice:staff", ExecUser{UID: 1000, GID: 50, Groups: []uint32{10}, Home: "/home/alice"}},
		{"name:gid", "alice:50", ExecUser{UID: 1000, GID: 50, Groups: []uint32{10}, Home: "/home/alice"}},
		{"uid:gid", "1000:4242", ExecUser{UID: 1000, GID: 4242, Groups: []uint32{10, 50}, Home: "/home/alice"}},
		{"unknown uid:group", "4242:staff", ExecUser{UID: 4242, GID: 50, Home: "/"}},
		{"unknown uid:gid", "4242:4343", ExecUser{UID: 4242, GID: 4343, Home: "/"}},
		{"primary group listed as membership is not supplementary", "bob", ExecUser{UID: 1001, GID: 1001, Groups: []uint32{10}, Home: "/home/bob"}},
		{"user in no group", "postgres", ExecUser{UID: 70, GID: 70, Home: "/var/lib/postgresql"}},
		{"home from passwd", "daemon", ExecUser{UID: 1, GID: 1, Home: "/usr/sbin"}},
		{":group alone is root with that group", ":staff", ExecUser{UID: 0, GID: 50, Home: "/root"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ResolveUser(tt.spec, strings.NewReader(testPasswd), strings.NewReader(testGroup))
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestUnknownUserOrGroupIsAnError(t *testing.T) {
	tests := []struct {
		name, spec, wantErr string
	}{
		{"unknown name", "nobody", "unable to find user nobody"},
		{"unknown name with a known group", "nobody:staff", "unable to find user nobody"},
		{"a malformed line is no user", "broken", "unable to find user broken"},
		{"a line with a bad uid is no user", "badid", "unable to find user badid"},
		{"unknown group", "alice:nogroup", "unable to find group nogroup"},
		{"unknown group for a uid", "1000:nogroup", "unable to find group nogroup"},
		{"a member of a group is no group", "alice:carol", "unable to find group carol"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ResolveUser(tt.spec, strings.NewReader(testPasswd), strings.NewReader(testGroup))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.wantErr)
		})
	}
}

func TestImageWithoutPasswdOrGroupFiles(t *testing.T) {
	tests := []struct {
		name        string
		spec        string
		passwd      io.Reader
		group       io.Reader
		want        ExecUser
		wantErrText string
	}{
		{name: "root still works", spec: "", want: ExecUser{Home: "/"}},
		{name: "numeric user and group work", spec: "1000:1000", want: ExecUser{UID: 1000, GID: 1000, Home: "/"}},
		{name: "a name cannot be found", spec: "alice", wantErrText: "unable to find user alice"},
		{name: "a group name cannot be found", spec: "alice:staff", passwd: strings.NewReader(testPasswd), wantErrText: "unable to find group staff"},
		{name: "user found without group file has no supplementary groups", spec: "alice", passwd: strings.NewReader(testPasswd), want: ExecUser{UID: 1000, GID: 1000, Home: "/home/alice"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ResolveUser(tt.spec, tt.passwd, tt.group)
			if tt.wantErrText != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.wantErrText)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}
