package idmap

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"strconv"
	"strings"
)

// Entry maps Size ids starting at ContainerID to ids starting at HostID,
// one line of /proc/PID/uid_map.
type Entry struct {
	ContainerID uint32 `json:"container_id"`
	HostID      uint32 `json:"host_id"`
	Size        uint32 `json:"size"`
}

// Mappings are a user namespace's uid and gid maps.
type Mappings struct {
	UIDs []Entry `json:"uids"`
	GIDs []Entry `json:"gids"`
}

// Build maps container id 0 to the caller's own id and container ids 1..N
// to the subordinate ranges in order. Given the same files the result is
// the same on every run, so ownership of files in the store stays stable.
func Build(uid, gid uint32, subUIDs, subGIDs []Range) Mappings {
	return Mappings{UIDs: build(uid, subUIDs), GIDs: build(gid, subGIDs)}
}

func build(own uint32, ranges []Range) []Entry {
	entries := []Entry{{ContainerID: 0, HostID: own, Size: 1}}
	next := uint32(1)
	for _, r := range ranges {
		entries = append(entries, Entry{ContainerID: next, HostID: r.Start, Size: r.Count})
		next += r.Count
	}
	return entries
}

// Size is how many ids the map covers.
func Size(entries []Entry) uint32 {
	var n uint32
	for _, e := range entries {
		n += e.Size
	}
	return n
}

// ToHost translates a container id to the host id it is stored as.
func ToHost(entries []Entry, id uint32) (uint32, bool) {
	for _, e := range entries {
		if id >= e.ContainerID && id-e.ContainerID < e.Size {
			return e.HostID + (id - e.ContainerID), true
		}
	}
	return 0, false
}

// Caller describes the user urun acts for.
type Caller struct {
	Name     string
	UID, GID uint32
}

// CurrentCaller returns the real user running urun.
func CurrentCaller() (Caller, error) {
	c := Caller{UID: uint32(os.Getuid()), GID: uint32(os.Getgid())}
	u, err := user.LookupId(strconv.Itoa(int(c.UID)))
	if err == nil {
		c.Name = u.Username
		return c, nil
	}
	// Batch hosts may have users that only a directory service knows.
	if name := os.Getenv("USER"); name != "" {
		c.Name = name
		return c, nil
	}
	return c, fmt.Errorf("look up the name of uid %d: %w", c.UID, err)
}

// ForCaller builds the caller's mappings from the system's files.
func (f Files) ForCaller(c Caller) (Mappings, error) {
	uids, err := f.Ranges(UIDs, c.Name, int(c.UID))
	if err != nil {
		return Mappings{}, err
	}
	gids, err := f.Ranges(GIDs, c.Name, int(c.GID))
	if err != nil {
		return Mappings{}, err
	}
	return Build(c.UID, c.GID, uids, gids), nil
}

// ForCurrentCaller builds the mappings of the user running urun: see
// StoreMappings.
func ForCurrentCaller() (Mappings, error) {
	m, _, err := StoreMappings()
	return m, err
}

// Apply writes the maps of process pid's user namespace: itself where it
// may (WrittenDirectly), else by running newuidmap and newgidmap side by
// side, which halves the wait.
func Apply(pid int, m Mappings) error {
	if m.WrittenDirectly() {
		return writeDirectly(pid, m)
	}
	uidErr := make(chan error, 1)
	go func() { uidErr <- runHelper("newuidmap", pid, m.UIDs) }()
	gidErr := runHelper("newgidmap", pid, m.GIDs)
	return errors.Join(<-uidErr, gidErr)
}

func runHelper(helper string, pid int, entries []Entry) error {
	args := []string{strconv.Itoa(pid)}
	for _, e := range entries {
		args = append(args,
			strconv.FormatUint(uint64(e.ContainerID), 10),
			strconv.FormatUint(uint64(e.HostID), 10),
			strconv.FormatUint(uint64(e.Size), 10))
	}
	path, err := HelperPath(helper)
	if err != nil {
		return err
	}
	out, err := exec.Command(path, args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s %s: %w: %s", helper, strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}

// HelperPath finds newuidmap or newgidmap: in $PATH, else in the system
// directories, which su and batch schedulers often leave out of $PATH.
func HelperPath(helper string) (string, error) {
	if path, err := exec.LookPath(helper); err == nil {
		return path, nil
	}
	for _, dir := range []string{"/usr/bin", "/usr/sbin", "/bin", "/sbin"} {
		if _, err := os.Stat(dir + "/" + helper); err == nil {
			return dir + "/" + helper, nil
		}
	}
	return "", fmt.Errorf("%s not found: install the uidmap package (apt-get install uidmap, dnf install shadow-utils)", helper)
}
