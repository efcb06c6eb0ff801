//go:build containers_image_openpgp && exclude_graphdriver_btrfs

package image

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var now = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

const (
	alpineID  = "1d34ffeaf190be23d3de5a8de0a436676b758f48f835c3a2d4768b798c15a7f1"
	busyboxID = "6fd955f66c231c1a946653170d096a28ac2b2052a02080c0b84ec082a07f7d12"
	danglyID  = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
)

func sampleList() []Summary {
	return []Summary{
		{ID: busyboxID, Names: []string{"docker.io/library/busybox:latest"}, Created: now.Add(-2 * time.Hour), Size: 4_261_550, Digest: "sha256:feed"},
		{ID: alpineID, Names: []string{"docker.io/library/alpine:3.20", "docker.io/library/alpine:latest"}, Created: now.Add(-3 * 24 * time.Hour), Size: 7_800_000},
		{ID: danglyID, Created: now.Add(-400 * 24 * time.Hour), Size: 1234},
	}
}

func render(t *testing.T, list []Summary, opts ListOptions) string {
	t.Helper()
	var buf bytes.Buffer
	require.NoError(t, WriteList(&buf, list, opts, now))
	return buf.String()
}

func TestImagesShowsATableLikeDocker(t *testing.T) {
	got := render(t, sampleList(), ListOptions{})
	want := "" +
		"REPOSITORY   TAG       IMAGE ID       CREATED         SIZE\n" +
		"busybox      latest    6fd955f66c23   2 hours ago     4.26MB\n" +
		"alpine       3.20      1d34ffeaf190   3 days ago      7.8MB\n" +
		"alpine       latest    1d34ffeaf190   3 days ago      7.8MB\n" +
		"<none>       <none>    0123456789ab   13 months ago   1.23kB\n"
	assert.Equal(t, want, got)
}

func TestImagesQuietPrintsEachIDOnce(t *testing.T) {
	tests := []struct {
		name string
		opts ListOptions
		want string
	}{
		{"short ids", ListOptions{Quiet: true}, "6fd955f66c23\n1d34ffeaf190\n0123456789ab\n"},
		{"full ids", ListOptions{Quiet: true, NoTrunc: true}, "sha256:" + busyboxID + "\nsha256:" + alpineID + "\nsha256:" + danglyID + "\n"},
		{"empty store", ListOptions{Quiet: true}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			list := sampleList()
			if tt.name == "empty store" {
				list = nil
			}
			assert.Equal(t, tt.want, render(t, list, tt.opts))
		})
	}
}

func TestImagesNoTruncShowsFullIDs(t *testing.T) {
	got := render(t, sampleList()[:1], ListOptions{NoTrunc: true})
	assert.Contains(t, got, "sha256:"+busyboxID)
}

func TestImagesOnAnEmptyStorePrintsTheHeader(t *testing.T) {
	assert.Equal(t, "REPOSITORY   TAG       IMAGE ID   CREATED   SIZE\n", render(t, nil, ListOptions{}))
}

func TestImagesFormatJSONIsOneObjectPerRowWithDockersKeys(t *testing.T) {
	out := render(t, sampleList(), ListOptions{Format: "json"})
	var got []map[string]string
	for _, line := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		var row map[string]string
		require.NoError(t, json.Unmarshal([]byte(line), &row), "one JSON object a line: %q", out)
		got = append(got, row)
	}
	require.Len(t, got, 4, "a row per repository and tag, as the table's")
	assert.Equal(t, map[string]string{
		"Containers": "N/A", "CreatedAt": time.Unix(now.Add(-2*time.Hour).Unix(), 0).String(), "CreatedSince": "2 hours ago",
		"Digest": "sha256:feed", "ID": busyboxID[:12], "Repository": "busybox", "SharedSize": "N/A",
		"Size": "4.26MB", "Tag": "latest", "UniqueSize": "N/A", "VirtualSize": "4.26MB",
	}, got[0])
	assert.Equal(t, "<none>", got[3]["Repository"], "an image without names")
}

func TestImagesFormatJSONOfAnEmptyStoreIsNothing(t *testing.T) {
	assert.Equal(t, "", render(t, nil, ListOptions{Format: "json"}))
}

