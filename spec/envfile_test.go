package spec

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func writeEnvFile(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "app.env")
	require.NoError(t, os.WriteFile(path, []byte(content), 0o600))
	return path
}

func TestEnvFileEntries(t *testing.T) {
	tests := []struct {
		name, content string
		want          []string
	}{
		{"KEY=VALUE lines", "A=1\nB=two words\n", []string{"A=1", "B=two words"}},
		{"comments and blank lines are skipped", "# settings\n\n   \n\t# indented comment\nA=1\n", []string{"A=1"}},
		{"KEY alone is kept for the caller's value", "HOME\nA=1\n", []string{"HOME", "A=1"}},
		{"leading spaces are dropped", "  \tA=1\n", []string{"A=1"}},
		{"trailing spaces belong to the value", "A=1  \n", []string{"A=1  "}},
		{"value with '='", "URL=http://x/?a=b\n", []string{"URL=http://x/?a=b"}},
		{"empty value", "EMPTY=\n", []string{"EMPTY="}},
		{"a '#' inside a value is no comment", "COLOR=#fff\n", []string{"COLOR=#fff"}},
		{"no final newline", "A=1", []string{"A=1"}},
		{"empty file", "", nil},
		{"only comments", "# nothing\n", nil},
		{"a UTF-8 byte order mark at the start is dropped", "\xEF\xBB\xBFA=1\n", []string{"A=1"}},
		{"Windows line ends", "A=1\r\nB=2\r\n", []string{"A=1", "B=2"}},
		{"quotes are part of the value", "A=\"quoted\"\nB='single'\n", []string{`A="quoted"`, "B='single'"}},
		{"nothing is expanded", "A=$HOME\nB=${USER}\n", []string{"A=$HOME", "B=${USER}"}},
		{"leading whitespace of any kind is dropped", "\v\f A=1\n", []string{"A=1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ReadEnvFile(writeEnvFile(t, tt.content))
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestMalformedEnvFileLineIsAnError(t *testing.T) {
	tests := []struct {
		name, content, wantErr string
	}{
		{"space in the key", "A=1\nMY KEY=value\n", `line 2: variable 'MY KEY' contains whitespaces`},
		{"space after a key alone", "KEY \n", `variable 'KEY ' contains whitespaces`},
		{"not UTF-8", "A=\xff\xfe\n", "line 1: not UTF-8"},
		{"space before '='", "KEY =value\n", "line 1"},
		{"tab in a key alone", "MY\tKEY\n", "line 1"},
		{"no key", "# x\n=value\n", `line 2: no variable name in "=value"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeEnvFile(t, tt.content)
			_, err := ReadEnvFile(path)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.wantErr)
			assert.Contains(t, err.Error(), path)
		})
	}
}

func TestMissingEnvFileIsAnError(t *testing.T) {
	_, err := ReadEnvFile(filepath.Join(t.TempDir(), "missing.env"))
	require.Error(t, err)
	assert.ErrorIs(t, err, os.ErrNotExist)
	assert.Contains(t, err.Error(), "--env-file")
}
