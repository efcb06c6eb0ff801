//go:build containers_image_openpgp && exclude_graphdriver_btrfs

package image

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"go.podman.io/storage"

	"github.com/urun/urun/image/local"
)

// RemoveOptions are `urun rmi`'s settings.
type RemoveOptions struct {
	// Force removes an image referenced in several repositories, and
	// untags an image containers use (the image itself stays for them).
	Force bool
	// InUse maps the id of each image containers use to their names:
	// such an image is never deleted, since its layers are the
	// containers' lower directories.
	InUse map[string][]string
	// Out receives Docker's "Untagged: NAME" and "Deleted: sha256:ID"
	// lines; Warn says when an image was kept for a container.
	Out, Warn io.Writer
}

// Remove removes the images refs name, as `docker rmi` does: a name is
// untagged, and the image deleted once it has no name left; an id
// untags every name and deletes the image. Only layers no other image
// uses are deleted. It returns the error of each ref that failed.
func Remove(ctx context.Context, store storage.Store, refs []string, o RemoveOptions) []error {
	unlock, err := lockRecords(store)
	if err != nil {
		return []error{err}
	}
	defer unlock()
	var errs []error
	for _, ref := range refs {
		if err := removeOne(store, ref, o); err != nil {
			errs = append(errs, err)
		}
	}
	if err := resyncLocked(ctx, store); err != nil {
		errs = append(errs, err)
	}
	return errs
}

func removeOne(store storage.Store, ref string, o RemoveOptions) error {
	img, name, err := Resolve(store, ref)
	if err != nil {
		return err
	}
	if img.ReadOnly {
		return &SharedImageError{Ref: ref, ID: img.ID}
	}
	short := shortID(img.ID)
	users := o.InUse[img.ID]
	refs := references(store, img)
	var untag []string
	if name != "" {
		untag = untagName(refs, name)
		if len(untag) < len(refs) {
			return untagNames(store, img, untag, o.Out)
		}
		if len(users) > 0 && !o.Force {
			return fmt.Errorf("conflict: unable to remove repository reference %q (must force) - container %s is using its referenced image %s: remove the container first, or pass -f to untag the image and keep it for the container", ref, users[0], short)
		}
	} else {
		untag = refs
		if len(users) > 0 && !o.Force {
			return fmt.Errorf("conflict: unable to delete %s (must be forced) - image is being used by container %s: remove the container first, or pass -f to untag the image and keep it for the container", short, users[0])
		}
		if repos := repositories(refs); len(repos) > 1 && !o.Force {
			return fmt.Errorf("conflict: unable to delete %s (must be forced) - image is referenced in multiple repositories (%s): remove it by name, or pass -f", short, strings.Join(repos, ", "))
		}
	}
	if len(users) == 0 {
		makeRoomToDelete(store, img.ID)
	}
	if err := untagNames(store, img, untag, o.Out); err != nil {
		return err
	}
	if len(users) > 0 {
		fmt.Fprintf(o.Warn, "urun: image %s is kept, now without a name, for container %s; remove the container, then the image (urun rmi %s or urun image prune)\n", short, strings.Join(users, ", "), short)
		return nil
	}
	if _, err := deleteImage(store, img.ID); err != nil {
		return fmt.Errorf("delete image %s: %w", short, err)
	}
	fmt.Fprintf(o.Out, "Deleted: sha256:%s\n", img.ID)
	return nil
}

// references are the names of img: the store's tags and the names by
// digest urun's record keeps.
func references(store storage.Store, img *storage.Image) []string {
	refs := append([]string{}, img.Names...)
	if rec, err := local.Read(store.GraphRoot(), img.ID); err == nil {
		refs = keptNames(refs, rec.Names)
	}
	return refs
}

// untagName is what removing name from refs untags: name itself and,
// when it was its repository's last tag, the repository's names by
// digest, as Docker does.
func untagName(refs []string, name string) []string {
	out := []string{name}
	if strings.Contains(name, "@") {
		return out
	}
	repo, _ := splitTag(name)
	sameRepoTag := func(n string) bool {
		r, _ := splitTag(n)
		return n != name && !strings.Contains(n, "@") && r == repo
	}
	if slices.ContainsFunc(refs, sameRepoTag) {
		return out
	}
	for _, n := range refs {
		if r, _, ok := strings.Cut(n, "@"); ok && r == repo {
			out = append(out, n)
		}
	}
	return out
}

// repositories are the distinct repositories of refs.
func repositories(refs []string) []string {
	var repos []string
	for _, n := range refs {
		r, _, ok := strings.Cut(n, "@")
		if !ok {
			r, _ = splitTag(n)
		}
		if !slices.Contains(repos, r) {
			repos = append(repos, r)
		}
	}
	return repos
}

// untagNames removes names from img: tags from the store, names by
// digest from urun's record.
func untagNames(store storage.Store, img *storage.Image, names []string, out io.Writer) error {
	var tags, digested []string
	for _, n := range names {
		if strings.Contains(n, "@") && !slices.Contains(img.Names, n) {
			digested = append(digested, n)
		} else {
			tags = append(tags, n)
		}
	}
	if len(tags) > 0 {
		if err := store.RemoveNames(img.ID, tags); err != nil {
			return fmt.Errorf("untag %s: %w", strings.Join(tags, ", "), err)
		}
	}
	if len(digested) > 0 {
		rec, err := local.Read(store.GraphRoot(), img.ID)
		if err != nil && !errors.Is(err, local.ErrNotFound) {
			return err
		}
		if err == nil {
			rec.Names = slices.DeleteFunc(rec.Names, func(n string) bool { return slices.Contains(digested, n) })
			if err := local.Write(store.GraphRoot(), rec); err != nil {
				return err
			}
		}
	}
	for _, n := range names {
		fmt.Fprintf(out, "Untagged: %s\n", local.Familiar(n))
	}
	return nil
}

func shortID(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}
