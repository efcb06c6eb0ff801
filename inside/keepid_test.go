package inside

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/urun/urun/spec"
)

func TestKeepIDPutsTheCallerInTheImagesPasswdAndGroup(t *testing.T) {
	alice := &spec.KeepIDUser{Name: "alice", UID: 1000, GID: 1000, Home: "/home/alice"}
	tests := []struct {
		name                  string
		passwd, group         string
		wantPasswd, wantGroup string
	}{
		{
			name:       "an image without the caller",
			passwd:     "root:x:0:0:root:/root:/bin/sh\n",
			group:      "root:x:0:\n",
			wantPasswd: "root:x:0:0:root:/root:/bin/sh\nalice:x:1000:1000:alice:/home/alice:/bin/sh\n",
			wantGroup:  "root:x:0:\nalice:x:1000:\n",
		},
		{
			name:       "an image whose files end without a newline",
			passwd:     "root:x:0:0:root:/root:/bin/sh",
			group:      "root:x:0:",
			wantPasswd: "root:x:0:0:root:/root:/bin/sh\nalice:x:1000:1000:alice:/home/alice:/bin/sh\n",
			wantGroup:  "root:x:0:\nalice:x:1000:\n",
		},
		{
			name:       "an image that has the uid and gid already",
			passwd:     "node:x:1000:1000::/home/node:/bin/sh\n",
			group:      "node:x:1000:\n",
			wantPasswd: "node:x:1000:1000::/home/node:/bin/sh\n",
			wantGroup:  "node:x:1000:\n",
		},
		{
			name:       "an image without the files",
			wantPasswd: "alice:x:1000:1000:alice:/home/alice:/bin/sh\n",
			wantGroup:  "alice:x:1000:\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			if tt.passwd != "" {
				require.NoError(t, os.MkdirAll(filepath.Join(root, "etc"), 0o755))
				require.NoError(t, os.WriteFile(filepath.Join(root, "etc/passwd"), []byte(tt.passwd), 0o644))
				require.NoError(t, os.WriteFile(filepath.Join(root, "etc/group"), []byte(tt.group), 0o644))
			}
			// A home the image has is left as it is.
			require.NoError(t, os.MkdirAll(filepath.Join(root, "home/alice"), 0o755))
			k := *alice
			require.NoError(t, addKeepIDUser(root, &k))
			passwd, _ := os.ReadFile(filepath.Join(root, "etc/passwd"))
			group, _ := os.ReadFile(filepath.Join(root, "etc/group"))
			assert.Equal(t, tt.wantPasswd, string(passwd))
			assert.Equal(t, tt.wantGroup, string(group))
			assert.DirExists(t, filepath.Join(root, "home/alice"))
		})
	}
}

func TestKeepIDMakesTheCallersHomeTheirs(t *testing.T) {
	root := t.TempDir()
	k := &spec.KeepIDUser{Name: "alice", UID: uint32(os.Getuid()), GID: uint32(os.Getgid()), Home: "/home/alice"}
	require.NoError(t, addKeepIDUser(root, k))
	st, err := os.Stat(filepath.Join(root, "home/alice"))
	require.NoError(t, err)
	assert.True(t, st.IsDir())
	assert.Equal(t, k.UID, st.Sys().(*syscall.Stat_t).Uid)
}
