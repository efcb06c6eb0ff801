package local

import (
	"fmt"
	"slices"
	"strings"
)

// CheckPlatform checks the form of --platform, OS/ARCH[/VARIANT] (linux/amd64,
// linux/arm64/v8); "" is the host's platform. `urun run` checks it even when
// the image is stored and nothing is pulled, as Docker does.
func CheckPlatform(s string) error {
	if s == "" {
		return nil
	}
	parts := strings.Split(s, "/")
	if len(parts) < 2 || len(parts) > 3 || slices.Contains(parts, "") {
		return fmt.Errorf("invalid platform %q: write it as OS/ARCH or OS/ARCH/VARIANT, for example linux/amd64 or linux/arm64/v8", s)
	}
	return nil
}
