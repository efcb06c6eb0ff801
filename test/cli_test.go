package test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// completions are what `urun __complete ARGS...` (the request the shells'
// completion scripts make) offers: the lines before cobra's ":DIRECTIVE".
func (e *env) completions(t *testing.T, args ...string) []string {
	t.Helper()
	out := e.urun(t, append([]string{"__complete"}, args...)...).ok(t)
	var got []string
	for _, line := range lines(out) {
		if strings.HasPrefix(line, ":") {
			break
		}
		name, _, _ := strings.Cut(line, "\t") // a description may follow
		got = append(got, name)
	}
	return got
}

func TestCompletionOffersContainerImageNetworkAndVolumeNames(t *testing.T) {
	e := containerEnv(t)
	e.urun(t, "create", "--name", "web", busyboxRef, "true").ok(t)
	e.urun(t, "network", "create", "compnet").ok(t)
	e.urun(t, "volume", "create", "compvol").ok(t)
	t.Cleanup(func() {
		e.urun(t, "rm", "-f", "web")
		e.urun(t, "network", "rm", "compnet")
	})
	image := busyboxRef
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"rm", ""}, "web"},
		{[]string{"container", "stop", ""}, "web"},
		{[]string{"exec", ""}, "web"},
		{[]string{"logs", ""}, "web"},
		{[]string{"cp", ""}, "web:"},
		{[]string{"inspect", ""}, "web"},
		{[]string{"inspect", ""}, image},
		{[]string{"run", ""}, image},
		{[]string{"create", "--rm", ""}, image},
		{[]string{"rmi", ""}, image},
		{[]string{"image", "rm", ""}, image},
		{[]string{"tag", ""}, image},
		{[]string{"network", "rm", ""}, "compnet"},
		{[]string{"network", "connect", ""}, "compnet"},
		{[]string{"network", "connect", "compnet", ""}, "web"},
		{[]string{"run", "--network", ""}, "compnet"},
		{[]string{"run", "--network", ""}, "host"},
		{[]string{"volume", "rm", ""}, "compvol"},
		{[]string{"volume", "inspect", ""}, "compvol"},
	}
	for _, tt := range tests {
		t.Run(shellQuote(tt.args), func(t *testing.T) {
			assert.Contains(t, e.completions(t, tt.args...), tt.want)
		})
	}
	t.Run("the command after the image is the shell's to complete", func(t *testing.T) {
		assert.Empty(t, e.completions(t, "run", busyboxRef, ""))
	})
}

func TestCompletionScriptsForEachShell(t *testing.T) {
	e := newEnv(t)
	for shell, want := range map[string]string{
		"bash": "complete -o default -F __start_urun urun",
		"zsh":  "#compdef urun",
		"fish": "complete -c urun",
	} {
		t.Run(shell, func(t *testing.T) {
			out := e.urun(t, "completion", shell).ok(t)
			assert.Contains(t, out, want)
			assert.Contains(t, out, "__complete", "it asks urun for the names")
		})
	}
	e.urun(t, "completion", "tcsh").exits(t, 1)
}

func TestVersionFlagPrintsDockersLine(t *testing.T) {
	e := newEnv(t)
	line := regexp.MustCompile(`^urun version [^ ,]+(, build [0-9a-f]+)?\n$`)
	for _, flag := range []string{"--version", "-v"} {
		assert.Regexp(t, line, e.urun(t, flag).ok(t), "urun %s as docker %s", flag, flag)
	}
	assert.Regexp(t, `(?m)^ Version: +\S+$`, e.urun(t, "version").ok(t), "urun version keeps its table")
}

// hack/test.sh runs `make install DESTDIR=$URUN_INSTALL_DIR PREFIX=/usr`.
func installDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("URUN_INSTALL_DIR")
	require.NotEmpty(t, dir, "URUN_INSTALL_DIR is not set: hack/test.sh sets it to a tree made by make install DESTDIR=...")
	return filepath.Join(dir, "usr")
}

func TestMakeInstallLaysOutProgramsCompletionsAndManPages(t *testing.T) {
	prefix := installDir(t)
	for _, p := range []string{"bin/urun", "bin/urun-image", "bin/urun-init", "bin/urun-netholder"} {
		st, err := os.Stat(filepath.Join(prefix, p))
		if assert.NoError(t, err) {
			assert.NotZero(t, st.Mode().Perm()&0o111, "%s is executable", p)
		}
	}
	for p, want := range map[string]string{
		"share/bash-completion/completions/urun":    "__start_urun",
		"share/zsh/site-functions/_urun":            "#compdef urun",
		"share/fish/vendor_completions.d/urun.fish": "complete -c urun",
		"share/man/man1/urun.1":                     `.TH "URUN" "1"`,
		"share/man/man1/urun-run.1":                 `.TH "URUN-RUN" "1"`,
		"share/man/man1/urun-network-create.1":      `.TH "URUN-NETWORK-CREATE" "1"`,
		"share/man/man1/urun-ps.1":                  `.TH "URUN-PS" "1"`,
		"share/man/man1/urun-image-ls.1":            `.TH "URUN-IMAGE-LS" "1"`,
	} {
		got, err := os.ReadFile(filepath.Join(prefix, p))
		if assert.NoError(t, err, p) {
			assert.Contains(t, string(got), want, p)
		}
	}
	run, err := os.ReadFile(filepath.Join(prefix, "share/man/man1/urun-run.1"))
	require.NoError(t, err)
	assert.Contains(t, string(run), "publish", "urun-run(1) has run's flags")
}

// The installed urun, with nothing of urun's in PATH, finds urun-image
// (pull), urun-init (run) and urun-netholder (a bridge network) beside
// itself.
func TestInstalledUrunFindsItsHelpers(t *testing.T) {
	urun := filepath.Join(installDir(t), "bin", "urun")
	e := newEnv(t)
	installed := func(args ...string) result {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), defaultTimeout)
		defer cancel()
		cmd := exec.CommandContext(ctx, urun, append(slicesClone(e.flags), args...)...)
		for _, v := range e.environ() {
			if !strings.HasPrefix(v, "PATH=") {
				cmd.Env = append(cmd.Env, v)
			}
		}
		cmd.Env = append(cmd.Env, "PATH=/usr/sbin:/usr/bin:/sbin:/bin")
		cmd.Dir = e.dir
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		r := result{cmdline: urun + " " + shellQuote(args), stdout: stdout.String(), stderr: stderr.String(), code: cmd.ProcessState.ExitCode(), err: err}
		t.Logf("$ %s %s", r.cmdline, r.describe())
		return r
	}
	installed("pull", "-q", busyboxRef).ok(t)
	assert.Equal(t, "hi\n", installed("run", "--rm", busyboxRef, "echo", "hi").ok(t))
	assert.Equal(t, "on a bridge\n", installed("run", "--rm", "--network", "bridge", busyboxRef, "echo", "on a bridge").ok(t))
	assert.Regexp(t, `^urun version \S+`, installed("--version").ok(t))
}
