//go:build containers_image_openpgp && exclude_graphdriver_btrfs

package build

import (
	"bytes"
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/linter"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
	"github.com/moby/buildkit/frontend/dockerfile/shell"
)

// dockerfile is a parsed Dockerfile: its stages with their typed
// instructions (BuildKit's parser and instructions), the ARGs before the
// first FROM, and its escape character.
type dockerfile struct {
	name     string
	stages   []instructions.Stage
	metaArgs []instructions.ArgCommand
	lex      *shell.Lex
	// syntax is a "# syntax=" directive, which urun ignores.
	syntax string
}

// parseDockerfile parses content; an error names the file and the line.
func parseDockerfile(name string, content []byte) (*dockerfile, error) {
	res, err := parser.Parse(bytes.NewReader(content))
	if err != nil {
		return nil, locate(name, err)
	}
	stages, metaArgs, err := instructions.Parse(res.AST, &linter.Linter{})
	if err != nil {
		return nil, locate(name, err)
	}
	if len(stages) == 0 {
		return nil, fmt.Errorf("%s: the file has no FROM instruction: a Dockerfile starts with FROM IMAGE (or ARGs and then FROM)", name)
	}
	df := &dockerfile{name: name, stages: stages, metaArgs: metaArgs, lex: shell.NewLex(res.EscapeToken)}
	if syntax, _, _, ok := parser.DetectSyntax(content); ok {
		df.syntax = syntax
	}
	return df, nil
}

// lineError is an error in a Dockerfile at a line.
type lineError struct {
	file string
	line int
	err  error
}

func (e *lineError) Error() string {
	if e.line <= 0 {
		return fmt.Sprintf("%s: %v", e.file, e.err)
	}
	return fmt.Sprintf("%s:%d: %v", e.file, e.line, e.err)
}

func (e *lineError) Unwrap() error { return e.err }

// locate names the line BuildKit's error points at.
func locate(file string, err error) error {
	var loc *parser.LocationError
	line := 0
	if errors.As(err, &loc) && len(loc.Locations) > 0 && len(loc.Locations[0]) > 0 {
		line = loc.Locations[0][0].Start.Line
	}
	msg := err.Error()
	// BuildKit says where once more in its own words.
	if i := strings.Index(msg, "dockerfile parse error on line "); i >= 0 {
		rest := msg[i+len("dockerfile parse error on line "):]
		if n, tail, ok := strings.Cut(rest, ": "); ok {
			if l, convErr := strconv.Atoi(n); convErr == nil {
				if line == 0 {
					line = l
				}
				msg = tail
			}
		}
	}
	return &lineError{file: file, line: line, err: errors.New(msg)}
}

// lineOf is the first line of a command in the Dockerfile.
func lineOf(c instructions.Command) int {
	if loc := c.Location(); len(loc) > 0 {
		return loc[0].Start.Line
	}
	return 0
}

// platformArgs are the ARGs every build defines (Docker's automatic
// platform ARGs); urun builds for the host only, so target and build
// platform are one.
func platformArgs() map[string]string {
	os, arch, variant := "linux", runtime.GOARCH, ""
	if arch == "arm" {
		variant = "v7"
	}
	platform := os + "/" + arch
	if variant != "" {
		platform += "/" + variant
	}
	m := map[string]string{}
	for _, prefix := range []string{"TARGET", "BUILD"} {
		m[prefix+"PLATFORM"] = platform
		m[prefix+"OS"] = os
		m[prefix+"ARCH"] = arch
		m[prefix+"VARIANT"] = variant
	}
	return m
}

// proxyArgs may be given with --build-arg without an ARG line, and are
// kept out of the image's history (Docker's predefined ARGs).
var proxyArgs = map[string]bool{
	"HTTP_PROXY": true, "http_proxy": true, "HTTPS_PROXY": true, "https_proxy": true,
	"FTP_PROXY": true, "ftp_proxy": true, "NO_PROXY": true, "no_proxy": true,
	"ALL_PROXY": true, "all_proxy": true,
}

// stageIndex finds the stage name refers to among the first n stages: by
// its AS name (case-insensitively) or by its number.
func (df *dockerfile) stageIndex(name string, n int) (int, bool) {
	for i := 0; i < n && i < len(df.stages); i++ {
		if df.stages[i].Name != "" && strings.EqualFold(df.stages[i].Name, name) {
			return i, true
		}
	}
	if i, err := strconv.Atoi(name); err == nil && i >= 0 && i < n {
		return i, true
	}
	return 0, false
}
