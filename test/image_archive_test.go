package test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// appRunOutput is what the app fixture prints by itself: its entrypoint
// /bin/echo entry with its Cmd default-arg.
const appRunOutput = "entry default-arg\n"

var loadedLine = regexp.MustCompile(`(?m)^Loaded image: (\S+)$`)

// loadedNames are the names a `urun load` printed.
func loadedNames(out string) []string {
	var names []string
	for _, m := range loadedLine.FindAllStringSubmatch(out, -1) {
		names = append(names, m[1])
	}
	return names
}

// archiveImageID is the full id of the stored image named ref, as
// `urun images --format json` shows it.
func archiveImageID(t *testing.T, e *env, ref string) string {
	t.Helper()
	out := e.urun(t, "images", "--format", "json", "--no-trunc").ok(t)
	for _, d := range decodeJSONDocs(t, out) {
		row, _ := d.(map[string]any)
		if row["Repository"] == ref || fmt.Sprint(row["Repository"], ":", row["Tag"]) == ref {
			return strings.TrimPrefix(fmt.Sprint(row["ID"]), "sha256:")
		}
	}
	t.Fatalf("urun images lists no %s:\n%s", ref, out)
	return ""
}

func TestSaveThenLoadIntoAFreshStoreRunsTheImage(t *testing.T) {
	src := sharedStore(t)
	wantID := archiveImageID(t, src, appRef)
	for _, format := range []string{"docker-archive", "oci-archive", "oci-dir"} {
		t.Run(format, func(t *testing.T) {
			out := filepath.Join(mkTemp(t), "app."+format)
			assert.Empty(t, src.urun(t, "save", "--format", format, "-o", out, appRef).ok(t), "nothing on stdout with -o")

			e := newEnv(t)
			res := e.urun(t, "load", "-i", out)
			res.ok(t)
			assert.Equal(t, []string{appRef}, loadedNames(res.stdout), "load names the image it stored:\n%s", res.stdout)
			assert.Equal(t, appRunOutput, e.urun(t, "run", "--rm", appRef).ok(t))
			assert.Equal(t, "app 1\n", e.urun(t, "run", "--rm", "--entrypoint", "cat", appRef, "/etc/app-release").ok(t))
			assert.Equal(t, wantID, archiveImageID(t, e, appRef), "the same image: its config, so its id, are kept")

			again := e.urun(t, "load", "-i", out)
			again.ok(t)
			assert.Equal(t, []string{appRef}, loadedNames(again.stdout), "loading it again is no error")
			assert.Len(t, lines(e.urun(t, "images", "-q").ok(t)), 1, "and stores no second image")
		})
	}
}

func TestSaveOfTwoImagesInOneArchiveLoadsBoth(t *testing.T) {
	src := sharedStore(t)
	for _, format := range []string{"docker-archive", "oci-archive"} {
		t.Run(format, func(t *testing.T) {
			out := filepath.Join(mkTemp(t), "both.tar")
			src.urun(t, "save", "--format", format, "-o", out, busyboxRef, appRef).ok(t)
			e := newEnv(t)
			res := e.urun(t, "load", "-i", out)
			res.ok(t)
			assert.ElementsMatch(t, []string{busyboxRef, appRef}, loadedNames(res.stdout))
			assert.Equal(t, layer2Body, e.urun(t, "run", "--rm", busyboxRef, "cat", "/etc/layer2").ok(t))
			assert.Equal(t, appRunOutput, e.urun(t, "run", "--rm", appRef).ok(t))
			assert.Len(t, lines(e.urun(t, "images", "-q").ok(t)), 2)
		})
	}
}

func TestSaveByIDWritesAnUntaggedImageThatLoadsByID(t *testing.T) {
	src := sharedStore(t)
	id := archiveImageID(t, src, busyboxRef)
	out := filepath.Join(mkTemp(t), "byid.tar")
	src.urun(t, "save", "-o", out, id[:12]).ok(t)
	e := newEnv(t)
	res := e.urun(t, "load", "-i", out)
	res.ok(t)
	assert.Equal(t, "Loaded image ID: sha256:"+id+"\n", res.stdout)
	assert.Equal(t, layer2Body, e.urun(t, "run", "--rm", id[:12], "cat", "/etc/layer2").ok(t))
}

