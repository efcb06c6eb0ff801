package inside

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// As Docker: the primary group comes first, then the user's groups, then
// --group-add's gids (names need the container's /etc/group).
func TestSupplementaryGroupsStartWithThePrimaryOne(t *testing.T) {
	tests := []struct {
		name     string
		user     ExecUser
		groupAdd []string
		want     []uint32
	}{
		{"root with no groups", ExecUser{}, nil, []uint32{0}},
		{"user with groups", ExecUser{UID: 1000, GID: 1000, Groups: []uint32{10, 50}}, nil, []uint32{1000, 10, 50}},
		{"group-add by gid", ExecUser{GID: 0, Groups: []uint32{10}}, []string{"42", "10"}, []uint32{0, 10, 42}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := supplementaryGroups(tt.user, tt.groupAdd)
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestGroupAddRoundTripsThroughTheAnnotation(t *testing.T) {
	assert.Nil(t, groupAddOf(nil))
	assert.Equal(t, []string{"wheel", "42"}, groupAddOf(map[string]string{"run.urun.group-add": "wheel,42"}))
}
