package main

import (
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"golang.org/x/sys/unix"

	"github.com/urun/urun/config"
	"github.com/urun/urun/containers"
	"github.com/urun/urun/exitcode"
	"github.com/urun/urun/launch"
)

func newCreateCommand(g *globals) *cobra.Command {
	f := &runFlags{}
	cmd := &cobra.Command{
		Use:   "create [OPTIONS] IMAGE [COMMAND] [ARG...]",
		Short: "Create a new container without starting it",
		Long: `Create a new container, pulling the image first if it is not stored, and print
its id. 'urun start' starts it in the background.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o, err := f.launchOptions(cmd, g, args)
			if err != nil {
				return err
			}
			defer o.ImageUse.Close() // if launch never wrote the record
			created, err := launch.Create(o)
			if err != nil {
				return err
			}
			created.Lock.Close()
			fmt.Println(created.State.ID)
			return nil
		},
	}
	cmd.Flags().SetInterspersed(false)
	addRunFlags(cmd.Flags(), f)
	return cmd
}

// loadContainers reads the configuration and lists its containers.
func loadContainers(g *globals) (*config.Config, []containers.Container, error) {
	cfg, err := g.load()
	if err != nil {
		return nil, nil, err
	}
	list, err := containers.List(cfg)
	return cfg, list, err
}

// forEachContainer calls fn for each container args name, printing the
// name as given for each success, as Docker does (see combineErrors).
func forEachContainer(g *globals, args []string, fn func(cfg *config.Config, c containers.Container, ref string) error) error {
	cfg, list, err := loadContainers(g)
	if err != nil {
		return err
	}
	var errs []error
	for _, ref := range args {
		c, err := containers.Find(list, ref)
		if err == nil {
			err = fn(cfg, c, ref)
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		fmt.Println(ref)
	}
	return combineErrors(len(args), errs)
}

// combineErrors is urun's error for a command on n containers: the one
// failure of a command on one container; with several, each is said and
// urun exits 1, as Docker does.
func combineErrors(n int, errs []error) error {
	switch {
	case len(errs) == 0:
		return nil
	case n == 1:
		return errs[0]
	}
	for _, err := range errs {
		fmt.Fprintln(os.Stderr, "urun:", err)
	}
	return exitcode.New(1, nil)
}

func newStartCommand(g *globals) *cobra.Command {
	var attach, interactive, all bool
	var detachKeys string
	var filterArgs []string
	cmd := &cobra.Command{
		Use:   "start [OPTIONS] CONTAINER...",
		Short: "Start created or stopped containers in the background",
		Long: `Start containers under a monitor process of their own, as 'urun run -d' does.
With -a, stay attached to the container's output and exit with its status.
--all starts every container that is not running, or with --filter KEY=VALUE
(the keys of 'urun ps --filter') those that match: 'urun start --all
--filter restart-policy=always' is what 'urun generate systemd
--restart-service' runs at boot.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			switch {
			case all && len(args) > 0:
				return errors.New("start --all starts every container (that --filter selects): name none")
			case all && (attach || interactive):
				return errors.New("start --all starts containers in the background: drop -a and -i")
			case !all && len(filterArgs) > 0:
				return errors.New("start --filter selects containers for --all: add --all, or name the containers")
			case all:
				return startAll(g, filterArgs)
			case len(args) == 0:
				return errors.New("start needs at least one container (or --all)")
			}
			if attach || interactive {
				if len(args) > 1 {
					return errors.New("start -a/-i attaches to one container: name only one")
				}
				cfg, c, err := findOne(g, args[0])
				if err != nil {
					return err
				}
				o := launch.AttachOptions{Stdin: interactive, DetachKeys: detachKeys, SigProxy: true}
				code, err := startContainer(cfg, c, args[0], &o)
				return attachExit(code, err)
			}
			return forEachContainer(g, args, startInBackground)
		},
	}
	fl := cmd.Flags()
	fl.BoolVarP(&attach, "attach", "a", false, "attach to the container's output and exit with its status")
	fl.BoolVarP(&interactive, "interactive", "i", false, "attach stdin too")
	fl.StringVar(&detachKeys, "detach-keys", launch.DefaultDetachKeys, "keys that detach from the container")
	fl.BoolVar(&all, "all", false, "start every container that is not running (that --filter selects)")
	fl.StringArrayVarP(&filterArgs, "filter", "f", nil, "with --all, start only containers that match KEY=VALUE (urun ps's filters)")
	return cmd
}

// startAll starts every stopped container that the filters select and
// prints each one's name.
func startAll(g *globals, filterArgs []string) error {
	filters, err := containers.ParseFilters(filterArgs)
	if err != nil {
		return err
	}
	cfg, list, err := loadContainers(g)
	if err != nil {
		return err
	}
	var names []string
	for _, c := range filters.Keep(list, containers.NewLabelSource(cfg)) {
		if !c.Running {
			names = append(names, c.Name)
		}
	}
	return forEachContainer(g, names, startInBackground)
}

