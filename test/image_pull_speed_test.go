package test

import (
	"archive/tar"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/urun/urun/test/testbed"
)

// The big image (testbed.BuildBig): six layers, about 115 MB of files,
// which urun pulls all at once, each layer unpacked while it downloads.

var bigPush struct {
	once sync.Once
	img  *testbed.BigImage
	err  error
}

// bigImage builds and pushes test/big:latest once for the suite.
func bigImage(t *testing.T) (*testbed.BigImage, string) {
	t.Helper()
	bigPush.once.Do(func() {
		fixtures, err := testbed.BuildFixtures()
		if err != nil {
			bigPush.err = err
			return
		}
		bigPush.img, bigPush.err = testbed.BuildBig(fixtures.Busybox)
		if bigPush.err == nil {
			bigPush.err = reg.Push(bigPush.img.Image)
		}
	})
	require.NoError(t, bigPush.err, "build and push the big image")
	return bigPush.img, reg.Ref(bigPush.img.Image)
}

// checkBigContent runs a container of ref and checks every file of the
// image's sample: each layer's files, the later layer's version of a file
// two layers hold, the files whiteouts deleted, the opaque directory, a
// symlink and a hard link.
func checkBigContent(t *testing.T, e *env, big *testbed.BigImage, ref string) {
	t.Helper()
	var present, absent []string
	want := map[string]string{}
	for _, c := range big.Checks {
		if c.Absent {
			absent = append(absent, c.Path)
			continue
		}
		present = append(present, c.Path)
		want[c.Path] = c.SHA256
	}
	script := fmt.Sprintf(`sha256sum %s
for p in %s; do if test -e "$p"; then echo "PRESENT $p"; fi; done
echo "OPAQUE $(ls -A %s)"
echo "LINK $(readlink /srv/app/current)"
echo "FIXTURE $FIXTURE"`, strings.Join(present, " "), strings.Join(absent, " "), big.OpaqueDir)
	out := e.urun(t, "run", "--rm", ref, "sh", "-c", script).ok(t)
	got := map[string]string{}
	for _, l := range lines(out) {
		f := strings.Fields(l)
		switch {
		case len(f) == 2 && strings.HasPrefix(f[1], "/"):
			got[f[1]] = f[0]
		case len(f) >= 1 && f[0] == "PRESENT":
			t.Errorf("%s must be gone (a later layer deleted it), but the container has it", f[1])
		}
	}
	for _, p := range present {
		assert.Equal(t, want[p], got[p], "sha256 of %s in the container", p)
	}
	assert.Contains(t, lines(out), "OPAQUE "+big.OpaqueOnly, "the opaque directory holds only the later layer's file")
	assert.Contains(t, lines(out), "LINK m00", "the symlink of the top layer")
	assert.Contains(t, lines(out), "FIXTURE big", "the image's environment")
}

func TestPullOfAMultiLayerImageRunsWithEveryLayersFiles(t *testing.T) {
	big, ref := bigImage(t)
	e := newEnv(t)
	e.urun(t, "pull", "-q", ref).ok(t)
	assert.True(t, imagesListHas(e.urun(t, "images").ok(t), reg.Addr()+"/test/big", "latest"))
	checkBigContent(t, e, big, ref)
	// Each layer is stored once: the image library found the layers
	// stored under the ids it gives them, rather than storing copies.
	assert.Equal(t, len(big.Layers), storedLayerDirs(t, e), "layer directories in the store")
}

// storedLayerDirs counts the overlay driver's layer directories (those
// with a diff directory) in e's store.
func storedLayerDirs(t *testing.T, e *env) int {
	t.Helper()
	dirs, err := filepath.Glob(filepath.Join(e.GraphRoot(), "overlay", "*", "diff"))
	require.NoError(t, err)
	return len(dirs)
}

func TestPullOfAnImageSharingLayersFetchesOnlyTheOthers(t *testing.T) {
	big, ref := bigImage(t)
	e := newEnv(t)
	// The busybox fixture is the big image's two bottom layers.
	e.urun(t, "pull", "-q", busyboxRef).ok(t)
	e.urun(t, "pull", "-q", ref).ok(t)
	checkBigContent(t, e, big, ref)
	assert.Equal(t, layer2Body, e.urun(t, "run", "--rm", busyboxRef, "cat", "/etc/layer2").ok(t),
		"the image whose layers were shared still runs")
	assert.Equal(t, len(big.Layers), storedLayerDirs(t, e), "the shared layers are stored once")
	t.Run("pulling it again changes nothing", func(t *testing.T) {
		before := e.urun(t, "images", "-q", "--no-trunc").ok(t)
		e.urun(t, "pull", "-q", ref).ok(t)
		assert.Equal(t, before, e.urun(t, "images", "-q", "--no-trunc").ok(t))
	})
}

