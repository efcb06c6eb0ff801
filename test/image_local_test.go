package test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// imageID is the full id of the stored image ref names.
func (e *env) imageID(t *testing.T, ref string) string {
	t.Helper()
	return strings.TrimSpace(e.urun(t, "image", "inspect", "-f", "{{.Id}}", ref).ok(t))
}

// layerDirs lists the layer directories of the store's overlay driver
// (named by layer id, beside its own "l", "staging" and "tempdirs").
func (e *env) layerDirs(t *testing.T) []string {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(e.GraphRoot(), "overlay"))
	require.NoError(t, err)
	var dirs []string
	for _, d := range entries {
		if d.IsDir() && layerID.MatchString(d.Name()) {
			dirs = append(dirs, d.Name())
		}
	}
	return dirs
}

var layerID = regexp.MustCompile(`^[0-9a-f]{64}$`)

// servedImage is what the registry serves for a fixture: its manifest's
// digest, its config's digest and the config's diff ids and run config.
type servedImage struct {
	ManifestDigest, ConfigDigest string
	DiffIDs                      []string
	Env, Cmd                     []string
	Architecture, OS             string
}

// fromRegistry fetches ref's manifest and config from the suite's
// registry, as a client would.
func fromRegistry(t *testing.T, ref string) servedImage {
	t.Helper()
	repoTag := strings.TrimPrefix(ref, reg.Addr()+"/")
	repo, tag, _ := strings.Cut(repoTag, ":")
	get := func(path, accept string) ([]byte, http.Header) {
		req, err := http.NewRequest("GET", "http://"+reg.Addr()+"/v2/"+repo+path, nil)
		require.NoError(t, err)
		req.Header.Set("Accept", accept)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		require.Equal(t, http.StatusOK, resp.StatusCode, path)
		body, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		return body, resp.Header
	}
	body, hdr := get("/manifests/"+tag, "application/vnd.oci.image.manifest.v1+json")
	var m struct {
		Config struct{ Digest string } `json:"config"`
	}
	require.NoError(t, json.Unmarshal(body, &m))
	cfgBody, _ := get("/blobs/"+m.Config.Digest, "*/*")
	var c struct {
		Architecture string `json:"architecture"`
		OS           string `json:"os"`
		Config       struct{ Env, Cmd []string }
		RootFS       struct {
			DiffIDs []string `json:"diff_ids"`
		} `json:"rootfs"`
	}
	require.NoError(t, json.Unmarshal(cfgBody, &c))
	return servedImage{
		ManifestDigest: hdr.Get("Docker-Content-Digest"), ConfigDigest: m.Config.Digest,
		DiffIDs: c.RootFS.DiffIDs, Env: c.Config.Env, Cmd: c.Config.Cmd, Architecture: c.Architecture, OS: c.OS,
	}
}

func TestTagThenRunTheNewName(t *testing.T) {
	e := newEnv(t)
	e.urun(t, "pull", "-q", busyboxRef).ok(t)
	e.urun(t, "tag", busyboxRef, "myimage").ok(t)
	e.urun(t, "tag", busyboxRef, "localhost:5999/team/tool:1.0").ok(t)

	assert.Equal(t, layer2Body, e.urun(t, "run", "--rm", "myimage", "cat", "/etc/layer2").ok(t))
	assert.Equal(t, layer2Body, e.urun(t, "run", "--rm", "localhost:5999/team/tool:1.0", "cat", "/etc/layer2").ok(t))
	out := e.urun(t, "images").ok(t)
	assert.True(t, imagesListHas(out, "myimage", "latest"), "the new name is normalized as Docker's:\n%s", out)
	assert.True(t, imagesListHas(out, "localhost:5999/team/tool", "1.0"), out)
	assert.Len(t, lines(e.urun(t, "images", "-q").ok(t)), 1, "one image under three names")
	tagged, err := time.Parse(time.RFC3339Nano, strings.TrimSpace(e.urun(t, "image", "inspect", "-f", "{{.Metadata.LastTagTime}}", "myimage").ok(t)))
	require.NoError(t, err)
	assert.WithinDuration(t, time.Now(), tagged, time.Minute, "inspect shows when the image was tagged")

	t.Run("bad input", func(t *testing.T) {
		tests := []struct {
			args []string
			want string
		}{
			{[]string{"tag", busyboxRef, "Bad:Name"}, "invalid reference format"},
			{[]string{"tag", busyboxRef, "x@sha256:" + strings.Repeat("a", 64)}, "digest"},
			{[]string{"tag", "nosuchimage", "other"}, "No such image: nosuchimage"},
			{[]string{"tag", busyboxRef}, "accepts 2 arg"},
		}
		for _, tt := range tests {
			res := e.urun(t, tt.args...)
			res.exits(t, 1)
			assert.Contains(t, res.stderr, tt.want, res.describe())
		}
	})
}

