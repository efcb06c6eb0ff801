package test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPullStoresTheImage(t *testing.T) {
	e := newEnv(t)
	res := e.urun(t, "pull", busyboxRef)
	res.ok(t)
	out := e.urun(t, "images").ok(t)
	assert.True(t, imagesListHas(out, reg.Addr()+"/library/busybox", "latest"), "urun images lists the pulled image:\n%s", out)
	t.Run("again is a no-op that succeeds", func(t *testing.T) {
		e.urun(t, "pull", busyboxRef).ok(t)
		ids := lines(e.urun(t, "images", "-q").ok(t))
		assert.Len(t, ids, 1, "pulling twice stores one image")
	})
}

func TestPullQuietPrintsOneLine(t *testing.T) {
	e := newEnv(t)
	out := e.urun(t, "pull", "-q", busyboxRef).ok(t)
	assert.Len(t, lines(out), 1, "pull -q prints one line (no progress)")
}

func TestPullWithTLSVerifyFalse(t *testing.T) {
	// registries.conf does not mark the registry insecure: the flag must.
	e := newEnvWith(t, envOptions{registriesConf: "unqualified-search-registries = []\n"})
	e.urun(t, "pull", "--tls-verify=false", busyboxRef).ok(t)
	e.urun(t, "run", "--rm", "--tls-verify=false", appRef, "hi").ok(t)
}

func TestRunPullsAMissingImage(t *testing.T) {
	e := newEnv(t)
	res := e.urun(t, "run", "--rm", busyboxRef, "cat", "/etc/layer2")
	res.ok(t)
	assert.Equal(t, layer2Body, res.stdout, "pull progress must not go to stdout")
	assert.True(t, imagesListHas(e.urun(t, "images").ok(t), reg.Addr()+"/library/busybox", "latest"))
}

func TestPullShortNameThroughRegistriesConfMirror(t *testing.T) {
	conf := fmt.Sprintf(`unqualified-search-registries = ["docker.io"]

[[registry]]
location = "docker.io"

[[registry.mirror]]
location = %q
insecure = true
`, reg.Addr())
	e := newEnvWith(t, envOptions{registriesConf: conf})
	e.urun(t, "pull", "busybox").ok(t)
	out := e.urun(t, "images").ok(t)
	assert.True(t, imagesListHas(out, "docker.io/library/busybox", "latest") || imagesListHas(out, "busybox", "latest"),
		"the image is listed under its docker.io name:\n%s", out)
	assert.Equal(t, layer2Body, e.urun(t, "run", "--rm", "busybox", "cat", "/etc/layer2").ok(t))
	e.urun(t, "run", "--rm", "busybox", "true").ok(t)
}

// imagesListHas reports whether a line of `urun images` shows repo and tag.
func imagesListHas(out, repo, tag string) bool {
	for _, l := range lines(out) {
		f := strings.Fields(l)
		for i, w := range f {
			if w == repo+":"+tag || (w == repo && i+1 < len(f) && f[i+1] == tag) {
				return true
			}
		}
	}
	return false
}

// decodeJSONDocs decodes a JSON array, or a stream of JSON values (one
// object per line, as `docker images --format json` prints).
func decodeJSONDocs(t *testing.T, out string) []any {
	t.Helper()
	var docs []any
	dec := json.NewDecoder(strings.NewReader(out))
	for {
		var v any
		err := dec.Decode(&v)
		if err == io.EOF {
			break
		}
		require.NoError(t, err, "output is JSON:\n%s", out)
		if arr, ok := v.([]any); ok {
			docs = append(docs, arr...)
		} else {
			docs = append(docs, v)
		}
	}
	return docs
}

func TestImagesListsQuietAndJSON(t *testing.T) {
	e := sharedStore(t)
	out := e.urun(t, "images").ok(t)
	assert.True(t, imagesListHas(out, reg.Addr()+"/library/busybox", "latest"), "busybox listed:\n%s", out)
	assert.True(t, imagesListHas(out, reg.Addr()+"/test/app", "latest"), "app listed:\n%s", out)

	ids := lines(e.urun(t, "images", "-q").ok(t))
	assert.Len(t, ids, 2, "one id per image")
	for _, id := range ids {
		assert.Regexp(t, hexID, id)
	}

	raw := e.urun(t, "images", "--format", "json").ok(t)
	docs := decodeJSONDocs(t, raw)
	assert.Len(t, docs, 2, "one JSON object per image")
	for _, id := range ids {
		found := false
		for _, d := range docs {
			walkJSON(d, "", func(_ string, v any) {
				if s, ok := v.(string); ok && sameID(strings.TrimPrefix(s, "sha256:"), id) {
					found = true
				}
			})
		}
		assert.True(t, found, "image id %s from -q appears in the JSON", id)
	}
	for _, name := range []string{"library/busybox", "test/app"} {
		assert.Contains(t, raw, name)
	}
}

// sameID reports whether two image ids, full or short, are the same.
func sameID(a, b string) bool {
	if !hexID.MatchString(a) || !hexID.MatchString(b) {
		return false
	}
	return strings.HasPrefix(a, b) || strings.HasPrefix(b, a)
}

// entries lists dir; a missing dir has none.
func entries(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if os.IsNotExist(err) {
		return nil
	}
	require.NoError(t, err)
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return names
}

func hasPrefixed(names []string, prefix string) bool {
	for _, n := range names {
		if strings.HasPrefix(n, prefix) {
			return true
		}
	}
	return false
}

