package test

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/urun/urun/test/testbed"
)

func TestPullOfABadBlobFailsAndStoresNothing(t *testing.T) {
	f, _ := pullTestImages(t)
	app := f.App
	last := app.Layers[len(app.Layers)-1].Digest
	for _, c := range []struct {
		name  string
		blob  string
		fault testbed.Fault
		want  string
		// Whether to try it in a store that holds busybox, whose layers
		// the pull then reuses: only for a blob busybox lacks.
		withBusybox []bool
	}{
		{"corrupt last layer", last, testbed.Corrupt, "does not match its digest", []bool{false, true}},
		{"last layer cut short", last, testbed.CutShort, "ended a download early", []bool{false, true}},
		{"short last layer", last, testbed.Short, "does not match its digest", []bool{false, true}},
		{"corrupt first layer", app.Layers[0].Digest, testbed.Corrupt, "does not match its digest", []bool{false}},
		{"corrupt config", app.Config.Digest, testbed.Corrupt, "does not match", []bool{false, true}},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := startFaultProxy(t)
			for _, withBusybox := range c.withBusybox {
				e := proxyEnv(t, p.Addr())
				if withBusybox {
					e.urun(t, "pull", "-q", busyboxRef).ok(t)
				}
				beforeImages, beforeLayers := imageIDs(t, e), storedLayers(t, e)
				p.Set(c.blob, c.fault)
				res := e.urun(t, "pull", p.Ref(app))
				res.exits(t, 1)
				assertUrunError(t, res, "urun: pull ")
				assert.Contains(t, res.stderr, c.want)
				assert.Positive(t, p.Served(c.blob), "the spoiled blob was fetched")
				assert.Equal(t, beforeImages, imageIDs(t, e), "urun images is unchanged")
				assert.Equal(t, beforeLayers, storedLayers(t, e), "no layer of the failed pull is left")
				assert.Len(t, imageRecords(t, e), len(beforeImages), "urun's image records")
				noTempLeft(t, e)

				p.Set(c.blob, 0)
				e.urun(t, "pull", p.Ref(app)).ok(t)
				assert.Equal(t, helloBody, e.urun(t, "run", "--rm", "--entrypoint", "cat", p.Ref(app), "/home/app/hello.txt").ok(t))
				noTempLeft(t, e)
			}
		})
	}
}

// While a pull waits on a download, other pulls (of images sharing its
// layers too), runs and listings go ahead: no lock is held for the whole
// pull.
func TestPullWaitingOnADownloadBlocksNoOtherCommand(t *testing.T) {
	f, _ := pullTestImages(t)
	p := startFaultProxy(t)
	e := proxyEnv(t, p.Addr())
	// busybox's first layer: the stalled pull shares it with the one that
	// goes ahead.
	blob := f.App.Layers[0].Digest
	p.Set(blob, testbed.Stall)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	stalled := e.command(ctx, "pull", "-q", p.Ref(f.App))
	var out strings.Builder
	stalled.Stdout, stalled.Stderr = &out, &out
	require.NoError(t, stalled.Start())
	waitStalled(t, p, blob)

	e.urun(t, "pull", "-q", busyboxRef).ok(t)
	assert.Equal(t, layer2Body, e.urun(t, "run", "--rm", busyboxRef, "cat", "/etc/layer2").ok(t))
	assert.True(t, imagesListHas(e.urun(t, "images").ok(t), reg.Addr()+"/library/busybox", "latest"))

	p.Set(blob, 0)
	p.Release()
	require.NoError(t, stalled.Wait(), "the stalled pull completes once released:\n%s", out.String())
	assert.Equal(t, helloBody, e.urun(t, "run", "--rm", "--entrypoint", "cat", p.Ref(f.App), "/home/app/hello.txt").ok(t))
	assert.Len(t, storedLayers(t, e), 3, "the shared layers are stored once")
	// The other pull's end made the stalled one's storage library reload
	// its driver, which then leaves the emptied staging directories of
	// the layers it had staged before (a lock file each) until the store
	// is next closed: by the next image command.
	t.Logf("after the pulls: %v", pullLeftovers(t, e))
	e.urun(t, "images", "-q").ok(t)
	noTempLeft(t, e)
}

func waitStalled(t *testing.T, p *testbed.FaultProxy, blob string) {
	t.Helper()
	select {
	case d := <-p.Stalled():
		require.Equal(t, blob, d)
	case <-time.After(time.Minute):
		t.Fatalf("the pull never fetched blob %s", blob)
	}
}