// With URUN_TRACE=1 a pull marks, for each layer, when its download
// started, when its last byte arrived, when it was unpacked (as it
// arrived) and verified, and when it was committed to the store.
func TestPullDownloadsTheLayersAtOnceAndCommitsThemInOrder(t *testing.T) {
	big, ref := bigImage(t)
	e := newEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), defaultTimeout)
	defer cancel()
	cmd := e.command(ctx, "pull", "-q", ref)
	cmd.Env = append(cmd.Env, "URUN_TRACE=1")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "URUN_TRACE=1 urun pull %s:\n%s", ref, out)
	marks := map[string]int64{} // "layerN-PHASE" -> µs
	for _, l := range lines(string(out)) {
		f := strings.Fields(l)
		if len(f) == 4 && f[0] == "urun-trace" && f[2] == "pull" {
			us, err := strconv.ParseInt(f[1], 10, 64)
			require.NoError(t, err, l)
			marks[f[3]] = us
		}
	}
	at := func(layer int, phase string) int64 {
		t.Helper()
		key := fmt.Sprintf("layer%d-%s", layer, phase)
		us, ok := marks[key]
		require.True(t, ok, "no trace mark %s in:\n%s", key, out)
		return us
	}
	n := len(big.Layers)
	for l := 1; l <= n; l++ {
		assert.LessOrEqual(t, at(l, "started"), at(l, "downloaded"), "layer %d", l)
		assert.LessOrEqual(t, at(l, "downloaded"), at(l, "unpacked"), "layer %d", l)
		assert.LessOrEqual(t, at(l, "unpacked"), at(l, "committed"), "layer %d", l)
		if l > 1 {
			assert.Less(t, at(l-1, "committed"), at(l, "committed"), "layer %d is committed after the one below it", l)
		}
	}
	// Layer 5 (60 MB) does not wait for layer 4 (20 MB) to arrive.
	assert.Less(t, at(5, "started"), at(4, "downloaded"), "the layers download at the same time")
}

// The store keeps each layer's tar-split metadata, from which the image
// library rebuilds the layer's exact tarball: what `urun save` writes must
// have the configuration's DiffIDs.
func TestPulledLayersSaveAsTheExactTarballsTheRegistryServed(t *testing.T) {
	big, ref := bigImage(t)
	e := newEnv(t)
	e.urun(t, "pull", "-q", ref).ok(t)
	archive := filepath.Join(e.dir, "big.tar")
	e.urun(t, "save", "-o", archive, ref).ok(t)

	var cfg struct {
		RootFS struct {
			DiffIDs []string `json:"diff_ids"`
		} `json:"rootfs"`
	}
	require.NoError(t, json.Unmarshal(big.Config.Data, &cfg))
	sums := tarMemberSums(t, archive)
	var manifest []struct{ Layers []string }
	require.NoError(t, json.Unmarshal([]byte(sums["manifest.json"].content), &manifest))
	require.Len(t, manifest, 1)
	require.Len(t, manifest[0].Layers, len(cfg.RootFS.DiffIDs))
	for i, name := range manifest[0].Layers {
		assert.Equal(t, cfg.RootFS.DiffIDs[i], "sha256:"+sums[name].sha256, "layer %d (%s) of the saved archive", i+1, name)
	}
}

type tarMember struct {
	sha256  string
	content string // manifest.json only
}

// tarMemberSums reads a tar archive: each regular member's sha256.
func tarMemberSums(t *testing.T, path string) map[string]tarMember {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	out := map[string]tarMember{}
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		require.NoError(t, err)
		if h.Typeflag != tar.TypeReg {
			continue
		}
		hash := sha256.New()
		var keep strings.Builder
		w := io.Writer(hash)
		if h.Name == "manifest.json" {
			w = io.MultiWriter(hash, &keep)
		}
		_, err = io.Copy(w, tr)
		require.NoError(t, err)
		out[h.Name] = tarMember{sha256: hex.EncodeToString(hash.Sum(nil)), content: keep.String()}
	}
	names := make([]string, 0, len(out))
	for n := range out {
		names = append(names, n)
	}
	sort.Strings(names)
	t.Logf("%s holds %s", path, strings.Join(names, " "))
	return out
}
