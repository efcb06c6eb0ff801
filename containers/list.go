package containers

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	units "github.com/docker/go-units"
	"golang.org/x/sys/unix"

	"github.com/urun/urun/atomicfile"
	"github.com/urun/urun/config"
)

// Container is one container as `urun ps` sees it.
type Container struct {
	State
	// Dir is its run state directory.
	Dir string
	// Running: its urun holds the run state's lock, so it lives.
	Running bool
	// Started: its command has started (its init's pid is recorded).
	Started bool
	// RunStateLost: it runs, but the run state its urun holds is gone (a
	// reboot, or the end of the login session, removed the run root while
	// it ran): its urun still holds its writable layer (HoldLayer).
	RunStateLost bool
}

// ErrNotFound is returned by Find when no container matches, in Docker's
// words (capitalized: scripts written for Docker match them).
var ErrNotFound = errors.New("No such container")

// List returns the containers in the run root, newest first. A directory
// without a readable record is skipped: its `urun run` is still creating
// it (and holds its lock), or was killed, and then List removes it, as it
// removes a killed --rm container (reapAbandoned). Kept containers whose run state is gone
// (a reboot cleared the run root) get it back from the copy of their
// record beside their writable layer, as exited containers.
func List(cfg *config.Config) ([]Container, error) {
	root := StateRoot(cfg)
	restoreRunState(cfg)
	entries, err := os.ReadDir(root)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list containers in %s: %w", root, err)
	}
	var list []Container
	var abandoned []string
	for _, e := range entries {
		dir := filepath.Join(root, e.Name())
		st, err := ReadState(dir)
		if mayBeAbandoned(cfg, e, st, err) && !locked(dir) {
			abandoned = append(abandoned, e.Name())
			continue
		}
		if err != nil || !validID(st.ID) || !strings.HasPrefix(st.ID, e.Name()) || !st.belongsTo(cfg.GraphRoot) {
			continue
		}
		c := Container{State: st, Dir: dir, Running: locked(dir)}
		sweepHalfWritten(cfg, c)
		if c.Running {
			_, err := os.Stat(filepath.Join(dir, initPIDFile))
			c.Started = err == nil
		} else if st.Status == StatusRunning || st.Status == StatusRestarting {
			// Its run state was restored from the copy beside its layer:
			// the one it ran with is gone, but it may run still.
			c.RunStateLost = LayerHeld(LayerDir(cfg, st))
			c.Running, c.Started = c.RunStateLost, c.RunStateLost
		}
		list = append(list, c)
	}
	if len(abandoned) > 0 {
		reapAbandoned(cfg, abandoned)
	}
	slices.SortStableFunc(list, func(a, b Container) int { return b.Created.Compare(a.Created) })
	return list, nil
}

// restoreRunState recreates the run state directory of each kept
// container that has a record beside its writable layer but none in the
// run root. Nothing can be running without a run state directory, so the
// restored record is not locked and shows what its urun last wrote.
//
// Restoring takes the run root's restore lock, which every listing takes
// too: urun commands started together at boot (a unit's `urun start -a`
// and urun-restart.service's `urun start --all`) would otherwise see a
// container another one is restoring as locked, so running, or as having
// no record yet, and skip it.
func restoreRunState(cfg *config.Config) {
	entries, err := os.ReadDir(KeptLayersDir(cfg))
	if err != nil {
		return
	}
	if unlock := lockRestore(cfg); unlock != nil {
		defer unlock()
	}
	for _, e := range entries {
		dir := StateDir(cfg, e.Name())
		if !validID(e.Name()) {
			continue
		}
		if _, err := os.Lstat(dir); !errors.Is(err, os.ErrNotExist) {
			continue
		}
		st, err := ReadState(filepath.Join(KeptLayersDir(cfg), e.Name()))
		if err != nil || st.ID != e.Name() {
			continue
		}
		// Locked until its record is in: else another urun would take it
		// for a killed one's (reapAbandoned).
		lock, err := CreateStateDir(dir)
		if err != nil {
			continue // another urun restores it
		}
		if err := atomicfile.WriteJSON(filepath.Join(dir, stateFile), st); err != nil {
			os.Remove(dir)
		}
		lock.Close()
	}
}

// lockRestore takes the run root's restore lock (see restoreRunState) and
// returns its release, or nil where it cannot be had (a run root that
// cannot be written: then nothing can be restored either).
func lockRestore(cfg *config.Config) func() {
	if os.MkdirAll(StateRoot(cfg), 0o700) != nil {
		return nil
	}
	f, err := os.OpenFile(filepath.Join(cfg.RunRoot, "restore.lock"), os.O_RDWR|os.O_CREATE|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return nil
	}
	for {
		err := unix.Flock(int(f.Fd()), unix.LOCK_EX)
		if err == nil {
			return func() { f.Close() }
		}
		if !errors.Is(err, unix.EINTR) {
			f.Close()
			return nil
		}
	}
}

// Running reports whether the container whose run state is dir runs: its
// urun holds the lock.
func Running(dir string) bool { return locked(dir) }

