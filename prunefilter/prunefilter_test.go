package prunefilter

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPruneFiltersKeepWhatTheyName(t *testing.T) {
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	old, recent := now.Add(-48*time.Hour), now.Add(-time.Minute)
	labels := map[string]string{"env": "prod", "team": "web"}
	for _, c := range []struct {
		filters []string
		created time.Time
		want    bool
	}{
		{nil, recent, true},
		{[]string{"label=env"}, recent, true},
		{[]string{"label=env=prod"}, recent, true},
		{[]string{"label=env=dev"}, recent, false},
		{[]string{"label!=env=prod"}, recent, false},
		{[]string{"label!=other"}, recent, true},
		{[]string{"until=24h"}, old, true},
		{[]string{"until=24h"}, recent, false},
		{[]string{"label=team", "until=24h"}, old, true},
	} {
		f, err := Parse(c.filters, now)
		require.NoError(t, err, c.filters)
		assert.Equal(t, c.want, f.Match(labels, c.created), "%v on a container made %v", c.filters, c.created)
		assert.Equal(t, len(c.filters) == 0, f.IsZero())
	}
}

func TestBadPruneFiltersNameWhatIsTaken(t *testing.T) {
	for value, says := range map[string]string{
		"color=red":   "prune takes label, label! and until",
		"until=later": "want a duration such as 24h",
		"label":       "want label=KEY[=VALUE]",
	} {
		_, err := Parse([]string{value}, time.Now())
		require.Error(t, err, value)
		assert.Contains(t, err.Error(), says)
	}
}
