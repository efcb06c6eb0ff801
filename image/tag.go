//go:build containers_image_openpgp && exclude_graphdriver_btrfs

package image

import (
	"context"
	"fmt"
	"strings"
	"time"

	"go.podman.io/storage"

	"github.com/urun/urun/image/local"
)

// Tag gives the image src names the name dst as well, normalized as
// Docker does (myapp → docker.io/library/myapp:latest); a name another
// image had moves to this one. It returns the normalized name.
func Tag(ctx context.Context, store storage.Store, src, dst string) (string, error) {
	name, err := local.Normalize(dst)
	if err != nil {
		return "", fmt.Errorf("tag %s: %w: give NAME[:TAG], as registry.example/team/app:1.0", dst, err)
	}
	if strings.Contains(name, "@") {
		return "", fmt.Errorf("tag %s: refusing to create a tag with a digest reference: give NAME[:TAG]", dst)
	}
	img, _, err := Resolve(store, src)
	if err != nil {
		return "", err
	}
	unlock, err := lockRecords(store)
	if err != nil {
		return "", err
	}
	defer unlock()
	// The storage library copies a shared image's record, not its
	// layers, into the own store, with its names and the new one: the
	// copy stands for that id from then on, and is deleted once its
	// names are removed.
	if err := store.AddNames(img.ID, []string{name}); err != nil {
		return "", fmt.Errorf("tag %s as %s: %w", src, name, err)
	}
	if err := resyncLocked(ctx, store); err != nil {
		return "", fmt.Errorf("tag %s as %s: %w", src, name, err)
	}
	rec, err := local.Read(store.GraphRoot(), img.ID)
	if err != nil {
		return "", fmt.Errorf("tag %s as %s: %w", src, name, err)
	}
	rec.LastTagTime = time.Now().UTC()
	if err := local.Write(store.GraphRoot(), rec); err != nil {
		return "", fmt.Errorf("tag %s as %s: %w", src, name, err)
	}
	return name, nil
}
