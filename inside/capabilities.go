package inside

import (
	"fmt"

	"golang.org/x/sys/unix"

	"github.com/urun/urun/spec"
)

// capSet is a set of capabilities as the kernel's bit masks.
type capSet [2]uint32

func (c *capSet) add(n int) { c[n/32] |= 1 << (n % 32) }
func (c capSet) has(n int) bool {
	return c[n/32]&(1<<(n%32)) != 0
}

// capabilityMask turns the spec's names into the kernel's bits; a name
// this kernel does not know is an error, not silently dropped.
func capabilityMask(names []string) (capSet, error) {
	var set capSet
	for _, name := range names {
		n, ok := spec.CapabilityNumber(name)
		if !ok {
			return set, fmt.Errorf("unknown capability %s", name)
		}
		set.add(n)
	}
	return set, nil
}

// lastCap is the highest capability the running kernel has: the bounding
// set answers EINVAL past it. (Asking the kernel, not the container's
// /proc, which a mount could have replaced.)
func lastCap() (int, error) {
	for n := 0; n < 64; n++ {
		if _, err := unix.PrctlRetInt(unix.PR_CAPBSET_READ, uintptr(n), 0, 0, 0); err != nil {
			if n == 0 {
				return 0, fmt.Errorf("read the bounding set: %w", err)
			}
			return n - 1, nil
		}
	}
	return 63, nil
}

// limitBoundingSet drops from the bounding set every capability not in
// keep. It must run while the process still has CAP_SETPCAP, before it
// switches to the container's user. For root in the container the
// bounding set is what exec leaves it: a root process gets every
// capability of its bounding set at execve.
func limitBoundingSet(keep capSet) error {
	last, err := lastCap()
	if err != nil {
		return err
	}
	for n := 0; n <= last; n++ {
		if n < 64 && keep.has(n) {
			continue
		}
		if err := unix.Prctl(unix.PR_CAPBSET_DROP, uintptr(n), 0, 0, 0); err != nil {
			return fmt.Errorf("drop capability %d from the bounding set: %w", n, err)
		}
	}
	return nil
}

// setCapabilities makes keep the process's effective and permitted sets
// and empties the inheritable and ambient ones. For a user other than
// root the kernel already cleared the permitted set at the switch of
// user, and exec clears it again: such a process runs with none, as with
// Docker.
func setCapabilities(keep capSet) error {
	if err := unix.Prctl(unix.PR_CAP_AMBIENT, unix.PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0); err != nil {
		return fmt.Errorf("clear the ambient capabilities: %w", err)
	}
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var cur [2]unix.CapUserData
	if err := unix.Capget(&hdr, &cur[0]); err != nil {
		return fmt.Errorf("read capabilities: %w", err)
	}
	var data [2]unix.CapUserData
	for i := range data {
		// Only what the process still has can be kept.
		data[i].Permitted = keep[i] & cur[i].Permitted
		data[i].Effective = data[i].Permitted
	}
	if err := unix.Capset(&hdr, &data[0]); err != nil {
		return fmt.Errorf("set capabilities: %w", err)
	}
	return nil
}
