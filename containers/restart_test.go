package containers

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseRestartPolicy(t *testing.T) {
	tests := []struct {
		in      string
		want    RestartPolicy
		wantErr string
	}{
		{"", RestartPolicy{Name: RestartNo}, ""},
		{"no", RestartPolicy{Name: RestartNo}, ""},
		{"always", RestartPolicy{Name: RestartAlways}, ""},
		{"unless-stopped", RestartPolicy{Name: RestartUnlessStopped}, ""},
		{"on-failure", RestartPolicy{Name: RestartOnFailure}, ""},
		{"on-failure:3", RestartPolicy{Name: RestartOnFailure, MaxRetries: 3}, ""},
		{"on-failure:-1", RestartPolicy{}, "whole number"},
		{"on-failure:x", RestartPolicy{}, "whole number"},
		{"always:3", RestartPolicy{}, "only on-failure"},
		{"sometimes", RestartPolicy{}, "want no, on-failure"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseRestartPolicy(tt.in)
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestRestartPolicyDecidesWhetherAContainerComesBack(t *testing.T) {
	tests := []struct {
		name     string
		policy   string
		code     int
		restarts int
		stopped  bool
		want     bool
	}{
		{"no", "no", 1, 0, false, false},
		{"on-failure after a failure", "on-failure", 1, 5, false, true},
		{"on-failure after success", "on-failure", 0, 0, false, false},
		{"on-failure:3 with retries left", "on-failure:3", 1, 2, false, true},
		{"on-failure:3 used up", "on-failure:3", 1, 3, false, false},
		{"always after success", "always", 0, 10, false, true},
		{"unless-stopped after a failure", "unless-stopped", 2, 0, false, true},
		{"always after urun stop", "always", 137, 0, true, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := ParseRestartPolicy(tt.policy)
			require.NoError(t, err)
			assert.Equal(t, tt.want, p.Restarts(tt.code, tt.restarts, tt.stopped))
		})
	}
}
