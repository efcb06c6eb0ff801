// Package freeids finds a block of subordinate ids that no user has yet,
// for the usermod line urun suggests to an administrator. It reads every
// line of /etc/subuid and /etc/subgid (not only the caller's) and the ids
// of /etc/passwd and /etc/group, and depends on nothing else of urun so
// that any package (idmap's notice, urun doctor) can use it.
package freeids

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
)

const (
	// First is where shadow-utils starts handing out subordinate ids
	// (SUB_UID_MIN in login.defs).
	First = 100000
	// Block is the size of one user's block (SUB_UID_COUNT): enough for
	// every id a distribution image uses (nobody is 65534).
	Block = 65536
)

// Range is a block of ids: Start, Start+1, ..., Start+Count-1.
type Range struct {
	Start uint64
	Count uint64
}

// End is the first id after the range.
func (r Range) End() uint64 { return r.Start + r.Count }

func (r Range) overlaps(o Range) bool { return r.Start < o.End() && o.Start < r.End() }

func (r Range) holds(id uint64) bool { return id >= r.Start && id < r.End() }

// Find returns the first block of Block ids at First + k*Block that
// overlaps none of taken (every user's subordinate ranges) and holds none
// of used (real uids and gids). false when the 32-bit id space is full.
func Find(taken []Range, used []uint64) (Range, bool) {
	for start := uint64(First); start+Block <= 1<<32; start += Block {
		r := Range{Start: start, Count: Block}
		if free(r, taken, used) {
			return r, true
		}
	}
	return Range{}, false
}

func free(r Range, taken []Range, used []uint64) bool {
	for _, t := range taken {
		if r.overlaps(t) {
			return false
		}
	}
	for _, id := range used {
		// 65534 (nobody) and -1 are below First anyway; a directory
		// service's uids above it count.
		if r.holds(id) {
			return false
		}
	}
	return true
}

// ParseSubIDFile reads every range of a subuid(5) or subgid(5) file,
// whoever it belongs to; lines that are not NAME:START:COUNT are skipped,
// as shadow-utils skips them.
func ParseSubIDFile(r io.Reader) ([]Range, error) {
	var ranges []Range
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		fields := strings.Split(strings.TrimSpace(sc.Text()), ":")
		if len(fields) != 3 {
			continue
		}
		start, err1 := strconv.ParseUint(fields[1], 10, 32)
		count, err2 := strconv.ParseUint(fields[2], 10, 32)
		if err1 != nil || err2 != nil || count == 0 {
			continue
		}
		ranges = append(ranges, Range{Start: start, Count: count})
	}
	return ranges, sc.Err()
}

// parseIDs reads the third field (the uid or gid) of passwd(5) or
// group(5) lines.
func parseIDs(r io.Reader) ([]uint64, error) {
	var ids []uint64
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		fields := strings.Split(sc.Text(), ":")
		if len(fields) < 3 {
			continue
		}
		if id, err := strconv.ParseUint(fields[2], 10, 32); err == nil {
			ids = append(ids, id)
		}
	}
	return ids, sc.Err()
}

// Files are where Suggest reads; the zero value is the system's.
type Files struct {
	SubUID, SubGID, Passwd, Group string
}

func or(path, def string) string {
	if path == "" {
		return def
	}
	return path
}

// Suggest finds the first free block for a new user's subordinate uids
// and gids (one block for both, as useradd gives), avoiding every range in
// the subuid and subgid files, every id in the passwd and group files and
// the extra ids (such as the caller's own uid and gid, which may come from
// a directory service and appear in no file). A missing file holds nothing.
func Suggest(files Files, extra ...uint64) (Range, error) {
	var taken []Range
	used := append([]uint64(nil), extra...)
	for _, path := range []string{or(files.SubUID, "/etc/subuid"), or(files.SubGID, "/etc/subgid")} {
		ranges, err := readWith(path, ParseSubIDFile)
		if err != nil {
			return Range{}, err
		}
		taken = append(taken, ranges...)
	}
	for _, path := range []string{or(files.Passwd, "/etc/passwd"), or(files.Group, "/etc/group")} {
		ids, err := readWith(path, parseIDs)
		if err != nil {
			return Range{}, err
		}
		used = append(used, ids...)
	}
	r, ok := Find(taken, used)
	if !ok {
		return Range{}, errors.New("no free block of 65536 subordinate ids left below 2^32")
	}
	return r, nil
}

func readWith[T any](path string, parse func(io.Reader) ([]T, error)) ([]T, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	defer f.Close()
	vals, err := parse(f)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return vals, nil
}

// UsermodCommand is the administrator's command that gives user the block
// r of subordinate uids and gids.
func UsermodCommand(user string, r Range) string {
	ids := fmt.Sprintf("%d-%d", r.Start, r.End()-1)
	return fmt.Sprintf("sudo usermod --add-subuids %s --add-subgids %s %s", ids, ids, user)
}
