//go:build containers_image_openpgp && exclude_graphdriver_btrfs

package image

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	digest "github.com/opencontainers/go-digest"
	imgspecv1 "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.podman.io/image/v5/pkg/compression"
)

func TestImportStoresTheTarballUncompressedWhateverItsCompression(t *testing.T) {
	rootfs := makeTar(t, tarFile{"bin/hello", "#!/bin/sh\necho hello\n"}, tarFile{"etc/os-release", "ID=test\n"})
	compress := func(algo compression.Algorithm) []byte {
		var buf bytes.Buffer
		w, err := compression.CompressStream(&buf, algo, nil)
		require.NoError(t, err)
		_, err = w.Write(rootfs)
		require.NoError(t, err)
		require.NoError(t, w.Close())
		return buf.Bytes()
	}
	for _, tc := range []struct {
		name  string
		input []byte
	}{
		{"plain tar", rootfs},
		{"gzip", compress(compression.Gzip)},
		{"xz", compress(compression.Xz)},
		{"zstd", compress(compression.Zstd)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			desc, err := writeImportLayer(context.Background(), dir, ImportOptions{Source: "-", Stdin: bytes.NewReader(tc.input)})
			require.NoError(t, err)
			assert.Equal(t, digest.FromBytes(rootfs), desc.Digest, "the layer is the uncompressed tar")
			assert.Equal(t, int64(len(rootfs)), desc.Size)
			assert.Equal(t, imgspecv1.MediaTypeImageLayer, desc.MediaType)
			stored, err := os.ReadFile(filepath.Join(dir, "blobs", "sha256", desc.Digest.Encoded()))
			require.NoError(t, err)
			assert.Equal(t, rootfs, stored)
		})
	}
}

func TestImportRefusesWhatIsNoWholeTarball(t *testing.T) {
	rootfs := makeTar(t, tarFile{"big", string(bytes.Repeat([]byte("x"), 8192))})
	gz := gzipped(t, rootfs)
	for _, tc := range []struct {
		name  string
		input []byte
		want  string
	}{
		{"empty", nil, "the tarball on stdin is empty"},
		{"text", []byte("no tar here\n"), "is not a tar archive"},
		{"truncated tar", rootfs[:4000], "is truncated"},
		{"truncated gzip", gz[:len(gz)/2], "truncated"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := writeImportLayer(context.Background(), t.TempDir(), ImportOptions{Source: "-", Stdin: bytes.NewReader(tc.input)})
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

func TestImportConfigHasThePlatformTheChangesAndTheMessage(t *testing.T) {
	cfg, err := importConfig(ImportOptions{Changes: []string{"CMD [\"sh\"]"}, Message: "from a backup"})
	require.NoError(t, err)
	assert.Equal(t, runtime.GOOS, cfg.OS)
	assert.Equal(t, runtime.GOARCH, cfg.Architecture)
	assert.Equal(t, []string{"sh"}, cfg.Config.Cmd)
	require.Len(t, cfg.History, 1)
	assert.Equal(t, "from a backup", cfg.History[0].Comment)

	cfg, err = importConfig(ImportOptions{Platform: Platform{OS: "linux", Architecture: "arm64", Variant: "v8"}})
	require.NoError(t, err)
	assert.Equal(t, imgspecv1.Platform{OS: "linux", Architecture: "arm64", Variant: "v8"}, cfg.Platform)
}
