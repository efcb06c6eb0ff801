package containers

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/urun/urun/config"
)

func TestAContainersLabelsAreThoseItsRecordKeeps(t *testing.T) {
	src := NewLabelSource(&config.Config{GraphRoot: t.TempDir()})
	c := Container{State: State{ImageID: "gone", Labels: map[string]string{"tier": "web"}}}
	assert.Equal(t, map[string]string{"tier": "web"}, src.Of(c))
	assert.Nil(t, src.Of(Container{State: State{ImageID: "gone"}}), "an older record's image is no longer stored")

	f, err := ParseFilters([]string{"label=tier=web"})
	assert.NoError(t, err)
	assert.True(t, f.Match(c, src))
	assert.True(t, f.Match(c, nil), "the record's labels need no image store")
}
