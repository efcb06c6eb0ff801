package idmap

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// Source says where a caller's mappings come from.
type Source int

const (
	// SubIDs: 0 is the caller, 1..N its subordinate ranges.
	SubIDs Source = iota
	// SingleID: the caller has no subordinate range; 0 is the caller and
	// nothing else is mapped.
	SingleID
	// HostIDs: the caller is root; every id is itself (no remapping, as
	// rootful Docker and podman).
	HostIDs
)

// Identity maps every id to itself.
func Identity() Mappings {
	all := []Entry{{ContainerID: 0, HostID: 0, Size: 1<<32 - 1}}
	return Mappings{UIDs: all, GIDs: all}
}

// Single maps uid and gid to 0 and nothing else.
func Single(uid, gid uint32) Mappings {
	return Mappings{UIDs: []Entry{{HostID: uid, Size: 1}}, GIDs: []Entry{{HostID: gid, Size: 1}}}
}

// ForCallerOrSingle is ForCaller, or for a caller without a subordinate
// range the single-id mappings, or for root the identity.
func (f Files) ForCallerOrSingle(c Caller) (Mappings, Source, error) {
	if c.UID == 0 {
		return Identity(), HostIDs, nil
	}
	m, err := f.ForCaller(c)
	if errors.Is(err, ErrNoRange) {
		return Single(c.UID, c.GID), SingleID, nil
	}
	return m, SubIDs, err
}

// StoreMappings are the mappings the caller's store and containers use
// (ForCallerOrSingle of the current caller).
func StoreMappings() (Mappings, Source, error) {
	caller, err := CurrentCaller()
	if err != nil && os.Getuid() != 0 {
		return Mappings{}, SubIDs, err
	}
	return Files{}.ForCallerOrSingle(caller)
}

// WrittenDirectly says whether the maps are written to /proc by urun
// itself rather than by newuidmap and newgidmap: root may write any map;
// anyone may map their own uid and gid alone, once setgroups is denied.
func (m Mappings) WrittenDirectly() bool {
	return os.Geteuid() == 0 || m.ownSingle()
}

func (m Mappings) ownSingle() bool {
	return len(m.UIDs) == 1 && len(m.GIDs) == 1 && m.UIDs[0].Size == 1 && m.GIDs[0].Size == 1 &&
		int(m.UIDs[0].HostID) == os.Getuid() && int(m.GIDs[0].HostID) == os.Getgid()
}

// writeDirectly writes the maps of pid's user namespace to /proc.
func writeDirectly(pid int, m Mappings) error {
	proc := "/proc/" + strconv.Itoa(pid) + "/"
	if os.Geteuid() != 0 {
		// The kernel lets an unprivileged process write a gid_map only
		// once setgroups is denied in the namespace.
		if err := os.WriteFile(proc+"setgroups", []byte("deny"), 0); err != nil {
			return fmt.Errorf("deny setgroups in the user namespace: %w", err)
		}
	}
	for _, f := range []struct {
		name    string
		entries []Entry
	}{{"uid_map", m.UIDs}, {"gid_map", m.GIDs}} {
		if err := os.WriteFile(proc+f.name, []byte(FormatEntries(f.entries)), 0); err != nil {
			return fmt.Errorf("write %s %q: %w", proc+f.name, FormatEntries(f.entries), err)
		}
	}
	return nil
}

// FormatEntries lays entries out as /proc/PID/uid_map takes them.
func FormatEntries(entries []Entry) string {
	var b strings.Builder
	for _, e := range entries {
		fmt.Fprintf(&b, "%d %d %d\n", e.ContainerID, e.HostID, e.Size)
	}
	return b.String()
}
