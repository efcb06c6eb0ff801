package spec

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"strings"
	"unicode"
	"unicode/utf8"
)

// ReadEnvFile reads a --env-file by Docker's rules (see ReadKeyValueFile).
// A KEY alone stays so, to take the caller's value (see MergeEnv).
func ReadEnvFile(path string) ([]string, error) {
	return ReadKeyValueFile("--env-file", path)
}

// utf8BOM is the byte order mark some Windows editors put first.
var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// ReadKeyValueFile reads a file of KEY=VALUE or KEY lines, as Docker reads
// --env-file and --label-file: a UTF-8 byte order mark at the start and
// the whitespace that begins a line are dropped, blank lines and lines
// starting with # skipped, a CR before the newline dropped; the value is
// taken literally (no quotes removed, nothing expanded). A key with a
// space or tab in it is an error, and so is text that is not UTF-8. flag
// names the option in messages.
func ReadKeyValueFile(flag, path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("%s %q: %w", flag, path, err)
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		text := sc.Bytes()
		if n == 1 {
			text = bytes.TrimPrefix(text, utf8BOM)
		}
		if !utf8.Valid(text) {
			return nil, fmt.Errorf("%s %q line %d: not UTF-8 text", flag, path, n)
		}
		line := strings.TrimLeftFunc(string(text), unicode.IsSpace)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		key, _, _ := strings.Cut(line, "=")
		if key == "" {
			return nil, fmt.Errorf("%s %q line %d: no variable name in %q: want KEY=VALUE", flag, path, n, line)
		}
		if strings.ContainsAny(key, " \t") {
			return nil, fmt.Errorf("%s %q line %d: variable '%s' contains whitespaces: want KEY=VALUE with no space in KEY", flag, path, n, key)
		}
		lines = append(lines, line)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s %q: %w", flag, path, err)
	}
	return lines, nil
}
