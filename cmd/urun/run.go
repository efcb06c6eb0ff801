package main

import (
	"errors"
	"fmt"
	"io"
	"os"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/urun/urun/config"
	"github.com/urun/urun/containers"
	"github.com/urun/urun/exitcode"
	"github.com/urun/urun/image/helper"
	"github.com/urun/urun/image/local"
	"github.com/urun/urun/image/request"
	"github.com/urun/urun/launch"
	"github.com/urun/urun/network"
	"github.com/urun/urun/network/namefiles"
	"github.com/urun/urun/spec"
	"github.com/urun/urun/volumes"
)

type runFlags struct {
	interactive, tty, remove, quiet, publishAll bool
	init, detach                                bool
	restart, stopSignal                         string
	stopTimeout                                 int
	logging                                     logFlags
	name, workdir, user, hostname               string
	entrypoint, network                         string
	networkAliases, links                       []string
	ip                                          string
	env, envFiles, volumes, mounts, tmpfs       []string
	publish, dns, dnsSearch, dnsOptions         []string
	addHosts, volumesFrom                       []string
	tlsVerify                                   bool
	platform                                    string
	privileged, readOnly                        bool
	capAdd, capDrop, securityOpts, devices      []string
	gpus, cdiMounts                             []string
	resources                                   resourceFlags
	health                                      healthFlags
	misc                                        miscRunFlags
	kernel                                      kernelFlags
	userns                                      usernsFlags
}

