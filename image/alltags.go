//go:build containers_image_openpgp && exclude_graphdriver_btrfs

package image

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"go.podman.io/image/v5/docker"
	"go.podman.io/image/v5/docker/reference"
	"go.podman.io/storage"
)

// Repository reads the repository name `pull -a` and `push -a` take:
// a name without a tag or digest, normalized as Docker's (busybox is
// docker.io/library/busybox).
func Repository(name string) (reference.Named, error) {
	named, err := reference.ParseNormalizedNamed(name)
	if err != nil {
		return nil, fmt.Errorf("invalid reference format %q: %w", name, err)
	}
	if !reference.IsNameOnly(named) {
		return nil, fmt.Errorf("%s: tag can't be used with --all-tags/-a: give the repository only", name)
	}
	return named, nil
}

// RepositoryTags lists the tags of repository repo in its registry (its
// tags/list API), sorted, for `pull -a`.
func RepositoryTags(ctx context.Context, store storage.Store, repo reference.Named, opts PullOptions) ([]string, error) {
	ref, err := docker.NewReference(reference.TagNameOnly(repo))
	if err != nil {
		return nil, fmt.Errorf("list the tags of %s: %w", repo.Name(), err)
	}
	sys := systemContext(store, opts)
	trustLoopback(sys, reference.Domain(repo), opts.TLSVerify)
	tags, err := docker.GetRepositoryTags(ctx, sys, ref)
	if err != nil {
		return nil, explainRegistryError("list the tags of "+repo.Name(), reference.Domain(repo), err)
	}
	if len(tags) == 0 {
		return nil, fmt.Errorf("list the tags of %s: the registry has no tag in that repository", repo.Name())
	}
	slices.Sort(tags)
	return tags, nil
}

// LocalTags are the tags the store's images have in repository repo,
// sorted, for `push -a`.
func LocalTags(store storage.Store, repo reference.Named) ([]string, error) {
	images, err := store.Images()
	if err != nil {
		return nil, fmt.Errorf("list stored images: %w", err)
	}
	var tags []string
	for _, img := range images {
		for _, n := range img.Names {
			if tag, ok := strings.CutPrefix(n, repo.Name()+":"); ok && !strings.ContainsAny(tag, "/@") {
				tags = append(tags, tag)
			}
		}
	}
	slices.Sort(tags)
	return slices.Compact(tags), nil
}
