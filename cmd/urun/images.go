package main

import (
	"github.com/spf13/cobra"

	"github.com/urun/urun/image/helper"
)

func (g *globals) helperOptions() helper.Options {
	return helper.Options{Root: g.root, RunRoot: g.runRoot, ConfigFile: g.configFile, RootfsDriver: g.rootfsDriver}
}

func newPullCommand(g *globals) *cobra.Command {
	var quiet, tlsVerify bool
	cmd := &cobra.Command{
		Use:   "pull [OPTIONS] IMAGE",
		Short: "Pull an image from a registry",
		Long: `Pull an image from a registry into urun's store. Short names resolve to
docker.io/library/...; registries.conf(5) mirrors and insecure settings and
the credentials in auth.json or ~/.docker/config.json apply.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return helper.Pull(g.helperOptions(), args[0], quiet, tlsVerifyFlag(cmd, tlsVerify))
		},
	}
	cmd.Flags().BoolVarP(&quiet, "quiet", "q", false, "do not show progress")
	cmd.Flags().BoolVar(&tlsVerify, "tls-verify", true, "require HTTPS and verify certificates")
	return cmd
}

func newImagesCommand(g *globals) *cobra.Command {
	var quiet, noTrunc bool
	var format string
	cmd := &cobra.Command{
		Use:   "images [OPTIONS]",
		Short: "List stored images",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			var extra []string
			if quiet {
				extra = append(extra, "--quiet")
			}
			if noTrunc {
				extra = append(extra, "--no-trunc")
			}
			if format != "" {
				extra = append(extra, "--format", format)
			}
			return helper.Images(g.helperOptions(), extra...)
		},
	}
	cmd.Flags().BoolVarP(&quiet, "quiet", "q", false, "show only image ids")
	cmd.Flags().BoolVar(&noTrunc, "no-trunc", false, "do not truncate ids")
	cmd.Flags().StringVar(&format, "format", "", "output format: json")
	return cmd
}