// startInBackground starts c under a monitor, unless it runs.
func startInBackground(cfg *config.Config, c containers.Container, ref string) error {
	_, err := startContainer(cfg, c, ref, nil)
	return err
}

// startContainer starts c under a monitor; a running one is left alone
// (or attached to, with attach).
func startContainer(cfg *config.Config, c containers.Container, ref string, attach *launch.AttachOptions) (int, error) {
	lock, err := containers.Lock(c.Dir)
	if errors.Is(err, unix.EWOULDBLOCK) && containerEnded(c.Dir) {
		// Its command ended and its monitor is finishing (recording the
		// end, removing its cgroup): it starts once the monitor is gone,
		// as Docker's does right after the container exited.
		lock, err = containers.LockWithin(c.Dir, ref, monitorEndBound)
	}
	if errors.Is(err, unix.EWOULDBLOCK) {
		if attach != nil {
			return launch.Attach(c.Dir, isTerminalContainer(cfg, c), *attach)
		}
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("lock container %s: %w", ref, err)
	}
	if err := containers.CheckRunStateKept(cfg, c.State, ref); err != nil {
		lock.Close()
		return 0, err
	}
	if _, err := containers.Update(cfg, c.Dir, func(st *containers.State) error {
		st.StoppedByUser, st.RestartCount, st.Detached = false, 0, true
		return nil
	}); err != nil {
		lock.Close()
		return 0, err
	}
	return launch.StartDetached(cfg, c.Dir, lock, launch.StartOptions{Attach: attach})
}

// monitorEndBound bounds the wait for the monitor of a container that
// ended: it records the end and exits within milliseconds.
const monitorEndBound = 10 * time.Second

// containerEnded says whether the container's record says its command
// ended (and no restart is coming).
func containerEnded(dir string) bool {
	st, err := containers.ReadState(dir)
	return err == nil && st.Status == containers.StatusExited
}

func isTerminalContainer(cfg *config.Config, c containers.Container) bool {
	s, err := containers.ReadSettings(cfg, c.State)
	return err == nil && s.Spec.Process.Terminal
}

// attachExit turns an attachment's end into urun's exit: the container's
// status, or 0 when the user detached.
func attachExit(code int, err error) error {
	if errors.Is(err, launch.ErrDetached) {
		return nil
	}
	if err != nil {
		return err
	}
	if code != 0 {
		return exitcode.New(code, nil)
	}
	return nil
}

func findOne(g *globals, ref string) (*config.Config, containers.Container, error) {
	cfg, list, err := loadContainers(g)
	if err != nil {
		return nil, containers.Container{}, err
	}
	c, err := containers.Find(list, ref)
	return cfg, c, err
}

// stopSettings are the signal and timeout `urun stop` uses for c: the
// flags', else the container's own (--stop-signal, --stop-timeout, the
// image's StopSignal), else SIGTERM and 10 s.
func stopSettings(cmd *cobra.Command, cfg *config.Config, c containers.Container, signal string, timeout int) (unix.Signal, time.Duration, error) {
	s, _ := containers.ReadSettings(cfg, c.State)
	sig, err := s.FirstStopSignal(signal)
	if err != nil {
		return 0, 0, err
	}
	if !cmd.Flags().Changed("timeout") && !cmd.Flags().Changed("time") {
		return sig, s.StopWait(), nil
	}
	if timeout < 0 {
		return 0, 0, fmt.Errorf("--timeout %d: want 0 or more seconds", timeout)
	}
	return sig, time.Duration(timeout) * time.Second, nil
}

