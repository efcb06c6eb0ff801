//go:build containers_image_openpgp && exclude_graphdriver_btrfs

package image

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"go.podman.io/image/v5/types"
)

// explainCopyError explains a failed copy of name from registry: the
// platforms an index does have when it lacks the wanted one, a blob whose
// bytes are not what its digest says, a blob cut short; the rest as
// explainPullError does.
func explainCopyError(ctx context.Context, sys *types.SystemContext, src types.ImageReference, name, registry string, want Platform, err error) error {
	switch {
	case isNoPlatformMatch(err):
		return explainNoPlatformMatch(ctx, sys, src, name, want, err)
	case isDigestMismatch(err):
		return fmt.Errorf("pull %s: %s sent data that does not match its digest (corrupted on the registry or on the way); no image was stored, pull again or check the registry: %w", name, registry, err)
	case strings.Contains(err.Error(), "unpacking failed"):
		// The storage library's unpacker, chrooted in the layer's
		// directory, says only what the kernel said ("no such file or
		// directory" for a hardlink to a path outside).
		return fmt.Errorf("pull %s: a layer of the image could not be unpacked; it may be damaged or hostile (an entry reaching outside the layer, such as a hardlink to a file outside it); no image was stored: %w", name, err)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return fmt.Errorf("pull %s: %s ended a download early (truncated blob or dropped connection); no image was stored, pull again: %w", name, registry, err)
	}
	return explainPullError(name, registry, err)
}

// isDigestMismatch recognises the image library's checks of downloaded
// blobs against their digests and sizes, which have no error type.
func isDigestMismatch(err error) bool {
	s := err.Error()
	for _, m := range []string{
		"Digest did not match",
		"does not match expected",
		"does not match config's DiffID",
		"Size mismatch",
		"size mismatch",
	} {
		if strings.Contains(s, m) {
			return true
		}
	}
	return false
}
