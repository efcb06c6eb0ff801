//go:build containers_image_openpgp && exclude_graphdriver_btrfs

package build

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/opencontainers/go-digest"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/urun/urun/exitcode"
	"github.com/urun/urun/image"
	"github.com/urun/urun/image/local"
	"github.com/urun/urun/seccomp"
	"github.com/urun/urun/spec"
	"github.com/urun/urun/stage"
	"github.com/urun/urun/trace"
)

// RunError is a RUN whose command failed.
type RunError struct {
	Args []string
	Code int
	hint string
}

func (e *RunError) Error() string {
	return fmt.Sprintf("the command '%s' returned a non-zero code: %d%s", strings.Join(e.Args, " "), e.Code, e.hint)
}

// outsideMappingHint explains the EINVAL a chown or setuid to an id
// urun's user namespace does not map gives, when the command's last
// words were that.
func outsideMappingHint(output string) string {
	if !strings.Contains(output, "Invalid argument") {
		return ""
	}
	return " (if an id outside the ids urun maps was used: those are yours and your ranges in /etc/subuid and /etc/subgid; an administrator can widen them)"
}

// tailBuffer keeps the last few kilobytes written to it.
type tailBuffer struct{ buf []byte }

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.buf = append(t.buf, p...)
	if len(t.buf) > 4096 {
		t.buf = t.buf[len(t.buf)-4096:]
	}
	return len(p), nil
}

func (t *tailBuffer) String() string { return string(t.buf) }

// runCommand is what a RUN runs: its argument list, and a heredoc
// script to be placed in the container when the heredoc is the program.
type runCommand struct {
	args   []string
	script *instructions.ShellInlineFile
}

// runArgv is the argument list of RUN c: the exec form as it is, the
// shell form through the shell. A heredoc that is the whole command is
// the script the shell runs (or, with "#!", the program); heredocs that
// feed a command follow it, as the shell reads them.
func runArgv(c *instructions.RunCommand, sh []string) runCommand {
	if !c.PrependShell {
		return runCommand{args: append([]string{}, c.CmdLine...)}
	}
	line := strings.Join(c.CmdLine, " ")
	if len(c.Files) == 0 {
		return runCommand{args: append(append([]string{}, sh...), line)}
	}
	if strings.HasPrefix(strings.TrimSpace(line), "<<") && len(c.Files) == 1 && len(strings.Fields(line)) == 1 {
		f := c.Files[0]
		if strings.HasPrefix(f.Data, "#!") {
			return runCommand{args: []string{path.Join(heredocDir, f.Name)}, script: &f}
		}
		return runCommand{args: append(append([]string{}, sh...), f.Data)}
	}
	script := line
	for _, f := range c.Files {
		script += "\n" + f.Data + f.Name
	}
	return runCommand{args: append(append([]string{}, sh...), script)}
}

// heredocDir is where a heredoc script is placed for RUN (BuildKit's).
const heredocDir = "/dev/pipes"

// run runs RUN c on st and commits what it changed as a layer.
func (b *builder) run(st *stageState, c *instructions.RunCommand) error {
	// Expands the --mount options; the command itself is the shell's.
	if err := c.Expand(b.expander(st)); err != nil {
		return err
	}
	rc := runArgv(c, shellOf(st))
	args := b.runArgs(st)
	network := string(instructions.GetNetwork(c))
	if network == "" || network == "default" {
		network = b.o.Network
	}
	mounts := instructions.GetMounts(c)
	createdBy := "RUN "
	if len(args) > 0 {
		createdBy += "|" + strconv.Itoa(len(args)) + " " + strings.Join(args, " ") + " "
	}
	createdBy += strings.Join(rc.args, " ")
	// --add-host, --shm-size and --ulimit change what the command sees,
	// so they are in the key (as BuildKit's); left out when not given,
	// so that the keys of builds without them stay as they were.
	described, err := json.Marshal(struct {
		Args, BuildArgs []string
		Script          *instructions.ShellInlineFile
		Mounts          []*instructions.Mount
		Network         string
		AddHosts        []string `json:",omitempty"`
		ShmSize         int64    `json:",omitempty"`
		Ulimits         []string `json:",omitempty"`
	}{rc.args, args, rc.script, mounts, network, b.o.AddHosts, b.o.ShmSize, b.o.Ulimits})
	if err != nil {
		return err
	}
	key := st.nextKey("RUN", string(described))
	if hit, err := b.cached(st, key); hit || err != nil {
		return err
	}
	fmt.Fprintf(b.out, " ---> Running in %s\n", key[:12])
	return b.writeLayer(st, createdBy, key, false, func(_ string, lower []string, ld *image.LayerDir) error {
		return b.runIn(st, rc, args, network, mounts, lower, ld)
	})
}

