package main

import (
	"errors"
	"fmt"
	"maps"
	"path/filepath"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/urun/urun/cgroupv2"
	"github.com/urun/urun/config"
	"github.com/urun/urun/containers"
)

// updateFlags are `urun update`'s: Docker's limit flags and --restart.
type updateFlags struct {
	limits  cgroupv2.Flags
	restart string
	changed func(name string) bool
}

// updateLimitFlags are the limit flags `urun update` takes.
var updateLimitFlags = []string{"memory", "memory-reservation", "memory-swap", "cpus", "cpu-period", "cpu-quota", "cpu-shares", "cpuset-cpus", "cpuset-mems", "pids-limit", "blkio-weight"}

func newUpdateCommand(g *globals) *cobra.Command {
	f := &updateFlags{}
	cmd := &cobra.Command{
		Use:   "update [OPTIONS] CONTAINER...",
		Short: "Change containers' resource limits and restart policy",
		Long: `Change the resource limits or the restart policy of containers, as 'docker
update' does. A running container's limits change at once in its cgroup; a
stopped one's at its next start. Both are kept, so that a restart keeps them.

Limits need a cgroup of the container's own: cgroup v2 with a delegated
subtree or a systemd user manager (see 'urun info'); elsewhere they are
refused with the reason, as 'urun run' refuses them. --restart works on any
host.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			f.changed = cmd.Flags().Changed
			if !f.changed("restart") && !f.limitsChanged() {
				return errors.New("you must provide one or more flags when using this command")
			}
			return forEachContainer(g, args, f.update)
		},
	}
	addUpdateFlags(cmd.Flags(), f)
	return cmd
}

func addUpdateFlags(fl *pflag.FlagSet, f *updateFlags) {
	l := &f.limits
	addLimitFlags(fl, l, "memory and swap together (-1 for no swap limit)")
	fl.StringVar(&f.restart, "restart", "", "restart policy: no, on-failure[:MAX-RETRIES], always or unless-stopped")
}

func (f *updateFlags) limitsChanged() bool {
	for _, name := range updateLimitFlags {
		if f.changed(name) {
			return true
		}
	}
	return false
}

// merged are the container's limits with the flags given applied: a
// flag replaces its value, and --cpus and --cpu-period/--cpu-quota, which
// say the same thing, replace each other.
func (f *updateFlags) merged(old cgroupv2.Flags) cgroupv2.Flags {
	l, n := old, f.limits
	set := func(flag string, apply func()) {
		if f.changed(flag) {
			apply()
		}
	}
	set("memory", func() { l.Memory = n.Memory })
	set("memory-reservation", func() { l.MemoryReservation = n.MemoryReservation })
	set("memory-swap", func() { l.MemorySwap = n.MemorySwap })
	set("cpus", func() { l.CPUs, l.CPUPeriod, l.CPUQuota = n.CPUs, 0, 0 })
	set("cpu-period", func() { l.CPUPeriod, l.CPUs = n.CPUPeriod, "" })
	set("cpu-quota", func() { l.CPUQuota, l.CPUs = n.CPUQuota, "" })
	set("cpu-shares", func() { l.CPUShares = n.CPUShares })
	set("cpuset-cpus", func() { l.CpusetCPUs = n.CpusetCPUs })
	set("cpuset-mems", func() { l.CpusetMems = n.CpusetMems })
	set("pids-limit", func() { l.PidsLimit = n.PidsLimit })
	set("blkio-weight", func() { l.BlkioWeight = n.BlkioWeight })
	return l
}

// update changes one container: its running cgroup first, then its
// settings, so that a refused change leaves both as they were.
func (f *updateFlags) update(cfg *config.Config, c containers.Container, ref string) error {
	s, err := containers.ReadSettings(cfg, c.State)
	if err != nil {
		return fmt.Errorf("update container %s: %w", ref, err)
	}
	if f.changed("restart") {
		policy, err := containers.ParseRestartPolicy(f.restart)
		if err != nil {
			return err
		}
		if c.Remove && policy.Name != containers.RestartNo {
			return fmt.Errorf("update container %s: --restart %s: the container is removed when it exits (--rm), so it cannot be restarted", ref, f.restart)
		}
		s.Restart = policy
	}
	if f.limitsChanged() {
		limits := f.merged(s.Resources)
		files, err := limits.Files()
		if err != nil {
			return err
		}
		if err := applyLimits(c, s, files, ref); err != nil {
			return err
		}
		s.Resources = limits
	}
	if err := containers.WriteSettings(cfg, c.State, s); err != nil {
		return fmt.Errorf("update container %s: %w", ref, err)
	}
	if f.changed("restart") {
		// The record's copy is what ps --filter restart-policy reads.
		if _, err := containers.Update(cfg, c.Dir, func(st *containers.State) error {
			st.RestartPolicy = s.Restart.Name
			return nil
		}); err != nil {
			return fmt.Errorf("update container %s: %w", ref, err)
		}
	}
	return nil
}

// applyLimits writes files into the running container's cgroup; for a
// stopped one it checks that its next start can have them.
func applyLimits(c containers.Container, s containers.Settings, files map[string]string, ref string) error {
	running := c.Running && c.Started
	if running && c.Cgroup != "" {
		old, _ := s.Resources.Files()
		all := cgroupv2.Unlimited(old, files)
		maps.Copy(all, files)
		if err := cgroupv2.ApplyTo(filepath.Join(cgroupv2.Root, c.Cgroup), all); err != nil {
			return fmt.Errorf("update container %s: %w", ref, err)
		}
		return nil
	}
	if err := cgroupv2.CheckLimitsPossible(s.Cgroups); err != nil {
		return fmt.Errorf("update container %s: %w", ref, err)
	}
	if running {
		return fmt.Errorf("update container %s: it runs without a cgroup of its own (it was started where none could be had): stop it, then update and start it", ref)
	}
	return nil
}
