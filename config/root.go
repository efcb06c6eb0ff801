package config

import (
	"os"
	"strings"
)

// Root's defaults, as rootful podman's /var/lib/containers/storage and
// /run/containers/storage: a system store rather than one in root's home,
// and run state on /run, which a reboot empties.
const (
	RootGraphRoot = "/var/lib/urun/storage"
	RootRunRoot   = "/run/urun"
)

// applyRootDefaults gives root its store and run root; the configuration
// file and the flags still override them.
func applyRootDefaults(c *Config) {
	if isHostRoot() {
		c.GraphRoot, c.RunRoot = RootGraphRoot, RootRunRoot
	}
}

// isHostRoot is IsHostRoot; the package's tests, which run as root in CI,
// set it to check the defaults of either.
var isHostRoot = IsHostRoot

// IsHostRoot says whether urun runs as the host's root: uid 0 of a user
// namespace that maps every id to itself (the host's, or the one root's
// image commands run in), not the root of a user's namespace.
func IsHostRoot() bool {
	if os.Geteuid() != 0 {
		return false
	}
	data, err := os.ReadFile("/proc/self/uid_map")
	return err == nil && strings.Join(strings.Fields(string(data)), " ") == "0 0 4294967295"
}
