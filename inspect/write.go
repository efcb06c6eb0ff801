package inspect

import (
	"errors"
	"fmt"
	"io"

	"github.com/urun/urun/config"
	"github.com/urun/urun/containers"
	"github.com/urun/urun/image/imagedoc"
)

// Options are `urun inspect`'s flags.
type Options struct {
	// Format is a Go template applied to each document; "" prints the
	// documents as a JSON array.
	Format string
	// Images, when set, looks up the refs that name no container as
	// images (the image helper does: urun does not link the store), as
	// `docker inspect` does.
	Images func(refs []string) ([]imagedoc.Result, error)
	// Size adds each container's SizeRw and SizeRootFs, as Docker's -s.
	Size bool
}

// Write writes the documents of the containers refs name, as `docker
// inspect` does: the array of those found (even when some are not), and
// the error of each ref that names none. With o.Images, a ref that names
// no container is looked up as an image.
func Write(w io.Writer, cfg *config.Config, refs []string, o Options) []error {
	var format *containers.Format
	if o.Format != "" {
		var err error
		if format, err = containers.ParseFormat(o.Format); err != nil {
			return []error{err}
		}
	}
	list, err := containers.List(cfg)
	if err != nil {
		return []error{err}
	}
	labels := containers.NewLabelSource(cfg)
	imageSizes := map[string]int64{}
	docs := make([]any, len(refs))
	errs := make([]error, len(refs))
	var imageRefs []string
	var imageAt []int
	for i, ref := range refs {
		c, err := containers.Find(list, ref)
		if errors.Is(err, containers.ErrNotFound) && o.Images != nil {
			imageRefs, imageAt = append(imageRefs, ref), append(imageAt, i)
			continue
		}
		if err == nil {
			var doc Container
			doc, err = Build(cfg, c, labels)
			if o.Size {
				sizes := containers.SizeOf(cfg, c, imageSizes)
				doc.SizeRw, doc.SizeRootFs = &sizes.Writable, &sizes.Virtual
			}
			docs[i] = doc
		}
		errs[i] = err
	}
	if len(imageRefs) > 0 {
		results, err := o.Images(imageRefs)
		if err != nil {
			return []error{err}
		}
		for k, r := range results {
			i := imageAt[k]
			switch {
			case r.Image != nil:
				docs[i] = r.Image
			case r.NotFound:
				errs[i] = fmt.Errorf("No such object: %s", r.Ref)
			default:
				errs[i] = errors.New(r.Error)
			}
		}
	}
	found := []any{}
	var failed []error
	for i := range refs {
		if errs[i] != nil {
			failed = append(failed, errs[i])
		} else if docs[i] != nil {
			found = append(found, docs[i])
		}
	}
	if format == nil {
		if err := imagedoc.WriteJSON(w, found); err != nil {
			failed = append(failed, err)
		}
		return failed
	}
	for _, d := range found {
		out, err := imagedoc.Render(format, d)
		if err != nil {
			return append(failed, err)
		}
		if _, err := w.Write(append(out, '\n')); err != nil {
			return append(failed, err)
		}
	}
	return failed
}