func TestSaveWritesToStdoutButNeverToATerminal(t *testing.T) {
	src := sharedStore(t)
	archive := src.urun(t, "save", busyboxRef).ok(t)
	e := newEnv(t)
	res := e.urunWith(t, runConf{stdin: strings.NewReader(archive)}, "load")
	res.ok(t)
	assert.Equal(t, []string{busyboxRef}, loadedNames(res.stdout))

	master, slave, err := openPTY(24, 80)
	require.NoError(t, err)
	defer master.Close()
	ctx, cancel := context.WithTimeout(context.Background(), defaultTimeout)
	defer cancel()
	cmd := src.command(ctx, "save", busyboxRef)
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = slave, &stderr
	require.NoError(t, cmd.Start())
	slave.Close()
	require.Error(t, cmd.Wait())
	assert.Equal(t, 1, cmd.ProcessState.ExitCode())
	assert.Contains(t, stderr.String(), "cowardly refusing to save to a terminal. Use the -o flag or redirect")

	dir := mkTemp(t)
	res = src.urun(t, "save", "-o", filepath.Join(dir, "x.tar"), busyboxRef, "no/such-image")
	res.exits(t, 1)
	assert.Contains(t, res.stderr, "No such image")
	assert.Empty(t, entries(t, dir), "a failed save leaves no file, whole or half")
}

func TestLoadReadsAGzippedArchiveFromStdin(t *testing.T) {
	archive := sharedStore(t).urun(t, "save", appRef).ok(t)
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	_, err := zw.Write([]byte(archive))
	require.NoError(t, err)
	require.NoError(t, zw.Close())
	e := newEnv(t)
	res := e.urunWith(t, runConf{stdin: &gz}, "load", "-q")
	res.ok(t)
	assert.Equal(t, []string{appRef}, loadedNames(res.stdout))
	assert.Equal(t, appRunOutput, e.urun(t, "run", "--rm", appRef).ok(t))
}

// archiveSkopeo runs skopeo as the test user and returns its stdout.
func archiveSkopeo(t *testing.T, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), defaultTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "skopeo", append([]string{"--insecure-policy"}, args...)...)
	// An auth file of its own: skopeo fails on one it cannot read (a
	// /run/containers that root's podman made 0700), even for a registry
	// that needs no login.
	cmd.Env = append(os.Environ(), "REGISTRY_AUTH_FILE="+filepath.Join(t.TempDir(), "auth.json"))
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	t.Logf("$ skopeo %s\n%s", strings.Join(args, " "), clip(stderr.String()))
	require.NoError(t, err, "skopeo %s: %s", strings.Join(args, " "), stderr.String())
	return stdout.String()
}

func TestLoadOfASkopeoArchiveRuns(t *testing.T) {
	for _, tc := range []struct{ transport, name string }{
		{"docker-archive", "example.com/skopeo/app:v1"},
		// skopeo writes the name into index.json's ref.name.
		{"oci-archive", "example.com/skopeo/app:v2"},
	} {
		t.Run(tc.transport, func(t *testing.T) {
			file := filepath.Join(mkTemp(t), "skopeo.tar")
			archiveSkopeo(t, "copy", "--src-tls-verify=false", "docker://"+appRef, tc.transport+":"+file+":"+tc.name)
			e := newEnv(t)
			res := e.urun(t, "load", "-i", file)
			res.ok(t)
			assert.Equal(t, []string{tc.name}, loadedNames(res.stdout))
			assert.Equal(t, appRunOutput, e.urun(t, "run", "--rm", tc.name).ok(t))
		})
	}
}

