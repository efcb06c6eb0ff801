package inside

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// ExecUser is who the container's process runs as.
type ExecUser struct {
	UID, GID uint32
	Groups   []uint32
	Home     string
}

type passwdEntry struct {
	name     string
	uid, gid uint32
	home     string
}

type groupEntry struct {
	name    string
	gid     uint32
	members []string
}

// ResolveUser resolves Docker's --user forms (name, uid, name:group,
// uid:gid, and mixes) against the image's passwd and group files, as Docker
// does: a numeric uid missing from passwd is allowed and gets gid 0; a
// name that is missing is an error. Supplementary groups are the groups
// that list the user as a member.
func ResolveUser(spec string, passwd, group io.Reader) (ExecUser, error) {
	users := parsePasswd(passwd)
	groups := parseGroup(group)
	userPart, groupPart, hasGroup := strings.Cut(spec, ":")
	if userPart == "" {
		userPart = "0"
	}
	u := ExecUser{Home: "/"}
	name := ""
	if uid, err := parseID(userPart); err == nil {
		u.UID = uid
		for _, p := range users {
			if p.uid == uid {
				u.GID, u.Home, name = p.gid, p.home, p.name
				break
			}
		}
	} else {
		found := false
		for _, p := range users {
			if p.name == userPart {
				u.UID, u.GID, u.Home, name, found = p.uid, p.gid, p.home, p.name, true
				break
			}
		}
		if !found {
			return ExecUser{}, fmt.Errorf("unable to find user %s: no matching entries in passwd file", userPart)
		}
	}
	if hasGroup {
		if gid, err := parseID(groupPart); err == nil {
			u.GID = gid
		} else {
			found := false
			for _, g := range groups {
				if g.name == groupPart {
					u.GID, found = g.gid, true
					break
				}
			}
			if !found {
				return ExecUser{}, fmt.Errorf("unable to find group %s: no matching entries in group file", groupPart)
			}
		}
	}
	if name != "" {
		for _, g := range groups {
			for _, m := range g.members {
				if m == name && g.gid != u.GID {
					u.Groups = append(u.Groups, g.gid)
				}
			}
		}
	}
	return u, nil
}

func parseID(s string) (uint32, error) {
	n, err := strconv.ParseUint(s, 10, 32)
	return uint32(n), err
}

func parsePasswd(r io.Reader) []passwdEntry {
	var out []passwdEntry
	eachLine(r, 7, func(f []string) {
		uid, err1 := parseID(f[2])
		gid, err2 := parseID(f[3])
		if err1 == nil && err2 == nil {
			home := f[5]
			if home == "" {
				home = "/" // as for a uid passwd does not list (found by fuzzing)
			}
			out = append(out, passwdEntry{name: f[0], uid: uid, gid: gid, home: home})
		}
	})
	return out
}

func parseGroup(r io.Reader) []groupEntry {
	var out []groupEntry
	eachLine(r, 4, func(f []string) {
		gid, err := parseID(f[2])
		if err != nil {
			return
		}
		g := groupEntry{name: f[0], gid: gid}
		if f[3] != "" {
			g.members = strings.Split(f[3], ",")
		}
		out = append(out, g)
	})
	return out
}

// eachLine calls fn for every line with exactly n colon-separated fields.
func eachLine(r io.Reader, n int, fn func([]string)) {
	if r == nil {
		return
	}
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if f := strings.Split(line, ":"); len(f) == n {
			fn(f)
		}
	}
}
