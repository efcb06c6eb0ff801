package spec

import (
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestOptionsThatWouldFailLaterAreRefused(t *testing.T) {
	tests := []struct {
		name    string
		o       Options
		wantErr string
	}{
		{"an env entry without a name", Options{Env: []string{"=x"}}, `-e/--env "=x"`},
		{"an env entry that is only =", Options{Env: []string{"="}}, `-e/--env "="`},
		{"a host name with a newline", Options{Hostname: "web\nevil"}, `-h/--hostname "web\nevil"`},
		{"a host name past the kernel's limit", Options{Hostname: strings.Repeat("h", 65)}, "at most 64"},
		{"a user with two colons", Options{User: "a:b:c"}, `-u/--user "a:b:c"`},
		{"a user with an empty group", Options{User: "root:"}, `-u/--user "root:"`},
		{"two mounts on one path", Options{Mounts: []specs.Mount{{Destination: "/x"}, {Destination: "/x"}}}, "duplicate mount point /x"},
		{"what is fine", Options{Env: []string{"A=", "B"}, Hostname: "web.example", User: "1000:1000"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.o.Check()
			if tt.wantErr == "" {
				assert.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.wantErr)
		})
	}
}
