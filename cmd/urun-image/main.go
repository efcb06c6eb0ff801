//go:build containers_image_openpgp && exclude_graphdriver_btrfs

// Command urun-image is urun's internal image helper: it does urun's image
// commands (pull, images, push...). It links the storage and image
// libraries, whose initialisation would slow every `urun run`, so `urun`
// runs it as a separate program (package image/helper) instead of linking
// them itself, and hands it each command as a typed request (package
// image/request). It is not meant to be run by hand.
//
// Started on the host, it checks the request and re-executes itself, with
// the same request, in urun's user namespace (0 → the caller, 1..N → the
// subordinate ids) with a mount namespace of its own, and does the work
// there.
package main

import (
	"errors"
	"fmt"
	"os"
	"strconv"

	"github.com/sirupsen/logrus"
	"go.podman.io/storage/pkg/reexec"
	"golang.org/x/sys/unix"

	"github.com/urun/urun/config"
	"github.com/urun/urun/containers"
	"github.com/urun/urun/exitcode"
	"github.com/urun/urun/idmap"
	"github.com/urun/urun/image/request"
	"github.com/urun/urun/nospace"
	"github.com/urun/urun/stage"
)

const usage = `urun-image is an internal helper of urun: it does urun's image commands
(pull, images, tag, rmi, image prune, inspect, history, push, save, load,
import, commit, diff, login, logout, search, build, builder prune), each
handed over by urun as a typed request, never in arguments. Run those urun
commands instead.
`

func main() {
	// The storage library unpacks layers in a chrooted copy of this
	// program started as "storage-untar"; reexec.Init runs it.
	if reexec.Init() {
		return
	}
	// The stage's socket is of no more use once the request is read (the
	// helper reports by its exit status and stderr): the programs this
	// one starts (the storage library's re-executions above all) must not
	// hold it.
	if s := stage.Socket(); s != nil {
		s.Close()
	}
	os.Exit(run(os.Args[1:]))
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

// A command checks its request (on the host, and again in the user
// namespace) and returns the work to do, which runs there with the
// store's configuration.
type work func(*config.Config) error

// prepare is the command r asks for; each has a file of its own.
func prepare(r request.Request) (work, error) {
	switch {
	case r.Pull != nil:
		return preparePull(*r.Pull)
	case r.Images != nil:
		return prepareImages(*r.Images)
	case r.Tag != nil:
		return prepareTag(*r.Tag)
	case r.Rmi != nil:
		return prepareRmi(*r.Rmi)
	case r.Prune != nil:
		return preparePrune(*r.Prune)
	case r.Inspect != nil:
		return prepareInspect(*r.Inspect)
	case r.History != nil:
		return prepareHistory(*r.History)
	case r.Push != nil:
		return preparePush(*r.Push)
	case r.Save != nil:
		return prepareSave(*r.Save)
	case r.Load != nil:
		return prepareLoad(*r.Load)
	case r.Import != nil:
		return prepareImport(*r.Import)
	case r.Login != nil:
		return prepareLogin(*r.Login)
	case r.Logout != nil:
		return prepareLogout(*r.Logout)
	case r.Search != nil:
		return prepareSearch(*r.Search)
	case r.Build != nil:
		return prepareBuild(*r.Build)
	case r.BuilderPrune != nil:
		return prepareBuilderPrune(*r.BuilderPrune)
	case r.Commit != nil:
		return prepareCommit(*r.Commit)
	case r.Diff != nil:
		return prepareDiff(*r.Diff)
	case r.CDI != nil:
		return prepareCDI(*r.CDI)
	}
	return nil, errors.New("urun asked for no command urun-image knows: install urun and urun-image of one version")
}

// errNoRequest: urun-image was run by hand, not by urun.
var errNoRequest = errors.New("no request from urun")

// receive reads the request urun (stage.Image) or this program's host
// half (stage.ImageInUserNS) sent.
func receive() (request.Request, error) {
	var r request.Request
	if n := stage.Current(); n != stage.Image && n != stage.ImageInUserNS {
		return r, errNoRequest
	}
	return r, stage.Request(&r)
}

// hostCommands need neither the store nor the user namespace: they only
// talk to registries and write the auth file, which stays the user's, or
// read the host's CDI specs and device nodes.
var hostCommands = map[string]bool{"login": true, "logout": true, "search": true, "cdi": true}

func dispatch(args []string) error {
	r, err := receive()
	if errors.Is(err, errNoRequest) {
		if len(args) == 1 && (args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
			fmt.Print(usage)
			return nil
		}
		return errors.New("urun-image takes its requests from urun\n" + usage)
	}
	if err != nil {
		return err
	}
	name := r.Command()
	work, err := prepare(r)
	if err != nil {
		if name == "" {
			return err
		}
		return fmt.Errorf("%s: %w", name, err)
	}

	cfg, err := config.LoadWith(r.Store.ConfigFile, config.Overrides{GraphRoot: r.Store.Root, RunRoot: r.Store.RunRoot, RootfsDriver: r.Store.RootfsDriver, RunningContainers: containers.RunningIn})
	if err != nil {
		return err
	}

	if stage.Current() == stage.Image && !hostCommands[name] {
		return enterNamespace(r, cfg.GraphRoot)
	}
	logrus.SetFormatter(&logrus.TextFormatter{DisableTimestamp: true})
	logrus.SetLevel(logrus.WarnLevel)
	return work(cfg)
}

// enterNamespace runs this program again, with the same request, as root
// of urun's user namespace, in a mount namespace of its own, and returns
// its exit status. The namespace maps as the store's files were written
// (idmap.CheckStore): with the caller's subordinate ids, with their id
// alone when they have none (the store then squashes every owner to the
// caller), or unchanged for root.
func enterNamespace(r request.Request, graphRoot string) error {
	caller, err := idmap.CurrentCaller()
	if err != nil && os.Getuid() != 0 {
		return err
	}
	m, _, err := idmap.Files{}.ForCallerOrSingle(caller)
	if err != nil {
		return err
	}
	if err := idmap.CheckStore(graphRoot, m, true); err != nil {
		return err
	}
	runtimeDir, err := config.RuntimeDir()
	if err != nil {
		return err
	}
	cmd := stage.CommandOf("/proc/self/exe", stage.ImageInUserNS)
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
	return stage.RunToEnd(cmd, stage.Create{Mappings: m, Unshare: unix.CLONE_NEWNS}, r, unix.SIGINT, unix.SIGTERM, unix.SIGHUP, unix.SIGQUIT)
}

func isTerminal(f *os.File) bool {
	_, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	return err == nil
}
