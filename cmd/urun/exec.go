package main

import (
	"github.com/spf13/cobra"

	"github.com/urun/urun/exitcode"
	"github.com/urun/urun/launch"
	"github.com/urun/urun/spec"
)

type execFlags struct {
	interactive, tty, detach bool
	privileged               bool
	user, workdir            string
	env, envFiles            []string
}

func newExecCommand(g *globals) *cobra.Command {
	f := &execFlags{}
	cmd := &cobra.Command{
		Use:   "exec [OPTIONS] CONTAINER COMMAND [ARG...]",
		Short: "Run a command in a running container",
		Long: `Run a command in a running container: in its namespaces and root file system,
with its environment, user and working directory unless the options say
otherwise.

The exit status is the command's; 125 means urun itself failed (the
container is not running, say), 126 that the command could not be invoked,
127 that it was not found.`,
		Args: cobra.MinimumNArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return execInContainer(g, f, args)
		},
	}
	// Everything after the container belongs to the command.
	cmd.Flags().SetInterspersed(false)
	fl := cmd.Flags()
	fl.BoolVarP(&f.interactive, "interactive", "i", false, "keep stdin open and pass it to the command")
	fl.BoolVarP(&f.tty, "tty", "t", false, "allocate a pseudo-terminal")
	fl.BoolVarP(&f.detach, "detach", "d", false, "run the command in the background: return once it started")
	fl.StringArrayVarP(&f.env, "env", "e", nil, "set an environment variable (KEY=VALUE, or KEY to pass yours)")
	fl.StringArrayVar(&f.envFiles, "env-file", nil, "read environment variables from a file")
	fl.StringVarP(&f.user, "user", "u", "", "user to run as: name|uid[:group|gid], looked up in the container (default: the container's user)")
	fl.StringVarP(&f.workdir, "workdir", "w", "", "working directory inside the container (default: the container's)")
	fl.BoolVar(&f.privileged, "privileged", false, "give the command every capability of the container's user namespace")
	return cmd
}

func execInContainer(g *globals, f *execFlags, args []string) error {
	cfg, err := g.load()
	if err != nil {
		return err
	}
	var env []string
	for _, file := range f.envFiles {
		vars, err := spec.ReadEnvFile(file)
		if err != nil {
			return err
		}
		env = append(env, vars...)
	}
	code, err := launch.Exec(launch.ExecOptions{
		Config: cfg, Container: args[0], Command: args[1:],
		Env: append(env, f.env...), User: f.user, WorkDir: f.workdir,
		Interactive: f.interactive, Terminal: f.tty, Detach: f.detach,
		Privileged: f.privileged,
	})
	if err != nil {
		return err
	}
	if code != 0 {
		return exitcode.New(code, nil)
	}
	return nil
}
