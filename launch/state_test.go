package launch

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/urun/urun/atomicfile"
)

func TestContainerNameFollowsDockersRule(t *testing.T) {
	tests := []struct {
		name  string
		input string
		valid bool
	}{
		{"letters", "web", true},
		{"mixed case and digits", "Web01", true},
		{"separators inside", "my_app.v2-blue", true},
		{"starting with a digit", "1st", true},
		{"ending with a separator", "app-", true},
		{"empty", "", false},
		{"starting with a dash", "-app", false},
		{"starting with a dot", ".app", false},
		{"starting with an underscore", "_app", false},
		{"space", "my app", false},
		{"slash", "a/b", false},
		{"colon", "a:b", false},
		{"non-ASCII letter", "café", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.valid, validName(tt.input))
		})
	}
}

func TestContainerIDsAreLongRandomHex(t *testing.T) {
	hex64 := regexp.MustCompile(`^[0-9a-f]{64}$`)
	seen := map[string]bool{}
	for range 20 {
		id, err := newID()
		require.NoError(t, err)
		assert.Regexp(t, hex64, id)
		assert.False(t, seen[id], "id %s repeated", id)
		seen[id] = true
	}
}

func writeState(t *testing.T, root, dir string, st State) {
	t.Helper()
	require.NoError(t, os.MkdirAll(filepath.Join(root, dir), 0o700))
	require.NoError(t, atomicfile.WriteJSON(filepath.Join(root, dir, "state.json"), st))
}

func TestContainerNameInUse(t *testing.T) {
	root := t.TempDir()
	writeState(t, root, "aaa", State{ID: "aaa", Name: "web", Status: "running"})
	writeState(t, root, "bbb", State{ID: "bbb", Status: "exited"})
	writeState(t, root, "ccc", State{ID: "ccc", Name: "db", Status: "exited"})
	require.NoError(t, os.MkdirAll(filepath.Join(root, "no-state"), 0o700))
	require.NoError(t, os.MkdirAll(filepath.Join(root, "damaged"), 0o700))
	require.NoError(t, os.WriteFile(filepath.Join(root, "damaged", "state.json"), []byte(`{"name":`), 0o600))

	tests := []struct {
		name, root, query string
		want              bool
	}{
		{"a running container's name", root, "web", true},
		{"an exited container's name", root, "db", true},
		{"a free name", root, "cache", false},
		{"names are case-sensitive", root, "Web", false},
		{"no containers yet", filepath.Join(root, "missing"), "web", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := nameInUse(tt.root, tt.query)
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestStateIsWrittenWholeAndReadBack(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "state.json")
	st := State{ID: "abc", Name: "web", Image: "docker.io/library/alpine:latest", ImageID: "123", Status: "exited", ExitCode: 3, Remove: true}
	require.NoError(t, os.WriteFile(path, []byte("old"), 0o600))

	require.NoError(t, atomicfile.WriteJSON(path, st))

	data, err := os.ReadFile(path)
	require.NoError(t, err)
	var got State
	require.NoError(t, json.Unmarshal(data, &got))
	assert.Equal(t, st.ID, got.ID)
	assert.Equal(t, st.Name, got.Name)
	assert.Equal(t, st.ExitCode, got.ExitCode)
	assert.True(t, got.Remove)
	assert.NotContains(t, string(data), "finished_at", "an unfinished container has no finish time")
}

func TestContainerHostsFile(t *testing.T) {
	got := string(hostsFile("0123456789ab", false))
	assert.Equal(t, "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n127.0.1.1\t0123456789ab\n", got)
	assert.True(t, strings.HasSuffix(got, "\t0123456789ab\n"), "the hostname resolves")
}

func TestHostNetworkContainerGetsTheHostsHostsFile(t *testing.T) {
	want, err := os.ReadFile("/etc/hosts")
	if err != nil {
		t.Skip("this host has no /etc/hosts")
	}
	assert.Equal(t, want, hostsFile("web", true))
}

func TestResolvConfDropsLoopbackNameServersInAnOwnNetwork(t *testing.T) {
	host, err := os.ReadFile("/etc/resolv.conf")
	if err != nil {
		t.Skip("this host has no /etc/resolv.conf")
	}
	assert.Equal(t, host, resolvConf(true), "host network: the host's file as is")

	var want []string
	for _, line := range strings.Split(string(host), "\n") {
		f := strings.Fields(line)
		if len(f) >= 2 && f[0] == "nameserver" && (strings.HasPrefix(f[1], "127.") || f[1] == "::1") {
			continue
		}
		want = append(want, line)
	}
	got := string(resolvConf(false))
	assert.Equal(t, strings.Join(want, "\n"), got)
	for _, line := range strings.Split(got, "\n") {
		f := strings.Fields(line)
		if len(f) >= 2 && f[0] == "nameserver" {
			assert.False(t, strings.HasPrefix(f[1], "127.") || f[1] == "::1", "loopback name server %q kept", f[1])
		}
	}
}