// runIn runs the command in the stage's file system, mounted at root
// with the new layer as its upper directory. init (urun-init) mounts the
// rest as for `urun run` and execs the command.
func (b *builder) runIn(st *stageState, rc runCommand, buildArgs []string, network string, runMounts []*instructions.Mount, lower []string, ld *image.LayerDir) error {
	id := digest.FromString(ld.Dir).Encoded()
	etc, err := b.etcFiles(ld.Scratch, id[:12], network)
	if err != nil {
		return err
	}
	mounts := []specs.Mount{
		{Destination: "/etc/resolv.conf", Type: "bind", Source: etc["resolv.conf"], Options: []string{"bind"}},
		{Destination: "/etc/hosts", Type: "bind", Source: etc["hosts"], Options: []string{"bind"}},
		{Destination: "/etc/hostname", Type: "bind", Source: etc["hostname"], Options: []string{"bind"}},
	}
	extra, release, err := b.runMounts(st, runMounts, ld.Scratch)
	if err != nil {
		return err
	}
	defer release()
	mounts = append(mounts, extra...)
	if rc.script != nil {
		dir := filepath.Join(ld.Scratch, "heredoc")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, rc.script.Name), []byte(rc.script.Data), 0o755); err != nil {
			return fmt.Errorf("write the heredoc script: %w", err)
		}
		mounts = append(mounts, specs.Mount{Destination: heredocDir, Type: "bind", Source: dir, Options: []string{"bind", "ro"}})
	}
	cfg := st.config.Config
	env := append([]string{}, cfg.Env...)
	for _, a := range buildArgs {
		env = setEnvEntry(env, a)
	}
	img := &local.Image{ID: id, Config: local.ImageConfig{Config: local.RunConfig{Env: env, WorkingDir: cfg.WorkingDir, User: cfg.User}}}
	empty := ""
	s, err := spec.Build(id, img, spec.Options{
		Command:     rc.args,
		Entrypoint:  &empty,
		Hostname:    id[:12],
		Mounts:      mounts,
		HostNetwork: network != "none",
		Kernel:      spec.Kernel{ShmSize: b.o.ShmSize, Ulimits: b.o.Ulimits},
	}, func(string) (string, bool) { return "", false })
	if err != nil {
		return err
	}
	filter, err := seccompFilter(b.cfg.RunRoot, s)
	if err != nil {
		return err
	}
	choice, err := b.rootfsFor(lower)
	if err != nil {
		return err
	}
	// init mounts the stage's file system itself, in its own mount
	// namespace.
	ownRoot := filepath.Join(ld.Scratch, "run-rootfs")
	if err := os.MkdirAll(ownRoot, 0o755); err != nil {
		return err
	}
	s.Root.Path = ownRoot
	c := spec.Container{
		ID:      id,
		Spec:    s,
		Rootfs:  spec.Rootfs{Driver: choice.Driver, SquashOwners: choice.SquashOwners, Lower: lower, Upper: ld.Dir, Work: ld.Work, Volatile: true},
		Seccomp: filter,
		// Docker's builder makes a missing working directory the user's.
		CwdOwnedByUser: true,
	}
	configPath := filepath.Join(ld.Scratch, "config.json")
	data, err := json.Marshal(c)
	if err != nil {
		return err
	}
	if err := os.WriteFile(configPath, data, 0o600); err != nil {
		return fmt.Errorf("write the RUN step's configuration: %w", err)
	}
	runErr := b.runInit(configPath, network == "none", rc.args)
	trace.Mark("build", fmt.Sprintf("step%d-command-ended", b.step))
	targets := []string{"/etc/resolv.conf", "/etc/hosts", "/etc/hostname", "/proc", "/dev", "/sys"}
	for _, m := range mounts[3:] {
		targets = append(targets, m.Destination)
	}
	removePlaceholders(ld.Dir, lower, targets)
	return runErr
}

