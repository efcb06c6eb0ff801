package containers

import (
	"errors"
	"fmt"
	"os"

	"github.com/urun/urun/cgroupv2"
	"github.com/urun/urun/config"
)

// NoCgroupError says a container cannot be frozen: it has no cgroup of
// its own.
type NoCgroupError struct{ Verb, Ref string }

func (e *NoCgroupError) Error() string {
	return fmt.Sprintf("cannot %s container %s: it has no cgroup v2 cgroup of its own to freeze (it was started with --cgroups=disabled, or on a host without one): pausing needs cgroup v2 with a delegated subtree or a systemd user manager", e.Verb, e.Ref)
}

// Pause freezes every process of the running container c (called ref)
// through its cgroup's freezer, as `docker pause` does.
func Pause(cfg *config.Config, c Container, ref string) error {
	return setPaused(cfg, c, ref, true)
}

// Unpause thaws the paused container c (called ref).
func Unpause(cfg *config.Config, c Container, ref string) error {
	return setPaused(cfg, c, ref, false)
}

func setPaused(cfg *config.Config, c Container, ref string, paused bool) error {
	verb := map[bool]string{true: "pause", false: "unpause"}[paused]
	if !c.Running || c.StateName() == "created" {
		return &NotRunningError{Ref: ref}
	}
	if c.Cgroup == "" {
		return &NoCgroupError{Verb: verb, Ref: ref}
	}
	_, err := Update(cfg, c.Dir, func(st *State) error {
		switch {
		case st.Cgroup == "":
			return &NoCgroupError{Verb: verb, Ref: ref}
		case paused && st.Paused:
			return fmt.Errorf("container %s is already paused", ref)
		case !paused && !st.Paused:
			return fmt.Errorf("container %s is not paused", ref)
		}
		if err := cgroupv2.SetFrozen(cgroupv2.Dir(st.Cgroup), paused); err != nil {
			return fmt.Errorf("%s container %s: %w", verb, ref, err)
		}
		st.Paused = paused
		return nil
	})
	if err == nil {
		Emit(cfg, c.State, verb)
	}
	return err
}

// thaw unpauses c before it is stopped or killed, as Docker does: a
// frozen monitor could not see its command end. A container that is not
// paused is left alone.
func thaw(cfg *config.Config, c Container) error {
	_, err := Update(cfg, c.Dir, func(st *State) error {
		if !st.Paused {
			return errNotPaused
		}
		if st.Cgroup != "" {
			err := cgroupv2.SetFrozen(cgroupv2.Dir(st.Cgroup), false)
			if err != nil && !errors.Is(err, os.ErrNotExist) {
				return fmt.Errorf("unpause the container first: %w", err)
			}
		}
		st.Paused = false
		return nil
	})
	if errors.Is(err, errNotPaused) || errors.Is(err, os.ErrNotExist) {
		return nil
	}
	return err
}

var errNotPaused = errors.New("not paused")
