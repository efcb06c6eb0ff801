// Command urun runs rootless containers. This package only parses flags
// and calls the packages that do the work.
package main

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/urun/urun/config"
	"github.com/urun/urun/containers"
	"github.com/urun/urun/exitcode"
	"github.com/urun/urun/hostinfo"
	"github.com/urun/urun/image/local"
	"github.com/urun/urun/inside"
	"github.com/urun/urun/launch"
	"github.com/urun/urun/network"
	"github.com/urun/urun/nospace"
	"github.com/urun/urun/rootfscopy"
	"github.com/urun/urun/stage"
	"github.com/urun/urun/trace"
	netclient "github.com/urun/urun/usernet/client"
)

// version and commit are set at build time with -ldflags "-X
// main.version=... -X main.commit=...".
var (
	version = "0.1.0-dev"
	commit  = ""
)

// globals are the flags every command takes.
type globals struct {
	root, runRoot, configFile, rootfsDriver string
}

// load returns the configuration with the global flags applied.
func (g *globals) load() (*config.Config, error) {
	cfg, err := config.LoadWith(g.configFile, config.Overrides{GraphRoot: g.root, RunRoot: g.runRoot, RootfsDriver: g.rootfsDriver, RunningContainers: containers.RunningIn})
	if err == nil {
		// A killed network holder is replaced by the next command.
		netclient.Repair(cfg)
		// Images of the shared stores are found and run in place.
		local.UseSharedStores(cfg.AdditionalImageStores)
	}
	return cfg, err
}

// stages are the processes urun starts of its own binary (package
// stage): each stage's main, by name.
var stages = map[stage.Name]func() int{
	stage.Init:    inside.Main,
	stage.Ports:   network.RunPortChild,
	stage.Exec:    inside.ExecMain,
	stage.Copy:    rootfscopy.StageMain,
	stage.Remove:  containers.RemoveStage,
	stage.Probe:   hostinfo.Probe,
	stage.Monitor: launch.MonitorMain,
}

func main() {
	// A stage must not reach the CLI.
	if name := stage.Current(); name != "" {
		run, ok := stages[name]
		if !ok {
			fmt.Fprintf(os.Stderr, "urun: unknown stage %q\n", name)
			os.Exit(125)
		}
		os.Exit(run())
	}
	trace.Mark("host", "main")
	os.Exit(execute(os.Args[1:]))
}

func execute(args []string) int {
	name := commandName(args)
	root := newRootCommand(name)
	if _, hot := hotCommands[name]; !hot {
		if err := unknownCommand(root, args); err != nil {
			fmt.Fprintln(os.Stderr, "urun:", err)
			return generalFailure
		}
	}
	root.SetArgs(args)
	cmd, err := root.ExecuteC()
	if err == nil {
		return 0
	}
	// A silent one was reported already (by the image helper, or by
	// urun for each of several containers).
	code, report := exitStatus(cmd, err)
	if report {
		var exitErr *exitcode.Error
		if errors.As(err, &exitErr) {
			err = exitErr.Err
		}
		fmt.Fprintln(os.Stderr, "urun:", nospace.Explain(err, ""))
	}
	return code
}

// hotCommands are built alone when they are the one run: building every
// command and its flags costs `urun run` about half a millisecond.
var hotCommands = map[string]func(*globals) *cobra.Command{
	"run":  newRunCommand,
	"exec": newExecCommand,
}

// commandName is the first argument that is not a global flag or its
// value: the command urun is asked to run.
func commandName(args []string) string {
	for i := 0; i < len(args); i++ {
		switch a := args[i]; {
		case a == "--root" || a == "--runroot" || a == "--config" || a == "--rootfs-driver":
			i++
		case strings.HasPrefix(a, "-"):
		default:
			return a
		}
	}
	return ""
}

// newRootCommand builds urun's commands: only the one named when it is a
// hot command, else all of them (for help and the rest).
func newRootCommand(name string) *cobra.Command {
	g := &globals{}
	root := &cobra.Command{
		Use:   "urun",
		Short: "Run containers as an ordinary user: no root, no daemon",
		Long: `urun runs OCI containers without root and without a daemon. Each container
gets a user namespace mapped from your /etc/subuid and /etc/subgid ranges,
with PID, mount, network, UTS and IPC namespaces inside it, and a root file
system assembled from the image's layers with overlay.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		Version:       version,
		// `urun completion` is not built with a hot command.
		CompletionOptions: cobra.CompletionOptions{DisableDefaultCmd: hotCommands[name] != nil},
	}
	root.SetVersionTemplate(versionLine())
	pf := root.PersistentFlags()
	pf.StringVar(&g.root, "root", "", "storage root for images and containers' layers (default $XDG_DATA_HOME/urun/storage, or /var/tmp/urun-UID/storage when that is on a network file system)")
	pf.StringVar(&g.runRoot, "runroot", "", "run state directory (default $XDG_RUNTIME_DIR/urun, or /tmp/urun-UID)")
	pf.StringVar(&g.configFile, "config", "", "configuration file (default $XDG_CONFIG_HOME/urun/urun.conf)")
	pf.StringVar(&g.rootfsDriver, "rootfs-driver", "", "how to assemble the rootfs: auto, native (kernel overlay) or fuse-overlayfs (default from the config, else auto)")
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return usageError{fmt.Errorf("%w\nSee '%s --help'", err, c.CommandPath())}
	})
	if hot, ok := hotCommands[name]; ok {
		root.AddCommand(hot(g))
	} else {
		root.AddCommand(imageCommands(g)...)
		root.AddCommand(newLoginCommand(g), newLogoutCommand(g), newSearchCommand(g))
		root.AddCommand(newRunCommand(g), newCreateCommand(g), newStartCommand(g), newStopCommand(g), newRestartCommand(g), newKillCommand(g), newWaitCommand(g), newPauseCommand(g, "pause"), newPauseCommand(g, "unpause"), newAttachCommand(g), newLogsCommand(g), newExecCommand(g), newCpCommand(g), newExportCommand(g), newCommitCommand(g), newDiffCommand(g), newPsCommand(g), newRmCommand(g), newInspectCommand(g, false), newPortCommand(g), newRenameCommand(g), newTopCommand(g), newStatsCommand(g), newUpdateCommand(g), newContainerCommand(g), newImageCommand(g), newGenerateCommand(g), newNetworkCommand(g), newVolumeCommand(g), newInfoCommand(g), newVersionCommand(), newBuilderCommand(g))
		root.AddCommand(newHealthcheckCommand(g))
		root.AddCommand(newEventsCommand(g), newSystemCommand(g), newUnshareCommand(g))
		for _, extra := range extraCommands {
			root.AddCommand(extra(g))
		}
		setUpCompletion(root, g)
	}
	// Each Use line already says where OPTIONS go.
	var noFlagsInUse func(*cobra.Command)
	noFlagsInUse = func(c *cobra.Command) {
		c.DisableFlagsInUseLine = true
		for _, sub := range c.Commands() {
			noFlagsInUse(sub)
		}
	}
	noFlagsInUse(root)
	return root
}
