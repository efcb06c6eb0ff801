package doctor

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/urun/urun/idmap"
	"github.com/urun/urun/idmap/freeids"
)

func checkCaller(h *Host) Result {
	r := Result{Name: "user", Status: OK}
	if h.IsRoot {
		r.Message = "root: containers run without id remapping (root in a container is the host's root, as with rootful Docker and podman); the checks that only concern ordinary users are skipped"
		return r
	}
	r.Message = fmt.Sprintf("%s (uid %d, gid %d): rootless containers in a user namespace", h.Caller.Name, h.Caller.UID, h.Caller.GID)
	if h.Caller.Name == "" {
		r.Status, r.Message = Problem, fmt.Sprintf("uid %d has no user name (not in /etc/passwd or the directory service, and $USER unset): its subordinate ids cannot be looked up", h.Caller.UID)
		r.Fix = "export USER=$(id -un)"
	}
	return r
}

func checkConfig(h *Host) Result {
	r := Result{Name: "config", Status: OK}
	switch {
	case h.ConfigErr != nil:
		r.Status, r.Message = Problem, h.ConfigErr.Error()
		r.Fix = "correct or remove " + h.ConfigPath
	case h.Config.Source == "":
		r.Message = h.ConfigPath + " absent: defaults (store " + h.Config.GraphRoot + ", run root " + h.Config.RunRoot + ")"
	default:
		r.Message = h.Config.Source + " (store " + h.Config.GraphRoot + ", run root " + h.Config.RunRoot + ")"
	}
	return r
}

func (h *Host) idFiles() idmap.Files {
	return idmap.Files{SubUID: h.path("/etc/subuid"), SubGID: h.path("/etc/subgid"), NSSwitch: h.path("/etc/nsswitch.conf")}
}

// subIDs are the caller's ranges (nil, nil when there are none).
func (h *Host) subIDs() (uids, gids []idmap.Range, err error) {
	f := h.idFiles()
	uids, err = f.Ranges(idmap.UIDs, h.Caller.Name, int(h.Caller.UID))
	if err != nil && !errors.Is(err, idmap.ErrNoRange) {
		return nil, nil, err
	}
	gids, err = f.Ranges(idmap.GIDs, h.Caller.Name, int(h.Caller.GID))
	if err != nil && !errors.Is(err, idmap.ErrNoRange) {
		return nil, nil, err
	}
	return uids, gids, nil
}

// hasSubIDs: the caller has both ranges, so containers are mapped with
// newuidmap and newgidmap.
func (h *Host) hasSubIDs() bool {
	uids, gids, err := h.subIDs()
	return err == nil && len(uids) > 0 && len(gids) > 0
}

// usermodFix is the usermod line with a block no other user has.
func (h *Host) usermodFix() string {
	files := freeids.Files{SubUID: h.path("/etc/subuid"), SubGID: h.path("/etc/subgid"), Passwd: h.path("/etc/passwd"), Group: h.path("/etc/group")}
	r, err := freeids.Suggest(files, uint64(h.Caller.UID), uint64(h.Caller.GID))
	if err != nil {
		return "sudo usermod --add-subuids START-END --add-subgids START-END " + h.Caller.Name + " (pick a block of 65536 ids no line of /etc/subuid or /etc/subgid has: " + err.Error() + ")"
	}
	return freeids.UsermodCommand(h.Caller.Name, r)
}

func describeRanges(rs []idmap.Range) string {
	var parts []string
	for _, r := range rs {
		parts = append(parts, fmt.Sprintf("%d-%d", r.Start, uint64(r.Start)+uint64(r.Count)-1))
	}
	return strings.Join(parts, ",")
}

func total(rs []idmap.Range) uint64 {
	var n uint64
	for _, r := range rs {
		n += uint64(r.Count)
	}
	return n
}

func checkSubIDs(h *Host) Result {
	r := Result{Name: "subids"}
	if h.IsRoot {
		return skippedForRoot(r.Name, "no subordinate ids needed (no remapping)")
	}
	uids, gids, err := h.subIDs()
	svc := h.subidSource()
	directory := svc != "" && svc != "files"
	// usermod writes the files, which shadow-utils does not read when
	// nsswitch.conf names another source.
	directoryFix := "add ranges for " + h.Caller.Name + " in " + svc + " (FreeIPA: ipa subid-generate --owner " + h.Caller.Name + ")"
	if err != nil {
		r.Status, r.Message = Problem, err.Error()
		r.Fix = "correct the line of " + h.Caller.Name + " in /etc/subuid and /etc/subgid (NAME:START:COUNT)"
		if directory {
			r.Message += "; nsswitch.conf takes subordinate ids from " + svc
			r.Fix = directoryFix
		}
		return r
	}
	var missing []string
	if len(uids) == 0 {
		missing = append(missing, "/etc/subuid")
	}
	if len(gids) == 0 {
		missing = append(missing, "/etc/subgid")
	}
	if len(missing) > 0 {
		r.Status = Warning
		r.Message = fmt.Sprintf("%s has no subordinate ids in %s: containers get a single-id user namespace (your uid and gid as root, no other owner: files of other ids and apt's _apt sandbox fail)",
			h.Caller.Name, strings.Join(missing, " and "))
		r.Fix = h.usermodFix()
		if directory {
			r.Message += "; nsswitch.conf takes subordinate ids from " + svc
			r.Fix = directoryFix
		}
		return r
	}
	r.Status = OK
	r.Message = fmt.Sprintf("uids %s, gids %s", describeRanges(uids), describeRanges(gids))
	if n := min(total(uids), total(gids)); n < freeids.Block {
		r.Status = Warning
		r.Message += fmt.Sprintf(": only %d ids, and images with owners up to 65534 (nobody) need 65536", n)
		r.Fix = h.usermodFix()
	}
	return r
}