func newRunCommand(g *globals) *cobra.Command {
	f := &runFlags{}
	cmd := &cobra.Command{
		Use:   "run [OPTIONS] IMAGE [COMMAND] [ARG...]",
		Short: "Run a command in a new container",
		Long: `Run a command in a new container, pulling the image first if it is not stored.

The exit status is the command's; 125 means urun itself failed, 126 that the
command could not be invoked, 127 that it was not found.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runContainer(cmd, g, f, args)
		},
	}
	// Everything after the image belongs to the container's command.
	cmd.Flags().SetInterspersed(false)
	cmd.Flags().BoolVarP(&f.detach, "detach", "d", false, "run the container in the background under a monitor of its own and print its id")
	addRunFlags(cmd.Flags(), f)
	addForegroundFlags(cmd.Flags(), &f.logging)
	return cmd
}

// addRunFlags adds the flags `urun run` and `urun create` share.
func addRunFlags(fl *pflag.FlagSet, f *runFlags) {
	// As Docker's: -h is --hostname, and only --help prints the help
	// (cobra adds -h for help unless a help flag is already there).
	fl.Bool("help", false, "print this help")
	fl.BoolVarP(&f.interactive, "interactive", "i", false, "keep stdin open and pass it to the container")
	fl.BoolVarP(&f.tty, "tty", "t", false, "allocate a pseudo-terminal")
	fl.BoolVar(&f.remove, "rm", false, "remove the container when it exits")
	fl.BoolVar(&f.init, "init", false, "run an init inside the container that forwards signals and reaps processes")
	fl.StringVar(&f.name, "name", "", "name the container")
	fl.StringArrayVarP(&f.env, "env", "e", nil, "set an environment variable (KEY=VALUE, or KEY to pass yours)")
	fl.StringArrayVar(&f.envFiles, "env-file", nil, "read environment variables from a file")
	fl.StringVarP(&f.workdir, "workdir", "w", "", "working directory inside the container")
	fl.StringVarP(&f.user, "user", "u", "", "user to run as: name|uid[:group|gid], looked up in the image")
	fl.StringArrayVarP(&f.volumes, "volume", "v", nil, "mount a volume or bind a host directory: NAME:CONTAINER-DIR[:OPTIONS] (a named volume, made if missing), CONTAINER-DIR (a new anonymous volume) or HOST-DIR:CONTAINER-DIR[:OPTIONS]; OPTIONS ro, nocopy, U (give the source to the container's user), z and Z (accepted: no SELinux relabelling here); a HOST-DIR may be relative as ./DIR")
	fl.StringArrayVar(&f.mounts, "mount", nil, "attach a mount: type=bind,source=DIR,target=DIR[,readonly], type=volume[,source=NAME],target=DIR[,readonly][,volume-nocopy][,volume-opt=KEY=VALUE] or type=tmpfs,target=DIR[,tmpfs-size=SIZE][,tmpfs-mode=MODE] or type=image,source=IMAGE,target=DIR[,rw=true] (a stored image's files)")
	fl.StringArrayVar(&f.volumesFrom, "volumes-from", nil, "mount the volumes and host directories another container mounts: CONTAINER[:ro|:rw]")
	fl.StringArrayVar(&f.tmpfs, "tmpfs", nil, "mount a tmpfs: PATH[:OPTIONS]")
	fl.StringVarP(&f.hostname, "hostname", "h", "", "container host name (default: the short container id)")
	fl.StringVar(&f.entrypoint, "entrypoint", "", "override the image's entrypoint")
	fl.StringVar(&f.network, "network", "", `network: a network's name ("bridge", the default one, or one made with 'urun network create'), "slirp4netns[:OPTIONS]" (the default: own network namespace with NAT to yours; options allow_host_loopback=true, mtu=N, cidr=CIDR, outbound_addr=IP, enable_ipv6=true, port_handler=rootlesskit|slirp4netns), "pasta[:ARGS]", "container:NAME" (share a running container's), "none" (only loopback) or "host" (share yours)`)
	fl.StringVar(&f.network, "net", "", "same as --network")
	fl.MarkHidden("net")
	fl.StringArrayVar(&f.networkAliases, "network-alias", nil, "another name of the container on its network")
	fl.StringVar(&f.ip, "ip", "", "the container's IPv4 address on its network")
	fl.StringArrayVar(&f.links, "link", nil, "add a link to another container: CONTAINER[:ALIAS]")
	fl.StringArrayVarP(&f.publish, "publish", "p", nil, "publish a container's port to the host: [IP:][HOST-PORT:]CONTAINER-PORT[/tcp|udp], ranges too; no or 0 host port picks a free one")
	fl.BoolVarP(&f.publishAll, "publish-all", "P", false, "publish every port the image EXPOSEs to a free host port")
	fl.StringArrayVar(&f.dns, "dns", nil, "name server for the container's /etc/resolv.conf")
	fl.StringArrayVar(&f.dnsSearch, "dns-search", nil, "DNS search domain")
	fl.StringArrayVar(&f.dnsOptions, "dns-option", nil, "resolv.conf option")
	fl.StringArrayVar(&f.addHosts, "add-host", nil, "add a line to /etc/hosts: NAME:IP")
	fl.BoolVar(&f.privileged, "privileged", false, "give the container every capability of your user namespace, no masked paths, a writable /sys, setuid programs working")
	fl.StringSliceVar(&f.capAdd, "cap-add", nil, "add capabilities to Docker's default set (NET_ADMIN, ALL)")
	fl.StringSliceVar(&f.capDrop, "cap-drop", nil, "drop capabilities from the default set (ALL for every one)")
	addDeviceFlags(fl, f)
	fl.BoolVar(&f.readOnly, "read-only", false, "mount the root file system read-only (/tmp, /var/tmp and /run get a tmpfs each)")
	fl.StringArrayVar(&f.securityOpts, "security-opt", nil, "no-new-privileges=false (let setuid programs gain privileges), mask=PATH[:PATH...], unmask=PATH[:PATH...]|ALL, seccomp=unconfined|PROFILE.json (a profile in Docker's format)")
	addLifecycleFlags(fl, f)
	addResourceFlags(fl, &f.resources)
	addHealthFlags(fl, &f.health)
	addKernelFlags(fl, &f.kernel)
	addUserNSFlags(fl, &f.userns)
	fl.BoolVarP(&f.quiet, "quiet", "q", false, "do not show pull progress")
	fl.BoolVar(&f.tlsVerify, "tls-verify", true, "require HTTPS and verify certificates when pulling")
	fl.StringVar(&f.platform, "platform", "", "when pulling, take the image for OS/ARCH[/VARIANT] from a multi-platform image (a stored image is used as it is)")
	addMiscRunFlags(fl, &f.misc)
}

func runContainer(cmd *cobra.Command, g *globals, f *runFlags, args []string) error {
	o, err := f.launchOptions(cmd, g, args)
	if err != nil {
		return err
	}
	// launch lets go of the image use lock as soon as the container's
	// record is written; this is for when it is never written.
	defer o.ImageUse.Close()
	if f.detach {
		created, err := launch.Create(o)
		if err != nil {
			return err
		}
		if _, err := launch.StartDetached(o.Config, created.Dir, created.Lock, launch.StartOptions{}); err != nil {
			return err
		}
		fmt.Println(created.State.ID)
		return nil
	}
	if f.viaMonitor() {
		return runAttached(o, f)
	}
	code, err := launch.Run(o)
	if err != nil {
		return err
	}
	if code != 0 {
		return exitcode.New(code, nil)
	}
	return nil
}

// addLifecycleFlags adds the flags that `urun run` and `urun create` share
// beyond the container's spec: restart policy, log and stop settings.
func addLifecycleFlags(fl *pflag.FlagSet, f *runFlags) {
	fl.StringVar(&f.restart, "restart", "no", "restart policy: no, on-failure[:MAX-RETRIES], always or unless-stopped ('urun stop' ends it for good)")
	addLogFlags(fl, &f.logging)
	fl.StringVar(&f.stopSignal, "stop-signal", "", "signal 'urun stop' sends first (default: the image's StopSignal, else SIGTERM)")
	fl.IntVar(&f.stopTimeout, "stop-timeout", containers.DefaultStopTimeout, "seconds 'urun stop' waits before SIGKILL")
}

// launchOptions checks the flags of `urun run` or `urun create` and finds
// (or pulls) the image.
func (f *runFlags) launchOptions(cmd *cobra.Command, g *globals, args []string) (launch.Options, error) {
	var o launch.Options
	cfg, err := g.load()
	if err != nil {
		return o, err
	}
	opts, err := f.specOptions(cmd, args[1:])
	if err != nil {
		return o, err
	}
	if err := f.addCDIDevices(g, cfg, &opts); err != nil {
		return o, err
	}
	networkFlag := f.network
	if networkFlag == "" {
		networkFlag = cfg.Network
	}
	mode, err := network.ParseMode(networkFlag)
	if err != nil {
		return o, err
	}
	if mode, err = mode.WithEndpoint(f.networkAliases, f.ip, f.links, f.network == ""); err != nil {
		return o, err
	}
	var ports []network.PortMapping
	for _, p := range f.publish {
		m, err := network.ParsePublish(p)
		if err != nil {
			return o, err
		}
		ports = append(ports, m...)
	}
	restart, err := containers.ParseRestartPolicy(f.restart)
	if err != nil {
		return o, err
	}
	logOpts, err := f.logging.options()
	if err != nil {
		return o, err
	}
	if err := f.logging.checkForeground(f.detach); err != nil {
		return o, err
	}
	if f.stopTimeout < 0 {
		return o, fmt.Errorf("--stop-timeout %d: want 0 or more seconds", f.stopTimeout)
	}
	if f.stopSignal != "" {
		if _, err := containers.ParseSignal(f.stopSignal); err != nil {
			return o, fmt.Errorf("--stop-signal: %w", err)
		}
	}
	limits, cgroups, err := f.resources.options()
	if err != nil {
		return o, err
	}
	healthcheck, err := f.health.check()
	if err != nil {
		return o, err
	}
	if err := local.CheckPlatform(f.platform); err != nil {
		return o, fmt.Errorf("--platform: %w", err)
	}
	misc, err := f.misc.check()
	if err != nil {
		return o, err
	}
	o = launch.Options{
		Config: cfg, Spec: opts, CreateCommand: os.Args,
		Name: f.name, Remove: f.remove, Interactive: f.interactive, Init: f.init,
		Network: mode, Ports: ports,
		Names:   namefiles.Options{DNS: f.dns, DNSSearch: f.dnsSearch, DNSOptions: f.dnsOptions, AddHosts: f.addHosts},
		Restart: restart, Log: logOpts, StopSignal: f.stopSignal, StopTimeout: f.stopTimeout,
		Resources: limits, Cgroups: cgroups, Healthcheck: healthcheck, Host: f.hostRequest(),
	}
	misc.apply(&o)
	if err := f.userns.apply(&o); err != nil {
		return o, err
	}
	// A malformed value fails before an image is pulled for it.
	if err := launch.Check(o); err != nil {
		return o, err
	}
	if err := volumes.CheckMounts(o.Spec.Mounts); err != nil {
		return o, err
	}
	if o.VolumesFrom, err = volumes.ParseVolumesFrom(cfg, f.volumesFrom); err != nil {
		return o, err
	}
	o.Image, o.ImageName, o.ImageUse, err = findOrPull(cfg, g, args[0], f.quiet, tlsVerifyFlag(cmd, f.tlsVerify), f.platform, misc.pull)
	if err != nil {
		return o, err
	}
	misc.applyImage(&o)
	if f.publishAll {
		o.Ports = append(o.Ports, network.PublishAll(o.ExposedPorts)...)
	}
	return o, nil
}

func (f *runFlags) specOptions(cmd *cobra.Command, command []string) (spec.Options, error) {
	o := spec.Options{
		Command: command, WorkDir: f.workdir, User: f.user,
		Hostname: f.hostname, Terminal: f.tty,
		Security: spec.Security{
			Privileged: f.privileged, CapAdd: f.capAdd, CapDrop: f.capDrop,
			ReadOnly: f.readOnly, Opts: f.securityOpts,
		},
	}
	if cmd.Flags().Changed("entrypoint") {
		o.Entrypoint = &f.entrypoint
	}
	var err error
	if o.Kernel, err = f.kernel.options(cmd); err != nil {
		return o, err
	}
	for _, file := range f.envFiles {
		env, err := spec.ReadEnvFile(file)
		if err != nil {
			return o, err
		}
		o.Env = append(o.Env, env...)
	}
	o.Env = append(o.Env, f.env...)
	parsers := []struct {
		values []string
		parse  func(string) (specs.Mount, error)
	}{{f.volumes, spec.ParseVolume}, {f.mounts, spec.ParseMount}, {f.tmpfs, spec.ParseTmpfs}, {hostDevices(f.devices), spec.ParseDevice}}
	for _, p := range parsers {
		for _, v := range p.values {
			m, err := p.parse(v)
			if err != nil {
				return o, err
			}
			o.Mounts = append(o.Mounts, m)
		}
	}
	return o, nil
}

// findOrPull returns the stored image for ref, pulling it first when it is
// not stored (or always, or never, by policy: --pull), as `docker run`
// does, and the image use lock it was found under (see local.LockUse),
// which the caller holds until its container's record names the image.
func findOrPull(cfg *config.Config, g *globals, ref string, quiet bool, tlsVerify *bool, platform, policy string) (*local.Image, string, io.Closer, error) {
	name, err := local.Normalize(ref)
	if err != nil {
		return nil, "", nil, err
	}
	use, err := local.LockUse(cfg.GraphRoot, false, cfg.LockWait())
	if err != nil {
		return nil, "", nil, err
	}
	img, err := local.Find(cfg.GraphRoot, name)
	if err == nil && policy != pullAlways {
		return img, name, use, nil
	}
	// An id or id prefix, the only name of an untagged (loaded,
	// imported) image; names come first, as with Docker.
	if byID, idErr := local.Find(cfg.GraphRoot, ref); errors.Is(err, local.ErrNotFound) && idErr == nil {
		return byID, ref, use, nil
	}
	// A pull takes long: rmi and image prune need not wait for it.
	use.Close()
	if err != nil && !errors.Is(err, local.ErrNotFound) {
		return nil, "", nil, err
	}
	if policy == pullNever {
		return nil, "", nil, fmt.Errorf("No such image: %s (--pull never: pull it first with 'urun pull %s', or drop --pull never)", ref, ref)
	}
	if err != nil && !quiet {
		fmt.Fprintf(os.Stderr, "Unable to find image '%s' locally\n", ref)
	}
	// The pulled image's id must not mix with the container's output.
	var idOut io.Writer = os.Stderr
	if quiet {
		idOut = io.Discard
	}
	pull := request.Pull{Ref: name, Quiet: quiet, TLSVerify: tlsVerify, Platform: platform, ForRun: true}
	if err := helper.RunTo(request.Request{Store: g.store(), Pull: &pull}, idOut); err != nil {
		return nil, "", nil, runPullFailed(err)
	}
	if use, err = local.LockUse(cfg.GraphRoot, false, cfg.LockWait()); err != nil {
		return nil, "", nil, err
	}
	img, err = local.Find(cfg.GraphRoot, name)
	if err != nil {
		use.Close()
		return nil, "", nil, fmt.Errorf("find %s after pulling it: %w", name, err)
	}
	return img, name, use, nil
}

func tlsVerifyFlag(cmd *cobra.Command, value bool) *bool {
	if !cmd.Flags().Changed("tls-verify") {
		return nil
	}
	return &value
}
