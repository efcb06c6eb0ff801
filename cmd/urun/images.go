package main

import (
	"github.com/spf13/cobra"

	"github.com/urun/urun/image/helper"
	"github.com/urun/urun/image/request"
)

// store is the store the global flags name, for the image helper.
func (g *globals) store() request.Store {
	return request.Store{Root: g.root, RunRoot: g.runRoot, ConfigFile: g.configFile, RootfsDriver: g.rootfsDriver}
}

func newPullCommand(g *globals) *cobra.Command {
	var r request.Pull
	var tlsVerify bool
	cmd := &cobra.Command{
		Use:   "pull [OPTIONS] IMAGE",
		Short: "Pull an image from a registry",
		Long: `Pull an image from a registry into urun's store. Short names resolve to
docker.io/library/...; registries.conf(5) mirrors and insecure settings and
the credentials in auth.json or ~/.docker/config.json apply.

IMAGE is NAME[:TAG] or NAME@sha256:DIGEST. From an image index (a
multi-platform image) the host's platform is pulled, or --platform's.
With -a IMAGE is a repository (NAME, no tag): every tag its registry lists
is pulled.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			r.Ref, r.TLSVerify = args[0], tlsVerifyFlag(cmd, tlsVerify)
			return helper.Run(request.Request{Store: g.store(), Pull: &r})
		},
	}
	cmd.Flags().BoolVarP(&r.Quiet, "quiet", "q", false, "do not show progress")
	cmd.Flags().BoolVarP(&r.AllTags, "all-tags", "a", false, "pull every tag of the repository")
	cmd.Flags().BoolVar(&tlsVerify, "tls-verify", true, "require HTTPS and verify certificates")
	cmd.Flags().StringVar(&r.Platform, "platform", "", "pull the image for OS/ARCH[/VARIANT] from a multi-platform image (default: the host's)")
	return cmd
}

func newImagesCommand(g *globals) *cobra.Command {
	var r request.Images
	var all bool
	cmd := &cobra.Command{
		Use:   "images [OPTIONS] [REPOSITORY[:TAG]]",
		Short: "List stored images",
		Long: `List stored images, newest first, as 'docker images' does.

--format takes table (the default), json (an array, as podman's), or a Go
template of the fields .ID .Repository .Tag .Digest .CreatedSince
.CreatedAt .Size, with Docker's "table" prefix for a header and aligned
columns: --format 'table {{.Repository}}:{{.Tag}}\t{{.Size}}'.

--filter (repeatable): dangling=true|false (images without a name),
reference=PATTERN (busybox, 'localhost:5000/*:v1', glob as Docker's),
label=KEY or label=KEY=VALUE, before=IMAGE and since=IMAGE (created before
or after IMAGE). REPOSITORY[:TAG] is a reference filter.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				r.Repository = args[0]
			}
			return helper.Run(request.Request{Store: g.store(), Images: &r})
		},
	}
	cmd.Flags().BoolVarP(&all, "all", "a", false, "show all images (urun keeps no intermediate images: the same list)")
	cmd.Flags().BoolVarP(&r.Quiet, "quiet", "q", false, "show only image ids")
	cmd.Flags().BoolVar(&r.NoTrunc, "no-trunc", false, "do not truncate ids")
	cmd.Flags().BoolVar(&r.Digests, "digests", false, "show digests")
	cmd.Flags().StringVar(&r.Format, "format", "", "table, json, or a Go template (see above)")
	cmd.Flags().StringArrayVarP(&r.Filters, "filter", "f", nil, "filter: dangling=, reference=, label=, before=, since=")
	return cmd
}
