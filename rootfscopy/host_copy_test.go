package rootfscopy

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/urun/urun/idmap"
)

func TestArchiveMapsHostIDsBackToTheContainers(t *testing.T) {
	m := idmap.Build(1000, 1000, []idmap.Range{{Start: 100000, Count: 65536}}, nil)
	tests := []struct {
		host uint32
		want uint32
		ok   bool
	}{
		{1000, 0, true},
		{100000, 1, true},
		{100999, 1000, true},
		{165535, 65536, true},
		{165536, 0, false},
		{0, 0, false},
	}
	for _, tt := range tests {
		got, ok := fromHost(m.UIDs, tt.host)
		assert.Equal(t, tt.ok, ok, "host uid %d", tt.host)
		assert.Equal(t, tt.want, got, "host uid %d", tt.host)
	}
}
