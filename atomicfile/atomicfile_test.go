package atomicfile

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestWriteJSONReplacesTheFileAndLeavesNoTemporary(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "state.json")
	require.NoError(t, os.WriteFile(path, []byte("old"), 0o600))

	require.NoError(t, WriteJSON(path, map[string]int{"exit_code": 3}))

	data, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.JSONEq(t, `{"exit_code": 3}`, string(data))
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Len(t, entries, 1, "only the file itself is left")
	st, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o644), st.Mode().Perm())
}

func TestWriteIntoAMissingDirectoryNamesThePath(t *testing.T) {
	path := filepath.Join(t.TempDir(), "gone", "state.json")
	err := Write(path, []byte("x"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), path)
}

func TestWriteJSONRefusesWhatCannotBeEncoded(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.json")
	require.Error(t, WriteJSON(path, map[string]any{"f": func() {}}))
	_, err := os.Stat(path)
	assert.ErrorIs(t, err, os.ErrNotExist, "nothing is written")
}

func TestAnAbortedFileLeavesNothingAndACommittedOneReplaces(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "out.tar")
	f, err := Create(path, 0o600)
	require.NoError(t, err)
	_, err = f.Write([]byte("partial"))
	require.NoError(t, err)
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Empty(t, entries, "nothing has a name while it is written")
	f.Abort()
	entries, err = os.ReadDir(dir)
	require.NoError(t, err)
	assert.Empty(t, entries)

	f, err = Create(path, 0o600)
	require.NoError(t, err)
	_, err = f.Write([]byte("whole"))
	require.NoError(t, err)
	require.NoError(t, f.Commit())
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, "whole", string(data))
	st, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), st.Mode().Perm())
}

func TestCommitWithoutProcStillReplaces(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.json")
	f, err := Create(path, 0o644)
	require.NoError(t, err)
	_, err = f.Write([]byte("kept"))
	require.NoError(t, err)
	// As where /proc/self does not lead to this process.
	tmp, err := f.copyNamed()
	require.NoError(t, err)
	require.NoError(t, os.Rename(tmp, path))
	f.Abort()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, "kept", string(data))
}
