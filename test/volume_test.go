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

// volumeNames are what `volume ls -q` lists.
func (e *env) volumeNames(t *testing.T) []string {
	t.Helper()
	return lines(e.urun(t, "volume", "ls", "-q").ok(t))
}

func TestVolumeDataSurvivesItsContainerAndIsSharedByTwo(t *testing.T) {
	e := containerEnv(t)
	assert.Equal(t, "data\n", e.urun(t, "volume", "create", "--label", "team=a", "data").ok(t), "create prints the name")
	e.urun(t, "run", "--name", "writer", "--network", "none", "-v", "data:/data", busyboxRef, "sh", "-c", "echo hello > /data/f").ok(t)
	e.urun(t, "rm", "writer").ok(t)
	assert.Equal(t, "hello\n", e.urun(t, "run", "--rm", "--network", "none", "-v", "data:/elsewhere:ro", busyboxRef, "cat", "/elsewhere/f").ok(t))
	// Two at once: one writes while the other runs.
	e.urun(t, "run", "-d", "--name", "reader", "--network", "none", "--mount", "type=volume,src=data,dst=/d", busyboxRef, "sleep", "30").ok(t)
	e.urun(t, "run", "--rm", "--network", "none", "-v", "data:/data", busyboxRef, "sh", "-c", "echo second > /data/g").ok(t)
	assert.Equal(t, "second\n", e.urun(t, "exec", "reader", "cat", "/d/g").ok(t))
	e.urun(t, "rm", "-f", "reader").ok(t)

	assert.Equal(t, "DRIVER    VOLUME NAME\nlocal     data\n", e.urun(t, "volume", "ls").ok(t))
	assert.Equal(t, "data local a\n", e.urun(t, "volume", "ls", "--format", `{{.Name}} {{.Driver}} {{.Label "team"}}`).ok(t))
	assert.Equal(t, "data\n", e.urun(t, "volume", "ls", "-q", "--filter", "label=team=a", "--filter", "dangling=true").ok(t))
	assert.Empty(t, e.urun(t, "volume", "ls", "-q", "--filter", "name=nomatch").ok(t))
	var docs []map[string]any
	require.NoError(t, json.Unmarshal([]byte(e.urun(t, "volume", "inspect", "data").ok(t)), &docs))
	require.Len(t, docs, 1)
	assert.Equal(t, "data", docs[0]["Name"])
	assert.Equal(t, "local", docs[0]["Driver"])
	assert.Equal(t, "local", docs[0]["Scope"])
	assert.Equal(t, map[string]any{"team": "a"}, docs[0]["Labels"])
	mountpoint := docs[0]["Mountpoint"].(string)
	data, err := os.ReadFile(filepath.Join(mountpoint, "f"))
	require.NoError(t, err, "the volume's data is on the host at its Mountpoint")
	assert.Equal(t, "hello\n", string(data))
}

