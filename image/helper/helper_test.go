package helper

import (
	"encoding/json"
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
	"github.com/urun/urun/image/request"
	"github.com/urun/urun/stage"
)

// The fake urun-image is this test binary, run under that name: it
// records the request it received, its arguments and its environment in
// the file $FAKE_HELPER_RECORD, prints $FAKE_HELPER_STDOUT and exits with
// $FAKE_HELPER_STATUS.
func TestMain(m *testing.M) {
	if path := os.Getenv("FAKE_HELPER_RECORD"); path != "" && stage.Current() == stage.Image {
		var r request.Request
		err := stage.Request(&r)
		rec := record{Request: r, Args: os.Args[1:], Env: os.Environ()}
		if err != nil {
			rec.Err = err.Error()
		}
		data, _ := json.Marshal(rec)
		os.WriteFile(path, data, 0o600)
		os.Stdout.WriteString(os.Getenv("FAKE_HELPER_STDOUT"))
		status, _ := strconv.Atoi(os.Getenv("FAKE_HELPER_STATUS"))
		os.Exit(status)
	}
	os.Exit(m.Run())
}

// record is what the fake helper saw.
type record struct {
	Request request.Request
	Args    []string
	Env     []string
	Err     string
}

// fakeHelper puts the fake urun-image alone in $PATH, to print stdout and
// exit with status; seen reads what it saw.
func fakeHelper(t *testing.T, status int, stdout string) (seen func() record) {
	t.Helper()
	dir := t.TempDir()
	self, err := os.Executable()
	require.NoError(t, err)
	require.NoError(t, os.Symlink(self, filepath.Join(dir, Name)))
	t.Setenv("PATH", dir)
	path := filepath.Join(dir, "record")
	t.Setenv("FAKE_HELPER_RECORD", path)
	t.Setenv("FAKE_HELPER_STATUS", strconv.Itoa(status))
	t.Setenv("FAKE_HELPER_STDOUT", stdout)
	return func() record {
		t.Helper()
		data, err := os.ReadFile(path)
		require.NoError(t, err)
		var rec record
		require.NoError(t, json.Unmarshal(data, &rec))
		require.Empty(t, rec.Err)
		return rec
	}
}

func TestUrunPullHandsTheHelperItsRequest(t *testing.T) {
	no := false
	tests := []struct {
		name string
		r    request.Request
	}{
		{"defaults", request.Request{Pull: &request.Pull{Ref: "alpine"}}},
		{"quiet, plain http, another platform", request.Request{Pull: &request.Pull{Ref: "127.0.0.1:5000/x", Quiet: true, TLSVerify: &no, Platform: "linux/arm64"}}},
		{"global flags", request.Request{Store: request.Store{Root: "/r", RunRoot: "/rr", RootfsDriver: "native", ConfigFile: "/c.conf"}, Pull: &request.Pull{Ref: "x"}}},
		{"reference that looks like a flag", request.Request{Pull: &request.Pull{Ref: "-x"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			seen := fakeHelper(t, 0, "")
			require.NoError(t, Run(tt.r))
			rec := seen()
			assert.Equal(t, tt.r, rec.Request)
			assert.Empty(t, rec.Args, "nothing travels in the arguments")
		})
	}
}

func TestHelperFailureCarriesItsExitCode(t *testing.T) {
	fakeHelper(t, 7, "")
	err := Run(request.Request{Images: &request.Images{}})
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
	assert.ErrorContains(t, Run(request.Request{Images: &request.Images{}}), "is missing")
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

func TestRunToSendsThePulledIDAwayFromStdout(t *testing.T) {
	fakeHelper(t, 0, "sha256id\n")
	var out strings.Builder
	require.NoError(t, RunTo(request.Request{Pull: &request.Pull{Ref: "alpine"}}, &out))
	assert.Equal(t, "sha256id\n", out.String())
}
