package spec

import (
	"bufio"
	"fmt"
	"os"
	"strings"
)

// ReadEnvFile reads a --env-file: one KEY=VALUE or KEY per line, blank
// lines and lines starting with # skipped, as Docker does.
func ReadEnvFile(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("--env-file %q: %w", path, err)
	}
	defer f.Close()
	var env []string
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimLeft(sc.Text(), " \t")
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		key, _, _ := strings.Cut(line, "=")
		if key == "" || strings.ContainsAny(key, " \t") {
			return nil, fmt.Errorf("--env-file %q line %d: %q is not KEY=VALUE", path, n, line)
		}
		env = append(env, line)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("--env-file %q: %w", path, err)
	}
	return env, nil
}
