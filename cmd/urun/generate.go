package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/urun/urun/containers"
	"github.com/urun/urun/systemdunit"
)

func newGenerateCommand(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "generate COMMAND",
		Short: "Generate files that run containers",
		Args:  cobra.NoArgs,
	}
	cmd.AddCommand(newGenerateSystemdCommand(g))
	return cmd
}

func newGenerateSystemdCommand(g *globals) *cobra.Command {
	var isNew, files, restartService bool
	var restart string
	var stopTimeout int
	cmd := &cobra.Command{
		Use:   "systemd [OPTIONS] CONTAINER",
		Short: "Write a systemd user unit that runs a container",
		Long: `Write a systemd user unit (Type=notify, Delegate=yes) that runs the container:
with --new it creates the container afresh at each start from the command
line that made it and removes it at each stop; without, it starts and stops
the existing container. Restart= follows the container's restart policy
(always and unless-stopped are always) unless --restart-policy says
otherwise. Install it in ~/.config/systemd/user/, then
  systemctl --user daemon-reload && systemctl --user enable --now container-NAME
and, for it to start at boot without a login, loginctl enable-linger.
With --restart-service it writes urun-restart.service instead, which starts
every container with restart policy always at boot ('urun start --all
--filter restart-policy=always'), as the Docker daemon does when it starts.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if restartService {
				if len(args) > 0 || isNew || cmd.Flags().Changed("restart-policy") || cmd.Flags().Changed("time") {
					return errors.New("--restart-service writes the one unit for every container with restart policy always: give no container, --new, --restart-policy or -t")
				}
				self, err := os.Executable()
				if err != nil {
					return fmt.Errorf("find urun's own binary: %w", err)
				}
				return writeUnit(systemdunit.RestartService(self, g.flagArgs()), systemdunit.RestartServiceName, files)
			}
			if len(args) != 1 {
				return errors.New("generate systemd needs the container to write a unit for (or --restart-service)")
			}
			cfg, c, err := findOne(g, args[0])
			if err != nil {
				return err
			}
			settings, err := containers.ReadSettings(cfg, c.State)
			if err != nil {
				return err
			}
			self, err := os.Executable()
			if err != nil {
				return fmt.Errorf("find urun's own binary: %w", err)
			}
			name := c.Name
			if name == "" {
				name = c.ID
			}
			if !cmd.Flags().Changed("restart-policy") {
				restart = systemdRestart(settings.Restart)
			}
			if !cmd.Flags().Changed("time") {
				stopTimeout = settings.StopTimeout
			}
			unit, err := systemdunit.Generate(systemdunit.Options{
				Urun: self, GlobalFlags: g.flagArgs(), Name: name, New: isNew,
				CreateCommand: settings.CreateCommand, Restart: restart, StopTimeout: stopTimeout,
			})
			if err != nil {
				return err
			}
			return writeUnit(unit, systemdunit.ServiceName(name), files)
		},
	}
	fl := cmd.Flags()
	fl.BoolVar(&restartService, "restart-service", false, "write "+systemdunit.RestartServiceName+" instead: it starts every container with restart policy always at boot")
	fl.BoolVar(&isNew, "new", false, "create the container at each start and remove it at each stop")
	fl.BoolVarP(&files, "files", "f", false, "write container-NAME.service in the current directory instead of printing it")
	fl.StringVar(&restart, "restart-policy", "", "systemd's Restart= (no, on-failure, always...; default: from the container's restart policy)")
	fl.IntVarP(&stopTimeout, "time", "t", containers.DefaultStopTimeout, "seconds urun stop waits before SIGKILL (default: the container's --stop-timeout)")
	return cmd
}

// writeUnit prints a unit, or with files writes it as name in the current
// directory and prints its path.
func writeUnit(unit, name string, files bool) error {
	if !files {
		_, err := fmt.Print(unit)
		return err
	}
	path, err := filepath.Abs(name)
	if err != nil {
		return err
	}
	if err := os.WriteFile(path, []byte(unit), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	fmt.Println(path)
	return nil
}

// systemdRestart is systemd's Restart= for a container's restart policy.
func systemdRestart(p containers.RestartPolicy) string {
	switch p.Name {
	case containers.RestartAlways, containers.RestartUnlessStopped:
		return "always"
	case containers.RestartOnFailure:
		return "on-failure"
	}
	return "no"
}

// flagArgs are the global flags this urun was given, for the commands a
// generated file runs.
func (g *globals) flagArgs() []string {
	var out []string
	for _, f := range []struct{ flag, value string }{
		{"--root", g.root}, {"--runroot", g.runRoot}, {"--config", g.configFile}, {"--rootfs-driver", g.rootfsDriver},
	} {
		if f.value == "" {
			continue
		}
		// The unit runs from systemd's working directory, not this one.
		v := f.value
		if f.flag != "--rootfs-driver" {
			if abs, err := filepath.Abs(v); err == nil {
				v = abs
			}
		}
		out = append(out, f.flag, v)
	}
	return out
}
