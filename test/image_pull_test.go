package test

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/urun/urun/test/testbed"
)

// pullFixtures are the images the pull tests add to the suite's registry:
// the fixtures again (their *testbed.Image, which TestMain does not keep)
// and the variants in each manifest and layer format.
var pullFixtures struct {
	once     sync.Once
	err      error
	fixtures *testbed.Fixtures
	variants *testbed.Variants
}

func pullTestImages(t *testing.T) (*testbed.Fixtures, *testbed.Variants) {
	t.Helper()
	pullFixtures.once.Do(func() {
		f, err := testbed.BuildFixtures()
		if err != nil {
			pullFixtures.err = fmt.Errorf("build the fixtures: %w", err)
			return
		}
		v, err := testbed.BuildVariants(f.Busybox)
		if err != nil {
			pullFixtures.err = fmt.Errorf("build the variants: %w", err)
			return
		}
		for _, img := range v.Images() {
			if err := reg.PushVariant(img); err != nil {
				pullFixtures.err = fmt.Errorf("push %s: %w", img.Name(), err)
				return
			}
		}
		for _, ix := range []*testbed.Index{v.OCIIndex, v.DockerList} {
			if err := reg.PushIndex(ix); err != nil {
				pullFixtures.err = fmt.Errorf("push %s: %w", ix.Name(), err)
				return
			}
		}
		pullFixtures.fixtures, pullFixtures.variants = f, v
	})
	if pullFixtures.err != nil {
		t.Fatalf("the pull tests' images: %v", pullFixtures.err)
	}
	return pullFixtures.fixtures, pullFixtures.variants
}

// storedLayers lists the layer directories of e's store (the overlay
// driver's GRAPHROOT/overlay/ID), without its link directory.
func storedLayers(t *testing.T, e *env) []string {
	t.Helper()
	var ids []string
	for _, n := range entries(t, filepath.Join(e.GraphRoot(), "overlay")) {
		if n != "l" && len(n) == 64 {
			ids = append(ids, n)
		}
	}
	slices.Sort(ids)
	return ids
}

func imageIDs(t *testing.T, e *env) []string {
	t.Helper()
	ids := lines(e.urun(t, "images", "-q", "--no-trunc").ok(t))
	slices.Sort(ids)
	return ids
}

func TestPullByTagAndByDigestBothRun(t *testing.T) {
	f, _ := pullTestImages(t)
	byDigest := reg.RefDigest(f.Busybox.Repo, f.Busybox.Digest)
	for _, c := range []struct{ name, ref string }{
		{"tag", busyboxRef},
		{"digest", byDigest},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t)
			e.urun(t, "pull", c.ref).ok(t)
			assert.Len(t, imageIDs(t, e), 1)
			assert.Equal(t, layer2Body, e.urun(t, "run", "--rm", c.ref, "cat", "/etc/layer2").ok(t))
		})
	}
	t.Run("a digest the repository lacks", func(t *testing.T) {
		e := newEnv(t)
		missing := reg.RefDigest(f.Busybox.Repo, "sha256:"+strings.Repeat("0", 64))
		res := e.urun(t, "pull", missing)
		res.exits(t, 1)
		assert.Contains(t, res.stderr, "not found")
		assert.Empty(t, imageIDs(t, e))
	})
	t.Run("run by digest pulls it", func(t *testing.T) {
		e := newEnv(t)
		assert.Equal(t, layer2Body, e.urun(t, "run", "--rm", byDigest, "cat", "/etc/layer2").ok(t))
	})
}

func TestPullEachManifestAndLayerFormat(t *testing.T) {
	_, v := pullTestImages(t)
	for _, img := range v.Images() {
		t.Run(img.Repo, func(t *testing.T) {
			e := newEnv(t)
			ref := reg.Ref(img.Image)
			e.urun(t, "pull", ref).ok(t)
			out := e.urun(t, "run", "--rm", ref, "sh", "-c", "cat /etc/variant /etc/layer2; ls /etc").ok(t)
			assert.True(t, strings.HasPrefix(out, img.Mark+layer2Body), "the top layer's /etc/variant and busybox's layers:\n%s", out)
			assert.NotContains(t, strings.Fields(out), "deleteme", "layer 2's whiteout applies")
			// By digest too: the manifest's own digest in its format.
			byDigest := reg.RefDigest(img.Repo, img.Digest)
			e.urun(t, "pull", byDigest).ok(t)
			assert.Equal(t, img.Mark, e.urun(t, "run", "--rm", byDigest, "cat", "/etc/variant").ok(t))
		})
	}
}

