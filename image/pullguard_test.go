//go:build containers_image_openpgp && exclude_graphdriver_btrfs

package image

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"
	"time"

	digest "github.com/opencontainers/go-digest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.podman.io/image/v5/types"
)

// fakeSource serves one blob body.
type fakeSource struct {
	types.ImageSource
	body func(ctx context.Context) io.ReadCloser
}

func (s *fakeSource) GetBlob(ctx context.Context, _ types.BlobInfo, _ types.BlobInfoCache) (io.ReadCloser, int64, error) {
	return s.body(ctx), -1, nil
}

func guardedGet(t *testing.T, info types.BlobInfo, stall time.Duration, body func(ctx context.Context) io.ReadCloser) io.ReadCloser {
	t.Helper()
	src := &guardedSource{ImageSource: &fakeSource{body: body}, ref: &guardedReference{registry: "reg.example:5000", stall: stall}}
	rc, _, err := src.GetBlob(context.Background(), info, nil)
	require.NoError(t, err)
	return rc
}

// endless is a body of zeros without end.
type endless struct{ n int64 }

func (e *endless) Read(p []byte) (int, error) { clear(p); e.n += int64(len(p)); return len(p), nil }
func (e *endless) Close() error               { return nil }

func TestAGuardedDownloadReadsNoMoreThanTheBlobsSize(t *testing.T) {
	d := digest.FromString("layer")
	body := &endless{}
	rc := guardedGet(t, types.BlobInfo{Digest: d, Size: 1000}, time.Minute, func(context.Context) io.ReadCloser { return body })
	defer rc.Close()
	n, err := io.Copy(io.Discard, rc)
	var fault *registryFaultError
	require.ErrorAs(t, err, &fault)
	assert.Contains(t, err.Error(), "layer "+d.String()+" from reg.example:5000 is longer than the 1000 bytes")
	assert.LessOrEqual(t, n, int64(1000))
	assert.Equal(t, int64(1001), body.n, "one byte past the size is read")

	// A blob of exactly its size reads whole.
	rc = guardedGet(t, types.BlobInfo{Digest: d, Size: 5}, time.Minute, func(context.Context) io.ReadCloser { return io.NopCloser(strings.NewReader("12345")) })
	b, err := io.ReadAll(rc)
	require.NoError(t, err)
	assert.Equal(t, "12345", string(b))
}

// trickle sends a byte every interval until its context ends.
type trickle struct {
	ctx      context.Context
	interval time.Duration
}

func (tr *trickle) Read(p []byte) (int, error) {
	select {
	case <-time.After(tr.interval):
		p[0] = 'x'
		return 1, nil
	case <-tr.ctx.Done():
		return 0, tr.ctx.Err()
	}
}
func (tr *trickle) Close() error { return nil }

func TestAGuardedDownloadGivesUpOnAStallOrATrickle(t *testing.T) {
	d := digest.FromString("layer")
	for _, tc := range []struct {
		name     string
		interval time.Duration
	}{
		{"silence", time.Hour},
		{"trickle", 10 * time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rc := guardedGet(t, types.BlobInfo{Digest: d, Size: 1 << 20}, 300*time.Millisecond, func(ctx context.Context) io.ReadCloser {
				return &trickle{ctx: ctx, interval: tc.interval}
			})
			defer rc.Close()
			start := time.Now()
			_, err := io.Copy(io.Discard, rc)
			var fault *registryFaultError
			require.ErrorAs(t, err, &fault)
			assert.Contains(t, err.Error(), "download of layer "+d.String()+" from reg.example:5000 stalled")
			assert.Less(t, time.Since(start), 5*time.Second)
		})
	}
}

func TestAGuardedDownloadThatFlowsIsNotAStall(t *testing.T) {
	data := bytes.Repeat([]byte("x"), 256<<10)
	d := digest.FromBytes(data)
	rc := guardedGet(t, types.BlobInfo{Digest: d, Size: int64(len(data))}, 200*time.Millisecond, func(context.Context) io.ReadCloser {
		return io.NopCloser(&slowReader{r: bytes.NewReader(data), chunk: 8 << 10, pause: 20 * time.Millisecond})
	})
	defer rc.Close()
	b, err := io.ReadAll(rc)
	require.NoError(t, err)
	assert.Equal(t, len(data), len(b))
}

type slowReader struct {
	r     io.Reader
	chunk int
	pause time.Duration
}

func (s *slowReader) Read(p []byte) (int, error) {
	time.Sleep(s.pause)
	if len(p) > s.chunk {
		p = p[:s.chunk]
	}
	return s.r.Read(p)
}
