//go:build containers_image_openpgp && exclude_graphdriver_btrfs

package image

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/urun/urun/image/request"
)

func TestAllTagsTakeARepositoryWithoutATag(t *testing.T) {
	for _, tc := range []struct {
		typed, want, wantErr string
	}{
		{typed: "busybox", want: "docker.io/library/busybox"},
		{typed: "localhost:5000/team/app", want: "localhost:5000/team/app"},
		{typed: "busybox:1.36", wantErr: "tag can't be used with --all-tags/-a"},
		{typed: "busybox@sha256:" + "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", wantErr: "tag can't be used with --all-tags/-a"},
		{typed: "Not A Name", wantErr: "invalid reference format"},
	} {
		t.Run(tc.typed, func(t *testing.T) {
			named, err := Repository(tc.typed)
			if tc.wantErr != "" {
				assert.ErrorContains(t, err, tc.wantErr)
				return
			}
			assert.NoError(t, err)
			assert.Equal(t, tc.want, named.Name())
		})
	}
}

func TestSearchFiltersKeepWhatMatches(t *testing.T) {
	yes, no := true, false
	for _, tc := range []struct {
		name                string
		f                   request.SearchFilters
		stars               int
		official, automated bool
		keep                bool
	}{
		{"no filter keeps a result without stars", request.SearchFilters{}, 0, false, false, true},
		{"enough stars", request.SearchFilters{MinStars: 5}, 5, false, false, true},
		{"too few stars", request.SearchFilters{MinStars: 5}, 4, true, false, false},
		{"official wanted and official", request.SearchFilters{Official: &yes}, 0, true, false, true},
		{"official wanted, not official", request.SearchFilters{Official: &yes}, 100, false, false, false},
		{"unofficial wanted, official", request.SearchFilters{Official: &no}, 0, true, false, false},
		{"not automated wanted, automated", request.SearchFilters{Automated: &no}, 0, false, true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.keep, keepSearchResult(tc.f, tc.stars, tc.official, tc.automated))
		})
	}
}