func TestSkopeoReadsWhatSaveWrites(t *testing.T) {
	src := sharedStore(t)
	dir := mkTemp(t)
	for _, tc := range []struct{ format, skopeoRef string }{
		{"docker-archive", "docker-archive:" + filepath.Join(dir, "app.tar")},
		{"oci-archive", "oci-archive:" + filepath.Join(dir, "app.oci.tar")},
		{"oci-dir", "oci:" + filepath.Join(dir, "app.oci")},
	} {
		t.Run(tc.format, func(t *testing.T) {
			path := strings.SplitN(tc.skopeoRef, ":", 2)[1]
			src.urun(t, "save", "--format", tc.format, "-o", path, appRef).ok(t)
			var doc struct {
				Layers   []string
				Env      []string
				RepoTags []string
			}
			require.NoError(t, json.Unmarshal([]byte(archiveSkopeo(t, "inspect", tc.skopeoRef)), &doc))
			assert.Len(t, doc.Layers, 3, "the app fixture's three layers")
			assert.Contains(t, doc.Env, "FIXTURE=app")
			var cfg struct {
				Config struct{ Entrypoint, Cmd []string }
			}
			require.NoError(t, json.Unmarshal([]byte(archiveSkopeo(t, "inspect", "--config", tc.skopeoRef)), &cfg))
			assert.Equal(t, []string{"/bin/echo", "entry"}, cfg.Config.Entrypoint)
			assert.Equal(t, []string{"default-arg"}, cfg.Config.Cmd)
		})
	}
}

// archiveMembers reads a tar archive into its entries, in order.
type archiveMember struct {
	hdr  *tar.Header
	body []byte
}

func archiveMembers(t *testing.T, data []byte) []archiveMember {
	t.Helper()
	tr := tar.NewReader(bytes.NewReader(data))
	var out []archiveMember
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return out
		}
		require.NoError(t, err)
		body, err := io.ReadAll(tr)
		require.NoError(t, err)
		out = append(out, archiveMember{h, body})
	}
}

func archiveTar(t *testing.T, members []archiveMember) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, m := range members {
		h := *m.hdr
		h.Size = int64(len(m.body))
		require.NoError(t, tw.WriteHeader(&h))
		_, err := tw.Write(m.body)
		require.NoError(t, err)
	}
	require.NoError(t, tw.Close())
	return buf.Bytes()
}

func archiveMemberBody(t *testing.T, members []archiveMember, name string) []byte {
	t.Helper()
	for _, m := range members {
		if m.hdr.Name == name {
			return m.body
		}
	}
	t.Fatalf("no %s in the archive", name)
	return nil
}

// lastDockerLayer is the file of the top layer in a docker-archive.
func lastDockerLayer(t *testing.T, members []archiveMember) string {
	var manifest []struct{ Layers []string }
	require.NoError(t, json.Unmarshal(archiveMemberBody(t, members, "manifest.json"), &manifest))
	return manifest[0].Layers[len(manifest[0].Layers)-1]
}

// lastOCILayer is the blob path of the top layer in an oci-archive.
func lastOCILayer(t *testing.T, members []archiveMember) string {
	var index struct{ Manifests []struct{ Digest string } }
	require.NoError(t, json.Unmarshal(archiveMemberBody(t, members, "index.json"), &index))
	var m struct{ Layers []struct{ Digest string } }
	require.NoError(t, json.Unmarshal(archiveMemberBody(t, members, "blobs/sha256/"+strings.TrimPrefix(index.Manifests[0].Digest, "sha256:")), &m))
	return "blobs/sha256/" + strings.TrimPrefix(m.Layers[len(m.Layers)-1].Digest, "sha256:")
}

func archiveWithout(members []archiveMember, name string) []archiveMember {
	var out []archiveMember
	for _, m := range members {
		if m.hdr.Name != name {
			out = append(out, m)
		}
	}
	return out
}

// archiveCorrupted changes one byte in the middle of member name.
func archiveCorrupted(members []archiveMember, name string) []archiveMember {
	out := make([]archiveMember, len(members))
	for i, m := range members {
		out[i] = m
		if m.hdr.Name == name {
			b := append([]byte(nil), m.body...)
			b[len(b)/2] ^= 0xff
			out[i].body = b
		}
	}
	return out
}

