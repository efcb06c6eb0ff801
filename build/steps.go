//go:build containers_image_openpgp && exclude_graphdriver_btrfs

package build

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
	"github.com/moby/buildkit/frontend/dockerfile/shell"

	"github.com/urun/urun/image/imagedoc"
)

// defaultShell runs the shell form of RUN, CMD and ENTRYPOINT unless a
// SHELL instruction says otherwise.
var defaultShell = []string{"/bin/sh", "-c"}

// envGetter adapts KEY=VALUE entries to BuildKit's lexer.
func envGetter(env []string) shell.EnvGetter { return shell.EnvsFromSlice(env) }

// execute runs one instruction on st.
func (b *builder) execute(st *stageState, c instructions.Command) error {
	switch c := c.(type) {
	case *instructions.RunCommand:
		return b.run(st, c)
	case *instructions.CopyCommand:
		return b.copyStep(st, c)
	case *instructions.AddCommand:
		return b.addStep(st, c)
	case *instructions.ArgCommand:
		return b.arg(st, c)
	}
	return b.metadata(st, c)
}

// env is what words in st's instructions expand with: the ARGs in scope,
// overridden by the image's ENV.
func (st *stageState) env() []string {
	var env []string
	for _, a := range st.args {
		if a.value != nil {
			env = setEnvEntry(env, a.name+"="+*a.value)
		}
	}
	for _, e := range st.config.Config.Env {
		env = setEnvEntry(env, e)
	}
	return env
}

// runArgs are the ARGs RUN sees in its environment: those in scope that
// ENV does not override, and proxy settings given with --build-arg.
func (b *builder) runArgs(st *stageState) []string {
	var out, proxies []string
	for _, a := range st.args {
		if a.value == nil || hasEnvKey(st.config.Config.Env, a.name) {
			continue
		}
		out = append(out, a.name+"="+*a.value)
	}
	for k, v := range b.o.BuildArgs {
		if proxyArgs[k] && !slices.ContainsFunc(st.args, func(a stageArg) bool { return a.name == k }) {
			proxies = append(proxies, k+"="+v)
			b.usedBuildArgs[k] = true
		}
	}
	slices.Sort(proxies)
	return append(out, proxies...)
}

func setEnvEntry(env []string, entry string) []string {
	key, _, _ := strings.Cut(entry, "=")
	for i, e := range env {
		if k, _, _ := strings.Cut(e, "="); k == key {
			env[i] = entry
			return env
		}
	}
	return append(env, entry)
}

func hasEnvKey(env []string, key string) bool {
	for _, e := range env {
		if k, _, _ := strings.Cut(e, "="); k == key {
			return true
		}
	}
	return false
}

func (b *builder) expander(st *stageState) instructions.SingleWordExpander {
	env := envGetter(st.env())
	return func(word string) (string, error) {
		out, _, err := b.df.lex.ProcessWord(word, env)
		return out, err
	}
}

// arg declares ARGs in the stage: a --build-arg wins, then the line's
// default, then a global ARG's value.
func (b *builder) arg(st *stageState, c *instructions.ArgCommand) error {
	var parts []string
	for _, kv := range c.Args {
		var val *string
		if v, ok := b.o.BuildArgs[kv.Key]; ok {
			b.usedBuildArgs[kv.Key] = true
			val = &v
		} else if kv.Value != nil {
			v, err := b.expander(st)(*kv.Value)
			if err != nil {
				return err
			}
			val = &v
		} else if v, ok := b.globalArgs[kv.Key]; ok {
			val = &v
		}
		st.args = slices.DeleteFunc(st.args, func(a stageArg) bool { return a.name == kv.Key })
		st.args = append(st.args, stageArg{name: kv.Key, value: val})
		if val != nil {
			parts = append(parts, kv.Key+"="+*val)
		} else {
			parts = append(parts, kv.Key)
		}
	}
	text := "ARG " + strings.Join(parts, " ")
	key := st.nextKey(text)
	if hit, err := b.cached(st, key); hit || err != nil {
		return err
	}
	st.addHistory(text, true)
	return b.remember(st, key)
}

