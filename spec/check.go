package spec

import (
	"fmt"
	"strings"
	"unicode"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// hostNameMax is the kernel's limit on a host name (HOST_NAME_MAX).
const hostNameMax = 64

// checkText refuses a flag value with a control character (a newline, a
// tab, an escape): no path, name or option of a container has one, and
// written into a file such as /etc/hosts it would add lines of its own.
func checkText(flag, v string) error {
	if i := strings.IndexFunc(v, unicode.IsControl); i >= 0 {
		return fmt.Errorf("%s %q: it contains the control character %q", flag, v, v[i])
	}
	return nil
}

// Check refuses options that would fail, or mean something else, once
// the container is made: it runs before anything is written (and Build
// runs it again).
func (o Options) Check() error {
	for _, e := range o.Env {
		key, _, _ := strings.Cut(e, "=")
		if key == "" {
			return fmt.Errorf("-e/--env %q: the variable has no name: give NAME=VALUE, or NAME to pass yours", e)
		}
	}
	if o.Hostname != "" {
		if err := checkText("-h/--hostname", o.Hostname); err != nil {
			return err
		}
		if len(o.Hostname) > hostNameMax || strings.ContainsAny(o.Hostname, " /") {
			return fmt.Errorf("-h/--hostname %q: give a host name of at most %d letters, digits, '-' and '.'", o.Hostname, hostNameMax)
		}
	}
	if o.User != "" {
		user, group, hasGroup := strings.Cut(o.User, ":")
		if checkText("-u/--user", o.User) != nil || strings.ContainsAny(o.User, " ") || strings.Contains(group, ":") || hasGroup && (user == "" || group == "") {
			return fmt.Errorf("-u/--user %q: give NAME|UID[:GROUP|GID]", o.User)
		}
	}
	if err := checkText("-w/--workdir", o.WorkDir); err != nil {
		return err
	}
	// Capabilities and --security-opt (which reads a seccomp profile).
	if _, err := o.Security.resolve(); err != nil {
		return err
	}
	if err := o.Kernel.check(o.HostNetwork); err != nil {
		return err
	}
	if o.Kernel.UTS == "host" && o.Hostname != "" {
		return fmt.Errorf("-h/--hostname %q with --uts host: the host name is the host's; drop one", o.Hostname)
	}
	if JoinedContainer(o.Kernel.UTS) != "" && o.Hostname != "" {
		return fmt.Errorf("-h/--hostname %q with --uts %s: the host name is that container's; drop one", o.Hostname, o.Kernel.UTS)
	}
	return checkDuplicateMounts(o.Mounts)
}

// checkDuplicateMounts refuses two mounts on one container path, as
// Docker does ("Duplicate mount point").
func checkDuplicateMounts(mounts []specs.Mount) error {
	seen := map[string]bool{}
	for _, m := range mounts {
		if seen[m.Destination] {
			return fmt.Errorf("duplicate mount point %s: give each container path one -v, --mount, --tmpfs or --device", m.Destination)
		}
		seen[m.Destination] = true
	}
	return nil
}
