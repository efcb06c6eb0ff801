//go:build containers_image_openpgp && exclude_graphdriver_btrfs

package build

import (
	"bytes"
	"context"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"

	"github.com/urun/urun/image"
)

// memCache is a build cache in memory.
type memCache map[string]*image.CacheEntry

func (m memCache) lookup(key string) (*image.CacheEntry, error) { return m[key], nil }
func (m memCache) store(key string, e *image.CacheEntry) error  { m[key] = e; return nil }

// evaluate runs the stages of a Dockerfile whose steps change only the
// configuration (no store is needed) and returns the target stage.
func evaluate(t *testing.T, dockerfile string, o Options, cache memCache) (*stageState, string) {
	t.Helper()
	df, err := parseDockerfile("Dockerfile", []byte(dockerfile))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if o.BuildArgs == nil {
		o.BuildArgs = map[string]string{}
	}
	b := &builder{ctx: context.Background(), o: o, df: df, out: &out, usedBuildArgs: map[string]bool{}, cache: cache}
	if err := b.evalGlobalArgs(); err != nil {
		t.Fatal(err)
	}
	target, needed, err := b.plan()
	if err != nil {
		t.Fatal(err)
	}
	if err := b.buildStages(target, needed); err != nil {
		t.Fatal(err)
	}
	return b.results[target], out.String()
}

func envValue(env []string, key string) (string, bool) {
	for _, e := range env {
		if k, v, _ := strings.Cut(e, "="); k == key {
			return v, true
		}
	}
	return "", false
}

func TestDockerfileVariablesExpandAsDockersDo(t *testing.T) {
	for _, tc := range []struct {
		name       string
		dockerfile string
		buildArgs  map[string]string
		label      string // the value of LABEL l
	}{
		{"an ENV line sees the values from before it", "FROM scratch\nENV A=1\nENV A=2 B=$A\nLABEL l=$B", nil, "1"},
		{"a global ARG does not reach a stage that does not declare it", "ARG V=g\nFROM scratch\nLABEL l=${V:-unset}", nil, "unset"},
		{"a stage that declares a global ARG gets its value", "ARG V=g\nFROM scratch\nARG V\nLABEL l=$V", nil, "g"},
		{"--build-arg overrides a global ARG", "ARG V=g\nFROM scratch\nARG V\nLABEL l=$V", map[string]string{"V": "b"}, "b"},
		{"--build-arg overrides a stage ARG's default", "FROM scratch\nARG V=d\nLABEL l=$V", map[string]string{"V": "b"}, "b"},
		{"ENV overrides an ARG of the same name", "FROM scratch\nARG A=arg\nENV A=env\nLABEL l=$A", nil, "env"},
		{"an ARG default expands earlier ENVs", "FROM scratch\nENV E=e\nARG A=${E}x\nLABEL l=$A", nil, "ex"},
		{"the automatic platform ARGs need declaring", "FROM scratch\nARG TARGETARCH\nLABEL l=$TARGETARCH", nil, runtime.GOARCH},
		{"a FROM line sees global ARGs", "ARG BASE=scratch\nFROM $BASE\nLABEL l=ok", nil, "ok"},
		{"an ARG of a stage ends with the stage", "FROM scratch AS one\nARG A=1\nFROM one\nLABEL l=${A:-gone}", nil, "gone"},
		{"ENV of a base stage is inherited", "FROM scratch AS one\nENV A=1\nFROM one\nLABEL l=$A", nil, "1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st, _ := evaluate(t, tc.dockerfile, Options{BuildArgs: tc.buildArgs}, memCache{})
			if got := st.config.Config.Labels["l"]; got != tc.label {
				t.Errorf("LABEL l = %q, want %q", got, tc.label)
			}
		})
	}
}

func TestDockerfileInstructionsSetTheImageConfiguration(t *testing.T) {
	st, _ := evaluate(t, `FROM scratch AS base
CMD ["base-cmd"]
FROM base
SHELL ["/bin/bash", "-c"]
ENTRYPOINT echo hi
EXPOSE 80 53/udp 8000-8001
USER 1000:1000
VOLUME /data /logs
STOPSIGNAL SIGINT
HEALTHCHECK --interval=5s --retries=2 CMD true
ONBUILD RUN echo later
MAINTAINER someone
`, Options{}, memCache{})
	c := st.config
	if c.Config.Cmd != nil {
		t.Errorf("an ENTRYPOINT should clear the base image's CMD, got %q", c.Config.Cmd)
	}
	if want := []string{"/bin/bash", "-c", "echo hi"}; !slices.Equal(c.Config.Entrypoint, want) {
		t.Errorf("ENTRYPOINT = %q, want %q (through SHELL)", c.Config.Entrypoint, want)
	}
	for _, p := range []string{"80/tcp", "53/udp", "8000/tcp", "8001/tcp"} {
		if _, ok := c.Config.ExposedPorts[p]; !ok {
			t.Errorf("EXPOSE lacks %s: %v", p, c.Config.ExposedPorts)
		}
	}
	if c.Config.User != "1000:1000" || c.Config.StopSignal != "SIGINT" || c.Author != "someone" {
		t.Errorf("USER %q, STOPSIGNAL %q, author %q", c.Config.User, c.Config.StopSignal, c.Author)
	}
	if len(c.Config.Volumes) != 2 {
		t.Errorf("VOLUME = %v", c.Config.Volumes)
	}
	if h := c.Config.Healthcheck; h == nil || h.Interval != 5e9 || h.Retries != 2 || !slices.Equal(h.Test, []string{"CMD-SHELL", "true"}) {
		t.Errorf("HEALTHCHECK = %+v", h)
	}
	if !slices.Equal(c.Config.OnBuild, []string{"RUN echo later"}) {
		t.Errorf("ONBUILD = %q", c.Config.OnBuild)
	}
	// One history entry per instruction, none of them a layer.
	if len(c.History) != 10 {
		t.Errorf("%d history entries, want 10", len(c.History))
	}
	for _, h := range c.History {
		if !h.EmptyLayer {
			t.Errorf("history entry %q should be an empty layer", h.CreatedBy)
		}
	}
}

