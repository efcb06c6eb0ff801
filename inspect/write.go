package inspect

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/urun/urun/config"
	"github.com/urun/urun/containers"
)

// Options are `urun inspect`'s flags.
type Options struct {
	// Format is a Go template applied to each document; "" prints the
	// documents as a JSON array.
	Format string
	// ContainersOnly: the user asked for containers (--type container,
	// `urun container inspect`), so a name that is none is not said to
	// be maybe an image.
	ContainersOnly bool
}

// Write writes the documents of the containers refs name, as `docker
// inspect` does: the array of those found (even when some are not), and
// the error of each ref that names none.
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
	docs := []Container{}
	var errs []error
	for _, ref := range refs {
		c, err := containers.Find(list, ref)
		if errors.Is(err, containers.ErrNotFound) && !o.ContainersOnly {
			err = fmt.Errorf("%w (image inspect is not supported yet)", err)
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		d, err := Build(cfg, c, labels)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		docs = append(docs, d)
	}
	if format == nil {
		data, err := json.MarshalIndent(docs, "", "    ")
		if err != nil {
			return append(errs, err)
		}
		_, err = w.Write(append(data, '\n'))
		if err != nil {
			errs = append(errs, err)
		}
		return errs
	}
	for _, d := range docs {
		out, err := execute(format, d)
		if err != nil {
			return append(errs, err)
		}
		if _, err := w.Write(append(out, '\n')); err != nil {
			return append(errs, err)
		}
	}
	return errs
}

// execute applies the template to the document; when that fails (a key
// such as .Id that is no Go field name), to its JSON, as Docker does.
func execute(format *containers.Format, d Container) ([]byte, error) {
	var buf bytes.Buffer
	err := format.ExecuteOne(&buf, d)
	if err == nil {
		return buf.Bytes(), nil
	}
	data, jerr := json.Marshal(d)
	if jerr != nil {
		return nil, jerr
	}
	var raw map[string]any
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if jerr := dec.Decode(&raw); jerr != nil {
		return nil, jerr
	}
	buf.Reset()
	if rerr := format.ExecuteOne(&buf, raw); rerr != nil {
		return nil, fmt.Errorf("format: %w", err)
	}
	return buf.Bytes(), nil
}