func TestRmiOfATaggedImageOnlyUntags(t *testing.T) {
	e := newEnv(t)
	e.urun(t, "pull", "-q", busyboxRef).ok(t)
	id := e.imageID(t, busyboxRef)
	e.urun(t, "tag", busyboxRef, "second").ok(t)

	assert.Equal(t, "Untagged: second:latest\n", e.urun(t, "rmi", "second").ok(t))
	assert.Equal(t, id, e.imageID(t, busyboxRef), "the image stays under its other name")
	res := e.urun(t, "image", "inspect", "second")
	res.exits(t, 1)
	assert.Contains(t, res.stderr, "No such image: second")
	assert.Equal(t, layer2Body, e.urun(t, "run", "--rm", busyboxRef, "cat", "/etc/layer2").ok(t))

	out := e.urun(t, "image", "rm", busyboxRef).ok(t)
	assert.Equal(t, "Untagged: "+busyboxRef+"\nDeleted: "+id+"\n", out)
	assert.Empty(t, e.urun(t, "images", "-q").ok(t))
	_, err := os.Stat(filepath.Join(e.GraphRoot(), "urun-images", strings.TrimPrefix(id, "sha256:")+".json"))
	assert.ErrorIs(t, err, os.ErrNotExist, "urun's record of the deleted image is gone")

	t.Run("missing image", func(t *testing.T) {
		res := e.urun(t, "rmi", "nosuchimage")
		res.exits(t, 1)
		assert.Contains(t, res.stderr, "No such image: nosuchimage")
		res = e.urun(t, "rmi", "nosuch1", "nosuch2")
		res.exits(t, 1)
		assert.Contains(t, res.stderr, "nosuch1")
		assert.Contains(t, res.stderr, "nosuch2")
	})
}

func TestRmiByIDOfAnImageInSeveralRepositoriesNeedsForce(t *testing.T) {
	e := newEnv(t)
	e.urun(t, "pull", "-q", busyboxRef).ok(t)
	id := e.imageID(t, busyboxRef)
	e.urun(t, "tag", busyboxRef, "elsewhere:v1").ok(t)
	res := e.urun(t, "rmi", id[len("sha256:"):len("sha256:")+12])
	res.exits(t, 1)
	assert.Contains(t, res.stderr, "referenced in multiple repositories")
	out := e.urun(t, "rmi", "-f", id).ok(t)
	assert.Contains(t, out, "Untagged: elsewhere:v1\n")
	assert.Contains(t, out, "Untagged: "+busyboxRef+"\n")
	assert.True(t, strings.HasSuffix(out, "Deleted: "+id+"\n"), out)
}

func TestRmiOfAnImageAStoppedContainerUsesIsRefusedAndForceKeepsItStartable(t *testing.T) {
	e := newEnv(t)
	e.urun(t, "pull", "-q", busyboxRef).ok(t)
	id := e.imageID(t, busyboxRef)
	e.urun(t, "run", "--name", "keeper", busyboxRef, "cat", "/etc/layer2").ok(t)

	res := e.urun(t, "rmi", busyboxRef)
	res.exits(t, 1)
	assert.Contains(t, res.stderr, "container keeper is using its referenced image")
	assert.Contains(t, res.stderr, "-f")
	res = e.urun(t, "rmi", id)
	res.exits(t, 1)
	assert.Contains(t, res.stderr, "being used by container keeper")

	res = e.urun(t, "rmi", "-f", busyboxRef)
	res.ok(t)
	assert.Equal(t, "Untagged: "+busyboxRef+"\n", res.stdout, "untagged, not deleted")
	assert.Contains(t, res.stderr, "kept")
	assert.Contains(t, res.stderr, "keeper")
	out := e.urun(t, "images").ok(t)
	assert.True(t, imagesListHas(out, "<none>", "<none>"), "the image stays, without a name:\n%s", out)

	assert.Equal(t, layer2Body, e.urun(t, "start", "-a", "keeper").ok(t), "the container still starts")

	t.Run("prune keeps it while the container is there", func(t *testing.T) {
		assert.Equal(t, "Total reclaimed space: 0B\n", e.urun(t, "image", "prune", "-f").ok(t))
		e.urun(t, "rm", "keeper").ok(t)
		out := e.urun(t, "image", "prune", "-f").ok(t)
		assert.True(t, strings.HasPrefix(out, "Deleted Images:\ndeleted: "+id+"\n\nTotal reclaimed space: "), out)
		assert.Empty(t, e.urun(t, "images", "-q").ok(t))
	})
}