// Capabilities in security.capability (vfs_cap_data): the first 32-bit
// word is the revision and the effective flag, then the permitted and
// inheritable sets, low words first.
const (
	capSetgid        = 6
	capSetuid        = 7
	vfsCapEffective  = 0x1
	vfsCapRevisionMk = 0xFF000000
)

// fileCaps decodes a security.capability value: the permitted set's low
// word and whether the effective flag is set.
func fileCaps(v []byte) (permitted uint32, effective bool, ok bool) {
	if len(v) < 12 {
		return 0, false, false
	}
	magic := binary.LittleEndian.Uint32(v[0:4])
	switch magic & vfsCapRevisionMk {
	case 0x01000000, 0x02000000, 0x03000000:
	default:
		return 0, false, false
	}
	return binary.LittleEndian.Uint32(v[4:8]), magic&vfsCapEffective != 0, true
}

// helperPath finds newuidmap or newgidmap as idmap.HelperPath does: in
// $PATH, else in the system directories.
func (h *Host) helperPath(name string) string {
	if p, err := h.LookPath(name); err == nil {
		return p
	}
	for _, dir := range []string{"/usr/bin", "/usr/sbin", "/bin", "/sbin"} {
		if h.exists(filepath.Join(dir, name)) {
			return filepath.Join(dir, name)
		}
	}
	return ""
}

func checkNewuidmap(h *Host) Result { return checkHelper(h, "newuidmap", capSetuid, "cap_setuid") }
func checkNewgidmap(h *Host) Result { return checkHelper(h, "newgidmap", capSetgid, "cap_setgid") }

// checkHelper: newuidmap (newgidmap) exists and may write any id map:
// setuid root, or the file capability, on a file system mounted without
// nosuid; and it did map the trial's namespace.
func checkHelper(h *Host, name string, capBit uint, capName string) Result {
	r := Result{Name: name}
	if h.IsRoot {
		return skippedForRoot(name, "writes its own id maps")
	}
	// Without ranges urun maps the single id itself: the helper is then
	// only needed for the usermod fix to take effect.
	severity, need := Problem, "urun maps containers' ids with it"
	if !h.hasSubIDs() {
		severity, need = Warning, "needed once you have subordinate ids"
	}
	path := h.helperPath(name)
	if path == "" {
		r.Status, r.Message = severity, name+" not found ("+need+")"
		r.Fix = "sudo apt-get install uidmap  # Fedora, RHEL: sudo dnf install shadow-utils"
		return r
	}
	// The helpers' own paths are host paths: tests give them under Root.
	file := h.path(path)
	mode, uid, err := h.Owner(file)
	if err != nil {
		r.Status, r.Message = severity, fmt.Sprintf("%s: %v", path, err)
		r.Fix = "sudo apt-get install --reinstall uidmap"
		return r
	}
	setuidRoot := mode&unix.S_ISUID != 0 && uid == 0
	var capable bool
	if v, err := h.Xattr(file, "security.capability"); err == nil {
		if perm, eff, ok := fileCaps(v); ok && eff && perm&(1<<capBit) != 0 {
			capable = true
		}
	}
	var how string
	switch {
	case setuidRoot:
		how = "setuid root"
	case capable:
		how = capName + "+ep"
	default:
		r.Status = severity
		r.Message = fmt.Sprintf("%s is neither setuid root nor has the file capability %s (%s)", path, capName, need)
		if uid != 0 {
			r.Fix = fmt.Sprintf("sudo chown root:root %s && sudo chmod u+s %s", path, path)
		} else {
			r.Fix = fmt.Sprintf("sudo chmod u+s %s  # or: sudo setcap %s+ep %s", path, capName, path)
		}
		return r
	}
	var st unix.Statfs_t
	if h.Statfs(file, &st) == nil && st.Flags&unix.ST_NOSUID != 0 {
		r.Status = severity
		r.Message = fmt.Sprintf("%s is %s, but its file system is mounted nosuid, which ignores both", path, how)
		r.Fix = "mount the file system that holds " + path + " without nosuid (remount it, and correct /etc/fstab)"
		return r
	}
	t := h.Trials
	if t.MappingTried && t.Mapping != nil && helperNamedIn(t.Mapping, name) {
		r.Status = Problem
		r.Message = fmt.Sprintf("%s (%s) failed to map a user namespace with your ranges: %v", path, how, t.Mapping)
		r.Fix = "check the lines of " + h.Caller.Name + " in /etc/subuid and /etc/subgid against what " + name + " allows (see its error)"
		return r
	}
	r.Status, r.Message = OK, path+" ("+how+")"
	if t.MappingTried && t.Mapping == nil {
		r.Message += ": mapped a trial namespace with your ranges"
	}
	return r
}

