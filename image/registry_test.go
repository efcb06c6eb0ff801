//go:build containers_image_openpgp && exclude_graphdriver_btrfs

package image

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/docker/distribution/registry/api/errcode"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.podman.io/image/v5/docker"
)

func TestRegistryKeyAcceptsWhatUsersTypeAfterLogin(t *testing.T) {
	tests := []struct{ arg, key, host string }{
		{"registry.example.com:5000", "registry.example.com:5000", "registry.example.com:5000"},
		{"https://registry.example.com/", "registry.example.com", "registry.example.com"},
		{"https://index.docker.io/v1/", "docker.io", "docker.io"},
		{"docker.io", "docker.io", "docker.io"},
		{"quay.io/team", "quay.io/team", "quay.io"},
		{"http://127.0.0.1:5000/v2/", "127.0.0.1:5000", "127.0.0.1:5000"},
	}
	for _, tt := range tests {
		t.Run(tt.arg, func(t *testing.T) {
			key, host, err := RegistryKey(tt.arg)
			require.NoError(t, err)
			assert.Equal(t, tt.key, key)
			assert.Equal(t, tt.host, host)
		})
	}
	for _, bad := range []string{"", "https://", "user@host", "a b"} {
		_, _, err := RegistryKey(bad)
		assert.Error(t, err, "%q is no registry", bad)
	}
}

func TestAuthFilePathPrefersTheFlagThenTheEnvironment(t *testing.T) {
	t.Setenv("REGISTRY_AUTH_FILE", "/env/auth.json")
	assert.Equal(t, "/flag.json", AuthFilePath("/flag.json"))
	assert.Equal(t, "/env/auth.json", AuthFilePath(""))
	t.Setenv("REGISTRY_AUTH_FILE", "")
	assert.Equal(t, "", AuthFilePath(""), "the image library's default files")
}

func TestStoredCredentialsAreWrittenPrivatelyAndRemoved(t *testing.T) {
	file := filepath.Join(t.TempDir(), "sub", "auth.json")
	o := AccessOptions{AuthFile: file}
	_, err := StoreCredentials("reg.example:5000", "alice", "pw", o)
	require.NoError(t, err)
	st, err := os.Stat(file)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), st.Mode().Perm())
	got, err := StoredCredentials("reg.example:5000", o)
	require.NoError(t, err)
	assert.Equal(t, "alice", got.Username)
	assert.Equal(t, "pw", got.Password)

	require.NoError(t, Logout("reg.example:5000", o))
	assert.ErrorIs(t, Logout("reg.example:5000", o), ErrNotLoggedIn)
}

func TestSearchRegistriesTakesTheRegistryFromTheTerm(t *testing.T) {
	regs, term, err := SearchRegistries("localhost:5000/busy", AccessOptions{})
	require.NoError(t, err)
	assert.Equal(t, []string{"localhost:5000"}, regs)
	assert.Equal(t, "busy", term)
	regs, term, err = SearchRegistries("quay.io/", AccessOptions{})
	require.NoError(t, err)
	assert.Equal(t, []string{"quay.io"}, regs)
	assert.Equal(t, "", term, "REGISTRY/ lists the catalog")
}

func TestWriteSearchPrintsDockersColumns(t *testing.T) {
	long := strings.Repeat("d", 60)
	results := []SearchResult{
		{Name: "busybox", Description: "Busybox base image.", StarCount: 3000, IsOfficial: true},
		{Name: "reg:5000/x/y", Description: long},
	}
	var buf bytes.Buffer
	require.NoError(t, WriteSearch(&buf, results, SearchOptions{}))
	ls := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	require.Len(t, ls, 3)
	assert.Equal(t, []string{"NAME", "DESCRIPTION", "STARS", "OFFICIAL"}, strings.Fields(ls[0]))
	assert.Equal(t, []string{"busybox", "Busybox", "base", "image.", "3000", "[OK]"}, strings.Fields(ls[1]))
	assert.Equal(t, []string{"reg:5000/x/y", strings.Repeat("d", 44) + "…", "0"}, strings.Fields(ls[2]), "descriptions are cut at 45 characters")

	buf.Reset()
	require.NoError(t, WriteSearch(&buf, results[1:], SearchOptions{NoTrunc: true, Format: "{{.Name}} {{.Description}}"}))
	assert.Equal(t, "reg:5000/x/y "+long+"\n", buf.String())
}

func TestRegistryErrorsSayWhatToDo(t *testing.T) {
	unauthorized := errcode.ErrorCodeUnauthorized.WithMessage("authentication required")
	tests := []struct {
		name string
		err  error
		want []string
	}{
		{"wrong password", docker.ErrUnauthorizedForCredentials{Err: errors.New("unauthorized")}, []string{"log in to r: unauthorized: check the username and password"}},
		{"no credentials", fmt.Errorf("writing manifest: %w", unauthorized), []string{"urun login r", "authentication required"}},
		{"plain http", errors.New("http: server gave HTTP response to HTTPS client"), []string{"--tls-verify=false", "insecure = true"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msg := explainRegistryError("log in to r", "r", tt.err).Error()
			for _, w := range tt.want {
				assert.Contains(t, msg, w)
			}
		})
	}
}

func TestSearchTellsAMissingSearchAPIFromAnUnreachableRegistry(t *testing.T) {
	missing := []error{
		errors.New(`couldn't search registry "r": StatusCode: 404, "404 page not found\n"`),
		fmt.Errorf("couldn't search registry: %w", errcode.ErrorCodeUnsupported.WithMessage("catalog disabled")),
	}
	for _, err := range missing {
		assert.ErrorIs(t, explainSearchError("r", err), ErrNoSearch, "%v", err)
	}
	refused := errors.New(`couldn't search registry "127.0.0.1:40404": dial tcp 127.0.0.1:40404: connect: connection refused`)
	assert.NotErrorIs(t, explainSearchError("127.0.0.1:40404", refused), ErrNoSearch, "a port with 404 in it is no missing API")
}
