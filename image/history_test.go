//go:build containers_image_openpgp && exclude_graphdriver_btrfs

package image

import (
	"bytes"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func sampleHistory() []HistoryEntry {
	t := now.Add(-3 * 24 * time.Hour)
	cfg := &rawConfig{History: []historyEntry{
		{Created: &t, CreatedBy: "/bin/sh -c #(nop) ADD file:0123456789abcdef0123456789abcdef in / "},
		{Created: &t, CreatedBy: "/bin/sh -c #(nop)  CMD [\"sh\"]", EmptyLayer: true},
		{Created: &t, CreatedBy: "RUN\techo hi", Comment: "buildkit.dockerfile.v0"},
	}}
	return historyEntries(busyboxID, cfg, []int64{4_261_550, 120})
}

func renderHistory(t *testing.T, o HistoryOptions) string {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, WriteHistory(&buf, sampleHistory(), o, now))
	return buf.String()
}

func TestHistoryShowsStepsNewestFirstLikeDocker(t *testing.T) {
	want := "" +
		"IMAGE          CREATED      CREATED BY                                      SIZE      COMMENT\n" +
		"6fd955f66c23   3 days ago   RUN echo hi                                     120B      buildkit.dockerfile.v0\n" +
		"<missing>      3 days ago   /bin/sh -c #(nop)  CMD [\"sh\"]                   0B        \n" +
		"<missing>      3 days ago   /bin/sh -c #(nop) ADD file:0123456789abcdef0…   4.26MB    \n"
	assert.Equal(t, want, renderHistory(t, HistoryOptions{Human: true}))
}

func TestHistoryFlags(t *testing.T) {
	tests := []struct {
		name string
		o    HistoryOptions
		want string
	}{
		{"quiet", HistoryOptions{Quiet: true, Human: true}, "6fd955f66c23\n<missing>\n<missing>\n"},
		{"quiet no-trunc", HistoryOptions{Quiet: true, NoTrunc: true}, "sha256:" + busyboxID + "\n<missing>\n<missing>\n"},
		{"template", HistoryOptions{Format: "{{.Size}}|{{.CreatedBy}}", Human: true},
			"120B|RUN echo hi\n0B|/bin/sh -c #(nop)  CMD [\"sh\"]\n4.26MB|/bin/sh -c #(nop) ADD file:0123456789abcdef0…\n"},
		{"not human", HistoryOptions{Format: "{{.Size}} {{.CreatedSince}}"},
			"120 2025-05-29T12:00:00Z\n0 2025-05-29T12:00:00Z\n4261550 2025-05-29T12:00:00Z\n"},
		{"no-trunc keeps the whole command", HistoryOptions{Format: "{{.CreatedBy}}", NoTrunc: true, Human: true},
			"RUN echo hi\n/bin/sh -c #(nop)  CMD [\"sh\"]\n/bin/sh -c #(nop) ADD file:0123456789abcdef0123456789abcdef in / \n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, renderHistory(t, tt.o))
		})
	}
}

func TestHistoryWithoutRecordedStepsHasOnePerLayer(t *testing.T) {
	created := now.Add(-time.Hour)
	got := historyEntries(busyboxID, &rawConfig{Created: &created}, []int64{10, 20})
	require.Len(t, got, 2)
	assert.Equal(t, HistoryEntry{ID: busyboxID, Created: created, Size: 20}, got[0])
	assert.Equal(t, HistoryEntry{Created: created, Size: 10}, got[1])
}
