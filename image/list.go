//go:build containers_image_openpgp && exclude_graphdriver_btrfs

package image

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/docker/go-units"
	"go.podman.io/storage"
)

// Summary is one stored image as `urun images` shows it.
type Summary struct {
	ID      string
	Names   []string
	Digest  string
	Created time.Time
	Size    int64 // bytes; -1 when unknown
}

// List returns the stored images, newest first.
func List(store storage.Store) ([]Summary, error) {
	images, err := store.Images()
	if err != nil {
		return nil, fmt.Errorf("list stored images: %w", err)
	}
	out := make([]Summary, 0, len(images))
	for _, img := range images {
		size, err := store.ImageSize(img.ID)
		if err != nil {
			size = -1
		}
		out = append(out, Summary{
			ID:      img.ID,
			Names:   img.Names,
			Digest:  img.Digest.String(),
			Created: img.Created,
			Size:    size,
		})
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

// ListOptions are the output flags of `urun images`.
type ListOptions struct {
	Quiet   bool   // IDs only
	NoTrunc bool   // full IDs
	Format  string // "" (table) or "json"
}

// WriteList prints list in the form opts asks for; now is the time
// CREATED counts back from.
func WriteList(w io.Writer, list []Summary, opts ListOptions, now time.Time) error {
	switch opts.Format {
	case "", "table":
	case "json":
		return writeJSON(w, list)
	default:
		return fmt.Errorf("unknown --format %q: want json", opts.Format)
	}
	if opts.Quiet {
		for _, img := range list {
			if _, err := fmt.Fprintln(w, displayID(img.ID, opts.NoTrunc)); err != nil {
				return err
			}
		}
		return nil
	}
	tw := tabwriter.NewWriter(w, 10, 1, 3, ' ', 0)
	fmt.Fprintln(tw, "REPOSITORY\tTAG\tIMAGE ID\tCREATED\tSIZE")
	for _, img := range list {
		for _, rt := range repoTags(img.Names) {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", rt[0], rt[1],
				displayID(img.ID, opts.NoTrunc), created(img.Created, now), size(img.Size))
		}
	}
	return tw.Flush()
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

// jsonImage is one element of `urun images --format json`, with the field
// names podman uses.
type jsonImage struct {
	ID          string   `json:"Id"`
	Names       []string `json:"Names"`
	RepoTags    []string `json:"RepoTags"`
	RepoDigests []string `json:"RepoDigests"`
	Digest      string   `json:"Digest,omitempty"`
	Created     int64    `json:"Created"`
	CreatedAt   string   `json:"CreatedAt"`
	Size        int64    `json:"Size"`
}

func writeJSON(w io.Writer, list []Summary) error {
	out := make([]jsonImage, 0, len(list))
	for _, img := range list {
		j := jsonImage{
			ID:          img.ID,
			Names:       append([]string{}, img.Names...),
			RepoTags:    []string{},
			RepoDigests: []string{},
			Digest:      img.Digest,
			Created:     img.Created.Unix(),
			CreatedAt:   img.Created.UTC().Format(time.RFC3339),
			Size:        img.Size,
		}
		for _, n := range img.Names {
			if strings.Contains(n, "@") {
				j.RepoDigests = append(j.RepoDigests, n)
			} else {
				j.RepoTags = append(j.RepoTags, n)
			}
		}
		if img.Digest != "" {
			for _, t := range j.RepoTags {
				repo, _ := splitTag(t)
				if d := repo + "@" + img.Digest; !slices.Contains(j.RepoDigests, d) {
					j.RepoDigests = append(j.RepoDigests, d)
				}
			}
		}
		out = append(out, j)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "    ")
	return enc.Encode(out)
}
