package main

import (
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
		Use:   "version [--format json|TEMPLATE]",
		Short: "Show urun's version",
		Long: `Show urun's version, laid out as 'docker version' (Client: and Server:,
which are one program here). --format json prints the document; a Go
template reads Docker's keys: '{{.Client.Version}}', '{{.Server.Version}}',
'{{.Client.GoVersion}}', '{{.Client.Os}}/{{.Client.Arch}}'.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			part := versionPart{Version: version, GoVersion: runtime.Version(), Os: runtime.GOOS, Arch: runtime.GOARCH}
			doc := versionDoc{Client: part, Server: part}
			doc.Client.Context = "default"
			switch format {
			case "":
				fmt.Printf("Client:\n Version:    %s\n Go version: %s\n OS/Arch:    %s/%s\n Context:    %s\n\nServer:\n Version:    %s (urun has no daemon: the same program)\n",
					part.Version, part.GoVersion, part.Os, part.Arch, doc.Client.Context, part.Version)
				return nil
			case "json":
				format = "{{json .}}"
			}
			f, err := containers.ParseFormat(format)
			if err != nil {
				return err
			}
			return f.Execute(os.Stdout, nil, []any{doc})
		},
	}
	cmd.Flags().StringVarP(&format, "format", "f", "", "json, or a Go template (see above)")
	return cmd
}

// versionDoc is `urun version`'s document, with Docker's keys.
type versionDoc struct {
	Client versionPart
	Server versionPart
}

type versionPart struct {
	Version   string
	GoVersion string
	Os        string
	Arch      string
	Context   string `json:",omitempty"`
}