// runInit starts urun-init as the RUN's container and waits for the
// command.
func (b *builder) runInit(configPath string, newNet bool, args []string) error {
	cmd, err := stage.Command(stage.Init)
	if err != nil {
		return err
	}
	if filepath.Base(cmd.Path) != stage.LeanBinary {
		return fmt.Errorf("RUN needs %s beside urun-image (%s): install urun completely (make install)", stage.LeanBinary, filepath.Dir(cmd.Path))
	}
	flags := uintptr(unix.CLONE_NEWPID | unix.CLONE_NEWNS | unix.CLONE_NEWUTS | unix.CLONE_NEWIPC)
	if newNet {
		flags |= unix.CLONE_NEWNET
	}
	cmd.SysProcAttr = &unix.SysProcAttr{Cloneflags: flags, Pdeathsig: unix.SIGKILL}
	tail := &tailBuffer{}
	out := io.MultiWriter(b.out, tail)
	cmd.Stdout, cmd.Stderr = out, out
	p, err := stage.Run(cmd, stage.Caller{}, stage.ContainerRequest{Config: configPath})
	if err != nil {
		return err
	}
	defer p.Socket.Close()
	done := make(chan struct{})
	go func() {
		select {
		case <-b.ctx.Done():
			cmd.Process.Kill()
		case <-done:
		}
	}()
	waitErr := cmd.Wait()
	close(done)
	if m, err := stage.Receive(p.Socket); err == nil && m.Kind == stage.Failed {
		return m.Failure()
	}
	if b.ctx.Err() != nil {
		return b.ctx.Err()
	}
	var exit *exec.ExitError
	if errors.As(waitErr, &exit) {
		code := exit.ExitCode()
		if code < 0 {
			code = 128 + int(exit.Sys().(unix.WaitStatus).Signal())
		}
		return &RunError{Args: args, Code: code, hint: outsideMappingHint(tail.String())}
	}
	if waitErr != nil {
		return exitcode.New(exitcode.Failed, fmt.Errorf("run the command: %w", waitErr))
	}
	return nil
}

// etcFiles writes the /etc/hosts, /etc/hostname and /etc/resolv.conf
// the RUN command sees.
func (b *builder) etcFiles(dir, hostname, network string) (map[string]string, error) {
	resolv, _ := os.ReadFile("/etc/resolv.conf")
	hosts := "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n127.0.1.1\t" + hostname + "\n"
	for _, h := range b.o.AddHosts {
		// urun checked them: NAME:IP, split at the first colon.
		name, ip, _ := strings.Cut(h, ":")
		hosts += ip + "\t" + name + "\n"
	}
	if network == "none" {
		resolv = nil
	}
	files := map[string][]byte{"resolv.conf": resolv, "hosts": []byte(hosts), "hostname": []byte(hostname + "\n")}
	out := map[string]string{}
	for name, data := range files {
		p := filepath.Join(dir, "etc-"+name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			return nil, fmt.Errorf("write the RUN step's %s: %w", name, err)
		}
		out[name] = p
	}
	return out, nil
}

// seccompFilter is the compiled default profile, cached in the run root
// as `urun run` caches it.
func seccompFilter(runRoot string, s *specs.Spec) (string, error) {
	if s.Annotations[spec.SeccompAnnotation] == "unconfined" {
		return "", nil
	}
	var caps []string
	if s.Process.Capabilities != nil {
		caps = s.Process.Capabilities.Bounding
	}
	p, err := seccomp.Filter(filepath.Join(runRoot, "seccomp"), s.Annotations[spec.SeccompAnnotation], caps)
	if err != nil {
		return "", fmt.Errorf("seccomp: %w", err)
	}
	return p, nil
}
