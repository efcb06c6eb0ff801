//go:build containers_image_openpgp && exclude_graphdriver_btrfs

package image

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSweepRemovesTheTemporaryDirectoriesOfDeadCommandsOnly(t *testing.T) {
	root := t.TempDir()
	live, err := newTempDir(root, "load")
	require.NoError(t, err)
	defer live.Remove()
	require.NoError(t, os.WriteFile(filepath.Join(live.Path, "input.tar"), []byte("x"), 0o600))

	// A dead command's directory: its lock went with it. Its save's
	// directory beside the output is named in it.
	out := t.TempDir()
	beside := filepath.Join(out, outsidePrefix+"1")
	require.NoError(t, os.Mkdir(beside, 0o700))
	dead := filepath.Join(root, "urun-save-1-1")
	require.NoError(t, os.Mkdir(dead, 0o700))
	require.NoError(t, os.WriteFile(filepath.Join(dead, outsideFile), []byte(beside), 0o600))
	// What the older urun left: plain files.
	require.NoError(t, os.WriteFile(filepath.Join(root, "old-blob"), []byte("x"), 0o600))
	// A directory elsewhere that is not a save's stays whatever is named.
	other := filepath.Join(out, "precious")
	require.NoError(t, os.Mkdir(other, 0o700))
	dead2 := filepath.Join(root, "urun-save-2-2")
	require.NoError(t, os.Mkdir(dead2, 0o700))
	require.NoError(t, os.WriteFile(filepath.Join(dead2, outsideFile), []byte(other), 0o600))

	// The sweep runs in another process, as the next urun command would.
	sweepFromAnotherProcess(t, root, false)

	names := dirNames(t, root)
	assert.Equal(t, []string{filepath.Base(live.Path)}, names, "only the live command's directory stays")
	assert.FileExists(t, filepath.Join(live.Path, "input.tar"))
	assert.NoDirExists(t, beside, "the dead save's directory beside its output")
	assert.DirExists(t, other, "a directory not named like a save's")

	live.Remove()
	assert.Empty(t, dirNames(t, root))
}

// sweepFromAnotherProcess runs SweepTemp(root) in a child process.
func sweepFromAnotherProcess(t *testing.T, root string, ours bool) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run", "^TestSweepChild$")
	cmd.Env = append(os.Environ(), "URUN_SWEEP_ROOT="+root)
	if ours {
		cmd.Env = append(cmd.Env, "URUN_SWEEP_OURS=1")
	}
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
}

// TestSweepChild is the child of sweepFromAnotherProcess.
func TestSweepChild(t *testing.T) {
	root := os.Getenv("URUN_SWEEP_ROOT")
	if root == "" {
		t.Skip("only run by TestSweepRemovesTheTemporaryDirectoriesOfDeadCommandsOnly, in a process of its own")
	}
	SweepTemp(root, os.Getenv("URUN_SWEEP_OURS") != "")
}

func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	ents, err := os.ReadDir(dir)
	require.NoError(t, err)
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return names
}

// In a shared temporary directory (tmp_dir = /var/tmp, say) the sweep
// takes only urun's own directories.
func TestSweepOfASharedDirectoryTakesOnlyUrunsDirectories(t *testing.T) {
	root := t.TempDir()
	require.NoError(t, os.Mkdir(filepath.Join(root, "urun-load-1-1"), 0o700))
	require.NoError(t, os.Mkdir(filepath.Join(root, "someone-elses"), 0o700))
	require.NoError(t, os.WriteFile(filepath.Join(root, "urun-file"), nil, 0o600))
	sweepFromAnotherProcess(t, root, true)
	assert.Equal(t, []string{"someone-elses", "urun-file"}, dirNames(t, root))
}
