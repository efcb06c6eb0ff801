package helper

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeLoginHelper is a urun-image that records its arguments, its
// environment and what it reads on the descriptor --password-fd names.
func fakeLoginHelper(t *testing.T) (dir string) {
	t.Helper()
	dir = t.TempDir()
	script := `#!/bin/sh
for a in "$@"; do echo "$a"; done > ` + dir + `/args
/usr/bin/env > ` + dir + `/env
for a in "$@"; do
	case $a in --password-fd=*) /bin/cat <&"${a#--password-fd=}" > ` + dir + `/password ;; esac
done
exit 0
`
	require.NoError(t, os.WriteFile(filepath.Join(dir, Name), []byte(script), 0o755))
	t.Setenv("PATH", dir)
	return dir
}

func TestUrunLoginPassesThePasswordInAPipeNotInArgvOrEnv(t *testing.T) {
	const password = "s3cret-Passw0rd"
	dir := fakeLoginHelper(t)
	var warn bytes.Buffer
	no := false
	err := Login(Options{Root: "/r"}, LoginRequest{Registry: "reg.example:5000", Username: "alice", Password: password, TLSVerify: &no}, &warn)
	require.NoError(t, err)

	args := readArgs(t, filepath.Join(dir, "args"))
	assert.Equal(t, []string{"--root=/r", "login", "--username=alice", "--tls-verify=false", "--password-fd=3", "--", "reg.example:5000"}, args)
	env, err := os.ReadFile(filepath.Join(dir, "env"))
	require.NoError(t, err)
	assert.Contains(t, string(env), "PATH=", "the helper's environment was recorded")
	assert.NotContains(t, string(env), password, "the password is not in the helper's environment")
	got, err := os.ReadFile(filepath.Join(dir, "password"))
	require.NoError(t, err)
	assert.Equal(t, password, string(got), "the helper reads the password, exactly, from the pipe")
	assert.Equal(t, PasswordWarning+"\n", warn.String(), "as Docker, -p is warned about")
}

func TestUrunLoginRefusesContradictoryPasswordFlags(t *testing.T) {
	fakeLoginHelper(t)
	tests := []struct {
		name string
		r    LoginRequest
		want string
	}{
		{"-p and --password-stdin", LoginRequest{Username: "a", Password: "x", PasswordStdin: true}, "mutually exclusive"},
		{"--password-stdin without a user", LoginRequest{PasswordStdin: true}, "needs --username"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Login(Options{}, tt.r, &bytes.Buffer{})
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

func TestUrunLoginWithoutPasswordPassesNoDescriptor(t *testing.T) {
	dir := fakeLoginHelper(t)
	require.NoError(t, Login(Options{}, LoginRequest{PasswordStdin: true, Username: "bob", AuthFile: "/a.json"}, &bytes.Buffer{}))
	args := readArgs(t, filepath.Join(dir, "args"))
	assert.Equal(t, []string{"login", "--username=bob", "--password-stdin", "--authfile=/a.json", "--"}, args)
	assert.False(t, strings.Contains(strings.Join(args, " "), "--password-fd"))
}