// archiveStoreState is what a failed load must leave as it was: the image
// list and the storage driver's layer directories (but its empty
// tempdirs, where the storage library stages a layer it deletes).
func archiveStoreState(t *testing.T, e *env) []string {
	state := lines(e.urun(t, "images", "-q", "--no-trunc").ok(t))
	for _, d := range []string{"overlay", "overlay/l"} {
		for _, n := range entries(t, filepath.Join(e.GraphRoot(), d)) {
			if d == "overlay" && n == "tempdirs" {
				assert.Empty(t, entries(t, filepath.Join(e.GraphRoot(), d, n)), "nothing left in the storage library's staging directory")
				continue
			}
			state = append(state, d+"/"+n)
		}
	}
	return state
}

func TestLoadRefusesBadArchivesAndStoresNothing(t *testing.T) {
	src := sharedStore(t)
	dir := mkTemp(t)
	dockerFile, ociFile := filepath.Join(dir, "good.tar"), filepath.Join(dir, "good.oci.tar")
	src.urun(t, "save", "-o", dockerFile, appRef).ok(t)
	src.urun(t, "save", "--format", "oci-archive", "-o", ociFile, appRef).ok(t)
	good, err := os.ReadFile(dockerFile)
	require.NoError(t, err)
	goodOCI, err := os.ReadFile(ociFile)
	require.NoError(t, err)
	docker, oci := archiveMembers(t, good), archiveMembers(t, goodOCI)

	for _, tc := range []struct {
		name  string
		input []byte
		msg   string
	}{
		{"not a tar", []byte("these are not the layers you are looking for\n"), "is not a tar archive"},
		{"truncated", good[:len(good)/2], "is truncated"},
		{"empty", nil, "is empty"},
		{"docker-archive missing a layer", archiveTar(t, archiveWithout(docker, lastDockerLayer(t, docker))), "which is not in the archive"},
		{"oci-archive missing a layer", archiveTar(t, archiveWithout(oci, lastOCILayer(t, oci))), "is not in it"},
		{"oci-archive with a corrupt top layer", archiveTar(t, archiveCorrupted(oci, lastOCILayer(t, oci))), "the image's data is damaged"},
		{"docker-archive with a corrupt top layer", archiveTar(t, archiveCorrupted(docker, lastDockerLayer(t, docker))), "the image's data is damaged"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// An empty store: the layers a failed copy committed
			// before failing would show in it.
			e := newEnv(t)
			before := archiveStoreState(t, e)
			file := filepath.Join(mkTemp(t), "bad.tar")
			require.NoError(t, os.WriteFile(file, tc.input, 0o600))
			for _, how := range []struct {
				name string
				conf runConf
				args []string
			}{
				{"-i FILE", runConf{}, []string{"load", "-i", file}},
				{"stdin", runConf{stdin: bytes.NewReader(tc.input)}, []string{"load"}},
			} {
				res := e.urunWith(t, how.conf, how.args...)
				res.exits(t, 1)
				assert.Contains(t, res.stderr, tc.msg, "load from %s", how.name)
				assert.NotContains(t, res.stdout, "Loaded image")
				assert.Equal(t, before, archiveStoreState(t, e), "load from %s left the store as it was", how.name)
			}
		})
	}
}

// archiveRootfs is a tar of a busybox container's file system with a file
// of its own, as `urun export` writes it.
func archiveRootfs(t *testing.T) []byte {
	t.Helper()
	e := containerEnv(t)
	e.urun(t, "run", "--name", "source", busyboxRef, "sh", "-c",
		"echo made > /made && mkdir -p /srv && chown 1000:1000 /srv").ok(t)
	return []byte(e.urun(t, "export", "source").ok(t))
}

var importedIDLine = regexp.MustCompile(`^sha256:[0-9a-f]{64}\n$`)