func TestPullChoosesThePlatformFromAnIndex(t *testing.T) {
	_, v := pullTestImages(t)
	host := testbed.HostPlatform()
	for _, ix := range []*testbed.Index{v.OCIIndex, v.DockerList} {
		t.Run(ix.Tag, func(t *testing.T) {
			ref := reg.RefIndex(ix)
			t.Run("the host's by default", func(t *testing.T) {
				e := newEnv(t)
				e.urun(t, "pull", ref).ok(t)
				assert.Equal(t, host.String()+"\n", e.urun(t, "run", "--rm", ref, "cat", "/etc/variant").ok(t))
			})
			for _, p := range ix.Platforms[1:] {
				t.Run("--platform "+p.String(), func(t *testing.T) {
					e := newEnv(t)
					e.urun(t, "pull", "--platform", p.String(), ref).ok(t)
					assert.Equal(t, p.String()+"\n", e.urun(t, "run", "--rm", ref, "cat", "/etc/variant").ok(t))
				})
			}
			other := ix.Platforms[len(ix.Platforms)-1]
			t.Run("run --platform pulls that one", func(t *testing.T) {
				e := newEnv(t)
				assert.Equal(t, other.String()+"\n", e.urun(t, "run", "--rm", "--platform", other.String(), ref, "cat", "/etc/variant").ok(t))
			})
			t.Run("by the index's digest", func(t *testing.T) {
				e := newEnv(t)
				byDigest := reg.RefDigest(ix.Repo, ix.Digest)
				e.urun(t, "pull", "--platform", other.String(), byDigest).ok(t)
				assert.Equal(t, other.String()+"\n", e.urun(t, "run", "--rm", byDigest, "cat", "/etc/variant").ok(t))
			})
		})
	}
}

func TestPullOfAPlatformTheIndexLacksListsWhatItHas(t *testing.T) {
	_, v := pullTestImages(t)
	for _, ix := range []*testbed.Index{v.OCIIndex, v.DockerList} {
		t.Run(ix.Tag, func(t *testing.T) {
			e := newEnv(t)
			res := e.urun(t, "pull", "--platform", "linux/mips64le", reg.RefIndex(ix))
			res.exits(t, 1)
			assertUrunError(t, res, "urun: pull ")
			assert.Contains(t, res.stderr, "linux/mips64le")
			for _, p := range ix.Platforms {
				assert.Contains(t, res.stderr, p.String(), "the message lists what the index has")
			}
			assert.Contains(t, res.stderr, "--platform")
			assert.Empty(t, imageIDs(t, e), "nothing stored")
			assert.Empty(t, storedLayers(t, e), "no layer stored")
		})
	}
}

// An image that is not an index is pulled whatever --platform says, with
// a warning when its platform differs (as podman does).
func TestPullWithAPlatformOfASingleImageWarnsWhenItDiffers(t *testing.T) {
	host := testbed.HostPlatform()
	other := "linux/s390x"
	if host.Architecture == "s390x" {
		other = "linux/amd64"
	}
	e := newEnv(t)
	res := e.urun(t, "pull", "--platform", other, busyboxRef)
	res.ok(t)
	assert.Contains(t, res.stderr, "not the one asked for ("+other+")")
	res = e.urun(t, "pull", "--platform", host.String(), appRef)
	res.ok(t)
	assert.NotContains(t, res.stderr, "not the one asked for")
	assert.Len(t, imageIDs(t, e), 2)
}

func TestPullRejectsAMalformedPlatform(t *testing.T) {
	e := newEnv(t)
	for _, bad := range []string{"linux", "linux/", "/amd64", "linux/arm/v7/extra"} {
		for _, args := range [][]string{
			{"pull", "--platform", bad, busyboxRef},
			{"run", "--rm", "--platform", bad, busyboxRef, "true"},
		} {
			res := e.urun(t, args...)
			want := 1
			if args[0] == "run" {
				want = 125
			}
			res.exits(t, want)
			assert.Contains(t, res.stderr, "OS/ARCH", "the message shows the form")
		}
	}
	assert.Empty(t, imageIDs(t, e))
}