func TestImagesFormatTemplates(t *testing.T) {
	tests := []struct {
		name string
		opts ListOptions
		want string
	}{
		{"one field per row", ListOptions{Format: "{{.Repository}}:{{.Tag}}"},
			"busybox:latest\nalpine:3.20\nalpine:latest\n<none>:<none>\n"},
		{"ids and sizes", ListOptions{Format: "{{.ID}} {{.Size}} {{.CreatedSince}}"},
			"6fd955f66c23 4.26MB 2 hours ago\n1d34ffeaf190 7.8MB 3 days ago\n1d34ffeaf190 7.8MB 3 days ago\n0123456789ab 1.23kB 13 months ago\n"},
		{"full ids", ListOptions{Format: "{{.ID}}", NoTrunc: true},
			"sha256:" + busyboxID + "\nsha256:" + alpineID + "\nsha256:" + alpineID + "\nsha256:" + danglyID + "\n"},
		{"digest", ListOptions{Format: "{{.Digest}}"}, "sha256:feed\n<none>\n<none>\n<none>\n"},
		{"table with header", ListOptions{Format: "table {{.Repository}}\\t{{.Size}}"},
			"REPOSITORY   SIZE\nbusybox      4.26MB\nalpine       7.8MB\nalpine       7.8MB\n<none>       1.23kB\n"},
		{"json function", ListOptions{Format: "{{json .Tag}}"}, "\"latest\"\n\"3.20\"\n\"latest\"\n\"<none>\"\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, render(t, sampleList(), tt.opts))
		})
	}
}

func TestImagesDigestsAddsADigestColumn(t *testing.T) {
	got := render(t, sampleList()[:1], ListOptions{Digests: true})
	want := "" +
		"REPOSITORY   TAG       DIGEST        IMAGE ID       CREATED       SIZE\n" +
		"busybox      latest    sha256:feed   6fd955f66c23   2 hours ago   4.26MB\n"
	assert.Equal(t, want, got)
}

func TestImagesCreatedAtIsDockersTime(t *testing.T) {
	got := render(t, sampleList()[:1], ListOptions{Format: "{{.CreatedAt}}"})
	assert.Equal(t, time.Unix(now.Add(-2*time.Hour).Unix(), 0).String()+"\n", got)
}

func TestImagesRejectsBadTemplates(t *testing.T) {
	for _, f := range []string{"{{.ID", "{{nosuchfunc .ID}}"} {
		err := ValidateListFormat(f)
		require.Error(t, err, f)
		assert.Contains(t, err.Error(), "not a valid Go template")
	}
	assert.NoError(t, ValidateListFormat("json"))
	assert.NoError(t, ValidateListFormat("table"))
}

func TestRepoTagsSplitsNamesIntoRows(t *testing.T) {
	tests := []struct {
		name  string
		names []string
		want  [][2]string
	}{
		{"registry with port", []string{"localhost:5000/a/b:tag"}, [][2]string{{"localhost:5000/a/b", "tag"}}},
		{"pulled by digest only", []string{"docker.io/library/alpine@sha256:abc"}, [][2]string{{"docker.io/library/alpine", "<none>"}}},
		{"digest beside a tag adds no row", []string{"docker.io/library/alpine:latest", "docker.io/library/alpine@sha256:abc"}, [][2]string{{"docker.io/library/alpine", "latest"}}},
		{"no names", nil, [][2]string{{"<none>", "<none>"}}},
		{"name without tag", []string{"localhost:5000/x"}, [][2]string{{"localhost:5000/x", "<none>"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, repoTags(tt.names))
		})
	}
}

func TestCreatedAndSizeColumns(t *testing.T) {
	tests := []struct {
		name string
		got  string
		want string
	}{
		{"seconds", created(now.Add(-30*time.Second), now), "30 seconds ago"},
		{"hours", created(now.Add(-2*time.Hour), now), "2 hours ago"},
		{"weeks", created(now.Add(-15*24*time.Hour), now), "2 weeks ago"},
		{"years", created(now.Add(-3*365*24*time.Hour), now), "3 years ago"},
		{"clock skew", created(now.Add(time.Hour), now), "Less than a second ago"},
		{"unknown time", created(time.Time{}, now), "N/A"},
		{"bytes", size(512), "512B"},
		{"megabytes", size(4_261_550), "4.26MB"},
		{"unknown size", size(-1), "N/A"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, tt.got)
		})
	}
}

func TestImagesListsNewestFirst(t *testing.T) {
	list := sampleList()
	list[0], list[2] = list[2], list[0]
	SortNewestFirst(list)
	var ids []string
	for _, s := range list {
		ids = append(ids, s.ID[:4])
	}
	assert.Equal(t, "6fd9 1d34 0123", strings.Join(ids, " "))
}
