package helper

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/urun/urun/exitcode"
)

// fakeHelper puts a urun-image in a fresh $PATH that records its
// arguments in a file and exits with the given status.
func fakeHelper(t *testing.T, status int) (argsFile string) {
	t.Helper()
	dir := t.TempDir()
	argsFile = filepath.Join(dir, "args")
	script := "#!/bin/sh\nfor a in \"$@\"; do echo \"$a\"; done > " + argsFile + "\nexit " + strconv.Itoa(status) + "\n"
	require.NoError(t, os.WriteFile(filepath.Join(dir, Name), []byte(script), 0o755))
	t.Setenv("PATH", dir)
	return argsFile
}

func readArgs(t *testing.T, file string) []string {
	t.Helper()
	data, err := os.ReadFile(file)
	require.NoError(t, err)
	return strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
}

func TestUrunPullPassesItsSettingsToTheHelper(t *testing.T) {
	no, yes := false, true
	tests := []struct {
		name      string
		opts      Options
		ref       string
		quiet     bool
		tlsVerify *bool
		want      []string
	}{
		{"defaults", Options{}, "alpine", false, nil, []string{"pull", "--", "alpine"}},
		{"quiet", Options{}, "alpine", true, nil, []string{"pull", "--quiet", "--", "alpine"}},
		{"plain http registry", Options{}, "127.0.0.1:5000/x", false, &no, []string{"pull", "--tls-verify=false", "--", "127.0.0.1:5000/x"}},
		{"tls verify forced on", Options{}, "x", false, &yes, []string{"pull", "--tls-verify=true", "--", "x"}},
		{"global flags first", Options{Root: "/r", RunRoot: "/rr", RootfsDriver: "native", ConfigFile: "/c.conf"}, "x", false, nil,
			[]string{"--root=/r", "--runroot=/rr", "--rootfs-driver=native", "--config=/c.conf", "pull", "--", "x"}},
		{"reference that looks like a flag", Options{}, "-x", false, nil, []string{"pull", "--", "-x"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := fakeHelper(t, 0)
			require.NoError(t, Pull(tt.opts, tt.ref, tt.quiet, tt.tlsVerify))
			assert.Equal(t, tt.want, readArgs(t, args))
		})
	}
}

func TestUrunImagesPassesItsFlags(t *testing.T) {
	args := fakeHelper(t, 0)
	require.NoError(t, Images(Options{Root: "/r"}, "--quiet", "--no-trunc"))
	assert.Equal(t, []string{"--root=/r", "images", "--quiet", "--no-trunc"}, readArgs(t, args))
}

func TestHelperFailureCarriesItsExitCode(t *testing.T) {
	fakeHelper(t, 7)
	err := Images(Options{})
	var exit *exitcode.Error
	require.True(t, errors.As(err, &exit), "got %v", err)
	assert.Equal(t, 7, exit.Code)
	assert.True(t, exit.Silent(), "the helper has said why")
}

func TestMissingHelperNamesWhereItLooked(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	_, err := Path()
	require.Error(t, err)
	exe, _ := os.Executable()
	exe, _ = filepath.EvalSymlinks(exe)
	assert.Contains(t, err.Error(), filepath.Join(filepath.Dir(exe), Name))
	assert.Contains(t, err.Error(), filepath.Join(filepath.Dir(filepath.Dir(exe)), "libexec", "urun", Name))
	assert.Contains(t, err.Error(), "$PATH")
	assert.ErrorContains(t, Images(Options{}), "is missing")
}

func TestHelperIsFoundInLibexecBesideTheBinary(t *testing.T) {
	// Path looks beside os.Executable, which for a test is the test
	// binary: stage a copy of it in bin/ of a fake prefix and run it.
	if os.Getenv("HELPER_PATH_CHILD") == "1" {
		p, err := Path()
		if err != nil {
			os.Stdout.WriteString("error: " + err.Error())
			os.Exit(0)
		}
		os.Stdout.WriteString(p)
		os.Exit(0)
	}
	prefix := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(prefix, "bin"), 0o755))
	require.NoError(t, os.MkdirAll(filepath.Join(prefix, "libexec", "urun"), 0o755))
	self, err := os.Executable()
	require.NoError(t, err)
	data, err := os.ReadFile(self)
	require.NoError(t, err)
	testBin := filepath.Join(prefix, "bin", "urun.test")
	require.NoError(t, os.WriteFile(testBin, data, 0o755))
	helper := filepath.Join(prefix, "libexec", "urun", Name)
	require.NoError(t, os.WriteFile(helper, []byte("#!/bin/sh\n"), 0o755))
	// A symlink to the binary elsewhere must not change where it looks.
	link := filepath.Join(t.TempDir(), "urun")
	require.NoError(t, os.Symlink(testBin, link))

	out, err := runSelf(link, "-test.run=^TestHelperIsFoundInLibexecBesideTheBinary$")
	require.NoError(t, err)
	assert.Equal(t, helper, out)
}

func runSelf(path string, args ...string) (string, error) {
	cmd := exec.Command(path, args...)
	cmd.Env = append(os.Environ(), "HELPER_PATH_CHILD=1", "PATH=/nonexistent")
	out, err := cmd.Output()
	return string(out), err
}

func TestRunSendsThePulledIDAwayFromStdout(t *testing.T) {
	dir := t.TempDir()
	script := "#!/bin/sh\necho sha256id\n"
	require.NoError(t, os.WriteFile(filepath.Join(dir, Name), []byte(script), 0o755))
	t.Setenv("PATH", dir)
	var out strings.Builder
	require.NoError(t, Pull(Options{Stdout: &out}, "alpine", false, nil))
	assert.Equal(t, "sha256id\n", out.String())
}
