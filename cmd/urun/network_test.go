package main

import (
	"encoding/json"
	"io"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// runURun runs urun's CLI with args on a store of its own and returns
// its exit status and standard output.
func runURun(t *testing.T, root string, args ...string) (int, string) {
	t.Helper()
	r, w, err := os.Pipe()
	require.NoError(t, err)
	stdout := os.Stdout
	os.Stdout = w
	defer func() { os.Stdout = stdout }()
	out := make(chan string)
	go func() {
		data, _ := io.ReadAll(r)
		out <- string(data)
	}()
	code := execute(append([]string{"--root", root + "/store", "--runroot", root + "/run"}, args...))
	w.Close()
	return code, <-out
}

func TestNetworkCommandsAsAUserRunsThem(t *testing.T) {
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	root := t.TempDir()

	code, id := runURun(t, root, "network", "create", "--subnet", "10.77.0.0/16", "--label", "app=shop", "mynet")
	require.Equal(t, 0, code)
	id = strings.TrimSpace(id)
	assert.Len(t, id, 64)

	code, out := runURun(t, root, "network", "ls")
	assert.Equal(t, 0, code)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if assert.Len(t, lines, 3) {
		assert.Equal(t, "NETWORK ID     NAME      DRIVER    SCOPE", lines[0])
		assert.Regexp(t, `^[0-9a-f]{12}   bridge    bridge    local$`, lines[1])
		assert.Equal(t, id[:12]+"   mynet     bridge    local", lines[2])
	}

	code, out = runURun(t, root, "network", "list", "-q", "--no-trunc", "--filter", "label=app=shop")
	assert.Equal(t, 0, code)
	assert.Equal(t, id+"\n", out)

	code, out = runURun(t, root, "network", "inspect", id[:5])
	assert.Equal(t, 0, code)
	var docs []map[string]any
	require.NoError(t, json.Unmarshal([]byte(out), &docs))
	require.Len(t, docs, 1)
	assert.Equal(t, "mynet", docs[0]["Name"])
	assert.Equal(t, map[string]any{"Driver": "default", "Options": map[string]any{}, "Config": []any{map[string]any{"Subnet": "10.77.0.0/16", "Gateway": "10.77.0.1"}}}, docs[0]["IPAM"])

	code, out = runURun(t, root, "network", "inspect", "-f", "{{.Driver}} {{.Labels.app}}", "mynet")
	assert.Equal(t, 0, code)
	assert.Equal(t, "bridge shop\n", out)

	code, _ = runURun(t, root, "network", "create", "--subnet", "10.77.3.0/24", "other")
	assert.Equal(t, 1, code, "an overlapping subnet fails as with Docker")
	code, _ = runURun(t, root, "network", "inspect", "other")
	assert.Equal(t, 1, code, "inspect of a network that does not exist")
	code, _ = runURun(t, root, "network", "rm", "bridge")
	assert.Equal(t, 1, code, "rm of the default network")

	code, out = runURun(t, root, "network", "rm", "mynet")
	assert.Equal(t, 0, code)
	assert.Equal(t, "mynet\n", out)

	runURun(t, root, "network", "create", "idle")
	code, out = runURun(t, root, "network", "prune", "-f")
	assert.Equal(t, 0, code)
	assert.Equal(t, "Deleted Networks:\nidle\n", out)
	code, out = runURun(t, root, "network", "prune", "-f")
	assert.Equal(t, 0, code)
	assert.Empty(t, out)
}
