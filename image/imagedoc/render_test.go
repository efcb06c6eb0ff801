package imagedoc

import (
	"bytes"
	"io"
	"testing"
	"text/template"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type tmpl struct{ t *template.Template }

func (x tmpl) ExecuteOne(w io.Writer, data any) error { return x.t.Execute(w, data) }
func (x tmpl) ExecuteRaw(w io.Writer, data any) error {
	return template.Must(x.t.Clone()).Option("missingkey=error").Execute(w, data)
}

func TestImageTemplatesTakeDockersGoAndJSONNames(t *testing.T) {
	doc := &Image{ID: "sha256:abc", RepoTags: []string{"docker.io/library/busybox:latest"}, Size: 4261550,
		Config: Config{Env: []string{"PATH=/bin"}}, RootFS: RootFS{Type: "layers", Layers: []string{"sha256:d1"}}}
	tests := []struct{ text, want string }{
		{"{{.ID}}", "sha256:abc"},
		{"{{.Id}}", "sha256:abc"},
		{"{{.Size}}", "4261550"},
		{"{{index .RepoTags 0}}", "docker.io/library/busybox:latest"},
		{"{{.Config.Env}}", "[PATH=/bin]"},
		{"{{.RootFS.Type}} {{len .RootFS.Layers}}", "layers 1"},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			got, err := Render(tmpl{template.Must(template.New("").Parse(tt.text))}, doc)
			require.NoError(t, err)
			assert.Equal(t, tt.want, string(got))
		})
	}
}

func TestAKeyTheImageLacksIsAnError(t *testing.T) {
	for _, text := range []string{"{{.Nope}}", "{{.X.Y.Z}}", "{{.Config.Nope}}"} {
		t.Run(text, func(t *testing.T) {
			_, err := Render(tmpl{template.Must(template.New("").Parse(text))}, &Image{ID: "sha256:abc"})
			require.Error(t, err)
			assert.Contains(t, err.Error(), "map has no entry for key")
		})
	}
}

func TestImageJSONHasDockersKeys(t *testing.T) {
	var buf bytes.Buffer
	require.NoError(t, WriteJSON(&buf, []any{&Image{ID: "sha256:abc"}}))
	for _, key := range []string{`"Id": "sha256:abc"`, `"RepoTags"`, `"RootFS"`, `"Metadata"`, `"Hostname"`, `"OnBuild"`} {
		assert.Contains(t, buf.String(), key)
	}
	assert.NotContains(t, buf.String(), `"Variant"`, "empty when the image has none, as Docker omits it")
}
