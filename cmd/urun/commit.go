package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/urun/urun/config"
	"github.com/urun/urun/containers"
	"github.com/urun/urun/image/helper"
	"github.com/urun/urun/image/local"
	"github.com/urun/urun/image/request"
	"github.com/urun/urun/inspect"
)

func newCommitCommand(g *globals) *cobra.Command {
	var r request.Commit
	var pause bool
	cmd := &cobra.Command{
		Use:   "commit [OPTIONS] CONTAINER [REPOSITORY[:TAG]]",
		Short: "Make an image of a container's changes",
		Long: `Make an image of a container, running or stopped, and print its id: the
container's image with one more layer holding the files the container
added, changed or deleted, and the container's configuration (command,
environment, user, working directory...) with --change applied. --change
takes a Dockerfile instruction: CMD, ENTRYPOINT (JSON or shell form), ENV,
EXPOSE, LABEL, STOPSIGNAL, USER, VOLUME or WORKDIR. A running container is
paused while its files are read (--pause=false leaves it running), where it
can be: where it has no cgroup of its own to freeze, it is committed
running, with a warning, unless --pause was given.`,
		Args: cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, c, err := findOne(g, args[0])
			if err != nil {
				return err
			}
			if err := describeForCommit(cfg, c, &r); err != nil {
				return err
			}
			r.Container = args[0]
			if len(args) == 2 {
				r.Reference = args[1]
			}
			resume, err := pauseForCommit(cfg, c, args[0], pause, cmd.Flags().Changed("pause"))
			if err != nil {
				return err
			}
			defer resume()
			return helper.Run(request.Request{Store: g.store(), Commit: &r})
		},
	}
	cmd.Flags().StringArrayVarP(&r.Changes, "change", "c", nil, "apply a Dockerfile instruction to the image's configuration")
	cmd.Flags().StringVarP(&r.Message, "message", "m", "", "set the commit message of the image's history")
	cmd.Flags().StringVarP(&r.Author, "author", "a", "", `set the image's author ("Name <email>")`)
	cmd.Flags().BoolVarP(&pause, "pause", "p", true, "pause a running container while its files are read")
	cmd.Flags().StringVarP(&r.Format, "format", "f", "docker", "manifest format of the image: docker or oci")
	return cmd
}

// describeForCommit fills what r says of container c: its writable layer,
// its image, and the configuration it runs with, which `urun inspect`
// shows, less the variables urun sets at each start.
func describeForCommit(cfg *config.Config, c containers.Container, r *request.Commit) error {
	d, err := inspect.Build(cfg, c, containers.NewLabelSource(cfg))
	if err != nil {
		return err
	}
	r.Layer = filepath.Join(containers.LayerDir(cfg, c.State), "diff")
	r.Image = c.ImageID
	var imageEnv []string
	if img, err := local.Read(cfg.GraphRoot, c.ImageID); err == nil {
		imageEnv = img.Config.Config.Env
	}
	r.Config = request.RunConfig{
		User:       d.Config.User,
		Env:        startEnvDropped(d.Config.Env, imageEnv, d.Config.Hostname, d.Config.Tty),
		Entrypoint: d.Config.Entrypoint,
		Cmd:        d.Config.Cmd,
		WorkingDir: d.Config.WorkingDir,
		Labels:     d.Config.Labels,
		StopSignal: d.Config.StopSignal,
	}
	for port := range d.HostConfig.PortBindings {
		r.Config.ExposedPorts = append(r.Config.ExposedPorts, port)
	}
	slices.Sort(r.Config.ExposedPorts)
	// As Docker's: the command the container was made to run.
	r.CreatedBy = strings.Join(d.Config.Cmd, " ")
	return nil
}

// startEnvDropped is env without the HOSTNAME (and with a terminal the
// TERM) that urun adds at each start when the image has none: they
// describe the run, not the image, as with Docker, which sets them at
// start only.
func startEnvDropped(env, imageEnv []string, hostname string, tty bool) []string {
	imageHas := func(key string) bool {
		return slices.ContainsFunc(imageEnv, func(e string) bool { return strings.HasPrefix(e, key+"=") })
	}
	return slices.DeleteFunc(slices.Clone(env), func(e string) bool {
		return e == "HOSTNAME="+hostname && !imageHas("HOSTNAME") || tty && e == "TERM=xterm" && !imageHas("TERM")
	})
}

// pauseForCommit freezes the running container c (called ref) for its
// commit, unless pause is off, and returns what thaws it. A container
// paused already stays so. One without a cgroup of its own cannot be
// frozen: it is committed running, with a warning, unless the user asked
// for --pause explicitly, whom the failure is reported to.
func pauseForCommit(cfg *config.Config, c containers.Container, ref string, pause, explicit bool) (func(), error) {
	if !pause || c.StateName() != "running" {
		return func() {}, nil
	}
	err := containers.Pause(cfg, c, ref)
	var noCgroup *containers.NoCgroupError
	var notRunning *containers.NotRunningError
	switch {
	case errors.As(err, &notRunning):
		return func() {}, nil // it ended meanwhile: nothing changes its files
	case errors.As(err, &noCgroup) && !explicit:
		fmt.Fprintf(os.Stderr, "urun: warning: container %s has no cgroup of its own to pause: committing it while it runs (--pause=false says so quietly)\n", ref)
		return func() {}, nil
	case err != nil:
		return nil, fmt.Errorf("%w (--pause=false commits it running)", err)
	}
	return func() {
		if err := containers.Unpause(cfg, c, ref); err != nil {
			fmt.Fprintf(os.Stderr, "urun: warning: %v\n", err)
		}
	}, nil
}
