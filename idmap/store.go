package idmap

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// StoreRecord is the file in a graph root that holds the mappings the
// store's files were written with. Files keep their owners as host ids:
// under other mappings (the user got a subordinate range later, or lost
// it) they would show with wrong owners inside, or belong to no one.
const StoreRecord = "urun-idmap"

// MismatchError refuses a store written with other mappings.
type MismatchError struct {
	GraphRoot         string
	Recorded, Current Mappings
}

func (e *MismatchError) Error() string {
	fix := fmt.Sprintf("Use another store (--root DIR, or root in urun.conf), or remove this one: its files are all yours, so 'chmod -R u+w %[1]s && rm -rf %[1]s' does (stop its containers first)", e.GraphRoot)
	if Size(e.Recorded.UIDs) > 1 && Size(e.Current.UIDs) == 1 {
		fix = fmt.Sprintf("Use another store (--root DIR, or root in urun.conf); its files belong to subordinate ids you no longer have, so only an administrator can remove it (sudo rm -rf %s)", e.GraphRoot)
	}
	return fmt.Sprintf("image store %s was filled with other id mappings (%s) than urun has for you now (%s): its files would show inside with the wrong owners. %s",
		e.GraphRoot, Describe(e.Recorded), Describe(e.Current), fix)
}

// Describe names mappings in a user's words.
func Describe(m Mappings) string {
	switch {
	case len(m.UIDs) == 1 && m.UIDs[0].Size == 1<<32-1:
		return "the host's ids, unchanged (root)"
	case Size(m.UIDs) == 1:
		return fmt.Sprintf("uid %d alone, no subordinate ids", m.UIDs[0].HostID)
	}
	var ranges []string
	for _, e := range m.UIDs[1:] {
		ranges = append(ranges, fmt.Sprintf("%d-%d", e.HostID, uint64(e.HostID)+uint64(e.Size)-1))
	}
	return fmt.Sprintf("uid %d and subordinate uids %s", m.UIDs[0].HostID, strings.Join(ranges, ", "))
}

func formatStoreRecord(m Mappings) string {
	return "uid_map\n" + FormatEntries(m.UIDs) + "gid_map\n" + FormatEntries(m.GIDs)
}

func parseStoreRecord(text string) (Mappings, bool) {
	var m Mappings
	var into *[]Entry
	for _, line := range strings.Split(strings.TrimSpace(text), "\n") {
		switch line {
		case "uid_map":
			into = &m.UIDs
			continue
		case "gid_map":
			into = &m.GIDs
			continue
		}
		var e Entry
		if into == nil {
			return m, false
		}
		if _, err := fmt.Sscanf(line, "%d %d %d", &e.ContainerID, &e.HostID, &e.Size); err != nil {
			return m, false
		}
		*into = append(*into, e)
	}
	return m, len(m.UIDs) > 0 && len(m.GIDs) > 0
}

// CheckStore refuses the store in graphRoot when its record names other
// mappings than m. Without a record (a new store, or one older than the
// record) it writes m when record is set: commands that write files into
// the store set it.
func CheckStore(graphRoot string, m Mappings, record bool) error {
	path := filepath.Join(graphRoot, StoreRecord)
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		if !record {
			return nil
		}
		if err := os.MkdirAll(graphRoot, 0o700); err != nil {
			return fmt.Errorf("create image store %s: %w", graphRoot, err)
		}
		// The first to record wins; a read-only store is no error.
		if f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644); err == nil {
			_, werr := f.WriteString(formatStoreRecord(m))
			if cerr := f.Close(); werr != nil || cerr != nil {
				os.Remove(path)
				return fmt.Errorf("record the id mappings of image store %s: %w", graphRoot, errors.Join(werr, cerr))
			}
			return nil
		}
		data, err = os.ReadFile(path)
	}
	if err != nil {
		return nil // unreadable: the store's own checks speak
	}
	if string(data) == formatStoreRecord(m) {
		return nil
	}
	recorded, ok := parseStoreRecord(string(data))
	if !ok {
		return fmt.Errorf("image store %s: its id mapping record %s is damaged: remove it if the store's files belong to you and your subordinate ids as now", graphRoot, path)
	}
	return &MismatchError{GraphRoot: graphRoot, Recorded: recorded, Current: m}
}
