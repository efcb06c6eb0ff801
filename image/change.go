//go:build containers_image_openpgp && exclude_graphdriver_btrfs

package image

import (
	"encoding/json"
	"fmt"
	"path"
	"strconv"
	"strings"

	imgspecv1 "github.com/opencontainers/image-spec/specs-go/v1"
)

// changeInstructions are the Dockerfile instructions `urun import
// --change` applies, each to the image's run configuration.
var changeInstructions = map[string]func(*imgspecv1.ImageConfig, string) error{
	"CMD":        func(c *imgspecv1.ImageConfig, a string) (err error) { c.Cmd, err = commandForm(a); return },
	"ENTRYPOINT": func(c *imgspecv1.ImageConfig, a string) (err error) { c.Entrypoint, err = commandForm(a); return },
	"ENV":        changeEnv,
	"WORKDIR":    changeWorkdir,
	"USER":       changeUser,
	"EXPOSE":     changeExpose,
	"LABEL":      changeLabel,
	"VOLUME":     changeVolume,
	"STOPSIGNAL": changeStopSignal,
}

// supportedChanges lists changeInstructions for messages, in Docker's
// documentation order.
const supportedChanges = "CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, STOPSIGNAL, USER, VOLUME, WORKDIR"

// ApplyChanges applies Dockerfile instructions ("CMD [\"sh\"]", "ENV A=1")
// to cfg in order, as `docker import --change` does.
func ApplyChanges(cfg *imgspecv1.ImageConfig, changes []string) error {
	for _, ch := range changes {
		if err := applyChange(cfg, ch); err != nil {
			return fmt.Errorf("--change %q: %w", ch, err)
		}
	}
	return nil
}

func applyChange(cfg *imgspecv1.ImageConfig, change string) error {
	change = strings.TrimSpace(change)
	word, args := change, ""
	if i := strings.IndexAny(change, " \t"); i >= 0 {
		word, args = change[:i], strings.TrimSpace(change[i+1:])
	}
	if word == "" {
		return fmt.Errorf("empty instruction: give one of %s", supportedChanges)
	}
	apply, ok := changeInstructions[strings.ToUpper(word)]
	if !ok {
		return fmt.Errorf("%s is not supported by import: give one of %s", strings.ToUpper(word), supportedChanges)
	}
	if args == "" {
		return fmt.Errorf("%s needs an argument", strings.ToUpper(word))
	}
	return apply(cfg, args)
}

// commandForm reads CMD and ENTRYPOINT's argument: a JSON array of
// strings (exec form) or anything else, which /bin/sh -c runs (shell form).
func commandForm(arg string) ([]string, error) {
	if strings.HasPrefix(arg, "[") {
		var argv []string
		if err := json.Unmarshal([]byte(arg), &argv); err == nil {
			return argv, nil
		}
		// As Docker: text starting with [ that is no JSON array of
		// strings is shell form.
	}
	return []string{"/bin/sh", "-c", arg}, nil
}

// changeEnv reads "ENV K=V [K2=V2...]" or the old "ENV K V W" (K="V W").
func changeEnv(c *imgspecv1.ImageConfig, arg string) error {
	pairs, err := keyValues("ENV", arg)
	if err != nil {
		return err
	}
	for _, kv := range pairs {
		c.Env = setEnv(c.Env, kv[0], kv[1])
	}
	return nil
}

func setEnv(env []string, key, value string) []string {
	for i, e := range env {
		if k, _, _ := strings.Cut(e, "="); k == key {
			env[i] = key + "=" + value
			return env
		}
	}
	return append(env, key+"="+value)
}

func changeLabel(c *imgspecv1.ImageConfig, arg string) error {
	pairs, err := keyValues("LABEL", arg)
	if err != nil {
		return err
	}
	if c.Labels == nil {
		c.Labels = map[string]string{}
	}
	for _, kv := range pairs {
		c.Labels[kv[0]] = kv[1]
	}
	return nil
}

// keyValues splits "K=V K2="V 2"" (Dockerfile quoting) into pairs; a first
// word without "=" is the old form "K V W".
func keyValues(instr, arg string) ([][2]string, error) {
	words, err := splitWords(arg)
	if err != nil {
		return nil, err
	}
	if !strings.Contains(words[0], "=") {
		key, rest, _ := strings.Cut(strings.TrimSpace(arg), " ")
		rest = strings.TrimSpace(rest)
		if rest == "" {
			return nil, fmt.Errorf("%s %s has no value: write %s %s=VALUE", instr, key, instr, key)
		}
		value, err := splitWords(rest)
		if err != nil {
			return nil, err
		}
		return [][2]string{{key, strings.Join(value, " ")}}, nil
	}
	var pairs [][2]string
	for _, w := range words {
		k, v, ok := strings.Cut(w, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("%s wants KEY=VALUE pairs, got %q", instr, w)
		}
		pairs = append(pairs, [2]string{k, v})
	}
	return pairs, nil
}

