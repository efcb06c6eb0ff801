//go:build containers_image_openpgp && exclude_graphdriver_btrfs

// Command urun-image is urun's internal image helper: it pulls images into
// urun's store and lists them. It links the storage and image libraries,
// whose initialisation would slow every `urun run`, so `urun` runs it as a
// separate program (package image/helper) instead of linking them itself.
// It is not meant to be run by hand; its arguments may change with urun.
//
// Started on the host, it re-executes itself in urun's user namespace
// (0 → the caller, 1..N → the subordinate ids) with a mount namespace of
// its own, and does the work there.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"strconv"

	"github.com/sirupsen/logrus"
	flag "github.com/spf13/pflag"
	"go.podman.io/storage/pkg/reexec"
	"golang.org/x/sys/unix"

	"github.com/urun/urun/config"
	"github.com/urun/urun/containers"
	"github.com/urun/urun/exitcode"
	"github.com/urun/urun/idmap"
	"github.com/urun/urun/nospace"
	"github.com/urun/urun/userns"
)

const usage = `urun-image is an internal helper of urun; run "urun pull" and "urun images" instead.

Usage:
  urun-image [--root DIR] [--runroot DIR] [--rootfs-driver D] [--config FILE] pull [--quiet] [--tls-verify=BOOL] [--platform OS/ARCH[/VARIANT]] REF
  urun-image [--root DIR] [--runroot DIR] [--rootfs-driver D] [--config FILE] images [-a] [-q] [--no-trunc] [--digests] [--format table|json|TEMPLATE] [--filter KEY=VALUE]... [REPOSITORY[:TAG]]
  urun-image [GLOBAL FLAGS] tag SOURCE_IMAGE TARGET_IMAGE
  urun-image [GLOBAL FLAGS] rmi [-f] IMAGE...
  urun-image [GLOBAL FLAGS] prune [-a]
  urun-image [GLOBAL FLAGS] inspect [-f TEMPLATE] [--raw] IMAGE...
  urun-image [GLOBAL FLAGS] history [-q] [--no-trunc] [-H=false] [--format table|json|TEMPLATE] IMAGE
  urun-image [GLOBAL FLAGS] push [-q] [--tls-verify=BOOL] [--format oci|v2s2] [--digestfile FILE] [--authfile FILE] IMAGE [DEST]
  urun-image login [-u USER] [--password-stdin | --password-fd FD] [--tls-verify=BOOL] [--authfile FILE] [REGISTRY]
  urun-image logout [--all] [--authfile FILE] [REGISTRY]
  urun-image search [--limit N] [--no-trunc] [--format F] [--tls-verify=BOOL] [--authfile FILE] [REGISTRY/]TERM
  urun-image [GLOBAL FLAGS] save [-o FILE] [--format docker-archive|oci-archive|oci-dir] IMAGE...
  urun-image [GLOBAL FLAGS] load [-i FILE|DIR] [-q]
  urun-image [GLOBAL FLAGS] import [-c INSTRUCTION]... [-m MESSAGE] [--platform OS/ARCH[/VARIANT]] FILE|URL|- [REPOSITORY[:TAG]]
`

func main() {
	// The storage library unpacks layers in a chrooted copy of this
	// program started as "storage-untar"; reexec.Init runs it.
	if reexec.Init() {
		return
	}
	if userns.Current() != userns.Host {
		leaveNamespaceStage()
	}
	os.Exit(run(os.Args[1:]))
}

// leaveNamespaceStage hides the namespace stage's variables and socket from
// the programs this one starts (the storage library's own re-executions of
// it above all), whose nsenter.c would otherwise try to enter a namespace
// again.
func leaveNamespaceStage() {
	for _, v := range []string{"_URUN_NSENTER", "_URUN_NSFLAGS", "_URUN_NSFORK", "_URUN_NSREMOVE"} {
		os.Unsetenv(v)
	}
	if s := userns.SyncSocket(); s != nil {
		s.Close()
	}
}

func run(args []string) int {
	if err := dispatch(args); err != nil {
		// A silent one was reported already (by the namespaced child,
		// or for each of several images).
		var exit *exitcode.Error
		if errors.As(err, &exit) && exit.Silent() {
			return exit.Code
		}
		fmt.Fprintf(os.Stderr, "urun: %v\n", nospace.Explain(err, ""))
		return exitcode.Of(err)
	}
	return 0
}

type globals struct {
	root, runRoot, driver, configFile string
	debug                             bool
}

// A subcommand parses its arguments on the host and returns the work to
// do, which runs in the user namespace with the store's configuration.
type subcommand func(args []string) (func(*config.Config) error, error)

