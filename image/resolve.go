//go:build containers_image_openpgp && exclude_graphdriver_btrfs

package image

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"go.podman.io/storage"

	"github.com/urun/urun/image/local"
)

// ErrNoSuchImage means a reference names no stored image, in Docker's words.
var ErrNoSuchImage = errors.New("No such image")

// Resolve finds the stored image ref names, as Docker does: a full id
// (with or without "sha256:"), a name (short names normalized:
// busybox → docker.io/library/busybox:latest), a name by digest, then a
// unique id prefix. name is the normalized name when ref was one, else "".
func Resolve(store storage.Store, ref string) (img *storage.Image, name string, err error) {
	if id, ok := fullID(ref); ok {
		if img, err := store.Image(id); err == nil {
			return img, "", nil
		}
		return nil, "", fmt.Errorf("%w: %s", ErrNoSuchImage, ref)
	}
	if norm, nerr := local.Normalize(ref); nerr == nil {
		if repo, dgst, digested := strings.Cut(norm, "@"); digested {
			if img := byDigest(store, repo, dgst, norm); img != nil {
				return img, norm, nil
			}
		} else if img, err := store.Image(norm); err == nil && slices.Contains(img.Names, norm) {
			return img, norm, nil
		}
	}
	if prefix := strings.TrimPrefix(ref, "sha256:"); len(prefix) >= 3 && isHex(prefix) {
		img, err := store.Image(prefix)
		if err == nil && strings.HasPrefix(img.ID, prefix) {
			return img, "", nil
		}
	}
	return nil, "", fmt.Errorf("%w: %s", ErrNoSuchImage, ref)
}

// byDigest finds the image of repository repo whose manifest digest is
// dgst: one with a name in repo, or whose record keeps the name by digest
// it was pulled as (the store keeps no names by digest).
func byDigest(store storage.Store, repo, dgst, full string) *storage.Image {
	images, err := store.Images()
	if err != nil {
		return nil
	}
	for i := range images {
		img := &images[i]
		if !hasDigest(img, dgst) {
			continue
		}
		for _, n := range img.Names {
			if r, _ := splitTag(n); r == repo {
				return img
			}
		}
		if rec, err := local.Read(store.GraphRoot(), img.ID); err == nil && slices.Contains(rec.Names, full) {
			return img
		}
	}
	return nil
}

func hasDigest(img *storage.Image, dgst string) bool {
	if img.Digest.String() == dgst {
		return true
	}
	for _, d := range img.Digests {
		if d.String() == dgst {
			return true
		}
	}
	return false
}

// fullID reports whether ref is a whole image id, and returns it bare.
func fullID(ref string) (string, bool) {
	id := strings.TrimPrefix(ref, "sha256:")
	return id, len(id) == 64 && isHex(id)
}

func isHex(s string) bool {
	for _, r := range s {
		if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'f') {
			return false
		}
	}
	return true
}

func errorsIsNoSuchImage(err error) bool { return errors.Is(err, ErrNoSuchImage) }
