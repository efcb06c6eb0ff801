package helper

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/urun/urun/image/request"
)

func TestUrunLoginPassesThePasswordInTheRequestNotInArgvOrEnv(t *testing.T) {
	const password = "s3cret-Passw0rd"
	seen := fakeHelper(t, 0, "")
	var warn bytes.Buffer
	no := false
	l := request.Login{Registry: "reg.example:5000", Username: "alice", Password: password, Access: request.Access{TLSVerify: &no}}
	require.NoError(t, Login(request.Store{Root: "/r"}, l, &warn))

	rec := seen()
	assert.Equal(t, request.Request{Store: request.Store{Root: "/r"}, Login: &l}, rec.Request, "the helper reads the password, exactly, from the request")
	assert.Empty(t, rec.Args)
	assert.NotContains(t, strings.Join(rec.Env, "\n"), password, "the password is not in the helper's environment")
	assert.Equal(t, PasswordWarning+"\n", warn.String(), "as Docker, -p is warned about")
}

func TestUrunLoginRefusesContradictoryPasswordFlags(t *testing.T) {
	fakeHelper(t, 0, "")
	tests := []struct {
		name string
		l    request.Login
		want string
	}{
		{"-p and --password-stdin", request.Login{Username: "a", Password: "x", PasswordStdin: true}, "mutually exclusive"},
		{"--password-stdin without a user", request.Login{PasswordStdin: true}, "needs --username"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Login(request.Store{}, tt.l, &bytes.Buffer{})
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
}

func TestUrunLoginWithoutPasswordWarnsOfNothing(t *testing.T) {
	seen := fakeHelper(t, 0, "")
	var warn bytes.Buffer
	l := request.Login{PasswordStdin: true, Username: "bob", Access: request.Access{AuthFile: "/a.json"}}
	require.NoError(t, Login(request.Store{}, l, &warn))
	assert.Equal(t, &l, seen().Request.Login)
	assert.Empty(t, warn.String())
}