func newStopCommand(g *globals) *cobra.Command {
	var timeout int
	var signal string
	cmd := &cobra.Command{
		Use:   "stop [OPTIONS] CONTAINER...",
		Short: "Stop running containers",
		Long: `Stop running containers: send the stop signal (--signal, else the container's
--stop-signal or its image's StopSignal, else SIGTERM) to each one's main
process, then SIGKILL after the timeout. A stopped container is not
restarted by its restart policy.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return forEachContainer(g, args, func(cfg *config.Config, c containers.Container, ref string) error {
				sig, d, err := stopSettings(cmd, cfg, c, signal, timeout)
				if err != nil {
					return err
				}
				return containers.Stop(cfg, c, sig, d)
			})
		},
	}
	addStopFlags(cmd.Flags(), &timeout, &signal)
	return cmd
}

func newRestartCommand(g *globals) *cobra.Command {
	var timeout int
	var signal string
	cmd := &cobra.Command{
		Use:   "restart [OPTIONS] CONTAINER...",
		Short: "Restart containers",
		Long:  `Stop containers as 'urun stop' does (if they run), then start them in the background.`,
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return forEachContainer(g, args, func(cfg *config.Config, c containers.Container, ref string) error {
				sig, d, err := stopSettings(cmd, cfg, c, signal, timeout)
				if err != nil {
					return err
				}
				if err := containers.Stop(cfg, c, sig, d); err != nil {
					return err
				}
				err = startInBackground(cfg, c, ref)
				if err == nil {
					containers.Emit(cfg, c.State, "restart")
				}
				return err
			})
		},
	}
	addStopFlags(cmd.Flags(), &timeout, &signal)
	return cmd
}

// addStopFlags adds stop's and restart's flags: -t/--timeout (Docker
// 28's name) with --time, its older one, and -s/--signal.
func addStopFlags(fl *pflag.FlagSet, timeout *int, signal *string) {
	fl.IntVarP(timeout, "timeout", "t", containers.DefaultStopTimeout, "seconds to wait before killing the container")
	fl.IntVar(timeout, "time", containers.DefaultStopTimeout, "same as --timeout")
	fl.StringVarP(signal, "signal", "s", "", "signal to send first")
}

func newKillCommand(g *globals) *cobra.Command {
	var signal string
	cmd := &cobra.Command{
		Use:   "kill [OPTIONS] CONTAINER...",
		Short: "Send a signal to running containers' main process",
		Long: `Send a signal (SIGKILL unless -s) to running containers' main process, PID 1
in the container. PID 1 ignores signals it has no handler for, except SIGKILL.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			sig, err := containers.ParseSignal(signal)
			if err != nil {
				return err
			}
			return forEachContainer(g, args, func(cfg *config.Config, c containers.Container, ref string) error {
				return containers.Kill(cfg, c, ref, sig)
			})
		},
	}
	cmd.Flags().StringVarP(&signal, "signal", "s", "KILL", "signal to send: a name (TERM, SIGHUP) or a number")
	return cmd
}

func newWaitCommand(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "wait CONTAINER...",
		Short: "Wait until containers stop, then print their exit codes",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := g.load()
			if err != nil {
				return err
			}
			list, err := containers.List(cfg)
			if err != nil {
				return err
			}
			for _, ref := range args {
				c, err := containers.Find(list, ref)
				if err != nil {
					return err
				}
				code, err := containers.Wait(cfg, c)
				if err != nil {
					return err
				}
				fmt.Println(code)
			}
			return nil
		},
	}
}

func newPauseCommand(g *globals, name string) *cobra.Command {
	verb := map[string]string{"pause": "Pause", "unpause": "Unpause"}[name]
	return &cobra.Command{
		Use:   name + " CONTAINER...",
		Short: verb + " all processes of containers (needs the cgroup v2 freezer)",
		Long: verb + ` all processes of running containers with their cgroup's freezer
(cgroup.freeze). A container needs a cgroup v2 cgroup of its own: cgroup v2
with a delegated subtree or a systemd user manager, not --cgroups=disabled.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return forEachContainer(g, args, func(cfg *config.Config, c containers.Container, ref string) error {
				if name == "pause" {
					return containers.Pause(cfg, c, ref)
				}
				return containers.Unpause(cfg, c, ref)
			})
		},
	}
}

func newAttachCommand(g *globals) *cobra.Command {
	var noStdin, sigProxy bool
	var detachKeys string
	cmd := &cobra.Command{
		Use:   "attach [OPTIONS] CONTAINER",
		Short: "Attach to a detached container's input and output",
		Long: `Attach to a running container started with -d (or 'urun start'): show its
output and, if it was started with -i, pass your input to it. The detach
keys (ctrl-p ctrl-q) leave it running; otherwise urun exits with the
container's status when it ends.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, c, err := findOne(g, args[0])
			if err != nil {
				return err
			}
			if !c.Running {
				return fmt.Errorf("cannot attach to container %s: it is not running; start it with 'urun start -a'", args[0])
			}
			s, err := containers.ReadSettings(cfg, c.State)
			if err != nil {
				return err
			}
			o := launch.AttachOptions{Stdin: !noStdin && s.Interactive, DetachKeys: detachKeys, SigProxy: sigProxy}
			return attachExit(launch.Attach(c.Dir, s.Spec.Process.Terminal, o))
		},
	}
	cmd.Flags().BoolVar(&noStdin, "no-stdin", false, "do not pass your input to the container")
	cmd.Flags().BoolVar(&sigProxy, "sig-proxy", true, "pass the signals urun gets (ctrl-c's SIGINT too) on to the container, unless it has a terminal")
	cmd.Flags().StringVar(&detachKeys, "detach-keys", launch.DefaultDetachKeys, "keys that detach from the container")
	return cmd
}