// locked reports whether a urun holds dir's lock. It tries a shared lock,
// so that two listings never make each other see a running container.
func locked(dir string) bool {
	f, err := os.Open(dir)
	if err != nil {
		return false
	}
	defer f.Close()
	return errors.Is(unix.Flock(int(f.Fd()), unix.LOCK_SH|unix.LOCK_NB), unix.EWOULDBLOCK)
}

// Find returns the container ref names, as Docker resolves it: a full id,
// a name, then a unique id prefix.
func Find(list []Container, ref string) (Container, error) {
	for _, c := range list {
		if c.ID == ref {
			return c, nil
		}
	}
	for _, c := range list {
		if c.Name == ref {
			return c, nil
		}
	}
	var matches []Container
	if ref != "" {
		for _, c := range list {
			if strings.HasPrefix(c.ID, ref) {
				matches = append(matches, c)
			}
		}
	}
	switch len(matches) {
	case 0:
		return Container{}, fmt.Errorf("%w: %s", ErrNotFound, ref)
	case 1:
		return matches[0], nil
	}
	var candidates []string
	for _, c := range matches {
		candidates = append(candidates, ShortID(c.ID)+" ("+c.Name+")")
	}
	return Container{}, fmt.Errorf("%q matches several containers: %s; give more of the id or the name", ref, strings.Join(candidates, ", "))
}

// killedExitCode is the exit status shown for a container whose urun died
// without recording one: the container died with it by SIGKILL (see
// nsenter.c's parent death signal).
const killedExitCode = 128 + int(unix.SIGKILL)

// StateName is Docker's State: "created", "running", "paused",
// "restarting" or "exited".
func (c Container) StateName() string {
	switch {
	case c.Running && c.Status == StatusRestarting:
		return "restarting"
	case c.Running && c.Started && c.Paused:
		return "paused"
	case c.Running && c.Started:
		return "running"
	case c.Running, c.Status == StatusCreated:
		return "created"
	}
	return "exited"
}

// ExitStatus is the exit code of a stopped container. A record that says
// running while nothing holds its lock belongs to a urun that was killed:
// never shown as running forever.
func (c Container) ExitStatus() int {
	if !c.Running && (c.Status == StatusRunning || c.Status == StatusRestarting) {
		return killedExitCode
	}
	return c.ExitCode
}

// StatusText is Docker's STATUS column: "Up 3 seconds", "Exited (7) 2
// minutes ago", "Created", "Restarting (1) 1 second ago".
func (c Container) StatusText(now time.Time) string {
	// A killed urun recorded no end: the start is the best known.
	end := c.FinishedAt
	if end.IsZero() || end.Before(c.StartedAt) {
		end = c.StartedAt
	}
	if end.IsZero() {
		end = c.Created
	}
	switch c.StateName() {
	case "running", "paused":
		start := c.StartedAt
		if start.IsZero() {
			start = c.Created
		}
		if c.StateName() == "paused" {
			return "Up " + units.HumanDuration(now.Sub(start)) + " (Paused)"
		}
		return "Up " + units.HumanDuration(now.Sub(start)) + c.healthSuffix()
	case "restarting":
		return fmt.Sprintf("Restarting (%d) %s ago", c.ExitCode, units.HumanDuration(now.Sub(end)))
	case "created":
		return "Created"
	}
	return fmt.Sprintf("Exited (%d) %s ago", c.ExitStatus(), units.HumanDuration(now.Sub(end)))
}

// PortsText is Docker's PORTS column.
func (c Container) PortsText() string {
	if !c.Running {
		return ""
	}
	var ports []string
	for _, p := range c.Ports {
		ports = append(ports, p.String())
	}
	return strings.Join(ports, ", ")
}

// CommandText is Docker's COMMAND column: the command line quoted, cut to
// 20 characters unless noTrunc.
func (c Container) CommandText(noTrunc bool) string {
	cmd := strings.Join(c.Command, " ")
	if r := []rune(cmd); !noTrunc && len(r) > 20 {
		cmd = string(r[:19]) + "…"
	}
	return strconv.Quote(cmd)
}

// sweepHalfWritten removes the half-written copies of a container's
// record (atomicfile's ".tmp-" names, which only a writer killed between
// naming and renaming one leaves), under the record's lock, so that no
// live writer's copy is taken.
func sweepHalfWritten(cfg *config.Config, c Container) {
	var stale []string
	for _, dir := range []string{c.Dir, LayerDir(cfg, c.State)} {
		names, _ := os.ReadDir(dir)
		for _, n := range names {
			if strings.HasPrefix(n.Name(), ".tmp-"+stateFile) {
				stale = append(stale, filepath.Join(dir, n.Name()))
			}
		}
	}
	if len(stale) == 0 {
		return
	}
	lock, err := os.OpenFile(filepath.Join(c.Dir, stateLockFile), os.O_RDWR|os.O_CREATE|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return
	}
	defer lock.Close()
	if unix.Flock(int(lock.Fd()), unix.LOCK_EX|unix.LOCK_NB) != nil {
		return
	}
	for _, path := range stale {
		os.Remove(path)
	}
}