func TestConcurrentPullsOfImagesSharingLayersBothSucceed(t *testing.T) {
	for round := 0; round < 3; round++ {
		t.Run(fmt.Sprint("round ", round), func(t *testing.T) {
			e := newEnv(t)
			refs := []string{busyboxRef, appRef}
			results := make([]result, len(refs))
			var wg sync.WaitGroup
			for i, ref := range refs {
				wg.Add(1)
				go func() {
					defer wg.Done()
					results[i] = e.urun(t, "pull", "-q", ref)
				}()
			}
			wg.Wait()
			for _, r := range results {
				r.ok(t)
			}
			out := e.urun(t, "images").ok(t)
			assert.True(t, imagesListHas(out, reg.Addr()+"/library/busybox", "latest"), out)
			assert.True(t, imagesListHas(out, reg.Addr()+"/test/app", "latest"), out)
			assert.Len(t, storedLayers(t, e), 3, "busybox's two layers, shared, and app's third")
			assert.Equal(t, layer2Body, e.urun(t, "run", "--rm", busyboxRef, "cat", "/etc/layer2").ok(t))
			assert.Equal(t, helloBody, e.urun(t, "run", "--rm", "--entrypoint", "cat", appRef, "/home/app/hello.txt").ok(t))
		})
	}
}

func TestPullWhileRunningAnotherImage(t *testing.T) {
	_, v := pullTestImages(t)
	e := newEnv(t)
	e.urun(t, "pull", busyboxRef).ok(t)
	pulls := []string{appRef, reg.Ref(v.Zstd.Image), reg.Ref(v.Uncompressed.Image)}
	done := make(chan []result)
	go func() {
		var rs []result
		for _, ref := range pulls {
			rs = append(rs, e.urun(t, "pull", "-q", ref))
		}
		done <- rs
	}()
	runs := 0
	for finished := false; !finished; runs++ {
		assert.Equal(t, layer2Body, e.urun(t, "run", "--rm", busyboxRef, "cat", "/etc/layer2").ok(t))
		select {
		case rs := <-done:
			for _, r := range rs {
				r.ok(t)
			}
			finished = true
		default:
		}
	}
	t.Logf("%d runs during the pulls", runs)
	assert.Len(t, imageIDs(t, e), 1+len(pulls))
	assert.Equal(t, v.Zstd.Mark, e.urun(t, "run", "--rm", reg.Ref(v.Zstd.Image), "cat", "/etc/variant").ok(t))
}

// pullLeftovers lists what pulls leave while they run: blobs being
// downloaded in urun's temporary directory (GRAPHROOT/urun-tmp) and
// layers being unpacked in the overlay driver's staging directory.
func pullLeftovers(t *testing.T, e *env) []string {
	t.Helper()
	var out []string
	for _, d := range []string{filepath.Join(e.GraphRoot(), "urun-tmp"), filepath.Join(e.GraphRoot(), "overlay", "staging")} {
		for _, n := range entries(t, d) {
			out = append(out, filepath.Join(d, n))
		}
	}
	return out
}

// noTempLeft checks that no pull left temporary files or staged layers
// in the store.
func noTempLeft(t *testing.T, e *env) {
	t.Helper()
	assert.Empty(t, pullLeftovers(t, e), "temporary files or staged layers of a pull")
	for _, n := range entries(t, e.GraphRoot()) {
		assert.False(t, strings.HasPrefix(n, "urun-") && strings.Contains(n, ".tmp"), "leftover %s", n)
	}
	if _, err := os.Stat(e.GraphRoot()); err != nil {
		t.Errorf("the store: %v", err)
	}
}

func proxyEnv(t *testing.T, addrs ...string) *env {
	t.Helper()
	var b strings.Builder
	b.WriteString("unqualified-search-registries = []\n")
	for _, a := range append([]string{reg.Addr()}, addrs...) {
		fmt.Fprintf(&b, "\n[[registry]]\nlocation = %q\ninsecure = true\n", a)
	}
	return newEnvWith(t, envOptions{registriesConf: b.String()})
}

func startFaultProxy(t *testing.T) *testbed.FaultProxy {
	t.Helper()
	p, err := testbed.StartFaultProxy(reg.Addr())
	require.NoError(t, err)
	t.Cleanup(func() { p.Close() })
	return p
}

// assertUrunError checks that the last line urun printed on stderr is its
// own error, starting with prefix. (Lines before it may be warnings of the
// image library that concurrent suites on the host provoke.)
func assertUrunError(t *testing.T, res result, prefix string) {
	t.Helper()
	l := lines(res.stderr)
	if assert.NotEmpty(t, l, "an error message") {
		assert.True(t, strings.HasPrefix(l[len(l)-1], prefix), "urun's own error, starting %q:\n%s", prefix, res.stderr)
	}
}
