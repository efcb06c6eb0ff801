package main

import (
	"encoding/json"
	"fmt"
	"os"
	"runtime"

	"github.com/spf13/cobra"

	"github.com/urun/urun/hostinfo"
)

func newInfoCommand(g *globals) *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "info [--format json]",
		Short: "Explain how urun sees this host",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := g.load()
			if err != nil {
				return err
			}
			self, err := os.Executable()
			if err != nil {
				return fmt.Errorf("find urun's own binary: %w", err)
			}
			info := hostinfo.Collect(cfg, version, self)
			switch format {
			case "":
				hostinfo.Print(os.Stdout, info)
			case "json":
				enc := json.NewEncoder(os.Stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(info)
			default:
				return fmt.Errorf("--format %q: only json is supported", format)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&format, "format", "", "output format: json")
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
