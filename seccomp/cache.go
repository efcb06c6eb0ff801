package seccomp

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"

	"golang.org/x/sys/unix"

	"github.com/urun/urun/atomicfile"
)

/*
#include <seccomp.h>
*/
import "C"

// Filter returns the path of the compiled filter for a profile (custom is
// Docker's JSON format, "" the default) and a process's capabilities,
// compiling it into dir when no earlier start did. The key covers what
// the program depends on: the profile, the capabilities, the kernel
// (Docker's rules depend on its version), the architecture and the
// versions of the profile module and of libseccomp.
func Filter(dir, custom string, caps []string) (string, error) {
	path := filepath.Join(dir, cacheKey(custom, caps)+".bpf")
	if _, err := os.Stat(path); err == nil {
		return path, nil
	}
	profile, err := Profile(custom, caps)
	if err != nil {
		return "", err
	}
	prog, err := Compile(profile)
	if err != nil {
		return "", fmt.Errorf("compile the seccomp profile: %w", err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("create the seccomp cache %s: %w", dir, err)
	}
	if err := atomicfile.Write(path, prog); err != nil {
		return "", fmt.Errorf("cache the seccomp filter: %w", err)
	}
	return path, nil
}

func cacheKey(custom string, caps []string) string {
	h := sha256.New()
	var uts unix.Utsname
	_ = unix.Uname(&uts)
	v := C.seccomp_version()
	fmt.Fprintf(h, "urun seccomp 2\x00%s\x00%s\x00%s\x00%d.%d.%d\x00%s\x00%s",
		runtime.GOARCH, unix.ByteSliceToString(uts.Release[:]), moduleVersion("github.com/moby/profiles/seccomp"),
		v.major, v.minor, v.micro, strings.Join(caps, ","), custom)
	return hex.EncodeToString(h.Sum(nil))[:32]
}

// moduleVersion is the version of a module built into this binary.
func moduleVersion(path string) string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	for _, d := range info.Deps {
		if d.Path == path {
			return d.Version
		}
	}
	return "unknown"
}
