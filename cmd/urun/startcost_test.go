package main

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// urun starts itself several times for one `urun run` (the host command,
// its stages) and urun-init once, and each start runs every linked package's initialisers.
// A regular expression compiled at package level costs each of them tens
// to hundreds of microseconds: urun's own packages compile theirs on
// first use (sync.OnceValue).
func TestStartingUrunCompilesNoRegularExpression(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "-f", "{{if .Module}}{{if .Module.Main}}{{.Dir}}{{end}}{{end}}", ".", "../urun-init").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	dirs := slices.Compact(slices.Sorted(slices.Values(strings.Fields(string(out)))))
	if len(dirs) < 10 {
		t.Fatalf("go list found only %d of urun's packages linked into urun and urun-init: %q", len(dirs), dirs)
	}
	fset := token.NewFileSet()
	for _, dir := range dirs {
		files, _ := filepath.Glob(filepath.Join(dir, "*.go"))
		for _, file := range files {
			if strings.HasSuffix(file, "_test.go") {
				continue
			}
			f, err := parser.ParseFile(fset, file, nil, parser.SkipObjectResolution)
			if err != nil {
				t.Fatal(err)
			}
			for _, decl := range f.Decls {
				gen, ok := decl.(*ast.GenDecl)
				if !ok || gen.Tok != token.VAR {
					continue
				}
				for _, spec := range gen.Specs {
					for _, value := range spec.(*ast.ValueSpec).Values {
						if compilesRegexp(value) {
							t.Errorf("%s: a regular expression compiled at start; compile it on first use (sync.OnceValue)", fset.Position(value.Pos()))
						}
					}
				}
			}
		}
	}
}

// compilesRegexp tells whether e is a call of regexp.MustCompile or
// regexp.MustCompilePOSIX.
func compilesRegexp(e ast.Expr) bool {
	call, ok := e.(*ast.CallExpr)
	if !ok {
		return false
	}
	sel, ok := call.Fun.(*ast.SelectorExpr)
	if !ok {
		return false
	}
	pkg, ok := sel.X.(*ast.Ident)
	return ok && pkg.Name == "regexp" && strings.HasPrefix(sel.Sel.Name, "MustCompile")
}
