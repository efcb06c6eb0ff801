//go:build containers_image_openpgp && exclude_graphdriver_btrfs

package image

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/docker/go-units"
	"go.podman.io/storage"

	"github.com/urun/urun/containers"
	"github.com/urun/urun/image/local"
	"github.com/urun/urun/image/request"
)

// Summary is one stored image as `urun images` shows it.
type Summary struct {
	ID      string
	Names   []string
	Digest  string
	Created time.Time
	Size    int64 // bytes; -1 when unknown
	// Labels are the image configuration's labels.
	Labels map[string]string
	// ReadOnly marks an image of a shared store (additionalimagestores).
	ReadOnly bool
}

// List returns the stored images, newest first.
func List(store storage.Store) ([]Summary, error) {
	images, err := ownImages(store)
	if err != nil {
		return nil, fmt.Errorf("list stored images: %w", err)
	}
	out := make([]Summary, 0, len(images))
	for _, img := range images {
		s := Summary{
			ID:      img.ID,
			Names:   img.Names,
			Digest:  img.Digest.String(),
			Created: img.Created,
			Size:    imageSize(store, &img),
		}
		if rec, err := local.Read(store.GraphRoot(), img.ID); err == nil {
			s.Labels = rec.Config.Config.Labels
		}
		out = append(out, s)
	}
	SortNewestFirst(out)
	return out, nil
}