func TestVolumeOfAnImageVOLUMEGetsTheImageContentWithItsOwnersOnce(t *testing.T) {
	e := containerEnv(t)
	e.urun(t, "run", "--name", "src", "--network", "none", busyboxRef, "sh", "-c", "mkdir /data && echo hi > /data/f && chown -R 1000:1000 /data && chmod 750 /data").ok(t)
	e.urun(t, "commit", "-c", "VOLUME /data", "src", "localhost/withvol").ok(t)
	e.urun(t, "rm", "src").ok(t)

	out := e.urun(t, "run", "--name", "c1", "--network", "none", "localhost/withvol", "sh", "-c", "stat -c '%u:%g %a' /data /data/f && cat /data/f").ok(t)
	assert.Equal(t, "1000:1000 750\n1000:1000 644\nhi\n", out)
	anon := e.volumeNames(t)
	require.Len(t, anon, 1, "the image's VOLUME gets an anonymous volume")
	assert.Regexp(t, `^[0-9a-f]{64}$`, anon[0])
	var mounts []map[string]any
	require.NoError(t, json.Unmarshal([]byte(e.urun(t, "inspect", "-f", "{{json .Mounts}}", "c1").ok(t)), &mounts))
	require.Len(t, mounts, 1)
	assert.Equal(t, "volume", mounts[0]["Type"])
	assert.Equal(t, anon[0], mounts[0]["Name"])
	assert.Equal(t, "/data", mounts[0]["Destination"])
	assert.Equal(t, "local", mounts[0]["Driver"])
	assert.Equal(t, true, mounts[0]["RW"])

	// A named volume over the same path gets the content too, once.
	assert.Equal(t, "hi\n", e.urun(t, "run", "--rm", "--network", "none", "-v", "named:/data", "localhost/withvol", "cat", "/data/f").ok(t))
	e.urun(t, "run", "--rm", "--network", "none", "-v", "named:/data", "localhost/withvol", "rm", "/data/f").ok(t)
	assert.Empty(t, e.urun(t, "run", "--rm", "--network", "none", "-v", "named:/data", "localhost/withvol", "ls", "/data").ok(t), "emptied, the volume is not filled again")
	// nocopy keeps a new volume empty.
	assert.Empty(t, e.urun(t, "run", "--rm", "--network", "none", "-v", "empty:/data:nocopy", "localhost/withvol", "ls", "/data").ok(t))

	// rm -v removes the anonymous volume, never the named ones.
	e.urun(t, "rm", "-v", "c1").ok(t)
	assert.ElementsMatch(t, []string{"empty", "named"}, e.volumeNames(t))
}

func TestVolumeFreshNamedVolumeIsWritableByTheContainersUser(t *testing.T) {
	e := containerEnv(t)
	out := e.urun(t, "run", "--rm", "--network", "none", "-u", "1000", "-v", "fresh:/data", busyboxRef, "sh", "-c", "echo x > /data/f && stat -c %u:%g /data").ok(t)
	assert.Equal(t, "1000:1000\n", out)
	// A host directory given with U belongs to the container's user.
	dir := filepath.Join(mkTemp(t), "host")
	require.NoError(t, os.Mkdir(dir, 0o755))
	out = e.urun(t, "run", "--rm", "--network", "none", "-u", "1000", "-v", dir+":/h:U", busyboxRef, "sh", "-c", "touch /h/f && stat -c %u /h /h/f").ok(t)
	assert.Equal(t, "1000\n1000\n", out)
}

func TestVolumesFromMountsWhatTheOtherContainerMounts(t *testing.T) {
	e := containerEnv(t)
	dir := mkTemp(t)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "hostfile"), []byte("host\n"), 0o644))
	e.urun(t, "create", "--name", "src", "--network", "none", "-v", "shared:/data", "-v", dir+":/bind", "-v", "/anon", busyboxRef, "true").ok(t)
	e.urun(t, "run", "--rm", "--network", "none", "--volumes-from", "src", busyboxRef, "sh", "-c", "echo v > /data/f && echo a > /anon/f").ok(t)
	assert.Equal(t, "v\nhost\na\n", e.urun(t, "run", "--rm", "--network", "none", "--volumes-from", "src", busyboxRef, "cat", "/data/f", "/bind/hostfile", "/anon/f").ok(t))
	res := e.urun(t, "run", "--rm", "--network", "none", "--volumes-from", "src:ro", busyboxRef, "touch", "/data/g")
	assert.NotEqual(t, 0, res.code, ":ro mounts them read-only")
	assert.Len(t, e.volumeNames(t), 2, "--rm of a --volumes-from container leaves the other's anonymous volume")
}