// metadata runs an instruction that changes only the configuration.
func (b *builder) metadata(st *stageState, c instructions.Command) error {
	if e, ok := c.(instructions.SupportsSingleWordExpansion); ok {
		if err := e.Expand(b.expander(st)); err != nil {
			return err
		}
	}
	expose, isExpose := c.(*instructions.ExposeCommand)
	if isExpose {
		var ports []string
		for _, p := range expose.Ports {
			words, err := b.df.lex.ProcessWords(p, envGetter(st.env()))
			if err != nil {
				return err
			}
			ports = append(ports, words...)
		}
		expose.Ports = ports
	}
	// Side effects that are the builder's, not the image's, happen on a
	// cache hit too.
	switch c := c.(type) {
	case *instructions.CmdCommand:
		defer func() { st.cmdSet = true }()
	case *instructions.WorkdirCommand:
		defer func(cur string) { st.workdir = workdirPath(cur, c.Path) }(st.config.Config.WorkingDir)
	}
	described, err := json.Marshal(c)
	if err != nil {
		return err
	}
	key := st.nextKey(c.Name(), string(described))
	if hit, err := b.cached(st, key); hit || err != nil {
		return err
	}
	text, err := applyMetadata(st, c)
	if err != nil {
		return err
	}
	st.addHistory(text, true)
	return b.remember(st, key)
}