func TestRmiRemovesOnlyLayersNoOtherImageUses(t *testing.T) {
	e := newEnv(t)
	e.urun(t, "pull", "-q", busyboxRef).ok(t)
	busyboxLayers := e.layerDirs(t)
	require.Len(t, busyboxLayers, 2, "the busybox fixture has two layers")
	e.urun(t, "pull", "-q", appRef).ok(t)
	require.Len(t, e.layerDirs(t), 3, "the app fixture adds one layer on busybox's two")

	out := e.urun(t, "rmi", appRef).ok(t)
	assert.Contains(t, out, "Deleted: ")
	assert.ElementsMatch(t, busyboxLayers, e.layerDirs(t), "busybox's layers stay, the app's own goes")
	assert.Equal(t, layer2Body, e.urun(t, "run", "--rm", busyboxRef, "cat", "/etc/layer2").ok(t))

	e.urun(t, "rmi", busyboxRef).ok(t)
	assert.Empty(t, e.layerDirs(t), "the last image's layers go with it")
}

func TestImagePruneRemovesDanglingImages(t *testing.T) {
	e := newEnv(t)
	e.urun(t, "pull", "-q", busyboxRef).ok(t)
	e.urun(t, "pull", "-q", appRef).ok(t)
	appID := e.imageID(t, appRef)
	busyboxID := e.imageID(t, busyboxRef)
	// The app's name moves to busybox: the app image is left without one.
	e.urun(t, "tag", busyboxRef, appRef).ok(t)
	assert.Equal(t, busyboxID, e.imageID(t, appRef))
	assert.Equal(t, appID[len("sha256:"):len("sha256:")+12]+"\n", e.urun(t, "images", "-q", "--filter", "dangling=true").ok(t))

	out := e.urun(t, "image", "prune", "-f").ok(t)
	assert.True(t, strings.HasPrefix(out, "Deleted Images:\ndeleted: "+appID+"\n\nTotal reclaimed space: "), out)
	assert.NotContains(t, out, "Total reclaimed space: 0B")
	assert.Len(t, lines(e.urun(t, "images", "-q").ok(t)), 1)
	assert.Equal(t, "Total reclaimed space: 0B\n", e.urun(t, "image", "prune", "-f").ok(t), "nothing left to prune")

	out = e.urun(t, "image", "prune", "-a", "-f").ok(t)
	assert.Contains(t, out, "untagged: "+busyboxRef+"\n")
	assert.Contains(t, out, "deleted: "+busyboxID+"\n")
	assert.Empty(t, e.urun(t, "images", "-q").ok(t))
	assert.Empty(t, e.layerDirs(t))
}

