// Package idmap finds the caller's subordinate uid/gid ranges and writes a
// user namespace's maps with the setuid helpers newuidmap and newgidmap.
// It runs on the host side.
package idmap

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
)

// Range is one block of subordinate ids from /etc/subuid or /etc/subgid.
type Range struct {
	Start uint32
	Count uint32
}

// Kind selects uids or gids.
type Kind int

const (
	UIDs Kind = iota
	GIDs
)

func (k Kind) file() string {
	if k == GIDs {
		return "/etc/subgid"
	}
	return "/etc/subuid"
}

func (k Kind) String() string {
	if k == GIDs {
		return "gid"
	}
	return "uid"
}

// ErrNoRange means the user has no subordinate range: the fix is usermod.
var ErrNoRange = errors.New("no subordinate id range")

// Files lets tests and `urun info` point at other files; the zero value
// reads the system's.
type Files struct {
	SubUID, SubGID, NSSwitch, Passwd string
}

func (f Files) path(k Kind) string {
	if k == GIDs && f.SubGID != "" {
		return f.SubGID
	}
	if k == UIDs && f.SubUID != "" {
		return f.SubUID
	}
	return k.file()
}

func (f Files) nsswitch() string {
	if f.NSSwitch != "" {
		return f.NSSwitch
	}
	return "/etc/nsswitch.conf"
}

// Ranges returns the user's ranges of the given kind, in file order. They
// come from /etc/subuid (or /etc/subgid) unless nsswitch.conf names another
// source for "subid", in which case getsubids(1) asks that source.
func (f Files) Ranges(k Kind, user string, uid int) ([]Range, error) {
	var (
		ranges []Range
		err    error
		source = f.path(k)
	)
	if svc := subidService(f.nsswitch()); svc != "" && svc != "files" {
		source = "getsubids (nsswitch subid: " + svc + ")"
		ranges, err = getsubids(k, user)
	} else {
		var file *os.File
		file, err = os.Open(source)
		if err == nil {
			ranges, err = ParseSubIDs(file, user, uid)
			file.Close()
		} else if errors.Is(err, os.ErrNotExist) {
			err = nil
		}
	}
	if err != nil {
		return nil, fmt.Errorf("read subordinate %ss of %s from %s: %w", k, user, source, err)
	}
	if len(ranges) == 0 {
		return nil, fmt.Errorf("%w: user %q has no line in %s; add one with '%s'",
			ErrNoRange, user, source, f.FixCommand(user, uint64(uid)))
	}
	return ranges, nil
}

// ParseSubIDs reads subuid(5)-format lines "name-or-uid:start:count" and
// returns the ranges that belong to the user, by name or by numeric uid.
func ParseSubIDs(r io.Reader, user string, uid int) ([]Range, error) {
	var ranges []Range
	uidText := strconv.Itoa(uid)
	sc := bufio.NewScanner(r)
	for line := 1; sc.Scan(); line++ {
		text := strings.TrimSpace(sc.Text())
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		fields := strings.Split(text, ":")
		if len(fields) != 3 {
			continue // shadow-utils skips malformed lines too
		}
		if fields[0] != user && fields[0] != uidText {
			continue
		}
		start, err1 := strconv.ParseUint(fields[1], 10, 32)
		count, err2 := strconv.ParseUint(fields[2], 10, 32)
		if err1 != nil || err2 != nil || count == 0 || start+count > 1<<32 {
			return nil, fmt.Errorf("line %d %q: want NAME:START:COUNT with 32-bit numbers", line, text)
		}
		ranges = append(ranges, Range{Start: uint32(start), Count: uint32(count)})
	}
	return ranges, sc.Err()
}

// subidService returns the first source nsswitch.conf gives for "subid",
// or "" when there is no such line (shadow-utils then reads the files).
func subidService(path string) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	for _, line := range strings.Split(string(data), "\n") {
		line, _, _ = strings.Cut(line, "#")
		key, value, ok := strings.Cut(line, ":")
		if !ok || strings.TrimSpace(key) != "subid" {
			continue
		}
		if f := strings.Fields(value); len(f) > 0 {
			return f[0]
		}
	}
	return ""
}

// getsubids asks shadow-utils' getsubids(1), which prints lines such as
// "0: alice 100000 65536".
func getsubids(k Kind, user string) ([]Range, error) {
	args := []string{user}
	if k == GIDs {
		args = []string{"-g", user}
	}
	out, err := exec.Command("getsubids", args...).Output()
	if err != nil {
		if errors.Is(err, exec.ErrNotFound) {
			return nil, fmt.Errorf("getsubids not found: install the uidmap package")
		}
		return nil, fmt.Errorf("getsubids %s: %w", strings.Join(args, " "), err)
	}
	var ranges []Range
	for _, line := range bytes.Split(out, []byte("\n")) {
		f := strings.Fields(string(line))
		if len(f) != 4 {
			continue
		}
		start, err1 := strconv.ParseUint(f[2], 10, 32)
		count, err2 := strconv.ParseUint(f[3], 10, 32)
		if err1 != nil || err2 != nil {
			return nil, fmt.Errorf("getsubids printed %q", line)
		}
		ranges = append(ranges, Range{Start: uint32(start), Count: uint32(count)})
	}
	return ranges, nil
}
