package inside

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/urun/urun/exitcode"
)

// commandTree makes a temporary directory with:
//
//	bin/tool       executable
//	bin/data       not executable
//	bin/subdir/    a directory
//	sbin/data      executable (shadowed by bin/data in PATH order)
//	sbin/only      executable
func commandTree(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	for _, f := range []struct {
		path string
		mode os.FileMode
	}{
		{"bin/tool", 0o755},
		{"bin/data", 0o644},
		{"sbin/data", 0o755},
		{"sbin/only", 0o700},
	} {
		p := filepath.Join(dir, f.path)
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte("#!/bin/sh\n"), f.mode))
		require.NoError(t, os.Chmod(p, f.mode)) // umask-proof
	}
	require.NoError(t, os.Mkdir(filepath.Join(dir, "bin", "subdir"), 0o755))
	return dir
}

func TestCommandIsFoundInTheContainersPath(t *testing.T) {
	dir := commandTree(t)
	bin, sbin := filepath.Join(dir, "bin"), filepath.Join(dir, "sbin")
	tests := []struct {
		name, file string
		env        []string
		want       string
	}{
		{"in the first PATH directory", "tool", []string{"PATH=" + bin + ":" + sbin}, filepath.Join(bin, "tool")},
		{"in a later PATH directory", "only", []string{"PATH=" + bin + ":" + sbin}, filepath.Join(sbin, "only")},
		{"a non-executable file earlier in PATH is passed over", "data", []string{"PATH=" + bin + ":" + sbin}, filepath.Join(sbin, "data")},
		{"PATH is the container's, the last one given", "only", []string{"PATH=" + bin, "HOME=/", "PATH=" + sbin}, filepath.Join(sbin, "only")},
		{"an explicit path is used as given", filepath.Join(bin, "tool"), nil, filepath.Join(bin, "tool")},
		{"an explicit path ignores PATH", filepath.Join(sbin, "only"), []string{"PATH=" + bin}, filepath.Join(sbin, "only")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := lookPath(tt.file, tt.env)
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestCommandThatCannotRunExitsLikeDocker(t *testing.T) {
	dir := commandTree(t)
	bin, sbin := filepath.Join(dir, "bin"), filepath.Join(dir, "sbin")
	tests := []struct {
		name, file string
		env        []string
		wantCode   int
		wantMsg    string
	}{
		{"not in PATH", "missing", []string{"PATH=" + bin + ":" + sbin}, exitcode.NotFound, `exec: "missing": executable file not found in $PATH`},
		{"in the caller's PATH but not the container's", "tool", []string{"PATH=" + sbin}, exitcode.NotFound, `exec: "tool": executable file not found in $PATH`},
		{"no PATH at all", "tool", []string{"HOME=/"}, exitcode.NotFound, `exec: "tool": executable file not found in $PATH`},
		{"a directory in PATH is not a command", "subdir", []string{"PATH=" + bin}, exitcode.NotFound, `exec: "subdir": executable file not found in $PATH`},
		{"only a non-executable file in PATH", "data", []string{"PATH=" + bin}, exitcode.CannotExecute, `exec: "data": permission denied`},
		{"explicit path that does not exist", filepath.Join(bin, "missing"), nil, exitcode.NotFound, `exec: "` + filepath.Join(bin, "missing") + `": no such file or directory`},
		{"explicit path through a file", filepath.Join(bin, "tool", "x"), nil, exitcode.NotFound, "not a directory"},
		{"explicit non-executable file", filepath.Join(bin, "data"), nil, exitcode.CannotExecute, `exec: "` + filepath.Join(bin, "data") + `": permission denied`},
		{"explicit directory", filepath.Join(bin, "subdir"), nil, exitcode.CannotExecute, `exec: "` + filepath.Join(bin, "subdir") + `": is a directory`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := lookPath(tt.file, tt.env)
			require.Error(t, err)
			assert.Empty(t, got)
			var cmdErr *exitcode.Error
			require.True(t, errors.As(err, &cmdErr), "error is an *exitcode.Error: %v", err)
			assert.Equal(t, tt.wantCode, cmdErr.Code)
			assert.Contains(t, cmdErr.Error(), tt.wantMsg)
		})
	}
}

func TestFailedExecGetsDockersExitCode(t *testing.T) {
	tests := []struct {
		name     string
		err      error
		wantCode int
		wantMsg  string
	}{
		{"no such file", syscall.ENOENT, exitcode.NotFound, `exec: "/app": no such file or directory`},
		{"wrapped not-exist", &os.PathError{Op: "stat", Path: "/app", Err: syscall.ENOENT}, exitcode.NotFound, `exec: "/app": no such file or directory`},
		{"not a directory", syscall.ENOTDIR, exitcode.NotFound, `exec: "/app": not a directory`},
		{"permission denied", syscall.EACCES, exitcode.CannotExecute, `exec: "/app": permission denied`},
		{"bad executable format", syscall.ENOEXEC, exitcode.CannotExecute, `exec: "/app": exec format error`},
		{"is a directory", syscall.EISDIR, exitcode.CannotExecute, `exec: "/app": is a directory`},
		{"other error keeps its text", errors.New("odd failure"), exitcode.CannotExecute, `exec: "/app": odd failure`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := commandError("/app", tt.err)
			assert.Equal(t, tt.wantCode, got.Code)
			assert.Equal(t, tt.wantMsg, got.Error())
		})
	}
}
