package containers

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestALayerIsHeldExactlyWhileItsUrunHoldsIt(t *testing.T) {
	layer := t.TempDir()
	assert.False(t, LayerHeld(layer), "nobody holds a new layer")

	held := HoldLayer(layer)
	require.NotNil(t, held)
	assert.True(t, LayerHeld(layer))
	assert.True(t, LayerHeld(layer), "looking twice does not take the lock")

	held.Close() // its urun ended
	assert.False(t, LayerHeld(layer))
	assert.False(t, LayerHeld(layer+"/missing"), "a layer that is gone is not held")
	assert.Nil(t, HoldLayer(layer+"/missing"))
}