// helperNamedIn: the trial's error is this helper's (newuidmap's errors
// name it); an error naming neither is counted against newuidmap.
func helperNamedIn(err error, name string) bool {
	s := err.Error()
	if strings.Contains(s, name) {
		return true
	}
	return name == "newuidmap" && !strings.Contains(s, "newgidmap")
}

func checkUserNS(h *Host) Result {
	r := Result{Name: "userns"}
	if h.IsRoot {
		return skippedForRoot(r.Name, "containers need no user namespace of their own")
	}
	max, hasMax := h.readTrimmed("/proc/sys/user/max_user_namespaces")
	clone, hasClone := h.readTrimmed("/proc/sys/kernel/unprivileged_userns_clone")
	t := h.Trials
	switch {
	case hasMax && max == "0":
		r.Status, r.Message = Problem, "user namespaces are limited to 0 (user.max_user_namespaces)"
		r.Fix = sysctlFix("user.max_user_namespaces", "28633")
	case hasClone && clone == "0":
		r.Status, r.Message = Problem, "unprivileged user namespaces are disabled (kernel.unprivileged_userns_clone = 0)"
		r.Fix = sysctlFix("kernel.unprivileged_userns_clone", "1")
	case t.UserNSTried && t.UserNS != nil:
		r.Status = Problem
		r.Message = "creating a user namespace failed: " + t.UserNS.Error()
		var errno syscall.Errno
		if errors.As(t.UserNS, &errno) && (errno == unix.EPERM || errno == unix.EACCES) {
			r.Message += " (a seccomp filter, a security module or a container around urun forbids it)"
		}
	default:
		r.Status = OK
		r.Message = "unprivileged user namespaces are allowed"
		if hasMax {
			r.Message += " (user.max_user_namespaces = " + max + ")"
		}
		if t.UserNSTried {
			r.Message += ": created one"
		}
	}
	return r
}

// appArmorProfile allows urun's programs (the one that creates a user
// namespace is urun, urun-init or urun-image) to create user namespaces
// with capabilities in them.
func appArmorProfile(self string) string {
	dir := filepath.Dir(self)
	if dir == "." || dir == "" {
		dir = "/usr/bin"
	}
	return fmt.Sprintf(`printf 'abi <abi/4.0>,\ninclude <tunables/global>\nprofile urun %s/urun{,-init,-image,-netholder} flags=(unconfined) {\n  userns,\n}\n' | sudo tee /etc/apparmor.d/urun && sudo apparmor_parser -r /etc/apparmor.d/urun`, dir)
}

func checkAppArmor(h *Host) Result {
	r := Result{Name: "apparmor"}
	if h.IsRoot {
		return skippedForRoot(r.Name, "AppArmor's user-namespace restriction concerns unprivileged users")
	}
	v, ok := h.readTrimmed("/proc/sys/kernel/apparmor_restrict_unprivileged_userns")
	if !ok || v == "0" {
		r.Status, r.Message = OK, "no AppArmor restriction of unprivileged user namespaces"
		return r
	}
	t := h.Trials
	if t.UserNSTried && t.UserNS == nil && t.Overlay == nil {
		r.Status, r.Message = OK, "AppArmor restricts unprivileged user namespaces (kernel.apparmor_restrict_unprivileged_userns = "+v+"), and a profile allows urun: it mounted overlay in one"
		return r
	}
	r.Status = Problem
	r.Message = "AppArmor restricts unprivileged user namespaces (kernel.apparmor_restrict_unprivileged_userns = " + v + "): urun's gets no capabilities and can mount nothing; allow urun with a profile (below) or lift the restriction for everyone (sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0)"
	if t.UserNSTried && t.Overlay != nil {
		r.Message += "; the trial failed: " + t.Overlay.Error()
	}
	r.Fix = appArmorProfile(h.Self)
	return r
}

// subidSource is the first source nsswitch.conf gives for "subid", ""
// without such a line (the files).
func (h *Host) subidSource() string {
	data, err := os.ReadFile(h.path("/etc/nsswitch.conf"))
	if err != nil {
		return ""
	}
	for _, line := range strings.Split(string(data), "\n") {
		line, _, _ = strings.Cut(line, "#")
		key, value, ok := strings.Cut(line, ":")
		if ok && strings.TrimSpace(key) == "subid" {
			if f := strings.Fields(value); len(f) > 0 {
				return f[0]
			}
		}
	}
	return ""
}
