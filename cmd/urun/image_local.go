package main

import (
	"github.com/spf13/cobra"

	"github.com/urun/urun/image/helper"
	"github.com/urun/urun/image/request"
)

func newTagCommand(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "tag SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]",
		Short: "Give an image another name",
		Long: `Give the image SOURCE_IMAGE (a name, or an id or id prefix) the name
TARGET_IMAGE too, normalized as Docker does: myapp is
docker.io/library/myapp:latest. A name another image had moves to this one.`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return helper.Run(request.Request{Store: g.store(), Tag: &request.Tag{Source: args[0], Target: args[1]}})
		},
	}
}

func newRmiCommand(g *globals) *cobra.Command {
	var r request.Rmi
	cmd := &cobra.Command{
		Use:   "rmi [OPTIONS] IMAGE...",
		Short: "Remove images",
		Long: `Remove images as 'docker rmi' does. A name is untagged ("Untagged:"), and
the image deleted ("Deleted:") once it has no name left; an id untags every
name. Only layers no other image uses are deleted. An image a container (in
any state) uses is refused; with -f it is untagged and kept, so that the
container still starts. -f also deletes by id an image named in several
repositories.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			r.Images = args
			return helper.Run(request.Request{Store: g.store(), Rmi: &r})
		},
	}
	cmd.Flags().BoolVarP(&r.Force, "force", "f", false, "untag images containers use (keeping them), delete images named in several repositories")
	return cmd
}

// newImagePruneCommand is `urun image prune`.
func newImagePruneCommand(g *globals) *cobra.Command {
	var r request.Prune
	var p pruneFlags
	cmd := &cobra.Command{
		Use:   "prune [OPTIONS]",
		Short: "Remove images without a name",
		Long: `Remove the images without a name (with -a: every image) that no container
uses, with their layers no other image uses; prints what was deleted and the
space reclaimed. On a terminal it asks first unless -f.

--filter (repeatable): label=KEY[=VALUE] and label!=KEY[=VALUE] (images whose
configuration has, or has not, that label), until=TIME (images created before
TIME: a duration such as 24h, a Unix time, or 2006-01-02T15:04:05).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			filters, err := p.parse()
			if err != nil {
				return err
			}
			r.Filters = filters
			warning := "WARNING! This will remove all dangling images.\nAre you sure you want to continue? [y/N] "
			if r.All {
				warning = "WARNING! This will remove all images without at least one container associated to them.\nAre you sure you want to continue? [y/N] "
			}
			if !p.confirmed(warning) {
				return nil
			}
			return helper.Run(request.Request{Store: g.store(), Prune: &r})
		},
	}
	cmd.Flags().BoolVarP(&r.All, "all", "a", false, "remove every image no container uses")
	p.add(cmd, "images")
	return cmd
}

func newHistoryCommand(g *globals) *cobra.Command {
	var r request.History
	cmd := &cobra.Command{
		Use:   "history [OPTIONS] IMAGE",
		Short: "Show the history of an image",
		Long: `Show the steps that built an image, newest first, from its configuration's
history: IMAGE (the image's id on the newest step, <missing> on the others,
as Docker), CREATED, CREATED BY, SIZE (of the layer the step made), COMMENT.
--format takes table, json or a Go template of .ID .CreatedSince .CreatedAt
.CreatedBy .Size .Comment.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			r.Image = args[0]
			return helper.Run(request.Request{Store: g.store(), History: &r})
		},
	}
	cmd.Flags().BoolVarP(&r.Quiet, "quiet", "q", false, "show only image ids")
	cmd.Flags().BoolVar(&r.NoTrunc, "no-trunc", false, "do not truncate the output")
	cmd.Flags().BoolVarP(&r.Human, "human", "H", true, "print sizes and dates in human readable format")
	cmd.Flags().StringVar(&r.Format, "format", "", "table, json, or a Go template")
	return cmd
}

// newImageInspectCommand is `urun image inspect`.
func newImageInspectCommand(g *globals) *cobra.Command {
	var r request.Inspect
	cmd := &cobra.Command{
		Use:   "inspect [OPTIONS] IMAGE...",
		Short: "Show images' configuration as JSON",
		Long: `Show images as a JSON array shaped as 'docker image inspect' shows it (Id,
RepoTags, RepoDigests, Created, Config, Architecture, Os, Size, RootFS...),
or with -f a Go template applied to each: -f '{{.Id}}', -f '{{json .Config}}'.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			r.Images = args
			return helper.Run(request.Request{Store: g.store(), Inspect: &r})
		},
	}
	cmd.Flags().StringVarP(&r.Format, "format", "f", "", "format each image with a Go template")
	return cmd
}
