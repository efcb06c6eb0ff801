package request

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// In the child the tests start, the helper's side: Receive, then print
// the request and whether its variable is still set.
func TestMain(m *testing.M) {
	if os.Getenv("REQUEST_TEST_CHILD") == "1" {
		r, err := Receive()
		if err != nil {
			fmt.Println("error:", err)
			os.Exit(1)
		}
		_, left := os.LookupEnv(fdEnv)
		json.NewEncoder(os.Stdout).Encode(struct {
			Request Request
			Left    bool
		}{r, left})
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func TestTheHelperReceivesTheRequestUrunSent(t *testing.T) {
	no := false
	many := make([]string, 5000) // more than a pipe holds by default
	for i := range many {
		many[i] = fmt.Sprintf("registry.example/image-%d:tag", i)
	}
	tests := []struct {
		name string
		r    Request
	}{
		{"a pull on another store", Request{Store: Store{Root: "/r", RunRoot: "/rr"}, Pull: &Pull{Ref: "-x", TLSVerify: &no, Platform: "linux/arm64"}}},
		{"a login with its password", Request{Login: &Login{Registry: "reg:5000", Username: "alice", Password: "s3cret"}}},
		{"an rmi of many images", Request{Rmi: &Rmi{Images: many, Force: true}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^$")
			// A variable left by the helper's own parent is replaced.
			cmd.Env = append(os.Environ(), "REQUEST_TEST_CHILD=1", fdEnv+"=99")
			var out bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, os.Stderr
			sent, err := Send(cmd, tt.r)
			require.NoError(t, err)
			require.NoError(t, cmd.Start())
			sent.Close()
			require.NoError(t, cmd.Wait(), out.String())

			var got struct {
				Request Request
				Left    bool
			}
			require.NoError(t, json.Unmarshal(out.Bytes(), &got), out.String())
			assert.Equal(t, tt.r, got.Request)
			assert.False(t, got.Left, "the helper's own children do not see the request")
		})
	}
}

func TestAHelperRunByHandHasNoRequest(t *testing.T) {
	t.Setenv(fdEnv, "")
	os.Unsetenv(fdEnv)
	_, err := Receive()
	assert.ErrorIs(t, err, ErrNone)
}

func TestEachRequestNamesItsCommand(t *testing.T) {
	assert.Equal(t, "pull", Request{Pull: &Pull{}}.Command())
	assert.Equal(t, "search", Request{Search: &Search{}}.Command())
	assert.Equal(t, "", Request{}.Command())
}
