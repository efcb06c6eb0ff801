//go:build containers_image_openpgp && exclude_graphdriver_btrfs

package image

import (
	"errors"
	"fmt"
	"strings"

	"github.com/docker/distribution/registry/api/errcode"
	v2 "github.com/docker/distribution/registry/api/v2"
	"go.podman.io/image/v5/docker"

	"github.com/urun/urun/image/local"
)

// explainPullError turns what the image library reports into a message
// that says what went wrong and what to do about it: the pull's own cases
// here, the rest as for every registry command (explainRegistryError).
func explainPullError(name, registry string, err error) error {
	var (
		coder  errcode.ErrorCoder
		unauth docker.ErrUnauthorizedForCredentials
	)
	// Docker's first words: scripts and users look for them.
	switch {
	case errors.As(err, &coder) && coder.ErrorCode() == v2.ErrorCodeManifestUnknown:
		return fmt.Errorf("manifest for %s not found: manifest unknown: %s (check the name and tag)", local.Familiar(name), registryMessage(coder))
	case errors.As(err, &coder) && coder.ErrorCode() == v2.ErrorCodeNameUnknown:
		return fmt.Errorf("pull access denied for %s, repository does not exist or may require 'urun login': %s answered: %s", familiarRepository(name), registry, registryMessage(coder))
	case errors.As(err, &unauth) || errors.As(err, &coder) && (coder.ErrorCode() == errcode.ErrorCodeUnauthorized || coder.ErrorCode() == errcode.ErrorCodeDenied):
		return fmt.Errorf("pull access denied for %s, repository does not exist or may require 'urun login %s' (credentials are read from $XDG_RUNTIME_DIR/containers/auth.json, ~/.config/containers/auth.json and ~/.docker/config.json; $REGISTRY_AUTH_FILE replaces them): %w", familiarRepository(name), registry, err)
	case errors.Is(err, docker.ErrTooManyRequests):
		return fmt.Errorf("pull %s: %s refused: too many requests; wait and try again, log in to raise the limit, or configure a mirror in registries.conf: %w", name, registry, err)
	}
	return explainRegistryError("pull "+name, registry, err)
}

// registryMessage is the registry's own words for an error code.
func registryMessage(coder errcode.ErrorCoder) string {
	if e, ok := coder.(errcode.Error); ok && e.Message != "" {
		return e.Message
	}
	return coder.ErrorCode().Message()
}

// familiarRepository is name's repository as Docker shows it, without tag
// or digest: "docker.io/library/nope:latest" → "nope".
func familiarRepository(name string) string {
	repo, _, _ := strings.Cut(name, "@")
	if i := strings.LastIndexByte(repo, ':'); i > strings.LastIndexByte(repo, '/') {
		repo = repo[:i]
	}
	return local.Familiar(repo)
}
