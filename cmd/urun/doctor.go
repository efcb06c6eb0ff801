package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/urun/urun/config"
	"github.com/urun/urun/containers"
	"github.com/urun/urun/doctor"
	"github.com/urun/urun/exitcode"
)

func init() {
	extraCommands = append(extraCommands, newDoctorCommand)
}

func newDoctorCommand(g *globals) *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "doctor [--format table|json|TEMPLATE]",
		Short: "Check that this host can run rootless containers, and say how to fix what it lacks",
		Long: `Check what urun needs on this host and print, for each problem or warning,
the command that fixes it: subordinate uid and gid ranges (without them, the usermod line
with a block no other user has), newuidmap and newgidmap (setuid root or file
capabilities), user namespaces (the sysctls, Ubuntu's AppArmor restriction, and
a real one created), the kernel's overlay in a user namespace on the store's
file system, /dev/fuse and fuse-overlayfs, /dev/net/tun and slirp4netns or
pasta, cgroup v2 and delegation, the systemd user manager and lingering, the
login session (XDG_RUNTIME_DIR) and run root, the store's file system (NFS,
Lustre, GPFS, BeeGFS, SMB or FUSE cannot hold it) and free space, the
unprivileged port start and ping_group_range. As root, the checks that only
concern ordinary users are skipped, and say so.

Each check is ok, warning (urun works, with less), problem (urun cannot run
containers until it is fixed) or skipped. The exit status is 0 when urun can
run containers (warnings allowed), 1 when a check found a problem.

--format json prints {"ok": BOOL, "checks": [{"name", "status", "message",
"fix"}...]} on one line, for health scripts; a Go template is applied to each
check: --format '{{.Name}} {{.Status}}', or 'table {{.Name}}\t{{.Fix}}' with a
header row. Fields: .Name .Status .Message .Fix.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			var f *containers.Format
			switch format {
			case "", "table":
			case "json":
				f, _ = containers.ParseFormat("{{json .}}")
			default:
				var err error
				if f, err = containers.ParseFormat(format); err != nil {
					return err
				}
			}
			self, err := os.Executable()
			if err != nil {
				return fmt.Errorf("find urun's own binary: %w", err)
			}
			cfgPath := g.configFile
			if cfgPath == "" {
				cfgPath = config.Path()
			}
			// Not g.load: the doctor must report a broken configuration, and
			// start no network holder.
			cfg, cfgErr := config.LoadWith(g.configFile, config.Overrides{GraphRoot: g.root, RunRoot: g.runRoot, RootfsDriver: g.rootfsDriver, RunningContainers: containers.RunningIn})
			report := doctor.Diagnose(doctor.Inspect(cfg, cfgErr, cfgPath, self))
			switch {
			case f == nil:
				err = doctor.PrintTable(os.Stdout, report)
			case format == "json":
				err = f.Execute(os.Stdout, nil, []any{report})
			default:
				rows := make([]any, len(report.Checks))
				for i, c := range report.Checks {
					rows[i] = c
				}
				err = f.Execute(os.Stdout, map[string]string{"Name": "CHECK", "Status": "STATUS", "Message": "DETAILS", "Fix": "FIX"}, rows)
			}
			if err != nil {
				return err
			}
			if !report.OK {
				// The report said why.
				return exitcode.New(generalFailure, nil)
			}
			return nil
		},
	}
	cmd.Flags().StringVarP(&format, "format", "f", "", "table (the default), json, or a Go template applied to each check (see above)")
	return cmd
}
