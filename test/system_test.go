package test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// df is `system df --format json` by type.
func (e *env) df(t *testing.T) map[string]map[string]string {
	t.Helper()
	out := map[string]map[string]string{}
	for _, l := range lines(e.urun(t, "system", "df", "--format", "json").ok(t)) {
		var row map[string]string
		require.NoError(t, json.Unmarshal([]byte(l), &row), l)
		out[row["Type"]] = row
	}
	return out
}

func TestSystemDfCountsWhatPullAndRunAdd(t *testing.T) {
	e := newEnvWith(t, envOptions{explicitRoot: true})
	before := e.df(t)
	require.Len(t, before, 4)
	for _, typ := range []string{"Images", "Containers", "Local Volumes", "Build Cache"} {
		assert.Equal(t, "0", before[typ]["TotalCount"], typ)
		assert.Equal(t, "0B", before[typ]["Size"], typ)
	}

	e.urun(t, "pull", "-q", busyboxRef).ok(t)
	e.urun(t, "run", "--name", "writer", "-v", "data:/data", busyboxRef, "sh", "-c", "head -c 200000 /dev/zero > /big; head -c 50000 /dev/zero > /data/f").ok(t)
	after := e.df(t)
	assert.Equal(t, "1", after["Images"]["TotalCount"])
	assert.Equal(t, "1", after["Images"]["Active"], "the stopped container uses it")
	assert.NotEqual(t, "0B", after["Images"]["Size"])
	assert.Equal(t, "0B (0%)", after["Images"]["Reclaimable"])
	assert.Equal(t, "1", after["Containers"]["TotalCount"])
	assert.Equal(t, "0", after["Containers"]["Active"])
	assert.Equal(t, "200kB", after["Containers"]["Size"])
	assert.Equal(t, "200kB (100%)", after["Containers"]["Reclaimable"])
	assert.Equal(t, "1", after["Local Volumes"]["TotalCount"])
	assert.Equal(t, "50kB", after["Local Volumes"]["Size"])

	table := lines(e.urun(t, "system", "df").ok(t))
	require.Len(t, table, 5)
	assert.Regexp(t, `^TYPE +TOTAL +ACTIVE +SIZE +RECLAIMABLE$`, table[0])
	assert.Regexp(t, `^Containers +1 +0 +200kB +200kB \(100%\)$`, table[2])
	verbose := e.urun(t, "system", "df", "-v").ok(t)
	for _, s := range []string{"Images space usage:", "Containers space usage:", "Local Volumes space usage:", "Build cache usage: ", "writer", "data "} {
		assert.Contains(t, verbose, s)
	}
}

func TestSystemPruneRemovesStoppedContainersAndDanglingImages(t *testing.T) {
	e := newEnvWith(t, envOptions{explicitRoot: true})
	e.urun(t, "pull", "-q", busyboxRef).ok(t)
	e.urun(t, "pull", "-q", appRef).ok(t)
	appID := e.imageID(t, appRef)
	// The app's name moves to busybox: the app image is left dangling.
	e.urun(t, "tag", busyboxRef, appRef).ok(t)
	id := strings.TrimSpace(e.urun(t, "run", "-d", busyboxRef, "sh", "-c", "head -c 100000 /dev/zero > /big").ok(t))
	e.urun(t, "wait", id).ok(t)
	e.urun(t, "network", "create", "unused").ok(t)

	out := e.urun(t, "system", "prune", "-f").ok(t)
	assert.Contains(t, out, "Deleted Containers:\n"+id+"\n")
	assert.Contains(t, out, "Deleted Networks:\nunused\n")
	assert.Contains(t, out, "deleted: "+appID+"\n")
	ls := lines(out)
	assert.Regexp(t, `^Total reclaimed space: \d+(\.\d+)?[kM]B$`, ls[len(ls)-1])
	assert.Equal(t, 1, strings.Count(out, "Total reclaimed space"), out)
	assert.Empty(t, e.ps(t, "-a"))
	assert.Len(t, lines(e.urun(t, "images", "-q").ok(t)), 1, "busybox has a name: it stays")
	assert.Equal(t, "Total reclaimed space: 0B\n", e.urun(t, "system", "prune", "-f").ok(t), "nothing left")

	// The events of what it removed.
	events := e.eventLines(t, "--filter", "event=destroy", "--filter", "event=delete", "--format", "{{.Type}} {{.Action}} {{.Actor.ID}}")
	assert.Contains(t, events, "container destroy "+id)
	assert.Contains(t, events, "image delete "+appID)
}

func TestSystemInfoIsInfo(t *testing.T) {
	e := newEnv(t)
	var info, system map[string]any
	require.NoError(t, json.Unmarshal([]byte(e.urun(t, "info", "--format", "json").ok(t)), &info))
	require.NoError(t, json.Unmarshal([]byte(e.urun(t, "system", "info", "--format", "json").ok(t)), &system))
	assert.NotEmpty(t, system)
	for key := range info {
		assert.Contains(t, system, key)
	}
}

func TestUnshareLetsTheUserRemoveFilesAContainerUserWrote(t *testing.T) {
	e := containerEnv(t)
	dir := mkTemp(t)
	require.NoError(t, os.Chmod(dir, 0o777))
	e.urun(t, "run", "--rm", "--user", "1000", "-v", dir+":/data", busyboxRef, "sh", "-c", "mkdir /data/sub && echo hi > /data/sub/file").ok(t)
	sub := filepath.Join(dir, "sub")
	require.Error(t, os.Remove(filepath.Join(sub, "file")), "a subordinate id owns it")

	listing := e.urun(t, "unshare", "ls", "-ln", sub).ok(t)
	assert.Regexp(t, `-rw-r--r-- +1 +1000 +1000 +3 .* file`, listing, "inside, the file is uid 1000's as in the container")
	e.urun(t, "unshare", "rm", "-rf", sub).ok(t)
	_, err := os.Stat(sub)
	assert.True(t, os.IsNotExist(err), "removed: %v", err)

	assert.Equal(t, "0\n", e.urun(t, "unshare", "id", "-u").ok(t))
	assert.Equal(t, e.GraphRoot()+"\n", e.urun(t, "unshare", "sh", "-c", "echo $URUN_GRAPHROOT").ok(t))
	e.urun(t, "unshare", "sh", "-c", "exit 7").exits(t, 7)
}
