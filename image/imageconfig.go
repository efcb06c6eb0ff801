//go:build containers_image_openpgp && exclude_graphdriver_btrfs

package image

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/opencontainers/go-digest"
	imgspecv1 "github.com/opencontainers/image-spec/specs-go/v1"
	"go.podman.io/storage"

	"github.com/urun/urun/image/imagedoc"
)

// ConfigFile is an image's configuration as urun writes it (a build's or
// a commit's): Docker's image JSON, which is OCI's plus Docker's own
// fields (Healthcheck, OnBuild, Shell...), so that nothing a Dockerfile
// says is lost in either manifest format.
type ConfigFile struct {
	Created *time.Time `json:"created,omitempty"`
	Author  string     `json:"author,omitempty"`
	// Comment is a commit's message (Docker's "comment").
	Comment      string              `json:"comment,omitempty"`
	Architecture string              `json:"architecture"`
	Variant      string              `json:"variant,omitempty"`
	OS           string              `json:"os"`
	Config       imagedoc.Config     `json:"config"`
	RootFS       ConfigRootFS        `json:"rootfs"`
	History      []imgspecv1.History `json:"history,omitempty"`
}

// ConfigRootFS lists an image's layers by DiffID, from the base up.
type ConfigRootFS struct {
	Type    string          `json:"type"`
	DiffIDs []digest.Digest `json:"diff_ids"`
}

// ReadConfigFile reads the configuration of a stored image.
func ReadConfigFile(store storage.Store, img *storage.Image) (*ConfigFile, error) {
	data, err := ConfigBytes(store, img)
	if err != nil {
		return nil, err
	}
	var c ConfigFile
	if err := json.Unmarshal(data, &c); err != nil {
		return nil, fmt.Errorf("decode the configuration of image %s: %w", img.ID, err)
	}
	if c.RootFS.Type == "" {
		c.RootFS.Type = "layers"
	}
	return &c, nil
}

// ConfigBytes is a stored image's configuration as stored: urun's images
// are stored by the image library or StoreImage, both of which keep it
// under its digest, which is the image's id.
func ConfigBytes(store storage.Store, img *storage.Image) ([]byte, error) {
	data, err := store.ImageBigData(img.ID, digest.NewDigestFromEncoded(digest.Canonical, img.ID).String())
	if err != nil {
		return nil, fmt.Errorf("read the configuration of image %s: %w", img.ID, err)
	}
	return data, nil
}