func TestImageInspectShowsWhatTheRegistryServed(t *testing.T) {
	e := newEnv(t)
	e.urun(t, "pull", "-q", busyboxRef).ok(t)
	served := fromRegistry(t, busyboxRef)
	repo := strings.TrimSuffix(busyboxRef, ":latest")

	for _, args := range [][]string{{"image", "inspect"}, {"inspect"}, {"inspect", "--type", "image"}} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			var docs []map[string]any
			out := e.urun(t, append(args, busyboxRef)...).ok(t)
			require.NoError(t, json.Unmarshal([]byte(out), &docs), out)
			require.Len(t, docs, 1)
			d := docs[0]
			assert.Equal(t, served.ConfigDigest, d["Id"], "the id is the config's digest")
			assert.Equal(t, []any{busyboxRef}, d["RepoTags"])
			assert.Equal(t, []any{repo + "@" + served.ManifestDigest}, d["RepoDigests"])
			assert.Equal(t, map[string]any{"Type": "layers", "Layers": toAny(served.DiffIDs)}, d["RootFS"])
			assert.Equal(t, served.Architecture, d["Architecture"])
			assert.Equal(t, served.OS, d["Os"])
			assert.Equal(t, "2024-01-01T00:00:00Z", d["Created"])
			cfg := d["Config"].(map[string]any)
			assert.Equal(t, toAny(served.Env), cfg["Env"])
			assert.Equal(t, toAny(served.Cmd), cfg["Cmd"])
			for _, key := range []string{"Hostname", "User", "AttachStdin", "Tty", "OpenStdin", "Image", "Volumes", "WorkingDir", "Entrypoint", "OnBuild", "Labels"} {
				assert.Contains(t, cfg, key, "Docker's container-config keys")
			}
			for _, key := range []string{"Parent", "Comment", "Author", "Size", "GraphDriver", "Metadata"} {
				assert.Contains(t, d, key)
			}
			assert.Greater(t, d["Size"], float64(100_000))
		})
	}

	t.Run("templates", func(t *testing.T) {
		assert.Equal(t, served.ConfigDigest+"\n", e.urun(t, "image", "inspect", "-f", "{{.Id}}", busyboxRef).ok(t))
		assert.Equal(t, fmt.Sprintf("%v\n", served.Cmd), e.urun(t, "inspect", "-f", "{{.Config.Cmd}}", busyboxRef).ok(t))
		assert.Equal(t, served.DiffIDs[1]+"\n", e.urun(t, "inspect", "-f", "{{index .RootFS.Layers 1}}", busyboxRef).ok(t))
		id := strings.TrimPrefix(served.ConfigDigest, "sha256:")
		assert.Equal(t, busyboxRef+"\n", e.urun(t, "image", "inspect", "-f", "{{join .RepoTags \",\"}}", id[:10]).ok(t), "by id prefix")
	})

	t.Run("a container first, then an image, in one array", func(t *testing.T) {
		e.urun(t, "create", "--name", "c1", busyboxRef, "true").ok(t)
		// An image has no .Name: as with Docker, only keys both have.
		out := e.urun(t, "inspect", "-f", "{{.Id}}", "c1", busyboxRef).ok(t)
		got := lines(out)
		require.Len(t, got, 2, out)
		assert.Regexp(t, `^[0-9a-f]{64}$`, got[0], "the container's id first")
		assert.Equal(t, served.ConfigDigest, got[1])
		res := e.urun(t, "inspect", "--type", "container", busyboxRef)
		res.exits(t, 1)
		assert.Contains(t, res.stderr, "No such container")
	})

	t.Run("unknown names", func(t *testing.T) {
		res := e.urun(t, "inspect", "nosuchthing")
		res.exits(t, 1)
		assert.Contains(t, res.stderr, "No such object: nosuchthing")
		assert.Equal(t, "[]\n", res.stdout)
		res = e.urun(t, "image", "inspect", busyboxRef, "nosuchthing")
		res.exits(t, 1)
		assert.Contains(t, res.stderr, "No such image: nosuchthing")
		var docs []map[string]any
		require.NoError(t, json.Unmarshal([]byte(res.stdout), &docs))
		assert.Len(t, docs, 1, "the image found is still shown")
	})
}

func toAny(s []string) []any {
	out := []any{}
	for _, v := range s {
		out = append(out, v)
	}
	return out
}

func TestHistoryShowsTheImagesSteps(t *testing.T) {
	e := newEnv(t)
	e.urun(t, "pull", "-q", appRef).ok(t)
	id := strings.TrimPrefix(e.imageID(t, appRef), "sha256:")

	got := lines(e.urun(t, "history", appRef).ok(t))
	require.Len(t, got, 4, "a header and the fixture's three steps")
	assert.Regexp(t, `^IMAGE\s+CREATED\s+CREATED BY\s+SIZE\s+COMMENT$`, got[0])
	assert.Regexp(t, `^`+id[:12]+`\s+\d+ (years|months) ago\s+urun test fixture test/app layer 3\s+\d+(\.\d+)?[kM]?B\s*$`, got[1])
	assert.Regexp(t, `^<missing>\s+.*urun test fixture test/app layer 2\s`, got[2])
	assert.Regexp(t, `^<missing>\s+.*urun test fixture test/app layer 1\s+\d+(\.\d+)?MB\s*$`, got[3])

	assert.Equal(t, id[:12]+"\n<missing>\n<missing>\n", e.urun(t, "history", "-q", appRef).ok(t))
	assert.Equal(t, "sha256:"+id+"\n<missing>\n<missing>\n", e.urun(t, "image", "history", "-q", "--no-trunc", appRef).ok(t))
	out := e.urun(t, "history", "--format", "{{.CreatedAt}}|{{.CreatedBy}}", "-H=false", appRef).ok(t)
	assert.Equal(t, "2024-01-01T00:00:00Z|urun test fixture test/app layer 3\n2024-01-01T00:00:00Z|urun test fixture test/app layer 2\n2024-01-01T00:00:00Z|urun test fixture test/app layer 1\n", out)
	res := e.urun(t, "history", "nosuchimage")
	res.exits(t, 1)
	assert.Contains(t, res.stderr, "No such image: nosuchimage")
}

