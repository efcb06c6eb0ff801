package main

import (
	"encoding/json"
	"fmt"
	"os"
	"runtime"

	"github.com/spf13/cobra"

	"github.com/urun/urun/containers"
	"github.com/urun/urun/hostinfo"
)

func newInfoCommand(g *globals) *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "info [--format json|TEMPLATE]",
		Short: "Explain how urun sees this host",
		Long: `Show the host as urun sees it, laid out as 'docker info' (Client: and Server:
sections), with what urun found out by trying: subordinate id ranges, the
rootfs driver it uses and why, whether user namespaces, overlay and FUSE work,
and what the host's cgroups allow.

--format json prints the whole document on one line; --format takes a Go
template of Docker's keys too: '{{.KernelVersion}}', '{{.NCPU}}',
'{{.MemTotal}}', '{{.CgroupVersion}}', '{{json .SecurityOptions}}', and of
urun's own sections: '{{.Rootfs.Chosen}}', '{{json .User.SubUIDs}}'.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			var f *containers.Format
			if format != "" {
				text := format
				if text == "json" {
					text = "{{json .}}"
				}
				var err error
				if f, err = containers.ParseFormat(text); err != nil {
					return err
				}
			}
			cfg, err := g.load()
			if err != nil {
				return err
			}
			self, err := os.Executable()
			if err != nil {
				return fmt.Errorf("find urun's own binary: %w", err)
			}
			info := hostinfo.Collect(cfg, version, self)
			if f == nil {
				hostinfo.PrintDocker(os.Stdout, os.Stderr, info)
				return nil
			}
			return f.Execute(os.Stdout, nil, []any{info})
		},
	}
	cmd.Flags().StringVarP(&format, "format", "f", "", "json, or a Go template of the fields (see above)")
	return cmd
}

func newVersionCommand() *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "version [--format json]",
		Short: "Show urun's version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			v := map[string]string{"Version": version, "GoVersion": runtime.Version(), "OsArch": runtime.GOOS + "/" + runtime.GOARCH}
			switch format {
			case "":
				fmt.Printf("Version:    %s\nGo version: %s\nOS/Arch:    %s\n", v["Version"], v["GoVersion"], v["OsArch"])
			case "json":
				return json.NewEncoder(os.Stdout).Encode(v)
			default:
				return fmt.Errorf("--format %q: only json is supported", format)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&format, "format", "", "output format: json")
	return cmd
}