func TestACMDInTheStageSurvivesItsENTRYPOINT(t *testing.T) {
	st, _ := evaluate(t, "FROM scratch\nCMD [\"c\"]\nENTRYPOINT [\"e\"]\n", Options{}, memCache{})
	if !slices.Equal(st.config.Config.Cmd, []string{"c"}) {
		t.Errorf("CMD = %q, want [c]", st.config.Config.Cmd)
	}
}

func TestASecondBuildOfTheSameStepsComesFromTheCache(t *testing.T) {
	dockerfile := "FROM scratch\nARG V=1\nENV A=$V\nLABEL l=x\n"
	cache := memCache{}
	first, out1 := evaluate(t, dockerfile, Options{}, cache)
	second, out2 := evaluate(t, dockerfile, Options{}, cache)
	if strings.Contains(out1, "Using cache") {
		t.Errorf("the first build used the cache:\n%s", out1)
	}
	if n := strings.Count(out2, "Using cache"); n != 3 {
		t.Errorf("the second build used the cache %d times, want 3:\n%s", n, out2)
	}
	id1, _ := first.imageID()
	id2, _ := second.imageID()
	if id1 != id2 {
		t.Errorf("the rebuilt image differs: %s, then %s", id1, id2)
	}
	third, out3 := evaluate(t, dockerfile, Options{BuildArgs: map[string]string{"V": "2"}}, cache)
	if n := strings.Count(out3, "Using cache"); n != 0 {
		t.Errorf("a changed --build-arg still used the cache %d times:\n%s", n, out3)
	}
	if v, _ := envValue(third.config.Config.Env, "A"); v != "2" {
		t.Errorf("A = %q, want 2", v)
	}
}

func TestTargetBuildsOnlyTheStagesItNeeds(t *testing.T) {
	dockerfile := `FROM scratch AS a
LABEL a=1
FROM scratch AS broken
LABEL b=$((
FROM a AS wanted
LABEL w=1
FROM broken
`
	st, out := evaluate(t, dockerfile, Options{Target: "wanted"}, memCache{})
	if st.config.Config.Labels["a"] != "1" || st.config.Config.Labels["w"] != "1" {
		t.Errorf("labels %v", st.config.Config.Labels)
	}
	if strings.Contains(out, "broken") {
		t.Errorf("the stage the target does not need was built:\n%s", out)
	}
}

func TestRunCommandLines(t *testing.T) {
	for _, tc := range []struct {
		name       string
		dockerfile string
		want       []string
		script     bool
	}{
		{"shell form runs through the shell", "FROM scratch\nRUN echo $HOME\n", []string{"/bin/sh", "-c", "echo $HOME"}, false},
		{"exec form runs as it is", "FROM scratch\nRUN [\"echo\", \"a b\"]\n", []string{"echo", "a b"}, false},
		{"a heredoc that is the command is the shell's script", "FROM scratch\nRUN <<EOT\necho one\necho two\nEOT\n", []string{"/bin/sh", "-c", "echo one\necho two\n"}, false},
		{"a heredoc with #! is the program", "FROM scratch\nRUN <<EOT\n#!/bin/busybox sh\necho x\nEOT\n", []string{"/dev/pipes/EOT"}, true},
		{"a heredoc feeding a command follows it", "FROM scratch\nRUN cat <<EOT > /f\nhello\nEOT\n", []string{"/bin/sh", "-c", "cat <<EOT > /f\nhello\nEOT"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			df, err := parseDockerfile("Dockerfile", []byte(tc.dockerfile))
			if err != nil {
				t.Fatal(err)
			}
			rc := runArgv(runOf(t, df), defaultShell)
			if !slices.Equal(rc.args, tc.want) {
				t.Errorf("argv %q, want %q", rc.args, tc.want)
			}
			if (rc.script != nil) != tc.script {
				t.Errorf("script placed: %v, want %v", rc.script != nil, tc.script)
			}
		})
	}
}

func TestDockerfileErrorsNameTheLine(t *testing.T) {
	for _, tc := range []struct{ dockerfile, want string }{
		{"FROM scratch\nRUNX true\n", "Dockerfile:2: unknown instruction: RUNX"},
		{"# just a comment\n", "Dockerfile:1: file with no instructions"},
		{"ARG A=1\n", "no FROM instruction"},
		{"FROM scratch\nCOPY\n", "Dockerfile:2:"},
	} {
		_, err := parseDockerfile("Dockerfile", []byte(tc.dockerfile))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: error %v, want it to contain %q", tc.dockerfile, err, tc.want)
		}
	}
}

func runOf(t *testing.T, df *dockerfile) *instructions.RunCommand {
	t.Helper()
	for _, c := range df.stages[0].Commands {
		if r, ok := c.(*instructions.RunCommand); ok {
			return r
		}
	}
	t.Fatal("no RUN")
	return nil
}

func TestWorkdirIsRelativeToTheLastOne(t *testing.T) {
	for _, tc := range []struct{ current, workdir, want string }{
		{"", "/a", "/a"}, {"/a", "b", "/a/b"}, {"", "b", "/b"}, {"/a/b", "../c", "/a/c"}, {"/a", "/x/./y/", "/x/y"},
	} {
		if got := workdirPath(tc.current, tc.workdir); got != tc.want {
			t.Errorf("WORKDIR %s after %q: %q, want %q", tc.workdir, tc.current, got, tc.want)
		}
	}
}
