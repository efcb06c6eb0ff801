package spec

import (
	"fmt"
	"slices"
	"strings"
)

// capabilityNumbers are the kernel's capability numbers
// (include/uapi/linux/capability.h), by name without the CAP_ prefix.
var capabilityNumbers = map[string]int{
	"CHOWN": 0, "DAC_OVERRIDE": 1, "DAC_READ_SEARCH": 2, "FOWNER": 3, "FSETID": 4,
	"KILL": 5, "SETGID": 6, "SETUID": 7, "SETPCAP": 8, "LINUX_IMMUTABLE": 9,
	"NET_BIND_SERVICE": 10, "NET_BROADCAST": 11, "NET_ADMIN": 12, "NET_RAW": 13,
	"IPC_LOCK": 14, "IPC_OWNER": 15, "SYS_MODULE": 16, "SYS_RAWIO": 17,
	"SYS_CHROOT": 18, "SYS_PTRACE": 19, "SYS_PACCT": 20, "SYS_ADMIN": 21,
	"SYS_BOOT": 22, "SYS_NICE": 23, "SYS_RESOURCE": 24, "SYS_TIME": 25,
	"SYS_TTY_CONFIG": 26, "MKNOD": 27, "LEASE": 28, "AUDIT_WRITE": 29,
	"AUDIT_CONTROL": 30, "SETFCAP": 31, "MAC_OVERRIDE": 32, "MAC_ADMIN": 33,
	"SYSLOG": 34, "WAKE_ALARM": 35, "BLOCK_SUSPEND": 36, "AUDIT_READ": 37,
	"PERFMON": 38, "BPF": 39, "CHECKPOINT_RESTORE": 40,
}

// DefaultCapabilities is Docker's default set for a container's process
// (CapEff 00000000a80425fb for root).
var DefaultCapabilities = []string{
	"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL",
	"CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE",
	"CAP_NET_RAW", "CAP_SYS_CHROOT", "CAP_MKNOD", "CAP_AUDIT_WRITE", "CAP_SETFCAP",
}

// AllCapabilities lists every capability this table knows, in number order.
func AllCapabilities() []string {
	all := make([]string, len(capabilityNumbers))
	for name, n := range capabilityNumbers {
		all[n] = "CAP_" + name
	}
	return all
}

// CapabilityNumber returns the kernel's number of a capability named
// "CAP_X" (as the runtime spec names them).
func CapabilityNumber(name string) (int, bool) {
	n, ok := capabilityNumbers[strings.TrimPrefix(name, "CAP_")]
	return n, ok
}

// normalizeCapability turns "net_admin", "NET_ADMIN" or "cap_net_admin"
// into "CAP_NET_ADMIN"; "all" stays "ALL".
func normalizeCapability(name string) (string, error) {
	upper := strings.ToUpper(strings.TrimSpace(name))
	if upper == "ALL" {
		return upper, nil
	}
	upper = strings.TrimPrefix(upper, "CAP_")
	if _, ok := capabilityNumbers[upper]; !ok {
		return "", fmt.Errorf("unknown capability %q: give a name from capabilities(7), such as NET_ADMIN, or ALL", name)
	}
	return "CAP_" + upper, nil
}

// Capabilities applies --cap-add and --cap-drop to Docker's default set
// (or to every capability when privileged), with Docker's rules: ALL in
// --cap-drop starts from nothing, ALL in --cap-add gives everything but
// what is dropped, and otherwise a capability both added and dropped is
// added. The result is in number order.
func Capabilities(add, drop []string, privileged bool) ([]string, error) {
	addSet, err := normalizeCapabilities(add)
	if err != nil {
		return nil, fmt.Errorf("--cap-add: %w", err)
	}
	dropSet, err := normalizeCapabilities(drop)
	if err != nil {
		return nil, fmt.Errorf("--cap-drop: %w", err)
	}
	base := DefaultCapabilities
	addAll := slices.Contains(addSet, "ALL")
	if privileged || addAll {
		base = AllCapabilities()
	}
	var out []string
	for _, c := range AllCapabilities() {
		have := slices.Contains(base, c)
		// After ALL in --cap-add, the drops still apply (as Docker:
		// --cap-add=all --cap-drop=net_raw has no NET_RAW).
		if slices.Contains(dropSet, c) || slices.Contains(dropSet, "ALL") && !addAll {
			have = false
		}
		if slices.Contains(addSet, c) && !addAll {
			have = true
		}
		if have {
			out = append(out, c)
		}
	}
	return out, nil
}

func normalizeCapabilities(names []string) ([]string, error) {
	var out []string
	for _, n := range names {
		for _, part := range strings.Split(n, ",") {
			c, err := normalizeCapability(part)
			if err != nil {
				return nil, err
			}
			out = append(out, c)
		}
	}
	return out, nil
}