// applyMetadata changes st's configuration as c says and returns the
// history's words for it.
func applyMetadata(st *stageState, c instructions.Command) (string, error) {
	cfg := &st.config.Config
	switch c := c.(type) {
	case *instructions.EnvCommand:
		var parts []string
		for _, kv := range c.Env {
			cfg.Env = setEnvEntry(cfg.Env, kv.Key+"="+kv.Value)
			parts = append(parts, kv.Key+"="+kv.Value)
		}
		return "ENV " + strings.Join(parts, " "), nil
	case *instructions.LabelCommand:
		if cfg.Labels == nil {
			cfg.Labels = map[string]string{}
		}
		var parts []string
		for _, kv := range c.Labels {
			cfg.Labels[kv.Key] = kv.Value
			parts = append(parts, kv.Key+"="+kv.Value)
		}
		return "LABEL " + strings.Join(parts, " "), nil
	case *instructions.MaintainerCommand:
		st.config.Author = c.Maintainer
		return "MAINTAINER " + c.Maintainer, nil
	case *instructions.ExposeCommand:
		if cfg.ExposedPorts == nil {
			cfg.ExposedPorts = map[string]struct{}{}
		}
		for _, p := range c.Ports {
			ports, err := exposedPorts(p)
			if err != nil {
				return "", err
			}
			for _, port := range ports {
				cfg.ExposedPorts[port] = struct{}{}
			}
		}
		keys := make([]string, 0, len(cfg.ExposedPorts))
		for k := range cfg.ExposedPorts {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		return "EXPOSE " + strings.Join(c.Ports, " "), nil
	case *instructions.VolumeCommand:
		if cfg.Volumes == nil {
			cfg.Volumes = map[string]struct{}{}
		}
		for _, v := range c.Volumes {
			if strings.TrimSpace(v) == "" {
				return "", fmt.Errorf("VOLUME specified can not be an empty string")
			}
			cfg.Volumes[v] = struct{}{}
		}
		return "VOLUME [" + strings.Join(c.Volumes, " ") + "]", nil
	case *instructions.UserCommand:
		cfg.User = c.User
		return "USER " + c.User, nil
	case *instructions.WorkdirCommand:
		cfg.WorkingDir = workdirPath(cfg.WorkingDir, c.Path)
		return "WORKDIR " + cfg.WorkingDir, nil
	case *instructions.StopSignalCommand:
		cfg.StopSignal = c.Signal
		return "STOPSIGNAL " + c.Signal, nil
	case *instructions.HealthCheckCommand:
		h := c.Health
		cfg.Healthcheck = &imagedoc.Healthcheck{
			Test: h.Test, Interval: int64(h.Interval), Timeout: int64(h.Timeout),
			StartPeriod: int64(h.StartPeriod), StartInterval: int64(h.StartInterval), Retries: h.Retries,
		}
		return "HEALTHCHECK " + healthText(h.Test, h.Interval, h.Timeout, h.StartPeriod, h.Retries), nil
	case *instructions.ShellCommand:
		cfg.Shell = slices.Clone(c.Shell)
		return "SHELL " + jsonWords(c.Shell), nil
	case *instructions.CmdCommand:
		cfg.Cmd = commandLine(c.ShellDependantCmdLine, shellOf(st))
		return "CMD " + jsonWords(cfg.Cmd), nil
	case *instructions.EntrypointCommand:
		cfg.Entrypoint = commandLine(c.ShellDependantCmdLine, shellOf(st))
		if !st.cmdSet {
			// An ENTRYPOINT discards the base image's CMD (Docker).
			cfg.Cmd = nil
		}
		return "ENTRYPOINT " + jsonWords(cfg.Entrypoint), nil
	case *instructions.OnbuildCommand:
		cfg.OnBuild = append(cfg.OnBuild, c.Expression)
		return "ONBUILD " + c.Expression, nil
	}
	return "", fmt.Errorf("the %s instruction is not supported", strings.ToUpper(c.Name()))
}

func shellOf(st *stageState) []string {
	if len(st.config.Config.Shell) > 0 {
		return st.config.Config.Shell
	}
	return defaultShell
}

// commandLine is the argument list of CMD, ENTRYPOINT or RUN.
func commandLine(c instructions.ShellDependantCmdLine, sh []string) []string {
	if !c.PrependShell {
		return slices.Clone(c.CmdLine)
	}
	return append(slices.Clone(sh), strings.Join(c.CmdLine, " "))
}

func jsonWords(words []string) string {
	data, _ := json.Marshal(words)
	return string(data)
}

func healthText(test []string, interval, timeout, start time.Duration, retries int) string {
	if len(test) > 0 && test[0] == "NONE" {
		return "NONE"
	}
	var opts []string
	if interval != 0 {
		opts = append(opts, "--interval="+interval.String())
	}
	if timeout != 0 {
		opts = append(opts, "--timeout="+timeout.String())
	}
	if start != 0 {
		opts = append(opts, "--start-period="+start.String())
	}
	if retries != 0 {
		opts = append(opts, "--retries="+strconv.Itoa(retries))
	}
	opts = append(opts, "CMD "+jsonWords(test))
	return strings.Join(opts, " ")
}

// exposedPorts reads an EXPOSE word: PORT, PORT/PROTO or a range of
// ports, as Docker does.
func exposedPorts(word string) ([]string, error) {
	port, proto, hasProto := strings.Cut(word, "/")
	if !hasProto || proto == "" {
		proto = "tcp"
	}
	proto = strings.ToLower(proto)
	switch proto {
	case "tcp", "udp", "sctp":
	default:
		return nil, fmt.Errorf("EXPOSE %s: invalid protocol %q (tcp, udp or sctp)", word, proto)
	}
	lo, hi, isRange := strings.Cut(port, "-")
	first, err := strconv.ParseUint(lo, 10, 16)
	if err != nil {
		return nil, fmt.Errorf("EXPOSE %s: invalid port %q", word, lo)
	}
	last := first
	if isRange {
		if last, err = strconv.ParseUint(hi, 10, 16); err != nil || last < first {
			return nil, fmt.Errorf("EXPOSE %s: invalid port range %q", word, port)
		}
	}
	var out []string
	for p := first; p <= last; p++ {
		out = append(out, fmt.Sprintf("%d/%s", p, proto))
	}
	return out, nil
}

// parseTrigger reads an ONBUILD trigger as a one-line Dockerfile.
func parseTrigger(text string) (instructions.Command, error) {
	res, err := parser.Parse(strings.NewReader(text + "\n"))
	if err != nil {
		return nil, err
	}
	if len(res.AST.Children) != 1 {
		return nil, fmt.Errorf("the trigger is not one instruction")
	}
	v, err := instructions.ParseInstruction(res.AST.Children[0])
	if err != nil {
		return nil, err
	}
	c, ok := v.(instructions.Command)
	if !ok {
		return nil, fmt.Errorf("%s cannot be an ONBUILD trigger", strings.Fields(text)[0])
	}
	return c, nil
}
