package test

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// driverValues returns the string values in doc under a key that mentions
// "rootfs" or "driver", at any depth (e.g. {"rootfs": {"chosen": "native"}}).
func driverValues(doc any) []string {
	var vals []string
	var walk func(v any, path string)
	walk = func(v any, path string) {
		switch x := v.(type) {
		case map[string]any:
			for k, c := range x {
				walk(c, path+"/"+strings.ToLower(k))
			}
		case []any:
			for _, c := range x {
				walk(c, path)
			}
		case string:
			if strings.Contains(path, "rootfs") || strings.Contains(path, "driver") {
				vals = append(vals, x)
			}
		}
	}
	walk(doc, "")
	return vals
}

func TestInfoJSONShowsSubuidRangeAndRootfsDriver(t *testing.T) {
	e := newEnv(t)
	uids, err := callerRange("/etc/subuid")
	require.NoError(t, err, "the test user needs a range in /etc/subuid")
	gids, err := callerRange("/etc/subgid")
	require.NoError(t, err, "the test user needs a range in /etc/subgid")

	out := e.urun(t, "info", "--format", "json").ok(t)
	var doc any
	require.NoError(t, json.Unmarshal([]byte(out), &doc), "urun info --format json prints one JSON document")
	for _, n := range []int{uids.start, uids.count, gids.start, gids.count} {
		assert.True(t, jsonMentions(doc, n), "info shows the subordinate range (%d)", n)
	}
	drivers := driverValues(doc)
	assert.True(t, containsAny(drivers, "native", "fuse-overlayfs"), "info shows the rootfs driver in use, got %v", drivers)

	for _, d := range []string{"fuse-overlayfs", "native"} {
		t.Run("--rootfs-driver "+d, func(t *testing.T) {
			out := e.urun(t, "--rootfs-driver", d, "info", "--format", "json").ok(t)
			var doc any
			require.NoError(t, json.Unmarshal([]byte(out), &doc))
			assert.Contains(t, driverValues(doc), d)
		})
	}
	t.Run("text", func(t *testing.T) {
		out := e.urun(t, "info").ok(t)
		assert.Contains(t, out, e.RunRoot(), "info shows the run root")
		assert.Contains(t, out, e.GraphRoot(), "info shows the graph root")
	})
}

func containsAny(vals []string, want ...string) bool {
	for _, v := range vals {
		for _, w := range want {
			if v == w {
				return true
			}
		}
	}
	return false
}

func TestVersionPrintsAVersion(t *testing.T) {
	e := newEnv(t)
	out := e.urun(t, "version").ok(t)
	assert.Regexp(t, regexp.MustCompile(`\d+\.\d+|[0-9a-f]{7,}|dev`), out, "a version number, commit or dev build marker")
	assert.Regexp(t, `^Client:\n Version: `, out, "laid out as docker version")
	v := strings.TrimSpace(e.urun(t, "version", "--format", "{{.Client.Version}}").ok(t))
	assert.NotEmpty(t, v)
	assert.Equal(t, v+"\n", e.urun(t, "version", "--format", "{{.Server.Version}}").ok(t), "the server is the same program")
	var doc struct {
		Client, Server struct{ Version, Os, Arch string }
	}
	require.NoError(t, json.Unmarshal([]byte(e.urun(t, "version", "--format", "json").ok(t)), &doc))
	assert.Equal(t, "linux", doc.Client.Os)
}