// SortNewestFirst orders images as `docker images` does.
func SortNewestFirst(list []Summary) {
	slices.SortStableFunc(list, func(a, b Summary) int {
		if c := b.Created.Compare(a.Created); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
}

// ListOptions are `urun images`'s request; WriteList reads its output
// flags (Quiet, NoTrunc, Digests, Format).
type ListOptions = request.Images

// imagesTable is the default table; with Digests, imagesDigestsTable.
const (
	imagesTable        = "table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}"
	imagesDigestsTable = "table {{.Repository}}\t{{.Tag}}\t{{.Digest}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}"
)

// imagesHeader titles the table's columns.
var imagesHeader = map[string]string{
	"ID": "IMAGE ID", "Repository": "REPOSITORY", "Tag": "TAG", "Digest": "DIGEST",
	"CreatedSince": "CREATED", "CreatedAt": "CREATED AT", "Size": "SIZE",
	"Containers": "CONTAINERS", "VirtualSize": "VIRTUAL SIZE", "SharedSize": "SHARED SIZE", "UniqueSize": "UNIQUE SIZE",
	"ReadOnly": "R/O",
}

// imageRow is one line of `urun images`: an image under one repository
// and tag, with Docker's template fields.
type imageRow struct {
	img       Summary
	repo, tag string
	noTrunc   bool
	now       time.Time
}

func (r imageRow) ID() string { return displayID(r.img.ID, r.noTrunc) }

// Repository is the repository as Docker shows it: "alpine", not
// "docker.io/library/alpine".
func (r imageRow) Repository() string   { return local.Familiar(r.repo) }
func (r imageRow) Tag() string          { return r.tag }
func (r imageRow) CreatedSince() string { return created(r.img.Created, r.now) }
func (r imageRow) Size() string         { return size(r.img.Size) }
func (r imageRow) VirtualSize() string  { return size(r.img.Size) }
func (r imageRow) Containers() string   { return "N/A" }
func (r imageRow) SharedSize() string   { return "N/A" }
func (r imageRow) UniqueSize() string   { return "N/A" }

// ReadOnly is podman's R/O column: true for an image of a shared store.
func (r imageRow) ReadOnly() string { return strconv.FormatBool(r.img.ReadOnly) }

func (r imageRow) Digest() string {
	if r.img.Digest == "" {
		return "<none>"
	}
	return r.img.Digest
}

// CreatedAt is Docker's: the time in the local zone, to the second.
func (r imageRow) CreatedAt() string {
	if r.img.Created.IsZero() {
		return "N/A"
	}
	return time.Unix(r.img.Created.Unix(), 0).String()
}

// ValidateListFormat checks a --format before any work is done.
func ValidateListFormat(format string) error {
	switch format {
	case "", "table", "json":
		return nil
	}
	_, err := containers.ParseFormat(format)
	return err
}

// WriteList prints list in the form opts asks for; now is the time
// CREATED counts back from.
func WriteList(w io.Writer, list []Summary, opts ListOptions, now time.Time) error {
	text := opts.Format
	switch {
	case text == "json":
		// Docker's: each row as {{json .}}, one a line.
		text = "{{json .}}"
	case opts.Quiet:
		for _, img := range list {
			if _, err := fmt.Fprintln(w, displayID(img.ID, opts.NoTrunc)); err != nil {
				return err
			}
		}
		return nil
	case (text == "" || text == "table") && opts.Digests:
		text = imagesDigestsTable
	case text == "" || text == "table":
		text = imagesTable
	}
	// As podman's, the default table shows R/O when a shared store
	// (additionalimagestores) has some of the images.
	if (text == imagesTable || text == imagesDigestsTable) && slices.ContainsFunc(list, func(s Summary) bool { return s.ReadOnly }) {
		text += "\t{{.ReadOnly}}"
	}
	f, err := containers.ParseFormat(text)
	if err != nil {
		return err
	}
	var rows []any
	for _, img := range list {
		for _, rt := range repoTags(img.Names) {
			rows = append(rows, imageRow{img: img, repo: rt[0], tag: rt[1], noTrunc: opts.NoTrunc, now: now})
		}
	}
	return f.Execute(w, imagesHeader, rows)
}

// displayID is the 12-character short id, or with noTrunc Docker's full
// "sha256:…" form.
func displayID(id string, noTrunc bool) string {
	if noTrunc {
		return "sha256:" + id
	}
	if len(id) > 12 {
		return id[:12]
	}
	return id
}

// repoTags splits an image's names into REPOSITORY and TAG columns, one
// row per tag. Names by digest add no row when the repository has a tag;
// an image without names gets a <none> row.
func repoTags(names []string) [][2]string {
	var rows [][2]string
	tagged := map[string]bool{}
	for _, n := range names {
		if strings.Contains(n, "@") {
			continue
		}
		repo, tag := splitTag(n)
		rows = append(rows, [2]string{repo, tag})
		tagged[repo] = true
	}
	for _, n := range names {
		repo, _, ok := strings.Cut(n, "@")
		if ok && !tagged[repo] {
			rows = append(rows, [2]string{repo, "<none>"})
			tagged[repo] = true
		}
	}
	if len(rows) == 0 {
		rows = append(rows, [2]string{"<none>", "<none>"})
	}
	return rows
}

// splitTag splits "host:port/repo:tag" at the tag's colon.
func splitTag(name string) (repo, tag string) {
	if i := strings.LastIndexByte(name, ':'); i > strings.LastIndexByte(name, '/') {
		return name[:i], name[i+1:]
	}
	return name, "<none>"
}

func created(t time.Time, now time.Time) string {
	if t.IsZero() {
		return "N/A"
	}
	d := now.Sub(t)
	if d < 0 {
		d = 0
	}
	return units.HumanDuration(d) + " ago"
}

func size(n int64) string {
	if n < 0 {
		return "N/A"
	}
	return units.HumanSizeWithPrecision(float64(n), 3)
}

// MarshalJSON is the row as Docker's {{json .}} and --format json show
// it: every field as a string.
func (r imageRow) MarshalJSON() ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	fields := map[string]string{
		"Containers": r.Containers(), "CreatedAt": r.CreatedAt(), "CreatedSince": r.CreatedSince(),
		"Digest": r.Digest(), "ID": r.ID(), "Repository": r.Repository(), "SharedSize": r.SharedSize(),
		"Size": r.Size(), "Tag": r.Tag(), "UniqueSize": r.UniqueSize(), "VirtualSize": r.VirtualSize(),
	}
	// Docker has no such field: only a shared store's image carries it.
	if r.img.ReadOnly {
		fields["ReadOnly"] = r.ReadOnly()
	}
	err := enc.Encode(fields)
	return bytes.TrimSpace(buf.Bytes()), err
}
