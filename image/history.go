//go:build containers_image_openpgp && exclude_graphdriver_btrfs

package image

import (
	"bytes"
	"context"
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
	"github.com/urun/urun/image/request"
)

// HistoryEntry is one step of an image's history, as the image's
// configuration records it, with the size of the layer it made.
type HistoryEntry struct {
	// ID is the image's id on the newest entry, "" on the others (Docker
	// prints <missing>: an image built elsewhere has no ids for them).
	ID        string
	Created   time.Time
	CreatedBy string
	Comment   string
	Size      int64
}

// History returns img's history, newest first.
func History(ctx context.Context, store storage.Store, img *storage.Image) ([]HistoryEntry, error) {
	cfg, err := readConfig(ctx, store, img)
	if err != nil {
		return nil, err
	}
	var sizes []int64 // base layer first
	for id := img.TopLayer; id != ""; {
		l, err := store.Layer(id)
		if err != nil {
			return nil, fmt.Errorf("image %s: layer %s: %w", shortID(img.ID), id, err)
		}
		sizes = append(sizes, max(l.UncompressedSize, 0))
		id = l.Parent
	}
	slices.Reverse(sizes)
	return historyEntries(img.ID, cfg, sizes), nil
}

// historyEntries pairs the configuration's history with the layers: each
// entry that is not an empty layer made the next layer up.
func historyEntries(id string, cfg *rawConfig, sizes []int64) []HistoryEntry {
	hist := cfg.History
	if len(hist) == 0 {
		// No history recorded: a step for each layer, as podman shows.
		for range sizes {
			hist = append(hist, historyEntry{Created: cfg.Created})
		}
	}
	var out []HistoryEntry
	layer := 0
	for _, h := range hist {
		e := HistoryEntry{CreatedBy: h.CreatedBy, Comment: h.Comment}
		if h.Created != nil {
			e.Created = *h.Created
		}
		if !h.EmptyLayer && layer < len(sizes) {
			e.Size = sizes[layer]
			layer++
		}
		out = append(out, e)
	}
	slices.Reverse(out)
	if len(out) > 0 {
		out[0].ID = id
	}
	return out
}

// HistoryOptions are `urun history`'s request; WriteHistory reads its
// output flags (Quiet, NoTrunc, Human, Format).
type HistoryOptions = request.History

// historyRow is one line of `urun history`, with Docker's template fields.
type historyRow struct {
	e   HistoryEntry
	o   HistoryOptions
	now time.Time
}

func (r historyRow) ID() string {
	switch {
	case r.e.ID == "":
		return "<missing>"
	case r.o.NoTrunc:
		return "sha256:" + r.e.ID
	}
	return shortID(r.e.ID)
}

func (r historyRow) CreatedSince() string {
	if !r.o.Human {
		return r.CreatedAt()
	}
	if r.e.Created.IsZero() {
		return "N/A"
	}
	return created(r.e.Created, r.now)
}

func (r historyRow) CreatedAt() string {
	if r.e.Created.IsZero() {
		return "N/A"
	}
	return r.e.Created.Format(time.RFC3339)
}

func (r historyRow) CreatedBy() string {
	s := strings.ReplaceAll(r.e.CreatedBy, "\t", " ")
	if rs := []rune(s); !r.o.NoTrunc && len(rs) > 45 {
		s = string(rs[:44]) + "…"
	}
	return s
}

func (r historyRow) Size() string {
	if r.o.Human {
		return units.HumanSizeWithPrecision(float64(r.e.Size), 3)
	}
	return strconv.FormatInt(r.e.Size, 10)
}

func (r historyRow) Comment() string { return r.e.Comment }

// historyHeader titles the table's columns.
var historyHeader = map[string]string{
	"ID": "IMAGE", "CreatedSince": "CREATED", "CreatedAt": "CREATED AT",
	"CreatedBy": "CREATED BY", "Size": "SIZE", "Comment": "COMMENT",
}

const historyTable = "table {{.ID}}\t{{.CreatedSince}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}"

// MarshalJSON is the row as Docker's --format json shows it, one object
// a line.
func (r historyRow) MarshalJSON() ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	err := enc.Encode(map[string]string{
		"ID": r.ID(), "CreatedAt": r.CreatedAt(), "CreatedSince": r.CreatedSince(),
		"CreatedBy": r.CreatedBy(), "Size": r.Size(), "Comment": r.Comment(),
	})
	return bytes.TrimSpace(buf.Bytes()), err
}

// WriteHistory prints entries as `docker history` does.
func WriteHistory(w io.Writer, entries []HistoryEntry, o HistoryOptions, now time.Time) error {
	text := o.Format
	switch {
	case o.Quiet:
		text = "{{.ID}}"
	case text == "" || text == "table":
		text = historyTable
	case text == "json":
		text = "{{json .}}"
	}
	f, err := containers.ParseFormat(text)
	if err != nil {
		return err
	}
	rows := make([]any, 0, len(entries))
	for _, e := range entries {
		rows = append(rows, historyRow{e, o, now})
	}
	return f.Execute(w, historyHeader, rows)
}