func TestRunRmLeavesNoContainerDirectories(t *testing.T) {
	t.Run("--root and --runroot", func(t *testing.T) {
		e := newEnvWith(t, envOptions{explicitRoot: true})
		e.urun(t, "pull", busyboxRef).ok(t)
		e.urun(t, "run", "--rm", busyboxRef, "sh", "-c", "echo x > /written").ok(t)
		e.urun(t, "run", "--rm", busyboxRef, "sh", "-c", "echo x > /written; exit 3").exits(t, 3)
		e.urun(t, "run", "--rm", busyboxRef, "nonexistent-cmd").exits(t, 127)
		assert.Empty(t, entries(t, filepath.Join(e.GraphRoot(), "urun-containers")))
		assert.Empty(t, entries(t, filepath.Join(e.GraphRoot(), "urun-transient")))
		assert.Empty(t, entries(t, filepath.Join(e.RunRoot(), "containers")))
	})
	t.Run("default directories", func(t *testing.T) {
		e := sharedStore(t)
		graph := filepath.Join(e.GraphRoot(), "urun-containers")
		transient := filepath.Join(e.GraphRoot(), "urun-transient")
		run := filepath.Join(e.RunRoot(), "containers")
		beforeGraph, beforeTransient, beforeRun := entries(t, graph), entries(t, transient), entries(t, run)
		e.urun(t, "run", "--rm", busyboxRef, "sh", "-c", "echo x > /written").ok(t)
		assert.ElementsMatch(t, beforeGraph, entries(t, graph), "%s after run --rm", graph)
		assert.ElementsMatch(t, beforeTransient, entries(t, transient), "%s after run --rm", transient)
		assert.ElementsMatch(t, beforeRun, entries(t, run), "%s after run --rm", run)
	})
}

// A urun killed with SIGKILL takes its container with it, and the next
// `urun run` deletes what the --rm container left on disk.
func TestRunKilledWithSIGKILLIsRepairedByTheNextRun(t *testing.T) {
	e := newEnvWith(t, envOptions{explicitRoot: true})
	e.urun(t, "pull", busyboxRef).ok(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	// A file owned by a subordinate uid, which only the user namespace can
	// delete, makes the repair prove itself.
	cmd := e.command(ctx, "run", "--rm", busyboxRef, "sh", "-c",
		"mkdir /owned && touch /owned/f && chown -R 1000:1000 /owned && chmod 700 /owned && exec sleep 417")
	require.NoError(t, cmd.Start())
	transient := filepath.Join(e.GraphRoot(), "urun-transient")
	require.Eventually(t, func() bool { return len(processesWith("sleep", "417")) == 1 }, 20*time.Second, 20*time.Millisecond,
		"the container's sleep started")
	require.NoError(t, syscall.Kill(cmd.Process.Pid, syscall.SIGKILL))
	cmd.Wait()
	assert.Empty(t, waitNoProcesses(5*time.Second, "sleep", "417"), "no process of the container outlives urun")
	require.Len(t, entries(t, transient), 1, "the killed --rm container left its writable layer")

	e.urun(t, "run", "--rm", busyboxRef, "true").ok(t)
	assert.Empty(t, entries(t, transient), "the next run deleted the orphaned layer")
	assert.Empty(t, entries(t, filepath.Join(e.RunRoot(), "containers")), "and its run state")
}

func TestRunWithoutRmKeepsContainerDirectories(t *testing.T) {
	e := newEnvWith(t, envOptions{explicitRoot: true})
	e.urun(t, "pull", busyboxRef).ok(t)
	id := strings.TrimSpace(e.urun(t, "run", busyboxRef, "hostname").ok(t))
	require.Regexp(t, `^[0-9a-f]{12}$`, id)
	graph := entries(t, filepath.Join(e.GraphRoot(), "urun-containers"))
	run := entries(t, filepath.Join(e.RunRoot(), "containers"))
	assert.True(t, hasPrefixed(graph, id), "urun-containers/ has container %s: %v", id, graph)
	assert.True(t, hasPrefixed(run, id), "the run root's containers/ has container %s: %v", id, run)
}

func TestRunWithEachRootfsDriver(t *testing.T) {
	for _, c := range []struct {
		driver string
		fstype func(string) bool
		want   string
	}{
		{"native", func(s string) bool { return s == "overlay" }, "overlay"},
		{"fuse-overlayfs", func(s string) bool { return strings.HasPrefix(s, "fuse") }, "fuse.fuse-overlayfs"},
		{"auto", func(s string) bool { return s == "overlay" || strings.HasPrefix(s, "fuse") }, "overlay or fuse"},
	} {
		t.Run(c.driver, func(t *testing.T) {
			e := newEnv(t)
			e.flags = append(e.flags, "--rootfs-driver", c.driver)
			e.urun(t, "pull", busyboxRef).ok(t)
			out := e.urun(t, "run", "--rm", busyboxRef, "sh", "-c",
				"ls -a /etc; echo ---; cat /proc/mounts; echo hi > /etc/new && echo hi > /new && cat /new").ok(t)
			etc, rest, _ := strings.Cut(out, "---\n")
			assert.NotContains(t, strings.Fields(etc), "deleteme")
			assert.NotContains(t, strings.Fields(etc), ".wh.deleteme")
			assert.Contains(t, strings.Fields(etc), "layer2")
			m := mountsAt(rest, "/")
			if assert.NotEmpty(t, m, "a mount at /") {
				assert.True(t, c.fstype(m[len(m)-1][2]), "the root's file system is %s, want %s", m[len(m)-1][2], c.want)
			}
			assert.True(t, bytes.HasSuffix([]byte(out), []byte("hi\n")), "the root is writable, at its top too")
		})
	}
}
