package main

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"unicode"

	"github.com/spf13/cobra"

	"github.com/urun/urun/image/helper"
	"github.com/urun/urun/image/local"
	"github.com/urun/urun/image/request"
	"github.com/urun/urun/spec"
)

func newBuildCommand(g *globals) *cobra.Command {
	var r request.Build
	var secrets []string
	var tlsVerify bool
	var progress, shmSize string
	cmd := &cobra.Command{
		Use:   "build [OPTIONS] PATH | URL | -",
		Short: "Build an image from a Dockerfile",
		Long: `Build an image from a Dockerfile, without root and without a daemon. The
context is a directory, an http(s) URL of a tar archive, or - (a tar
archive or a lone Dockerfile on stdin); .dockerignore is read as Docker
reads it. RUN steps run in urun's user namespace as the image's users, on
your own network (--network none cuts it off). Unchanged steps come from
the build cache (urun builder prune empties it). --progress is accepted;
the output is Docker's plain step lines either way. --add-host NAME:IP,
--shm-size and --ulimit TYPE=SOFT[:HARD] are RUN's, as with 'urun run'.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := completeBuild(&r, args[0], secrets, progress); err != nil {
				return err
			}
			if err := completeRunLimits(&r, shmSize); err != nil {
				return err
			}
			if cmd.Flags().Changed("tls-verify") {
				r.TLSVerify = &tlsVerify
			}
			return helper.Run(request.Request{Store: g.store(), Build: &r})
		},
	}
	f := cmd.Flags()
	f.StringArrayVarP(&r.Tags, "tag", "t", nil, "name the image (NAME[:TAG]; repeatable)")
	f.StringVarP(&r.Dockerfile, "file", "f", "", "the Dockerfile (default: PATH/Dockerfile; - for stdin)")
	f.StringArrayVar(&r.BuildArgs, "build-arg", nil, "set a build-time ARG (KEY=VALUE, or KEY to pass yours)")
	f.StringVar(&r.Target, "target", "", "build this stage (and the stages it needs) only")
	f.BoolVar(&r.NoCache, "no-cache", false, "run every step again, not from the build cache")
	f.StringVar(&r.Pull, "pull", "missing", "pull base images: always, missing or never (--pull alone: always)")
	f.Lookup("pull").NoOptDefVal = "always"
	f.StringArrayVar(&r.Labels, "label", nil, "set a label on the image (KEY=VALUE)")
	f.BoolVarP(&r.Quiet, "quiet", "q", false, "print only the image id")
	f.StringVar(&r.IIDFile, "iidfile", "", "write the image id to this file")
	f.StringVar(&r.Network, "network", "default", "RUN's network: default (yours), host or none")
	f.StringArrayVar(&secrets, "secret", nil, "a secret for RUN --mount=type=secret: id=ID,src=FILE")
	f.StringVar(&r.Platform, "platform", "", "the platform to build for (the host's only)")
	f.StringVar(&progress, "progress", "auto", "progress output: auto, plain or tty")
	f.StringVar(&r.Format, "format", "docker", "the image's manifest format: docker or oci")
	f.BoolVar(&tlsVerify, "tls-verify", true, "require HTTPS and verify certificates when pulling")
	f.StringArrayVar(&r.AddHosts, "add-host", nil, "add a line to RUN's /etc/hosts: NAME:IP")
	f.StringVar(&shmSize, "shm-size", "", "the size of RUN's /dev/shm (such as 128m; default 64m)")
	f.StringArrayVar(&r.Ulimits, "ulimit", nil, "a resource limit for RUN: TYPE=SOFT[:HARD]")
	// Docker's classic builder removed its intermediate containers with
	// these; urun's build has none.
	f.Bool("rm", true, "accepted for Docker's scripts; urun keeps no intermediate containers")
	f.Bool("force-rm", false, "accepted for Docker's scripts")
	f.MarkHidden("rm")
	f.MarkHidden("force-rm")
	return cmd
}

// completeBuild checks r's flags and makes its paths absolute (the
// helper may work in another directory).
func completeBuild(r *request.Build, context string, secrets []string, progress string) error {
	r.Context = context
	if context != "-" && !strings.HasPrefix(context, "http://") && !strings.HasPrefix(context, "https://") {
		abs, err := filepath.Abs(context)
		if err != nil {
			return err
		}
		fi, err := os.Stat(abs)
		if err != nil {
			return fmt.Errorf("unable to prepare context: path %q not found: give a directory, an http(s) URL or -", context)
		}
		if !fi.IsDir() {
			return fmt.Errorf("unable to prepare context: %q is not a directory: give a directory, an http(s) URL or -", context)
		}
		r.Context = abs
	}
	if r.Dockerfile != "" && r.Dockerfile != "-" && !filepath.IsAbs(r.Dockerfile) {
		// Docker reads -f relative to the current directory.
		if _, err := os.Stat(r.Dockerfile); err == nil {
			abs, err := filepath.Abs(r.Dockerfile)
			if err != nil {
				return err
			}
			r.Dockerfile = abs
		}
	}
	if r.Context == "-" && r.Dockerfile == "-" {
		return fmt.Errorf("the context and -f cannot both be stdin (-)")
	}
	for _, t := range r.Tags {
		if _, err := local.Normalize(t); err != nil {
			return fmt.Errorf("invalid argument %q for \"-t, --tag\" flag: %v: give NAME[:TAG]", t, err)
		}
	}
	var args []string
	for _, a := range r.BuildArgs {
		if k, _, ok := strings.Cut(a, "="); ok {
			if k == "" {
				return fmt.Errorf("--build-arg %q: give KEY=VALUE", a)
			}
			args = append(args, a)
			continue
		}
		// Docker passes the caller's value of a bare KEY, or nothing.
		if v, ok := os.LookupEnv(a); ok {
			args = append(args, a+"="+v)
		}
	}
	r.BuildArgs = args
	for _, l := range r.Labels {
		if k, _, _ := strings.Cut(l, "="); k == "" {
			return fmt.Errorf("--label %q: give KEY=VALUE", l)
		}
	}
	switch r.Pull {
	case "missing", "always", "never":
	case "true":
		r.Pull = "always"
	case "false":
		r.Pull = "missing"
	default:
		return fmt.Errorf("--pull %q: give always, missing or never", r.Pull)
	}
	switch r.Network {
	case "default", "host", "none":
	case "bridge", "":
		r.Network = "default"
	default:
		return fmt.Errorf("--network %q: give default, host or none (a build has no user-defined networks)", r.Network)
	}
	switch progress {
	case "auto", "plain", "tty", "quiet", "rawjson":
	default:
		return fmt.Errorf("--progress %q: give auto, plain or tty", progress)
	}
	switch r.Format {
	case "docker", "oci":
	default:
		return fmt.Errorf("--format %q: give docker or oci", r.Format)
	}
	if r.Platform != "" {
		want := "linux/" + runtime.GOARCH
		if p := strings.TrimSuffix(r.Platform, "/"); p != want && p != runtime.GOARCH {
			return fmt.Errorf("--platform %s: urun builds for this machine's platform only (%s)", r.Platform, want)
		}
	}
	r.Secrets = map[string]string{}
	for _, s := range secrets {
		id, src, err := parseSecret(s)
		if err != nil {
			return err
		}
		r.Secrets[id] = src
	}
	return nil
}

// completeRunLimits checks --add-host, --shm-size and --ulimit, and puts
// --add-host in the NAME:IP form the builder writes.
func completeRunLimits(r *request.Build, shmSize string) error {
	for i, h := range r.AddHosts {
		name, ip, err := parseBuildAddHost(h)
		if err != nil {
			return err
		}
		r.AddHosts[i] = name + ":" + ip
	}
	if shmSize != "" {
		n, err := spec.ParseShmSize(shmSize)
		if err != nil {
			return err
		}
		r.ShmSize = n
	}
	for _, u := range r.Ulimits {
		if _, err := spec.ParseUlimit(u, spec.CallerLimit); err != nil {
			return err
		}
	}
	return nil
}

// parseBuildAddHost reads --add-host NAME:IP (split at the first colon:
// an IPv6 address has its own; NAME=IP and [IPv6] too, as Docker's).
// host-gateway is the host: RUN shares the caller's network, where that
// is 127.0.0.1.
func parseBuildAddHost(h string) (name, ip string, err error) {
	name, ip, ok := strings.Cut(h, "=")
	if !ok {
		name, ip, ok = strings.Cut(h, ":")
	}
	if !ok || name == "" || strings.ContainsFunc(name, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) || r == '#' }) {
		return "", "", fmt.Errorf("--add-host %q: want NAME:IP (a name without spaces, '#' or control characters)", h)
	}
	if strings.HasPrefix(ip, "[") && strings.HasSuffix(ip, "]") {
		ip = ip[1 : len(ip)-1]
	}
	if ip == "host-gateway" {
		return name, "127.0.0.1", nil
	}
	if net.ParseIP(ip) == nil {
		return "", "", fmt.Errorf("--add-host %q: %q is not an IP address (or host-gateway)", h, ip)
	}
	return name, ip, nil
}

// parseSecret reads --secret id=ID,src=FILE (Docker's; type=file and
// source= as well).
func parseSecret(s string) (id, src string, err error) {
	for _, field := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(field, "=")
		if !ok {
			return "", "", fmt.Errorf("--secret %q: give id=ID,src=FILE", s)
		}
		switch k {
		case "id":
			id = v
		case "src", "source":
			src = v
		case "type":
			if v != "file" {
				return "", "", fmt.Errorf("--secret %q: only type=file secrets are supported", s)
			}
		default:
			return "", "", fmt.Errorf("--secret %q: unknown key %q: give id=ID,src=FILE", s, k)
		}
	}
	if id == "" {
		return "", "", fmt.Errorf("--secret %q: give id=ID,src=FILE", s)
	}
	if src == "" {
		src = id
	}
	abs, err := filepath.Abs(src)
	if err != nil {
		return "", "", err
	}
	if _, err := os.Stat(abs); err != nil {
		return "", "", fmt.Errorf("--secret %s: %w", s, err)
	}
	return id, abs, nil
}

func newBuilderCommand(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "builder COMMAND",
		Short: "Manage the build cache",
		Args:  cobra.NoArgs,
	}
	prune := &cobra.Command{
		Use:   "prune [OPTIONS]",
		Short: "Remove the build cache",
		Long: `Remove the build cache: the results of earlier build steps (the layers
no image uses) and the directories of RUN --mount=type=cache.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return helper.Run(request.Request{Store: g.store(), BuilderPrune: &request.BuilderPrune{}})
		},
	}
	prune.Flags().BoolP("all", "a", false, "accepted for Docker's scripts: urun removes the whole cache either way")
	prune.Flags().BoolP("force", "f", false, "do not ask (urun never asks)")
	cmd.AddCommand(prune)
	return cmd
}