func TestImagesFiltersDigestsAndFormat(t *testing.T) {
	e := newEnv(t)
	e.urun(t, "pull", "-q", busyboxRef).ok(t)
	e.urun(t, "pull", "-q", appRef).ok(t)
	busyboxRepo := strings.TrimSuffix(busyboxRef, ":latest")
	appRepo := strings.TrimSuffix(appRef, ":latest")

	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"reference", []string{"--filter", "reference=*/library/busybox"}, []string{busyboxRepo + ":latest"}},
		{"reference glob on the tag", []string{"--filter", "reference=*/test/*:latest"}, []string{appRepo + ":latest"}},
		{"repository argument", []string{appRef}, []string{appRepo + ":latest"}},
		{"dangling", []string{"--filter", "dangling=true"}, nil},
		{"not dangling", []string{"--filter", "dangling=false"}, []string{busyboxRepo + ":latest", appRepo + ":latest"}},
		{"label nobody has", []string{"--filter", "label=nosuch"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := lines(e.urun(t, append([]string{"images", "--format", "{{.Repository}}:{{.Tag}}"}, tt.args...)...).ok(t))
			slices.Sort(got)
			want := slices.Clone(tt.want)
			slices.Sort(want)
			assert.Equal(t, want, got)
		})
	}

	t.Run("digests", func(t *testing.T) {
		served := fromRegistry(t, busyboxRef)
		got := lines(e.urun(t, "images", "--digests", busyboxRef).ok(t))
		require.Len(t, got, 2)
		assert.Regexp(t, `^REPOSITORY\s+TAG\s+DIGEST\s+IMAGE ID\s+CREATED\s+SIZE$`, got[0])
		assert.Equal(t, []string{busyboxRepo, "latest", served.ManifestDigest}, strings.Fields(got[1])[:3])
		assert.Equal(t, served.ManifestDigest+"\n", e.urun(t, "images", "--format", "{{.Digest}}", busyboxRef).ok(t))
	})

	t.Run("table template", func(t *testing.T) {
		got := lines(e.urun(t, "images", "--format", "table {{.Repository}}\t{{.Tag}}", busyboxRef).ok(t))
		require.Len(t, got, 2)
		assert.Equal(t, []string{"REPOSITORY", "TAG"}, strings.Fields(got[0]))
		assert.Equal(t, []string{busyboxRepo, "latest"}, strings.Fields(got[1]))
	})

	t.Run("bad input", func(t *testing.T) {
		for _, args := range [][]string{{"--filter", "color=red"}, {"--format", "{{.ID"}, {"--filter", "before=nosuchimage"}} {
			res := e.urun(t, append([]string{"images"}, args...)...)
			res.exits(t, 1)
			assert.NotEmpty(t, res.stderr)
		}
	})
}

func TestRmiOfANameByDigestUntagsOnlyIt(t *testing.T) {
	e := newEnv(t)
	served := fromRegistry(t, busyboxRef)
	byDigest := strings.TrimSuffix(busyboxRef, ":latest") + "@" + served.ManifestDigest
	e.urun(t, "pull", "-q", busyboxRef).ok(t)
	e.urun(t, "pull", "-q", byDigest).ok(t)
	e.urun(t, "tag", busyboxRef, "other").ok(t)
	assert.Equal(t, layer2Body, e.urun(t, "run", "--rm", byDigest, "cat", "/etc/layer2").ok(t),
		"a tag elsewhere keeps the name by digest")

	assert.Equal(t, "Untagged: "+byDigest+"\n", e.urun(t, "rmi", byDigest).ok(t), "the image keeps its tags")
	assert.Equal(t, layer2Body, e.urun(t, "run", "--rm", busyboxRef, "cat", "/etc/layer2").ok(t))

	assert.Equal(t, "Untagged: other:latest\n", e.urun(t, "rmi", "other").ok(t))
	out := e.urun(t, "rmi", busyboxRef).ok(t)
	assert.True(t, strings.HasPrefix(out, "Untagged: "+busyboxRef+"\n"), out)
	assert.Contains(t, out, "Deleted: "+served.ConfigDigest+"\n")
}
