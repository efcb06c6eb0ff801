// Package cdi is urun's side of the Container Device Interface: which
// --device values name CDI devices, --gpus as Docker's mapped to NVIDIA's
// CDI names, the spec directories, and the edits a CDI spec makes,
// translated into urun's spec (device nodes bound from the host, bind
// mounts, environment, hooks, groups). The CDI library itself
// (tags.cncf.io/container-device-interface) runs in urun-image, which
// resolves the names and hands urun an Edits: urun links only its
// dependency-free name parser.
package cdi

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"tags.cncf.io/container-device-interface/pkg/parser"
)

// DefaultSpecDirs are where CDI specs live, as the CDI library and
// podman look (later ones take precedence for a device named twice).
var DefaultSpecDirs = []string{"/etc/cdi", "/var/run/cdi"}

// SpecDirsEnv overrides the spec directories: a colon-separated list.
const SpecDirsEnv = "URUN_CDI_SPEC_DIRS"

// LooksLikeDeviceName reports whether a --device value is meant as a CDI
// name (VENDOR/CLASS=NAME) rather than a host path: it does not start
// with "/" and has a vendor, a class and a name.
func LooksLikeDeviceName(v string) bool {
	vendor, _, _ := parser.ParseDevice(v)
	return vendor != ""
}

// CheckDeviceName checks a CDI name's syntax, as the CDI library does.
func CheckDeviceName(v string) error {
	if _, _, _, err := parser.ParseQualifiedName(v); err != nil {
		return fmt.Errorf("--device %s: %w: a CDI device is VENDOR/CLASS=NAME, such as nvidia.com/gpu=0", v, err)
	}
	return nil
}

// SpecDirs are the directories CDI specs are read from: $URUN_CDI_SPEC_DIRS
// when set, else urun.conf's cdi_spec_dirs (configured), else
// DefaultSpecDirs.
func SpecDirs(configured []string) []string {
	if v, ok := os.LookupEnv(SpecDirsEnv); ok {
		var dirs []string
		for _, d := range strings.Split(v, ":") {
			if d != "" {
				dirs = append(dirs, filepath.Clean(d))
			}
		}
		return dirs
	}
	if len(configured) > 0 {
		return configured
	}
	return DefaultSpecDirs
}
