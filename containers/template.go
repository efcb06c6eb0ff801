package containers

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"text/template"
	"unicode"
)

// templateFuncs are the functions Docker's --format templates have.
var templateFuncs = template.FuncMap{
	"json": func(v any) (string, error) {
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(v); err != nil {
			return "", err
		}
		return strings.TrimSpace(buf.String()), nil
	},
	"split": strings.Split,
	"join":  strings.Join,
	"lower": strings.ToLower,
	"upper": strings.ToUpper,
	"title": func(s string) string {
		r := []rune(s)
		if len(r) > 0 {
			r[0] = unicode.ToUpper(r[0])
		}
		return string(r)
	},
	"pad": func(s string, before, after int) string {
		return strings.Repeat(" ", before) + s + strings.Repeat(" ", after)
	},
	"truncate": func(s string, n int) string {
		if r := []rune(s); len(r) > n {
			return string(r[:n])
		}
		return s
	},
}

// Format is a parsed --format: a Go template, with Docker's "table"
// prefix (a header row, columns aligned) and its \t and \n escapes.
type Format struct {
	tmpl *template.Template
	// strict is tmpl failing on a missing map key, for data decoded from
	// JSON (see ExecuteRaw).
	strict *template.Template
	text   string
	table  bool
}

// ParseFormat parses a --format template as Docker does.
func ParseFormat(text string) (*Format, error) {
	f := &Format{}
	if rest, ok := strings.CutPrefix(text, "table"); ok {
		f.table, text = true, rest
	}
	text = strings.NewReplacer(`\t`, "\t", `\n`, "\n").Replace(strings.Trim(text, " "))
	tmpl, err := template.New("format").Funcs(templateFuncs).Parse(text)
	if err != nil {
		return nil, fmt.Errorf("--format %q is not a valid Go template: %w", text, err)
	}
	f.tmpl, f.text = tmpl, text
	if f.strict, err = tmpl.Clone(); err != nil {
		return nil, fmt.Errorf("--format %q: %w", text, err)
	}
	f.strict.Option("missingkey=error")
	return f, nil
}

// Table reports whether the format asked for a table.
func (f *Format) Table() bool { return f.table }

// Execute writes the template applied to each row, one line each. For a
// table, header is the data of the header row (field name to column
// title) and the columns are aligned.
func (f *Format) Execute(w io.Writer, header map[string]string, rows []any) error {
	out := w
	var tw *tabwriter.Writer
	if f.table {
		tw = tabwriter.NewWriter(w, 10, 1, 3, ' ', 0)
		out = tw
		if err := f.line(out, header); err != nil {
			return err
		}
	}
	for _, row := range rows {
		if err := f.line(out, row); err != nil {
			return err
		}
	}
	if tw != nil {
		return tw.Flush()
	}
	return nil
}

// line writes one row: the template's output and a newline.
func (f *Format) line(w io.Writer, data any) error {
	var buf bytes.Buffer
	if err := f.tmpl.Execute(&buf, data); err != nil {
		return fmt.Errorf("format: %w", err)
	}
	buf.WriteByte('\n')
	_, err := w.Write(buf.Bytes())
	return err
}

// ExecuteOne applies the template to data, without a newline.
func (f *Format) ExecuteOne(w io.Writer, data any) error {
	return f.tmpl.Execute(w, data)
}

// ExecuteRaw applies the template to a document decoded from JSON into
// maps: a key the document lacks (a misspelt field) is an error naming
// it, as Docker's inspect says "map has no entry for key", where a plain
// map lookup would print nothing.
func (f *Format) ExecuteRaw(w io.Writer, data any) error {
	if err := f.strict.Execute(w, data); err != nil {
		return fmt.Errorf("--format %q: %w", f.text, err)
	}
	return nil
}
