//go:build containers_image_openpgp && exclude_graphdriver_btrfs

package image

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"slices"
	"strings"

	"github.com/opencontainers/go-digest"
	"github.com/vbatts/tar-split/archive/tar"
	"github.com/vbatts/tar-split/tar/asm"
	tsstorage "github.com/vbatts/tar-split/tar/storage"
	"go.podman.io/image/v5/types"
	"go.podman.io/storage"
	drivers "go.podman.io/storage/drivers"
	"go.podman.io/storage/pkg/archive"
	"go.podman.io/storage/pkg/chrootarchive"
	"go.podman.io/storage/pkg/ioutils"
	"go.podman.io/storage/pkg/tarlog"

	"github.com/urun/urun/trace"
)

// stageLayer downloads layer l from src and unpacks it into a new staging
// directory of store while it downloads, without the store's lock, so
// that several layers unpack at once; report counts its bytes. The caller commits the result with
// store.ApplyStagedLayer or removes it with cleanupStaged.
func stageLayer(ctx context.Context, store storage.Store, src types.ImageSource, cache types.BlobInfoCache, l *fastLayer, report *pullReport) (*drivers.DriverWithDifferOutput, error) {
	body, _, err := src.GetBlob(ctx, l.info, cache)
	if err != nil {
		return nil, fmt.Errorf("download: %w", err)
	}
	defer body.Close()
	trace.Mark("pull", fmt.Sprintf("layer%d-started", l.index+1))
	out, err := store.PrepareStagedLayer(nil, &streamDiffer{body: &eofMark{r: report.body(l.info.Digest, body), index: l.index}, layer: l})
	if err != nil {
		if out != nil {
			cleanupStaged(store, out)
		}
		if fault := guardFault(body); fault != nil {
			return nil, fault
		}
		return nil, err
	}
	trace.Mark("pull", fmt.Sprintf("layer%d-unpacked", l.index+1))
	return out, nil
}

// streamDiffer is a storage Differ that unpacks a layer blob as it reads
// it: the storage driver gives it the staging directory, it returns what
// the store records of the layer. It computes what the storage library's
// own PutLayer computes (applyDiff in its layers.go): the digests, the
// uncompressed size, the owners used and the tar-split metadata from which
// the library can later rebuild the exact tarball (for push and save).
type streamDiffer struct {
	body  io.Reader
	layer *fastLayer
}

func (d *streamDiffer) Close() error { return nil }

func (d *streamDiffer) ApplyDiff(dest string, options *archive.TarOptions, differOpts *drivers.DifferOptions) (out drivers.DriverWithDifferOutput, retErr error) {
	if differOpts == nil || differOpts.Format != drivers.DifferOutputFormatDir {
		return out, errors.New("the storage driver wants a layout other than a directory tree")
	}
	compressed := digest.Canonical.Digester()
	compressedCount := ioutils.NewWriteCounter(compressed.Hash())
	blob := io.TeeReader(d.body, compressedCount)
	tarStream, err := archive.DecompressStream(blob)
	if err != nil {
		return out, fmt.Errorf("decompress: %w", err)
	}
	defer tarStream.Close()
	out, err = untarRecording(tarStream, dest, differOpts.StagingDirectory, options)
	if err == nil {
		// Whatever follows the compressed stream counts in the digest.
		_, err = io.Copy(io.Discard, blob)
	}
	if err != nil {
		if out.TarSplit != nil {
			out.TarSplit.Close()
		}
		return drivers.DriverWithDifferOutput{}, fmt.Errorf("unpack: %w", err)
	}
	defer func() {
		if retErr != nil {
			out.TarSplit.Close()
		}
	}()

	l := d.layer
	if got := compressed.Digest(); got != l.info.Digest {
		return out, fmt.Errorf("blob digest %s, the manifest says %s", got, l.info.Digest)
	}
	if l.info.Size >= 0 && compressedCount.Count != l.info.Size {
		return out, fmt.Errorf("blob size %d, the manifest says %d", compressedCount.Count, l.info.Size)
	}
	if got := out.UncompressedDigest; got != l.diffID {
		return out, fmt.Errorf("uncompressed digest %s, the configuration's DiffID is %s", got, l.diffID)
	}
	out.CompressedDigest = l.info.Digest
	return out, nil
}

// untarRecording unpacks an uncompressed layer stream into dest with the
// storage library's chrooted untar, as its PutLayer does, and records what
// the store keeps of a layer on the way (its applyDiff in layers.go): the
// digest, size and owners of the stream, the mode of its root and the
// tar-split metadata from which the library later rebuilds the exact
// stream (for push and save). The tar-split file is created in staging
// and unlinked at once, so that nothing is left behind however this ends;
// the caller closes it on failure.
func untarRecording(tarStream io.Reader, dest, staging string, options *archive.TarOptions) (out drivers.DriverWithDifferOutput, retErr error) {
	ts, err := os.CreateTemp(staging, "tar-split-")
	if err != nil {
		return out, fmt.Errorf("create tar-split file: %w", err)
	}
	if err := os.Remove(ts.Name()); err != nil {
		ts.Close()
		return out, fmt.Errorf("unlink tar-split file: %w", err)
	}
	out.TarSplit = ts
	uncompressed := digest.Canonical.Digester()
	uids, gids := map[uint32]bool{}, map[uint32]bool{}
	idLog, err := tarlog.NewLogger(func(h *tar.Header) {
		if path.Clean("/"+h.Name) == "/" && h.Typeflag == tar.TypeDir {
			m := os.FileMode(h.Mode & 0o7777)
			out.RootDirMode = &m
		}
		if !strings.HasPrefix(path.Base(h.Name), archive.WhiteoutPrefix) {
			uids[uint32(h.Uid)] = true
			gids[uint32(h.Gid)] = true
		}
	})
	if err != nil {
		return out, err
	}
	uncompressedCount := ioutils.NewWriteCounter(io.MultiWriter(uncompressed.Hash(), idLog))
	tsBuf := bufio.NewWriterSize(ts, 64<<10)
	payload, done, err := asm.NewInputTarStreamWithDone(io.TeeReader(tarStream, uncompressedCount), tsstorage.NewJSONPacker(tsBuf), tsstorage.NewDiscardFilePutter())
	if err != nil {
		idLog.Close()
		return out, err
	}
	// Paths that lead out of dest are refused or neutralised.
	err = chrootarchive.UntarUncompressed(payload, dest, options)
	if err == nil {
		// The tarball's trailing zeros belong in the tar-split data.
		_, err = io.Copy(io.Discard, payload)
	}
	payload.Close()
	if doneErr := <-done; err == nil {
		err = doneErr
	}
	if logErr := idLog.Close(); err == nil {
		err = logErr
	}
	if err == nil {
		err = tsBuf.Flush()
	}
	if err != nil {
		return out, err
	}
	out.Size = uncompressedCount.Count
	out.UIDs = sortedKeys(uids)
	out.GIDs = sortedKeys(gids)
	out.UncompressedDigest = uncompressed.Digest()
	return out, nil
}

// eofMark marks (URUN_TRACE) when a layer's last byte has arrived.
type eofMark struct {
	r      io.Reader
	index  int
	marked bool
}

func (e *eofMark) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if err == io.EOF && !e.marked {
		e.marked = true
		trace.Mark("pull", fmt.Sprintf("layer%d-downloaded", e.index+1))
	}
	return n, err
}

func sortedKeys(m map[uint32]bool) []uint32 {
	keys := make([]uint32, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
