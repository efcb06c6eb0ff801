//go:build containers_image_openpgp && exclude_graphdriver_btrfs

package image

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/opencontainers/go-digest"
	"github.com/vbatts/tar-split/tar/asm"
	tsstorage "github.com/vbatts/tar-split/tar/storage"
	"go.podman.io/storage"
	drivers "go.podman.io/storage/drivers"
	"go.podman.io/storage/pkg/archive"
	"go.podman.io/storage/pkg/ioutils"
	"golang.org/x/sys/unix"

	"github.com/urun/urun/layertar"
)

// NewLayer is a layer a build step or a commit added to the store.
type NewLayer struct {
	ID     string
	DiffID digest.Digest // the digest of its uncompressed tar stream
	Size   int64         // the length of that stream
}

// LayerDir is the directory a new layer is written in before it is
// stored: Dir becomes the layer's tree, in the store's format (an overlay
// upper directory: whiteouts as 0/0 devices). Work is an empty directory
// on the same file system, for an overlay mount whose upper directory Dir
// is; Scratch is a directory of the same life for anything else.
type LayerDir struct {
	Dir, Work, Scratch string
	untarOptions       *archive.TarOptions
	staging            string
	// unpacked is what Untar recorded of the stream it unpacked, which
	// then is the layer's whole content.
	unpacked *drivers.DriverWithDifferOutput
}

// Untar unpacks a layer tar stream (".wh." whiteouts) into Dir in the
// store's format, as the storage library's own unpacking would. The
// stream is then the layer: what the store keeps of it is recorded on
// the way, and Dir is not read again.
func (d *LayerDir) Untar(r io.Reader) error {
	out, err := untarRecording(r, d.Dir, d.staging, d.untarOptions)
	if err != nil {
		if out.TarSplit != nil {
			out.TarSplit.Close()
		}
		return err
	}
	if d.unpacked != nil {
		d.unpacked.TarSplit.Close()
		out.TarSplit.Close()
		return errors.New("a layer takes one stream")
	}
	d.unpacked = &out
	return nil
}

// WriteLayer adds a layer on parent ("" for a first layer): fill writes
// its tree into the LayerDir it is given, and the layer is stored as it
// is, without being copied: its tar stream is only read, for its digest
// and for the tar-split data from which save and push rebuild the exact
// stream. The layer's id is its chain id, as the image library gives it,
// so that an image whose layers are stored this way is stored whole.
// A layer with that id stored already (the same step built twice) is
// kept and the new one dropped.
func WriteLayer(store storage.Store, parent string, fill func(*LayerDir) error) (*NewLayer, error) {
	differ := &fillDiffer{fill: fill}
	out, err := store.PrepareStagedLayer(nil, differ)
	if err != nil {
		if out != nil {
			cleanupStaged(store, out)
		}
		return nil, err
	}
	l := &fastLayer{id: chainID(parent, out.UncompressedDigest), parent: parent, staged: out}
	if err := commitLayer(store, l); err != nil {
		cleanupStaged(store, out)
		return nil, fmt.Errorf("store the new layer: %w", err)
	}
	return &NewLayer{ID: l.id, DiffID: out.UncompressedDigest, Size: out.Size}, nil
}

// fillDiffer is the storage Differ of WriteLayer: the driver gives it the
// staging directory, fill writes the tree there, and it returns what the
// store records of the layer.
type fillDiffer struct {
	fill func(*LayerDir) error
}

func (d *fillDiffer) Close() error { return nil }

func (d *fillDiffer) ApplyDiff(dest string, options *archive.TarOptions, differOpts *drivers.DifferOptions) (out drivers.DriverWithDifferOutput, retErr error) {
	if differOpts == nil || differOpts.Format != drivers.DifferOutputFormatDir {
		return out, errors.New("the storage driver wants a layout other than a directory tree")
	}
	ld := &LayerDir{
		Dir:          dest,
		Work:         filepath.Join(differOpts.StagingDirectory, "work"),
		Scratch:      filepath.Join(differOpts.StagingDirectory, "scratch"),
		untarOptions: options,
		staging:      differOpts.StagingDirectory,
	}
	for _, dir := range []string{ld.Work, ld.Scratch} {
		if err := os.Mkdir(dir, 0o700); err != nil {
			return out, fmt.Errorf("create the new layer's directories: %w", err)
		}
	}
	defer func() {
		for _, dir := range []string{ld.Work, ld.Scratch} {
			if err := removeAll(dir); err != nil && retErr == nil {
				retErr = err
			}
		}
	}()
	if err := d.fill(ld); err != nil {
		if ld.unpacked != nil {
			ld.unpacked.TarSplit.Close()
		}
		return out, err
	}
	if ld.unpacked != nil {
		return *ld.unpacked, nil
	}
	return describeLayer(dest, differOpts.StagingDirectory)
}

// describeLayer reads the tar stream of the layer in dir, without writing
// it, for the digest, size, owners and tar-split data the store keeps.
func describeLayer(dir, staging string) (out drivers.DriverWithDifferOutput, retErr error) {
	// The tar-split metadata, until the store copies it into its own file;
	// unlinked at once, so that nothing is left behind however this ends.
	ts, err := os.CreateTemp(staging, "tar-split-")
	if err != nil {
		return out, fmt.Errorf("create tar-split file: %w", err)
	}
	if err := os.Remove(ts.Name()); err != nil {
		ts.Close()
		return out, fmt.Errorf("unlink tar-split file: %w", err)
	}
	defer func() {
		if retErr != nil {
			ts.Close()
		}
	}()
	pr, pw := io.Pipe()
	statsc := make(chan *layertar.Stats, 1)
	go func() {
		stats, err := layertar.Write(pw, dir)
		statsc <- stats
		pw.CloseWithError(err)
	}()
	uncompressed := digest.Canonical.Digester()
	count := ioutils.NewWriteCounter(uncompressed.Hash())
	tsBuf := bufio.NewWriterSize(ts, 64<<10)
	payload, done, err := asm.NewInputTarStreamWithDone(io.TeeReader(pr, count), tsstorage.NewJSONPacker(tsBuf), tsstorage.NewDiscardFilePutter())
	if err != nil {
		pr.CloseWithError(err)
		<-statsc
		return out, err
	}
	_, err = io.Copy(io.Discard, payload)
	payload.Close()
	if doneErr := <-done; err == nil {
		err = doneErr
	}
	pr.CloseWithError(io.ErrClosedPipe)
	stats := <-statsc
	if err != nil {
		return out, fmt.Errorf("read the new layer: %w", err)
	}
	if err := tsBuf.Flush(); err != nil {
		return out, fmt.Errorf("write tar-split file: %w", err)
	}
	rootMode := stats.RootMode
	return drivers.DriverWithDifferOutput{
		Size:               count.Count,
		UIDs:               sortedKeys(stats.UIDs),
		GIDs:               sortedKeys(stats.GIDs),
		UncompressedDigest: uncompressed.Digest(),
		TarSplit:           ts,
		RootDirMode:        &rootMode,
	}, nil
}

// removeAll removes a directory an overlay mount used: its work
// directory holds a directory of mode 0 that must be opened up first.
func removeAll(dir string) error {
	err := os.RemoveAll(dir)
	if err == nil {
		return nil
	}
	_ = filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err == nil && fi.IsDir() {
			_ = unix.Chmod(p, 0o700)
		}
		return nil
	})
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("remove %s: %w", dir, err)
	}
	return nil
}
