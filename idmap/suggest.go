package idmap

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// The grid useradd and usermod allocate subordinate ranges on: SUB_UID_MIN
// and SUB_UID_COUNT of login.defs' defaults.
const (
	suggestFirst = 100000
	SuggestCount = 65536
)

// FixCommand is the command an administrator runs to give user a
// subordinate range of its own (SuggestRange).
func (f Files) FixCommand(user string) string {
	start := f.SuggestRange(SuggestCount)
	r := fmt.Sprintf("%d-%d", start, uint64(start)+SuggestCount-1)
	return fmt.Sprintf("sudo usermod --add-subuids %s --add-subgids %s %s", r, r, user)
}

// SuggestRange returns the start of the first range of count ids on
// useradd's grid (100000, 165536, ...) that overlaps no range in the
// subuid and subgid files and no uid or gid of a user in /etc/passwd: a
// range the administrator can give without a collision. Ranges a
// directory service hands out (nsswitch subid) are not seen.
func (f Files) SuggestRange(count uint32) uint32 {
	var taken []Range
	for _, k := range []Kind{UIDs, GIDs} {
		taken = append(taken, allRanges(f.path(k))...)
	}
	taken = append(taken, passwdIDs(f.passwd())...)
	for start := uint64(suggestFirst); start+uint64(count) <= 1<<32; start += uint64(count) {
		free := true
		for _, r := range taken {
			if uint64(r.Start) < start+uint64(count) && start < uint64(r.Start)+uint64(r.Count) {
				free = false
				break
			}
		}
		if free {
			return uint32(start)
		}
	}
	return suggestFirst
}

func (f Files) passwd() string {
	if f.Passwd != "" {
		return f.Passwd
	}
	return "/etc/passwd"
}

// allRanges are every user's ranges in a subuid(5)-format file.
func allRanges(path string) []Range {
	file, err := os.Open(path)
	if err != nil {
		return nil
	}
	defer file.Close()
	var out []Range
	sc := bufio.NewScanner(file)
	for sc.Scan() {
		fields := strings.Split(strings.TrimSpace(sc.Text()), ":")
		if len(fields) != 3 {
			continue
		}
		start, err1 := strconv.ParseUint(fields[1], 10, 32)
		count, err2 := strconv.ParseUint(fields[2], 10, 32)
		if err1 == nil && err2 == nil && count > 0 {
			out = append(out, Range{Start: uint32(start), Count: uint32(min(count, 1<<32-start))})
		}
	}
	return out
}

// passwdIDs are the uids and gids of /etc/passwd's users, one id each;
// nobody's 65534 lies below the grid.
func passwdIDs(path string) []Range {
	file, err := os.Open(path)
	if err != nil {
		return nil
	}
	defer file.Close()
	var out []Range
	sc := bufio.NewScanner(file)
	for sc.Scan() {
		fields := strings.Split(sc.Text(), ":")
		if len(fields) < 4 {
			continue
		}
		for _, field := range fields[2:4] {
			if id, err := strconv.ParseUint(field, 10, 32); err == nil {
				out = append(out, Range{Start: uint32(id), Count: 1})
			}
		}
	}
	return out
}
