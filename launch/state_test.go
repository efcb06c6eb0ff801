package launch

import (
	"regexp"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestContainerIDsAreLongRandomHex(t *testing.T) {
	hex64 := regexp.MustCompile(`^[0-9a-f]{64}$`)
	seen := map[string]bool{}
	for range 20 {
		id, err := newID()
		require.NoError(t, err)
		assert.Regexp(t, hex64, id)
		assert.False(t, seen[id], "id %s repeated", id)
		seen[id] = true
	}
}
