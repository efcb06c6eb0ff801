package local

import (
	"fmt"
	"net"
	"strings"
)

// DefaultRegistry is where short names resolve, as with Docker.
const DefaultRegistry = "docker.io"

// Normalize turns a user's image reference into the fully qualified name
// the store records: "alpine" → "docker.io/library/alpine:latest",
// "quay.io/x/y" → "quay.io/x/y:latest"; a digest is kept, a tag defaults to
// latest. It follows Docker's grammar without its regular expressions,
// whose compilation would be paid on every `urun run`.
func Normalize(ref string) (string, error) {
	if ref == "" {
		return "", fmt.Errorf("invalid reference format: the image name is empty")
	}
	name, digest, hasDigest := strings.Cut(ref, "@")
	if hasDigest {
		algo, hex, ok := strings.Cut(digest, ":")
		if !ok || algo != "sha256" || len(hex) != 64 || !isLowerHex(hex) {
			return "", fmt.Errorf("invalid reference format %q: a digest is sha256: and 64 hex digits", ref)
		}
	}
	tag := ""
	if i := strings.LastIndexByte(name, ':'); i > strings.LastIndexByte(name, '/') {
		name, tag = name[:i], name[i+1:]
		if !validTag(tag) {
			return "", fmt.Errorf("invalid reference format %q: bad tag %q", ref, tag)
		}
	}
	domain, path := splitDomain(name)
	if err := validDomain(domain); err != nil {
		return "", fmt.Errorf("invalid reference format %q: %w", ref, err)
	}
	if domain == DefaultRegistry && !strings.Contains(path, "/") {
		path = "library/" + path
	}
	if err := validPath(path); err != nil {
		return "", fmt.Errorf("invalid reference format %q: %w", ref, err)
	}
	if len(domain)+1+len(path) > 255 {
		return "", fmt.Errorf("invalid reference format %q: name longer than 255 characters", ref)
	}
	out := domain + "/" + path
	if tag == "" && !hasDigest {
		tag = "latest"
	}
	if tag != "" {
		out += ":" + tag
	}
	if hasDigest {
		out += "@" + digest
	}
	return out, nil
}

// splitDomain separates a registry host from the repository path: the
// first component is a host when it has a dot or a port, or is localhost.
func splitDomain(name string) (string, string) {
	first, rest, ok := strings.Cut(name, "/")
	if !ok || (!strings.ContainsAny(first, ".:") && first != "localhost" && strings.ToLower(first) == first) {
		return DefaultRegistry, name
	}
	if first == "index.docker.io" {
		first = DefaultRegistry
	}
	return first, rest
}

// validDomain checks a registry host as Docker's reference grammar has
// it: dot-separated components of letters, digits and inner '-' (or an
// IPv6 address in brackets), and an optional :PORT.
func validDomain(domain string) error {
	host, port := domain, ""
	if i := strings.LastIndexByte(domain, ':'); i > strings.LastIndexByte(domain, ']') {
		host, port = domain[:i], domain[i+1:]
		if port == "" || strings.Trim(port, "0123456789") != "" {
			return fmt.Errorf("registry %q: the port must be a number", domain)
		}
	}
	if strings.HasPrefix(host, "[") && strings.HasSuffix(host, "]") {
		if net.ParseIP(host[1:len(host)-1]) == nil {
			return fmt.Errorf("registry %q: not an IPv6 address in brackets", domain)
		}
		return nil
	}
	for _, comp := range strings.Split(host, ".") {
		if comp == "" || comp[0] == '-' || comp[len(comp)-1] == '-' || strings.IndexFunc(comp, func(r rune) bool {
			return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-')
		}) >= 0 {
			return fmt.Errorf("registry %q is not a host name (letters, digits and '-' between dots)", domain)
		}
	}
	return nil
}

func validPath(path string) error {
	if path == "" {
		return fmt.Errorf("the repository name is empty")
	}
	for _, comp := range strings.Split(path, "/") {
		if comp == "" {
			return fmt.Errorf("empty path component")
		}
		for i, r := range comp {
			switch {
			case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			case r == '.' || r == '_' || r == '-':
				if i == 0 || i == len(comp)-1 {
					return fmt.Errorf("component %q must start and end with a lowercase letter or digit", comp)
				}
			case r >= 'A' && r <= 'Z':
				return fmt.Errorf("repository name must be lowercase")
			default:
				return fmt.Errorf("character %q is not allowed in a repository name", r)
			}
		}
	}
	return nil
}

func validTag(tag string) bool {
	if tag == "" || len(tag) > 128 || tag[0] == '.' || tag[0] == '-' {
		return false
	}
	for _, r := range tag {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '.' || r == '-') {
			return false
		}
	}
	return true
}

func isLowerHex(s string) bool {
	for _, r := range s {
		if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'f') {
			return false
		}
	}
	return true
}
