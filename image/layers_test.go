//go:build containers_image_openpgp && exclude_graphdriver_btrfs

package image

import (
	"testing"

	"github.com/opencontainers/go-digest"
	imgspecv1 "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/stretchr/testify/assert"
	"go.podman.io/image/v5/manifest"
	"go.podman.io/image/v5/types"
)

func TestFetchLayersTakesPlainLayersAndLeavesTheRestToTheLibrary(t *testing.T) {
	d := digest.FromString("layer")
	tests := []struct {
		name string
		info types.BlobInfo
		ok   bool
	}{
		{"docker gzip", types.BlobInfo{Digest: d, MediaType: manifest.DockerV2Schema2LayerMediaType}, true},
		{"docker uncompressed", types.BlobInfo{Digest: d, MediaType: manifest.DockerV2SchemaLayerMediaTypeUncompressed}, true},
		{"oci tar", types.BlobInfo{Digest: d, MediaType: imgspecv1.MediaTypeImageLayer}, true},
		{"oci gzip", types.BlobInfo{Digest: d, MediaType: imgspecv1.MediaTypeImageLayerGzip}, true},
		{"oci zstd", types.BlobInfo{Digest: d, MediaType: imgspecv1.MediaTypeImageLayerZstd}, true},
		{"encrypted", types.BlobInfo{Digest: d, MediaType: imgspecv1.MediaTypeImageLayerGzip + "+encrypted"}, false},
		{"foreign", types.BlobInfo{Digest: d, MediaType: manifest.DockerV2Schema2ForeignLayerMediaTypeGzip}, false},
		{"with URLs", types.BlobInfo{Digest: d, MediaType: imgspecv1.MediaTypeImageLayerGzip, URLs: []string{"https://example.com/l"}}, false},
		{"zstd:chunked", types.BlobInfo{Digest: d, MediaType: imgspecv1.MediaTypeImageLayerZstd,
			Annotations: map[string]string{"io.github.containers.zstd-chunked.manifest-checksum": d.String()}}, false},
		{"estargz", types.BlobInfo{Digest: d, MediaType: imgspecv1.MediaTypeImageLayerGzip,
			Annotations: map[string]string{"containerd.io/snapshot/stargz/toc.digest": d.String()}}, false},
		{"sha512 digest", types.BlobInfo{Digest: digest.SHA512.FromString("layer"), MediaType: imgspecv1.MediaTypeImageLayerGzip}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := fetchable(tt.info)
			if tt.ok {
				assert.NoError(t, err)
			} else {
				assert.Error(t, err)
			}
		})
	}
}

// The ids must be the image library's (storage_dest.go's layerID): then
// copy.Image finds the layers fetchLayers stored instead of storing them
// again. These are the ids copy.Image gave the bottom three layers of the
// test bed's big image (testbed.BuildBig).
func TestChainIDIsTheImageLibrarysLayerID(t *testing.T) {
	layers := []struct {
		diffID digest.Digest
		id     string
	}{
		{"sha256:5753cfdb99431b8a0a8d3cdb5b8aeac796a72ee08f58f118fa3a18b21189203e", "5753cfdb99431b8a0a8d3cdb5b8aeac796a72ee08f58f118fa3a18b21189203e"},
		{"sha256:e0463de54e13765eac151e93e4ce5bad346403020339de533c56da22561d5c94", "f9d5a03a768eb186eec4a698a82fb9fea35b947e6dfba08bd346f6fcdea4adb2"},
		{"sha256:bfc6945679f0baf40aa85b077005d60d9c612944bc7fd07eea6b465955ceb6d1", "c461ca84990d2369df8aaa82e3618f73bfce5c8cc35b8f0e17a80e6afb3f3f4c"},
	}
	parent := ""
	for i, l := range layers {
		assert.Equal(t, l.id, chainID(parent, l.diffID), "layer %d", i+1)
		parent = l.id
	}
}
