package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// RunRootRecord is the file in the graph root that names the run root the
// store is paired with. The default run root follows $XDG_RUNTIME_DIR, which
// one user has in a login session and lacks under su, sudo -u, cron or ssh
// without a session; without the record those would see two sets of
// containers for one store, start a running container a second time and
// delete its writable layer. With it, every urun of the store uses one run
// root: the recorded one while it can be used, whatever the environment.
const RunRootRecord = "urun-runroot"

// RunRootInUseError refuses an explicit run root (--runroot, or runroot in
// urun.conf) other than the one the store is paired with while containers
// of the store run there.
type RunRootInUseError struct {
	GraphRoot, Paired, Requested string
	Running                      []string // short ids
}

func (e *RunRootInUseError) Error() string {
	return fmt.Sprintf("store %s is paired with run directory %s, where its containers %s run; this command's run directory is %s: use --runroot %s (or set runroot in urun.conf), or stop those containers first",
		e.GraphRoot, e.Paired, strings.Join(e.Running, ", "), e.Requested, e.Paired)
}

// pairRunRoot makes c.RunRoot the store's one run root. explicit says the
// run root was asked for (--runroot or urun.conf) rather than defaulted.
//
//   - No record yet: the store is paired with c.RunRoot (the first urun to
//     record wins a race; the others follow it).
//   - A default run root follows the recorded one while that can be used
//     (its parent directory is the caller's); once it cannot (a reboot or
//     the end of the login session removed it) nothing can run there, and
//     the store is paired with the default.
//   - An explicit run root replaces the recorded one unless containers of
//     the store run there (runningContainers lists them; nil: none): those
//     would be lost from sight, so it is refused with both directories
//     named.
//
// A record that cannot be written (a read-only or full file system) is no
// error: this urun uses its run root, and cannot create containers anyway.
func (c *Config) pairRunRoot(explicit bool, runningContainers func(runRoot, graphRoot string) []string) error {
	record := filepath.Join(c.GraphRoot, RunRootRecord)
	for attempt := 0; attempt < 2; attempt++ {
		paired, err := readRunRootRecord(record)
		switch {
		case errors.Is(err, os.ErrNotExist):
			if err := createRunRootRecord(c.GraphRoot, record, c.RunRoot); errors.Is(err, os.ErrExist) {
				continue // another urun recorded first: follow it
			}
			return nil
		case err != nil || paired == c.RunRoot:
			return nil
		case !runRootUsable(paired):
			replaceRunRootRecord(record, c.RunRoot)
			return nil
		case !explicit:
			c.RunRoot = paired
			return nil
		}
		if runningContainers != nil {
			if running := runningContainers(paired, c.GraphRoot); len(running) > 0 {
				return &RunRootInUseError{GraphRoot: c.GraphRoot, Paired: paired, Requested: c.RunRoot, Running: running}
			}
		}
		replaceRunRootRecord(record, c.RunRoot)
		return nil
	}
	return nil
}

func readRunRootRecord(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	dir := strings.TrimSpace(string(b))
	if !filepath.IsAbs(dir) {
		return "", fmt.Errorf("%s does not name a directory", path)
	}
	return filepath.Clean(dir), nil
}

// createRunRootRecord writes the record unless one exists (os.ErrExist):
// a temporary file hard-linked to the record's name, which fails where
// another urun linked first.
func createRunRootRecord(graphRoot, record, runRoot string) error {
	if err := os.MkdirAll(graphRoot, 0o700); err != nil {
		return err
	}
	tmp, err := writeRecordTemp(record, runRoot)
	if err != nil {
		return err
	}
	defer os.Remove(tmp)
	return os.Link(tmp, record)
}

func replaceRunRootRecord(record, runRoot string) {
	tmp, err := writeRecordTemp(record, runRoot)
	if err != nil {
		return
	}
	if os.Rename(tmp, record) != nil {
		os.Remove(tmp)
	}
}

func writeRecordTemp(record, runRoot string) (string, error) {
	tmp := record + ".tmp-" + strconv.Itoa(os.Getpid())
	if err := os.WriteFile(tmp, []byte(runRoot+"\n"), 0o600); err != nil {
		os.Remove(tmp)
		return "", err
	}
	return tmp, nil
}

// loginRuntimeBase is where logind makes each user's runtime directory
// (/run/user/UID) for their sessions, or for good with linger.
var loginRuntimeBase = "/run/user"

// sessionRuntimeDir is the runtime directory a login session of the
// caller uses on this host: $XDG_RUNTIME_DIR when it names a directory of
// the caller's; else /run/user/UID when logind made it for the caller and
// nobody else may write to it. The fallback covers what has no session of
// its own: su, sudo -u, cron and ssh without a session leave
// XDG_RUNTIME_DIR unset, and srun and sbatch pass on the login node's,
// which need not exist on the compute node. Each then finds the
// containers a login session on this host started, from the first
// command on, whatever store pairing says (see pairRunRoot).
func sessionRuntimeDir() (string, bool) {
	if d := os.Getenv("XDG_RUNTIME_DIR"); filepath.IsAbs(d) {
		if st, err := os.Stat(d); err == nil && st.IsDir() && ownedByCaller(st) {
			return d, true
		}
	}
	d := filepath.Join(loginRuntimeBase, strconv.Itoa(os.Getuid()))
	if st, err := os.Lstat(d); err == nil && st.IsDir() && ownedByCaller(st) && st.Mode().Perm()&0o022 == 0 {
		return d, true
	}
	return "", false
}

// runRootUsable says whether a run root can still hold run state for the
// caller: its parent directory ($XDG_RUNTIME_DIR, /tmp/urun-UID, or the
// parent of a --runroot) exists, is the caller's and only the caller may
// write to it, and the run root, if
// it exists, is a directory of the caller's.
func runRootUsable(dir string) bool {
	parent, err := os.Stat(filepath.Dir(dir))
	if err != nil || !parent.IsDir() || !ownedByCaller(parent) || parent.Mode().Perm()&0o022 != 0 {
		return false
	}
	st, err := os.Lstat(dir)
	if errors.Is(err, os.ErrNotExist) {
		return true
	}
	return err == nil && st.IsDir() && ownedByCaller(st)
}
