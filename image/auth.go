//go:build containers_image_openpgp && exclude_graphdriver_btrfs

package image

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"go.podman.io/image/v5/docker"
	"go.podman.io/image/v5/pkg/docker/config"
	"go.podman.io/image/v5/types"

	urunconfig "github.com/urun/urun/config"
	"github.com/urun/urun/image/request"
)

// AccessOptions say where credentials are kept and how to reach
// registries (see AuthFilePath): what login, logout, push and search
// share, as urun's requests carry it.
type AccessOptions = request.Access

// AuthFilePath is the auth file the user chose: --authfile, else
// $REGISTRY_AUTH_FILE (as podman and skopeo read it), else "": the image
// library's default, which writes $XDG_RUNTIME_DIR/containers/auth.json and
// also reads ~/.config/containers/auth.json and ~/.docker/config.json.
func AuthFilePath(flag string) string {
	if flag != "" {
		return flag
	}
	return os.Getenv("REGISTRY_AUTH_FILE")
}

// UseRuntimeDir points $XDG_RUNTIME_DIR at urun's run directory, as the
// helper does before entering the user namespace, so that commands that
// stay on the host (login, logout, search) use the same auth.json as
// pull and push: without a usable $XDG_RUNTIME_DIR that is
// $TMPDIR/urun-UID.
func UseRuntimeDir() error {
	dir, err := urunconfig.RuntimeDir()
	if err != nil {
		return err
	}
	return os.Setenv("XDG_RUNTIME_DIR", dir)
}

func accessSystemContext(o AccessOptions) *types.SystemContext {
	sys := &types.SystemContext{
		DockerRegistryUserAgent: "urun",
		AuthFilePath:            AuthFilePath(o.AuthFile),
	}
	if o.TLSVerify != nil {
		sys.DockerInsecureSkipTLSVerify = types.NewOptionalBool(!*o.TLSVerify)
	}
	return sys
}

// RegistryKey turns what the user typed after `urun login` into the key
// credentials are stored under, and the registry host to check them
// with: "https://index.docker.io/v1/" → docker.io, "quay.io/" → quay.io;
// "quay.io/team" stays a key of its own for that namespace, as podman
// allows.
func RegistryKey(arg string) (key, host string, err error) {
	s := strings.TrimPrefix(strings.TrimPrefix(arg, "https://"), "http://")
	s = strings.TrimSuffix(s, "/")
	host, path, _ := strings.Cut(s, "/")
	if path == "v1" || path == "v2" {
		path = ""
	}
	switch host {
	case "index.docker.io", "registry-1.docker.io":
		host = "docker.io"
	}
	if host == "" || strings.ContainsAny(host, " \t@") {
		return "", "", fmt.Errorf("invalid registry %q: give a host name, with its port if it has one (registry.example.com:5000)", arg)
	}
	key = host
	if path != "" {
		key += "/" + path
	}
	return key, host, nil
}

// CheckCredentials asks host whether username and password are valid.
func CheckCredentials(ctx context.Context, key, host, username, password string, o AccessOptions) error {
	sys := accessSystemContext(o)
	trustLoopback(sys, host, o.TLSVerify)
	if err := docker.CheckAuth(ctx, sys, username, password, host); err != nil {
		return explainRegistryError("log in to "+key, host, err)
	}
	return nil
}

// StoreCredentials writes username and password for key to the auth file
// (created 0600 in a 0700 directory, replaced atomically) and returns
// where they went.
func StoreCredentials(key, username, password string, o AccessOptions) (string, error) {
	where, err := config.SetCredentials(accessSystemContext(o), key, username, password)
	if err != nil {
		return "", fmt.Errorf("store the credentials for %s: %w", key, err)
	}
	return where, nil
}

// StoredCredentials returns the credentials the auth files hold for key
// (empty when none).
func StoredCredentials(key string, o AccessOptions) (types.DockerAuthConfig, error) {
	auth, err := config.GetCredentials(accessSystemContext(o), key)
	if err != nil {
		return types.DockerAuthConfig{}, fmt.Errorf("read the stored credentials for %s: %w", key, err)
	}
	return auth, nil
}

// ErrNotLoggedIn means logout found no credentials to remove anywhere.
var ErrNotLoggedIn = errors.New("not logged in")

// Logout removes the credentials for key from the auth file urun writes
// (and from credential helpers registries.conf names). Credentials that
// only another file holds (~/.docker/config.json) are left, and reported
// in the error.
func Logout(key string, o AccessOptions) error {
	sys := accessSystemContext(o)
	err := config.RemoveAuthentication(sys, key)
	if errors.Is(err, config.ErrNotLoggedIn) {
		if other, gerr := config.GetCredentials(sys, key); gerr == nil && (other.Username != "" || other.IdentityToken != "") {
			return fmt.Errorf("log out of %s: urun's auth file holds no credentials for it, but ~/.config/containers/auth.json or ~/.docker/config.json does: remove them with the tool that stored them (podman logout, docker logout)", key)
		}
		return fmt.Errorf("%w to %s", ErrNotLoggedIn, key)
	}
	if err != nil {
		return fmt.Errorf("log out of %s: %w", key, err)
	}
	return nil
}

// LogoutAll removes every credential from the auth file urun writes.
func LogoutAll(o AccessOptions) error {
	if err := config.RemoveAllAuthentication(accessSystemContext(o)); err != nil {
		return fmt.Errorf("remove all credentials: %w", err)
	}
	return nil
}
