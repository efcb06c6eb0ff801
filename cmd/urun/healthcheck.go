package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/urun/urun/containers"
	"github.com/urun/urun/exitcode"
	"github.com/urun/urun/health"
	"github.com/urun/urun/launch"
)

func newHealthcheckCommand(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "healthcheck COMMAND",
		Short: "Run a container's health check",
		Args:  cobra.NoArgs,
	}
	run := &cobra.Command{
		Use:   "run CONTAINER",
		Short: "Run a container's health check now",
		Long: `Run the health check of a running container now, as podman's healthcheck
run: its result counts as one of the scheduled ones (ps, inspect's
.State.Health).

Exit status 0: the check passed (nothing is printed); 1: it failed
("unhealthy" is printed, or "starting" for a failure in the container's
start period, which does not count); 125: urun failed (no such container,
it is not running, or it has no health check).`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runHealthcheck(g, args[0])
		},
	}
	cmd.AddCommand(run)
	return cmd
}

func runHealthcheck(g *globals, ref string) error {
	cfg, c, err := findOne(g, ref)
	if err != nil {
		return err
	}
	if c.StateName() != "running" {
		return fmt.Errorf("container %s is not running", ref)
	}
	rec := c.Health()
	if rec == nil {
		return fmt.Errorf("container %s has no defined healthcheck", ref)
	}
	command, err := health.Command(rec.Check)
	if err != nil {
		return err
	}
	timing := health.TimingOf(rec.Check)
	res := launch.RunHealthCheck(c.Dir, c.Cgroup, command, timing.Timeout, nil)
	after, err := launch.ApplyHealthResult(cfg, c.State, containers.HealthPath(c.Dir), res, timing, c.StartedAt)
	if err != nil {
		return err
	}
	if res.ExitCode == 0 {
		return nil
	}
	if after.Status == health.Starting && time.Since(c.StartedAt) < timing.StartPeriod {
		fmt.Println(health.Starting)
	} else {
		fmt.Println(health.Unhealthy)
	}
	return exitcode.New(1, nil)
}
