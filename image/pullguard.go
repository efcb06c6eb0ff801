//go:build containers_image_openpgp && exclude_graphdriver_btrfs

package image

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"go.podman.io/image/v5/types"
)

// A registry is trusted with the bytes of a blob only as far as the
// manifest says: guardedReference wraps the registry source of a pull so
// that every blob download (the layers fetchLayers stages and whatever
// copy.Image fetches) reads at most the size its descriptor states, and
// gives up when the registry stops sending. The image library would read
// as much as a Content-Length announces, and wait forever on a silent
// connection.

// minStallProgress is how many bytes a download must receive in each
// stall-timeout window: a trickle of a few bytes a second counts as a
// stall too.
const minStallProgress = 4 << 10

// registryFaultError is a download the guard ended: a pull fails on it at
// once rather than trying the blob again.
type registryFaultError struct{ msg string }

func (e *registryFaultError) Error() string { return e.msg }

// guardedReference is a registry image reference whose sources guard
// their blob downloads.
type guardedReference struct {
	types.ImageReference
	registry string
	stall    time.Duration
}

func guardReference(ref types.ImageReference, registry string, stall time.Duration) types.ImageReference {
	return &guardedReference{ImageReference: ref, registry: registry, stall: stall}
}

func (r *guardedReference) NewImageSource(ctx context.Context, sys *types.SystemContext) (types.ImageSource, error) {
	src, err := r.ImageReference.NewImageSource(ctx, sys)
	if err != nil {
		return nil, err
	}
	return &guardedSource{ImageSource: src, ref: r}, nil
}

// guardedSource is an image source whose GetBlob guards the download.
type guardedSource struct {
	types.ImageSource
	ref *guardedReference
}

func (s *guardedSource) Reference() types.ImageReference { return s.ref }

func (s *guardedSource) GetBlob(ctx context.Context, info types.BlobInfo, cache types.BlobInfoCache) (io.ReadCloser, int64, error) {
	what := "layer " + info.Digest.String()
	if strings.Contains(info.MediaType, "config") {
		what = "the image's config " + info.Digest.String()
	}
	// The request's context is cancelled when the registry stalls, which
	// ends a wait for the response as well as one for the body.
	dlCtx, cancel := context.WithCancel(ctx)
	g := &guardedBody{info: info, what: what, registry: s.ref.registry, stall: s.ref.stall, cancel: cancel}
	g.timer = time.AfterFunc(g.stall, g.fire)
	body, size, err := s.ImageSource.GetBlob(dlCtx, info, cache)
	if err != nil {
		g.timer.Stop()
		cancel()
		if g.hasStalled() {
			return nil, 0, g.stallError()
		}
		return nil, 0, err
	}
	g.body = body
	return g, size, nil
}

// guardedBody reads a blob at most to the size its descriptor gives and
// ends the download when fewer than minStallProgress bytes arrived in a
// whole stall window.
type guardedBody struct {
	body     io.ReadCloser
	info     types.BlobInfo
	what     string
	registry string
	stall    time.Duration
	cancel   context.CancelFunc

	read        int64
	windowBytes int64

	fault error // the registryFaultError Read returned, if any

	mu      sync.Mutex
	timer   *time.Timer
	stalled bool
}

// guardFault is the fault the guard found in a download body, if any: a
// reader of the body (an unpacker in another process) may report only
// that its input ended.
func guardFault(body io.Reader) error {
	if g, ok := body.(*guardedBody); ok {
		return g.fault
	}
	return nil
}

// fire runs when a stall window passed with too little data: it cancels
// the download, which ends a Read blocked on the network.
func (g *guardedBody) fire() {
	g.mu.Lock()
	g.stalled = true
	g.mu.Unlock()
	g.cancel()
}

func (g *guardedBody) hasStalled() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.stalled
}

func (g *guardedBody) stallError() error {
	return &registryFaultError{fmt.Sprintf("download of %s from %s stalled: less than %d KiB arrived in %s (after %d of its %d bytes): the registry stopped sending; try again later, or raise pull_stall_timeout in urun.conf ($URUN_PULL_STALL_TIMEOUT)",
		g.what, g.registry, minStallProgress>>10, g.stall, g.read, g.info.Size)}
}

func (g *guardedBody) Read(p []byte) (int, error) {
	if g.fault != nil {
		return 0, g.fault
	}
	if g.hasStalled() {
		g.fault = g.stallError()
		return 0, g.fault
	}
	if g.info.Size >= 0 {
		// One byte past the size tells a blob that is too long.
		if room := g.info.Size - g.read + 1; int64(len(p)) > room {
			p = p[:room]
		}
	}
	n, err := g.body.Read(p)
	g.read += int64(n)
	if g.info.Size >= 0 && g.read > g.info.Size {
		g.cancel()
		g.fault = &registryFaultError{fmt.Sprintf("%s from %s is longer than the %d bytes the manifest gives it: the registry sends something else; download stopped", g.what, g.registry, g.info.Size)}
		return 0, g.fault
	}
	if g.hasStalled() {
		g.fault = g.stallError()
		return n, g.fault
	}
	g.windowBytes += int64(n)
	if g.windowBytes >= minStallProgress {
		// Enough in this window: a new one starts.
		g.windowBytes = 0
		g.mu.Lock()
		if !g.stalled {
			g.timer.Reset(g.stall)
		}
		g.mu.Unlock()
	}
	if err == io.EOF {
		g.timer.Stop()
	}
	return n, err
}

func (g *guardedBody) Close() error {
	g.timer.Stop()
	err := g.body.Close()
	g.cancel()
	return err
}