func TestVolumeRmIsRefusedWhileAContainerUsesIt(t *testing.T) {
	e := containerEnv(t)
	id := strings.TrimSpace(e.urun(t, "create", "--network", "none", "-v", "busy:/data", busyboxRef, "true").ok(t))
	res := e.urun(t, "volume", "rm", "busy")
	res.exits(t, 1)
	assert.Contains(t, res.stderr, "volume is in use")
	assert.Contains(t, res.stderr, id)
	assert.Equal(t, []string{"busy"}, e.volumeNames(t))
	assert.Empty(t, e.urun(t, "volume", "ls", "-q", "--filter", "dangling=true").ok(t))
	e.urun(t, "rm", id).ok(t)
	assert.Equal(t, "busy\n", e.urun(t, "volume", "rm", "busy").ok(t))
	assert.Empty(t, e.volumeNames(t))
	e.urun(t, "volume", "rm", "busy").exits(t, 1)
	e.urun(t, "volume", "rm", "-f", "busy").ok(t)
}

func TestVolumePruneRemovesUnusedAnonymousVolumesAndWithAllNamedOnes(t *testing.T) {
	e := containerEnv(t)
	e.urun(t, "run", "--rm", "--network", "none", "-v", "/gone", "-v", "kept:/k", busyboxRef, "true").ok(t)
	assert.Equal(t, []string{"kept"}, e.volumeNames(t), "run --rm removes its anonymous volumes, not named ones")
	e.urun(t, "run", "--name", "x", "--network", "none", "-v", "/anon", busyboxRef, "sh", "-c", "echo data > /anon/f").ok(t)
	e.urun(t, "rm", "x").ok(t)
	var anon string
	for _, n := range e.volumeNames(t) {
		if n != "kept" {
			anon = n
		}
	}
	require.NotEmpty(t, anon, "rm without -v keeps the anonymous volume")
	out := e.urun(t, "volume", "prune", "-f").ok(t)
	assert.Equal(t, "Deleted Volumes:\n"+anon+"\n\nTotal reclaimed space: 5B\n", out)
	assert.Equal(t, []string{"kept"}, e.volumeNames(t))
	assert.Equal(t, "Deleted Volumes:\nkept\n\nTotal reclaimed space: 0B\n", e.urun(t, "volume", "prune", "-f", "-a").ok(t))
}

func TestBadVolumeValuesFailAndLeaveNothing(t *testing.T) {
	e := containerEnv(t)
	for _, c := range []struct {
		args    []string
		wantErr string
	}{
		{[]string{"run", "--rm", "-v", "my/vol:/data", busyboxRef, "true"}, "invalid volume name"},
		{[]string{"run", "--rm", "--mount", "type=volume,src=a/b,dst=/d", busyboxRef, "true"}, "invalid volume name"},
		{[]string{"run", "--rm", "-v", "/anon", "--mount", "type=volume,dst=/d,volume-opt=type=ext4", busyboxRef, "true"}, "type=tmpfs"},
		{[]string{"run", "--rm", "-v", "/anon", "--volumes-from", "nosuch", busyboxRef, "true"}, "No such container"},
		{[]string{"run", "--rm", "-v", "/anon", "-v", "x1:/anon", busyboxRef, "true"}, "duplicate mount point"},
		{[]string{"volume", "create", "a/b"}, "invalid volume name"},
		{[]string{"volume", "create", "--opt", "foo=bar", "x1"}, "invalid option key"},
		{[]string{"volume", "create", "--driver", "nfs", "x1"}, "only the local driver"},
	} {
		res := e.urun(t, c.args...)
		want := 1
		if c.args[0] == "run" {
			want = 125
		}
		res.exits(t, want)
		assert.Contains(t, res.stderr, c.wantErr, "urun %s", strings.Join(c.args, " "))
	}
	assert.Empty(t, e.volumeNames(t))
	entries, _ := os.ReadDir(filepath.Join(e.GraphRoot(), "urun-volumes"))
	for _, entry := range entries {
		assert.True(t, strings.HasPrefix(entry.Name(), "."), "left in the volume store: %s", entry.Name())
	}
	assert.NoDirExists(t, filepath.Join(e.GraphRoot(), "urun-volumes", "a"))
}