func TestPullKilledWithSIGKILLIsRepairedByTheNextCommands(t *testing.T) {
	f, v := pullTestImages(t)
	for _, c := range []struct {
		name  string
		first string // pulled before, straight from the registry
		blob  string // where the killed pull stalls
		// layers is how many the store holds in the end, with app and
		// busybox pulled: none twice, none left over.
		layers int
	}{
		// The other layers are reused: only the stalled one is downloading.
		{"store with busybox, stalled on app's own layer", busyboxRef, f.App.Layers[2].Digest, 3},
		// The variant shares busybox's two layers (their DiffIDs), not its
		// own third.
		{"store with another image, stalled on app's own layer", reg.Ref(v.DockerSchema2.Image), f.App.Layers[2].Digest, 4},
		// Busybox's layers may be downloading, unpacking or stored, and
		// then belong to no image.
		{"empty store, stalled on app's own layer", "", f.App.Layers[2].Digest, 3},
		{"empty store, stalled on the first layer", "", f.App.Layers[0].Digest, 3},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := startFaultProxy(t)
			e := proxyEnv(t, p.Addr())
			if c.first != "" {
				e.urun(t, "pull", "-q", c.first).ok(t)
			}
			before := imageIDs(t, e)
			p.Set(c.blob, testbed.Stall)
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			cmd := e.command(ctx, "pull", p.Ref(f.App))
			require.NoError(t, cmd.Start())
			waitStalled(t, p, c.blob)
			require.Eventually(t, func() bool { return len(pullLeftovers(t, e)) > 0 }, 20*time.Second, 10*time.Millisecond,
				"the pull writes the stalled blob's first half to disk")
			// The whole tree: urun, the helper, its namespaced self and
			// any layer unpacker (one process group).
			require.NoError(t, syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL))
			cmd.Wait()
			assert.Empty(t, waitGroupGone(cmd.Process.Pid, 10*time.Second), "processes of the killed pull")

			// The killed pull's half-downloaded blob is still there...
			assert.NotEmpty(t, pullLeftovers(t, e), "the killed pull's temporary files or staged layer")
			assert.Equal(t, before, imageIDs(t, e), "urun images works and shows no new image")
			if c.first != "" {
				e.urun(t, "run", "--rm", c.first, "true").ok(t)
			}
			p.Set(c.blob, 0)
			e.urun(t, "pull", p.Ref(f.App)).ok(t)
			assert.Equal(t, helloBody, e.urun(t, "run", "--rm", "--entrypoint", "cat", p.Ref(f.App), "/home/app/hello.txt").ok(t))
			e.urun(t, "pull", busyboxRef).ok(t)
			assert.Equal(t, layer2Body, e.urun(t, "run", "--rm", busyboxRef, "cat", "/etc/layer2").ok(t))
			// ...until the next pull, which no other pull runs beside.
			noTempLeft(t, e)
			assert.Len(t, storedLayers(t, e), c.layers, "layers in the store")
		})
	}
}

// imageRecords lists urun's records of images (GRAPHROOT/urun-images/ID.json).
func imageRecords(t *testing.T, e *env) []string {
	t.Helper()
	var ids []string
	for _, n := range entries(t, filepath.Join(e.GraphRoot(), "urun-images")) {
		if id, ok := strings.CutSuffix(n, ".json"); ok && len(id) == 64 {
			ids = append(ids, id)
		}
	}
	return ids
}

// waitGroupGone waits up to d for process group pgid to be empty and
// returns the pids left in it.
func waitGroupGone(pgid int, d time.Duration) []int {
	deadline := time.Now().Add(d)
	for {
		var left []int
		ents, _ := os.ReadDir("/proc")
		for _, e := range ents {
			pid, err := strconv.Atoi(e.Name())
			if err != nil {
				continue
			}
			b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
			if err != nil {
				continue
			}
			// pid (comm) state ppid pgrp ...; comm may hold spaces.
			s := string(b)
			fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
			if len(fields) > 2 && fields[2] == strconv.Itoa(pgid) && fields[0] != "Z" {
				left = append(left, pid)
			}
		}
		if len(left) == 0 || time.Now().After(deadline) {
			return left
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// A failed pull takes out the layers it stored, but not while another
// pull runs: that one may be reusing them without an image to show for
// it yet.
func TestAFailedPullLeavesItsLayersToAPullThatReusesThem(t *testing.T) {
	f, v := pullTestImages(t)
	p := startFaultProxy(t)
	e := proxyEnv(t, p.Addr())
	appTop, variantTop := f.App.Layers[2].Digest, v.DockerSchema2.Layers[2].Digest

	// The failing pull stores busybox's two layers and waits on its third.
	p.Set(appTop, testbed.Stall)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	failing := e.command(ctx, "pull", p.Ref(f.App))
	var failingErr strings.Builder
	failing.Stderr = &failingErr
	require.NoError(t, failing.Start())
	waitStalled(t, p, appTop)
	require.Eventually(t, func() bool { return len(storedLayers(t, e)) == 2 }, 20*time.Second, 10*time.Millisecond,
		"the first pull stores busybox's layers")

	// The other reuses them and waits on its own third.
	p.Set(variantTop, testbed.Stall)
	other := e.command(ctx, "pull", p.Ref(v.DockerSchema2.Image))
	var otherOut strings.Builder
	other.Stdout, other.Stderr = &otherOut, &otherOut
	require.NoError(t, other.Start())
	waitStalled(t, p, variantTop)

	// The first fails (its blob's rest comes corrupt)...
	p.Set(appTop, testbed.Corrupt)
	p.ReleaseBlob(appTop)
	err := failing.Wait()
	require.Error(t, err, "the pull of a corrupt blob fails")
	assert.Contains(t, failingErr.String(), "does not match its digest")
	assert.Len(t, storedLayers(t, e), 2, "the layers the other pull reuses stay")

	// ...and the other completes with the layers.
	p.Set(variantTop, 0)
	p.ReleaseBlob(variantTop)
	require.NoError(t, other.Wait(), "the pull reusing the failed one's layers completes:\n%s", otherOut.String())
	ref := p.Ref(v.DockerSchema2.Image)
	assert.Equal(t, v.DockerSchema2.Mark+layer2Body, e.urun(t, "run", "--rm", ref, "cat", "/etc/variant", "/etc/layer2").ok(t))
	assert.Len(t, imageIDs(t, e), 1)
	p.Set(appTop, 0)
	e.urun(t, "pull", p.Ref(f.App)).ok(t)
	assert.Len(t, storedLayers(t, e), 4, "busybox's two layers, shared, and each image's own")
}