// splitWords splits s at unquoted blanks, removing Dockerfile quotes
// ('...' literal, "..." with \ escapes) and backslash escapes.
func splitWords(s string) ([]string, error) {
	var words []string
	var cur strings.Builder
	inWord := false
	for i := 0; i < len(s); i++ {
		switch ch := s[i]; {
		case ch == ' ' || ch == '\t':
			if inWord {
				words, inWord = append(words, cur.String()), false
				cur.Reset()
			}
		case ch == '\'':
			end := strings.IndexByte(s[i+1:], '\'')
			if end < 0 {
				return nil, fmt.Errorf("unterminated single quote in %q", s)
			}
			cur.WriteString(s[i+1 : i+1+end])
			i, inWord = i+1+end, true
		case ch == '"':
			i++
			for ; i < len(s) && s[i] != '"'; i++ {
				if s[i] == '\\' && i+1 < len(s) && (s[i+1] == '"' || s[i+1] == '\\') {
					i++
				}
				cur.WriteByte(s[i])
			}
			if i >= len(s) {
				return nil, fmt.Errorf("unterminated double quote in %q", s)
			}
			inWord = true
		case ch == '\\' && i+1 < len(s):
			i++
			cur.WriteByte(s[i])
			inWord = true
		default:
			cur.WriteByte(ch)
			inWord = true
		}
	}
	if inWord {
		words = append(words, cur.String())
	}
	if len(words) == 0 {
		return nil, fmt.Errorf("no value in %q", s)
	}
	return words, nil
}

// changeWorkdir sets the working directory; a relative one is relative to
// the previous WORKDIR, as in a Dockerfile.
func changeWorkdir(c *imgspecv1.ImageConfig, arg string) error {
	words, err := splitWords(arg)
	if err != nil {
		return err
	}
	dir := strings.Join(words, " ")
	if !path.IsAbs(dir) {
		base := c.WorkingDir
		if base == "" {
			base = "/"
		}
		dir = path.Join(base, dir)
	}
	c.WorkingDir = path.Clean(dir)
	return nil
}

func changeUser(c *imgspecv1.ImageConfig, arg string) error {
	words, err := splitWords(arg)
	if err != nil {
		return err
	}
	if len(words) != 1 {
		return fmt.Errorf("USER wants one USER[:GROUP], got %q", arg)
	}
	c.User = words[0]
	return nil
}

// changeExpose reads "EXPOSE 80 53/udp 8000-8002/tcp".
func changeExpose(c *imgspecv1.ImageConfig, arg string) error {
	words, err := splitWords(arg)
	if err != nil {
		return err
	}
	if c.ExposedPorts == nil {
		c.ExposedPorts = map[string]struct{}{}
	}
	for _, w := range words {
		ports, proto, hasProto := strings.Cut(strings.ToLower(w), "/")
		if !hasProto {
			proto = "tcp"
		}
		if proto != "tcp" && proto != "udp" && proto != "sctp" {
			return fmt.Errorf("EXPOSE %s: the protocol must be tcp, udp or sctp", w)
		}
		lo, hi, isRange := strings.Cut(ports, "-")
		if !isRange {
			hi = lo
		}
		first, err1 := strconv.ParseUint(lo, 10, 16)
		last, err2 := strconv.ParseUint(hi, 10, 16)
		if err1 != nil || err2 != nil || first == 0 || last < first {
			return fmt.Errorf("EXPOSE %s: want PORT[/PROTO] or FIRST-LAST[/PROTO] with ports 1-65535", w)
		}
		for p := first; p <= last; p++ {
			c.ExposedPorts[strconv.FormatUint(p, 10)+"/"+proto] = struct{}{}
		}
	}
	return nil
}

// changeVolume reads a JSON array of paths or blank-separated paths.
func changeVolume(c *imgspecv1.ImageConfig, arg string) error {
	var dirs []string
	if strings.HasPrefix(arg, "[") {
		if err := json.Unmarshal([]byte(arg), &dirs); err != nil {
			return fmt.Errorf("VOLUME: %q is no JSON array of strings: %w", arg, err)
		}
	} else {
		var err error
		if dirs, err = splitWords(arg); err != nil {
			return err
		}
	}
	if c.Volumes == nil {
		c.Volumes = map[string]struct{}{}
	}
	for _, d := range dirs {
		if d == "" {
			return fmt.Errorf("VOLUME: empty path")
		}
		c.Volumes[d] = struct{}{}
	}
	return nil
}

// changeStopSignal takes a signal name (SIGTERM, TERM) or number.
func changeStopSignal(c *imgspecv1.ImageConfig, arg string) error {
	sig := strings.TrimSpace(arg)
	if n, err := strconv.Atoi(sig); err == nil {
		if n < 1 || n > 64 {
			return fmt.Errorf("STOPSIGNAL %s: a signal number is 1-64", sig)
		}
		c.StopSignal = sig
		return nil
	}
	name := strings.ToUpper(sig)
	if !strings.HasPrefix(name, "SIG") {
		name = "SIG" + name
	}
	if !knownSignal(name) {
		return fmt.Errorf("STOPSIGNAL %s: unknown signal (give a name such as SIGTERM or a number)", sig)
	}
	c.StopSignal = name
	return nil
}

func knownSignal(name string) bool {
	switch name {
	case "SIGHUP", "SIGINT", "SIGQUIT", "SIGILL", "SIGTRAP", "SIGABRT", "SIGIOT", "SIGBUS", "SIGFPE", "SIGKILL",
		"SIGUSR1", "SIGSEGV", "SIGUSR2", "SIGPIPE", "SIGALRM", "SIGTERM", "SIGSTKFLT", "SIGCHLD", "SIGCONT",
		"SIGSTOP", "SIGTSTP", "SIGTTIN", "SIGTTOU", "SIGURG", "SIGXCPU", "SIGXFSZ", "SIGVTALRM", "SIGPROF",
		"SIGWINCH", "SIGIO", "SIGPOLL", "SIGPWR", "SIGSYS":
		return true
	}
	if rest, ok := strings.CutPrefix(name, "SIGRTMIN+"); ok {
		n, err := strconv.Atoi(rest)
		return err == nil && n >= 0 && n <= 30
	}
	return name == "SIGRTMIN" || name == "SIGRTMAX"
}