func TestExportThenImportRoundTripRuns(t *testing.T) {
	rootfs := archiveRootfs(t)
	e := newEnv(t)
	res := e.urunWith(t, runConf{stdin: bytes.NewReader(rootfs)}, "import", "-", "roundtrip:v1")
	res.ok(t)
	assert.Regexp(t, importedIDLine, res.stdout, "import prints the image id")
	assert.Equal(t, "made\n", e.urun(t, "run", "--rm", "roundtrip:v1", "cat", "/made").ok(t))
	assert.Equal(t, "1000\n", e.urun(t, "run", "--rm", "roundtrip:v1", "stat", "-c", "%u", "/srv").ok(t), "owners are kept")
	assert.Equal(t, layer2Body, e.urun(t, "run", "--rm", "roundtrip:v1", "cat", "/etc/layer2").ok(t))
	assert.Contains(t, lines(e.urun(t, "images", "-q", "--no-trunc").ok(t)), strings.TrimSpace(res.stdout))

	t.Run("from a URL, untagged, run by id", func(t *testing.T) {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path != "/rootfs.tar" {
				http.NotFound(w, r)
				return
			}
			w.Write(rootfs)
		}))
		defer srv.Close()
		e := newEnv(t)
		id := strings.TrimSpace(e.urun(t, "import", srv.URL+"/rootfs.tar").ok(t))
		require.Regexp(t, importedIDLine, id+"\n")
		assert.Equal(t, "made\n", e.urun(t, "run", "--rm", strings.TrimPrefix(id, "sha256:")[:12], "cat", "/made").ok(t))
		res := e.urun(t, "import", srv.URL+"/missing.tar")
		res.exits(t, 1)
		assert.Contains(t, res.stderr, "404")
	})
}

func TestImportWithChangesSetsTheRunConfiguration(t *testing.T) {
	rootfs := archiveRootfs(t)
	dir := mkTemp(t)
	gzFile := filepath.Join(dir, "rootfs.tar.gz")
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	_, err := zw.Write(rootfs)
	require.NoError(t, err)
	require.NoError(t, zw.Close())
	require.NoError(t, os.WriteFile(gzFile, gz.Bytes(), 0o600))

	e := newEnv(t)
	e.urun(t, "import",
		"--change", `CMD ["sh", "-c", "echo $GREETING $OTHER from $(pwd) as $(id -u)"]`,
		"-c", `ENV GREETING=hello OTHER="two words"`,
		"-c", "WORKDIR /srv",
		"-c", "USER 1000",
		"-c", "EXPOSE 8080",
		"-m", "imported by the test",
		gzFile, "changed").ok(t)
	assert.Equal(t, "hello two words from /srv as 1000\n", e.urun(t, "run", "--rm", "changed").ok(t))

	e.urun(t, "import", "-c", "ENTRYPOINT echo shell form says $GREETING", "-c", "ENV GREETING=hi", gzFile, "shellform").ok(t)
	assert.Equal(t, "shell form says hi\n", e.urun(t, "run", "--rm", "shellform").ok(t))

	t.Run("bad input", func(t *testing.T) {
		notTar := filepath.Join(dir, "notes.txt")
		require.NoError(t, os.WriteFile(notTar, []byte("just some text, no tar\n"), 0o600))
		for _, tc := range []struct {
			name string
			args []string
			msg  string
		}{
			{"unsupported instruction", []string{"import", "-c", "RUN rm -rf /", gzFile, "x"}, "RUN is not supported by import"},
			{"bad EXPOSE", []string{"import", "-c", "EXPOSE http", gzFile, "x"}, "EXPOSE http"},
			{"not a tar", []string{"import", notTar, "x"}, "is not a tar archive"},
			{"missing file", []string{"import", filepath.Join(dir, "nope.tar"), "x"}, "nope.tar"},
			{"bad name", []string{"import", gzFile, "Bad:Name:x"}, "invalid reference format"},
		} {
			res := e.urun(t, tc.args...)
			res.exits(t, 1)
			assert.Contains(t, res.stderr, tc.msg, tc.name)
		}
		assert.Len(t, lines(e.urun(t, "images", "-q").ok(t)), 2, "only the two good imports are stored")
	})
}
