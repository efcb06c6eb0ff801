package imagedoc

import (
	"bytes"
	"encoding/json"
	"io"
)

// Template is a parsed Go template (containers.Format has one).
type Template interface {
	ExecuteOne(w io.Writer, data any) error
	// ExecuteRaw fails on a key the maps lack.
	ExecuteRaw(w io.Writer, data any) error
}

// Render applies the template to the document d and, when that fails (a
// key such as .Id that is not the Go field's name), to d's JSON decoded
// as maps, as Docker does: there a key the document lacks is an error.
func Render(t Template, d any) ([]byte, error) {
	var buf bytes.Buffer
	err := t.ExecuteOne(&buf, d)
	if err == nil {
		return buf.Bytes(), nil
	}
	data, jerr := json.Marshal(d)
	if jerr != nil {
		return nil, jerr
	}
	var raw map[string]any
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if jerr := dec.Decode(&raw); jerr != nil {
		return nil, jerr
	}
	buf.Reset()
	if rerr := t.ExecuteRaw(&buf, raw); rerr != nil {
		// Docker's error: that of the document's JSON, which names the
		// key it lacks.
		return nil, rerr
	}
	return buf.Bytes(), nil
}

// WriteJSON writes docs as an indented JSON array, as `docker inspect`.
func WriteJSON(w io.Writer, docs []any) error {
	data, err := json.MarshalIndent(docs, "", "    ")
	if err != nil {
		return err
	}
	_, err = w.Write(append(data, '\n'))
	return err
}
