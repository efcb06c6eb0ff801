package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
	"golang.org/x/sys/unix"

	"github.com/urun/urun/exitcode"
	"github.com/urun/urun/idmap"
)

// unshareChildEnv marks the urun that `urun unshare` started in the new
// user namespace: it waits for its id maps on fd 3, then runs the command.
const unshareChildEnv = "_URUN_UNSHARE_CHILD"

func newUnshareCommand(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "unshare [COMMAND [ARG...]]",
		Short: "Run a command in urun's user namespace",
		Long: `Run COMMAND (default $SHELL, else /bin/sh) as root of a new user namespace
mapped as urun's containers are: root inside is you, ids 1 and up are your
subordinate ids from /etc/subuid and /etc/subgid. Files that containers
wrote as other users (a -v directory written by --user 1000, a volume) are
yours to list, measure, change and remove there: 'urun unshare rm -rf DIR'.
It has a mount namespace of its own too. $URUN_GRAPHROOT and $URUN_RUNROOT
say where urun's store and run root are. The exit status is COMMAND's.`,
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if os.Getenv(unshareChildEnv) != "" {
				return runUnshared(args)
			}
			cfg, err := g.load()
			if err != nil {
				return err
			}
			mappings, err := idmap.ForCurrentCaller()
			if err != nil {
				return err
			}
			self, err := os.Executable()
			if err != nil {
				return fmt.Errorf("find urun's own binary: %w", err)
			}
			mapped, wake, err := os.Pipe()
			if err != nil {
				return fmt.Errorf("make a pipe: %w", err)
			}
			defer mapped.Close()
			defer wake.Close()
			child := exec.Command(self, os.Args[1:]...)
			child.Stdin, child.Stdout, child.Stderr = os.Stdin, os.Stdout, os.Stderr
			child.Env = append(os.Environ(), unshareChildEnv+"=1", "URUN_GRAPHROOT="+cfg.GraphRoot, "URUN_RUNROOT="+cfg.RunRoot)
			child.ExtraFiles = []*os.File{mapped}
			child.SysProcAttr = &syscall.SysProcAttr{Cloneflags: unix.CLONE_NEWUSER | unix.CLONE_NEWNS, Pdeathsig: unix.SIGKILL}
			if err := child.Start(); err != nil {
				return fmt.Errorf("start a process in a new user namespace: %w", err)
			}
			mapped.Close()
			// The terminal's signals reach the command itself, which
			// decides; urun waits for its status, as a shell does.
			signal.Ignore(unix.SIGINT, unix.SIGQUIT, unix.SIGTSTP)
			if err := idmap.Apply(child.Process.Pid, mappings); err != nil {
				child.Process.Kill()
				child.Wait()
				return fmt.Errorf("map the user namespace's ids: %w", err)
			}
			wake.Write([]byte{1})
			wake.Close()
			code, err := exitcode.FromWait(child.Wait())
			if err != nil {
				return err
			}
			if code != 0 {
				return exitcode.New(code, nil)
			}
			return nil
		},
	}
	// Flags after COMMAND are COMMAND's.
	cmd.Flags().SetInterspersed(false)
	return cmd
}

// runUnshared is the child's half: once its id maps are written, it is
// root of the namespace and becomes the command.
func runUnshared(args []string) error {
	ready := os.NewFile(3, "maps-written")
	buf := make([]byte, 1)
	if n, _ := ready.Read(buf); n != 1 {
		return exitcode.New(125, errors.New("the user namespace's ids were not mapped"))
	}
	ready.Close()
	os.Unsetenv(unshareChildEnv)
	if len(args) == 0 {
		shell := os.Getenv("SHELL")
		if shell == "" {
			shell = "/bin/sh"
		}
		args = []string{shell}
	}
	path, err := exec.LookPath(args[0])
	if err != nil {
		code := 127
		if errors.Is(err, os.ErrPermission) {
			code = 126
		}
		return exitcode.New(code, fmt.Errorf("%s: %w", args[0], err))
	}
	// Root of the namespace: no supplementary groups of the host's are
	// mapped there.
	unix.Setgroups(nil)
	if err := unix.Exec(path, args, os.Environ()); err != nil {
		return exitcode.New(126, fmt.Errorf("run %s: %w", args[0], err))
	}
	return nil
}