// subcommands are the helper's commands; each has a file of its own.
var subcommands = map[string]subcommand{
	"pull":    parsePull,
	"images":  parseImages,
	"tag":     parseTag,
	"rmi":     parseRmi,
	"prune":   parsePrune,
	"inspect": parseInspect,
	"history": parseHistory,
	"push":    parsePush,
	"login":   parseLogin,
	"logout":  parseLogout,
	"search":  parseSearch,
	"save":    parseSave,
	"load":    parseLoad,
	"import":  parseImport,
}

// hostSubcommands need neither the store nor the user namespace: they
// only talk to registries and write the auth file, which stays the user's.
var hostSubcommands = map[string]bool{"login": true, "logout": true, "search": true}

func dispatch(args []string) error {
	var g globals
	fs := flag.NewFlagSet("urun-image", flag.ContinueOnError)
	fs.SetInterspersed(false)
	fs.SetOutput(io.Discard)
	fs.StringVar(&g.root, "root", "", "image store root (default from urun.conf)")
	fs.StringVar(&g.runRoot, "runroot", "", "run state root (default from urun.conf)")
	fs.StringVar(&g.driver, "rootfs-driver", "", "auto, native or fuse-overlayfs")
	fs.StringVar(&g.configFile, "config", "", "urun configuration file")
	fs.BoolVar(&g.debug, "debug", false, "log the image library's debug messages")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Print(usage)
			return nil
		}
		return fmt.Errorf("%v\n%s", err, usage)
	}
	rest := fs.Args()
	if len(rest) == 0 {
		return errors.New("no subcommand\n" + usage)
	}
	cmd, cmdArgs := rest[0], rest[1:]
	if cmd == "help" {
		fmt.Print(usage)
		return nil
	}
	parse, ok := subcommands[cmd]
	if !ok {
		return fmt.Errorf("unknown subcommand %q\n%s", cmd, usage)
	}
	work, err := parse(cmdArgs)
	if err != nil {
		return fmt.Errorf("%s: %w", cmd, err)
	}

	cfg, err := config.LoadWith(g.configFile, config.Overrides{GraphRoot: g.root, RunRoot: g.runRoot, RootfsDriver: g.driver, RunningContainers: containers.RunningIn})
	if err != nil {
		return err
	}

	if userns.Current() == userns.Host && !hostSubcommands[cmd] {
		return enterNamespace(args)
	}
	logrus.SetFormatter(&logrus.TextFormatter{DisableTimestamp: true})
	if g.debug {
		logrus.SetLevel(logrus.DebugLevel)
	} else {
		logrus.SetLevel(logrus.WarnLevel)
	}
	return work(cfg)
}

// enterNamespace runs this program again as root of urun's user namespace, in a
// mount namespace of its own, and returns its exit status.
func enterNamespace(args []string) error {
	caller, err := idmap.CurrentCaller()
	if err != nil {
		return err
	}
	m, err := idmap.Files{}.ForCaller(caller)
	if err != nil {
		return err
	}
	runtimeDir, err := config.RuntimeDir()
	if err != nil {
		return err
	}
	cmd := exec.Command("/proc/self/exe", args...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	cmd.Env = append(os.Environ(),
		// The storage and image libraries then behave as they do under
		// rootless podman: the user's registries.conf drop-ins, rootless
		// xattr names (user.overlay.*), per-user paths.
		"_CONTAINERS_USERNS_CONFIGURED=1",
		"_CONTAINERS_ROOTLESS_UID="+strconv.Itoa(int(caller.UID)),
		"_CONTAINERS_ROOTLESS_GID="+strconv.Itoa(int(caller.GID)),
		// auth.json is looked for in $XDG_RUNTIME_DIR/containers.
		"XDG_RUNTIME_DIR="+runtimeDir,
	)
	// The terminal signals the whole process group; a signal sent to this
	// process alone is passed on, and the child decides when to stop.
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, unix.SIGINT, unix.SIGTERM, unix.SIGHUP, unix.SIGQUIT)
	defer signal.Stop(sigs)
	p, err := userns.Run(cmd, userns.Options{Mappings: m, Flags: unix.CLONE_NEWNS})
	if err != nil {
		return err
	}
	p.Sync.Close()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	for {
		select {
		case sig := <-sigs:
			cmd.Process.Signal(sig)
		case err := <-done:
			code, err := exitcode.FromWait(err)
			if err != nil {
				return fmt.Errorf("wait for the namespaced helper: %w", err)
			}
			if code != 0 {
				// The child said why.
				return exitcode.New(code, nil)
			}
			return nil
		}
	}
}

func isTerminal(f *os.File) bool {
	_, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	return err == nil
}

// newFlags is a subcommand's flag set: its errors are returned, with the
// usage, not printed.
func newFlags(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return fs
}

// parseFlags parses a subcommand's arguments; a bad flag's error carries
// the usage.
func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("%v\n%s", err, usage)
	}
	return nil
}
