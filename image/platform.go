//go:build containers_image_openpgp && exclude_graphdriver_btrfs

package image

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/sirupsen/logrus"
	"go.podman.io/image/v5/manifest"
	istorage "go.podman.io/image/v5/storage"
	"go.podman.io/image/v5/types"
	"go.podman.io/storage"

	"github.com/urun/urun/image/local"
)

// Platform is what --platform asks for: the image of an index (OCI image
// index or Docker manifest list) built for this OS, architecture and
// variant.
type Platform struct {
	OS, Architecture, Variant string
}

func (p Platform) String() string {
	s := p.OS + "/" + p.Architecture
	if p.Variant != "" {
		s += "/" + p.Variant
	}
	return s
}

// archAliases are the names uname and distributions use for the
// architectures images name in Go's spelling, as Docker accepts them.
var archAliases = map[string]string{
	"x86_64":  "amd64",
	"x86-64":  "amd64",
	"aarch64": "arm64",
	"armhf":   "arm",
	"armel":   "arm",
	"i386":    "386",
	"i686":    "386",
}

// ParsePlatform reads --platform's OS/ARCH[/VARIANT] (linux/amd64,
// linux/arm64/v8, linux/arm/v7); "" means the host's platform.
func ParsePlatform(s string) (Platform, error) {
	if s == "" {
		return Platform{}, nil
	}
	if err := local.CheckPlatform(s); err != nil {
		return Platform{}, err
	}
	parts := strings.Split(strings.ToLower(s), "/")
	p := Platform{OS: parts[0], Architecture: parts[1]}
	if a, ok := archAliases[p.Architecture]; ok {
		p.Architecture = a
	}
	if len(parts) == 3 {
		p.Variant = parts[2]
	}
	return p, nil
}

// setPlatform makes the image library choose p's image from an index
// (when p is set; otherwise it picks the host's).
func setPlatform(sys *types.SystemContext, p Platform) {
	if p == (Platform{}) {
		return
	}
	sys.OSChoice = p.OS
	sys.ArchitectureChoice = p.Architecture
	sys.VariantChoice = p.Variant
}

// isNoPlatformMatch recognises how the image library says an index has no image
// for the wanted platform (its error has no type of its own).
func isNoPlatformMatch(err error) bool {
	s := err.Error()
	return strings.Contains(s, "no image found in image index for") || strings.Contains(s, "no image found in manifest list for")
}

// explainNoPlatformMatch replaces the image library's "no image found"
// with the platforms the index does have, read from the registry again.
func explainNoPlatformMatch(ctx context.Context, sys *types.SystemContext, src types.ImageReference, name string, want Platform, err error) error {
	wanted := want.String()
	if want == (Platform{}) {
		wanted = "this host's platform"
		if sys.OSChoice != "" {
			wanted = Platform{sys.OSChoice, sys.ArchitectureChoice, sys.VariantChoice}.String()
		}
	}
	have, listErr := indexPlatforms(ctx, sys, src)
	if listErr != nil || len(have) == 0 {
		return fmt.Errorf("pull %s: the image has no variant for %s (choose another with --platform): %w", name, wanted, errors.Join(err, listErr))
	}
	return fmt.Errorf("pull %s: the image has no variant for %s; it has %s: choose one with --platform", name, wanted, strings.Join(have, ", "))
}

// indexPlatforms lists the platforms of the index src names, in its order.
func indexPlatforms(ctx context.Context, sys *types.SystemContext, src types.ImageReference) ([]string, error) {
	is, err := src.NewImageSource(ctx, sys)
	if err != nil {
		return nil, err
	}
	defer is.Close()
	blob, mime, err := is.GetManifest(ctx, nil)
	if err != nil {
		return nil, err
	}
	list, err := manifest.ListFromBlob(blob, manifest.NormalizedMIMEType(mime))
	if err != nil {
		return nil, err
	}
	var out []string
	for _, d := range list.Instances() {
		inst, err := list.Instance(d)
		if err != nil {
			return nil, err
		}
		pl := inst.ReadOnly.Platform
		if pl == nil {
			continue
		}
		s := Platform{pl.OS, pl.Architecture, pl.Variant}.String()
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out, nil
}

// warnPlatformMismatch warns, as podman does, when the image pulled for
// --platform says it was built for another platform: an image that is not
// an index is pulled whatever its platform.
func warnPlatformMismatch(ctx context.Context, store storage.Store, img *storage.Image, want Platform) {
	if want == (Platform{}) {
		return
	}
	ref, err := istorage.Transport.NewStoreReference(store, nil, img.ID)
	if err != nil {
		return
	}
	src, err := ref.NewImage(ctx, nil)
	if err != nil {
		return
	}
	defer src.Close()
	cfg, err := src.OCIConfig(ctx)
	if err != nil {
		return
	}
	got := Platform{cfg.OS, cfg.Architecture, cfg.Variant}
	if got.OS != want.OS || got.Architecture != want.Architecture || want.Variant != "" && got.Variant != want.Variant {
		logrus.Warnf("the image's platform (%s) is not the one asked for (%s): the image has no variant for other platforms", got, want)
	}
}
