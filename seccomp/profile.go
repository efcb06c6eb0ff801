// Package seccomp compiles the seccomp filter of a container on the host
// side: Docker's default profile (from github.com/moby/profiles/seccomp,
// the same rules `docker run` applies) or the user's
// `--security-opt seccomp=PROFILE.json`, into the BPF program urun's init
// loads right before exec. Compiled programs are cached, keyed by
// everything that shapes them, so a start usually only reads a file.
package seccomp

import (
	"fmt"

	mobyseccomp "github.com/moby/profiles/seccomp"
	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// Profile resolves a profile for a process with the given capabilities
// (Docker's profile allows more to a process with, say, CAP_SYS_ADMIN). A
// custom profile is Docker's JSON format; "" means Docker's default.
func Profile(custom string, caps []string) (*specs.LinuxSeccomp, error) {
	rs := &specs.Spec{Process: &specs.Process{Capabilities: &specs.LinuxCapabilities{Bounding: caps}}}
	if custom == "" {
		p, err := mobyseccomp.GetDefaultProfile(rs)
		if err != nil {
			return nil, fmt.Errorf("build the default seccomp profile: %w", err)
		}
		return p, nil
	}
	p, err := mobyseccomp.LoadProfile(custom, rs)
	if err != nil {
		return nil, fmt.Errorf("read the seccomp profile: %w", err)
	}
	if p == nil {
		return nil, fmt.Errorf("the seccomp profile has no defaultAction and no syscalls: give seccomp=unconfined to run without a filter")
	}
	return p, nil
}
