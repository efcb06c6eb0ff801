package test

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/urun/urun/test/testbed"
)

// What `urun build` shows and does beyond the files and configuration it
// makes (build_conformance_test.go): its output, flags, cache, contexts,
// RUN --mount, networks, ids in a user namespace, interruptions; and
// `urun commit` and `urun diff`.

// buildEnv is a fresh store with the busybox fixture pulled, so that a
// build's first step prints no pull.
func buildEnv(t *testing.T) *env {
	t.Helper()
	e := newEnv(t)
	e.urun(t, "pull", "-q", busyboxRef).ok(t)
	return e
}

// writeContext writes a build context: name → content, "{{busybox}}" and
// "{{app}}" in a Dockerfile replaced by the fixtures' references.
func writeContext(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := filepath.Join(mkTemp(t), "context")
	r := strings.NewReplacer("{{busybox}}", busyboxRef, "{{app}}", appRef)
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		if strings.HasPrefix(filepath.Base(name), "Dockerfile") {
			content = r.Replace(content)
		}
		require.NoError(t, os.WriteFile(p, []byte(content), 0o644))
	}
	return dir
}

// build runs `urun build ARGS...` with the build timeout.
func (e *env) build(t *testing.T, args ...string) result {
	t.Helper()
	return e.urunWith(t, runConf{timeout: buildTimeout}, append([]string{"build"}, args...)...)
}

// runOut is what `urun run --rm IMAGE ARGS...` prints.
func (e *env) runOut(t *testing.T, image string, args ...string) string {
	t.Helper()
	return e.urun(t, append([]string{"run", "--rm", "--network", "none", image}, args...)...).ok(t)
}

// buildStep is one step of the classic builder's output: "Step N/M :
// INSTRUCTION" and the lines up to the next step.
type buildStep struct {
	n, of       int
	instruction string
	lines       []string
}

var (
	stepHeader   = regexp.MustCompile(`^Step (\d+)/(\d+) : (.*)$`)
	stepResult   = regexp.MustCompile(`^ ---> ([0-9a-f]{12})$`)
	runningIn    = regexp.MustCompile(`^ ---> Running in ([0-9a-f]{12})$`)
	removedInter = regexp.MustCompile(`^Removing intermediate container [0-9a-f]{12}$`)
	imageIDLine  = regexp.MustCompile(`^sha256:[0-9a-f]{64}$`)
)

// parseSteps splits a build's output into its steps and what follows the
// last one ("Successfully built …" and "Successfully tagged …"). What
// comes before the first step is left out.
func parseSteps(out string) (steps []buildStep, trailer []string) {
	for _, l := range lines(out) {
		if m := stepHeader.FindStringSubmatch(l); m != nil {
			n, _ := strconv.Atoi(m[1])
			of, _ := strconv.Atoi(m[2])
			steps = append(steps, buildStep{n: n, of: of, instruction: m[3]})
			continue
		}
		if len(steps) == 0 {
			continue
		}
		if strings.HasPrefix(l, "Successfully ") {
			trailer = append(trailer, l)
			continue
		}
		steps[len(steps)-1].lines = append(steps[len(steps)-1].lines, l)
	}
	return steps, trailer
}

// usedCache: the step printed " ---> Using cache".
func (s buildStep) usedCache() bool { return slices.Contains(s.lines, " ---> Using cache") }

// ran: the step ran a container (" ---> Running in ID").
func (s buildStep) ran() bool {
	return slices.ContainsFunc(s.lines, func(l string) bool { return runningIn.MatchString(l) })
}

// result is the step's image id (its last " ---> ID").
func (s buildStep) result() string {
	id := ""
	for _, l := range s.lines {
		if m := stepResult.FindStringSubmatch(l); m != nil {
			id = m[1]
		}
	}
	return id
}

// output is what the step printed that is not the builder's own.
func (s buildStep) output() []string {
	var out []string
	for _, l := range s.lines {
		if !strings.HasPrefix(l, " ---> ") && !removedInter.MatchString(l) {
			out = append(out, l)
		}
	}
	return out
}

// cacheUse is, for each step after FROM, "cache" or "built", to compare a
// whole build at once.
func cacheUse(steps []buildStep) []string {
	if len(steps) == 0 {
		return nil
	}
	var use []string
	for _, s := range steps[1:] {
		switch {
		case s.usedCache():
			use = append(use, "cache")
		default:
			use = append(use, "built")
		}
	}
	return use
}

func shortID(id string) string { return strings.TrimPrefix(id, "sha256:")[:12] }

func TestBuildPrintsEachStepAsDockersClassicBuilder(t *testing.T) {
	e := buildEnv(t)
	ctx := writeContext(t, map[string]string{"Dockerfile": "FROM {{busybox}}\nRUN echo hi\nCMD [\"sh\"]\n"})
	out := e.build(t, "-t", "localhost/steps", ctx).ok(t)
	id := e.imageID(t, "localhost/steps")

	steps, trailer := parseSteps(out)
	require.Len(t, steps, 3, "three steps in:\n%s", out)
	for i, want := range []string{"FROM " + busyboxRef, "RUN echo hi", `CMD ["sh"]`} {
		assert.Equal(t, buildStep{n: i + 1, of: 3, instruction: want}, buildStep{n: steps[i].n, of: steps[i].of, instruction: steps[i].instruction})
		assert.NotEmpty(t, steps[i].result(), "step %d ends with ' ---> ID': %q", i+1, steps[i].lines)
		assert.False(t, steps[i].usedCache(), "a first build uses no cache: %q", steps[i].lines)
	}
	assert.Equal(t, []string{" ---> " + steps[0].result()}, steps[0].lines, "FROM prints the base's id only")
	assert.Equal(t, shortID(e.imageID(t, busyboxRef)), steps[0].result(), "the base's id")
	assert.True(t, steps[1].ran(), "RUN says ' ---> Running in ID': %q", steps[1].lines)
	assert.Equal(t, []string{"hi"}, steps[1].output(), "RUN's output between its lines")
	assert.Empty(t, steps[2].output())
	assert.Equal(t, shortID(id), steps[2].result(), "the last step's id is the image's")
	assert.Equal(t, []string{"Successfully built " + shortID(id), "Successfully tagged localhost/steps:latest"}, trailer)
	// The output's lines are whole: each header starts a line.
	assert.True(t, strings.HasPrefix(out, "Step 1/3 : FROM "), "%q", out)
}

func TestBuildQuietPrintsOnlyTheImageID(t *testing.T) {
	e := buildEnv(t)
	ctx := writeContext(t, map[string]string{"Dockerfile": "FROM {{busybox}}\nRUN echo noisy-step-output\n"})
	for _, flag := range []string{"-q", "--quiet"} {
		t.Run(flag, func(t *testing.T) {
			out := e.build(t, flag, "--no-cache", "-t", "localhost/quiet", ctx).ok(t)
			assert.Regexp(t, `^sha256:[0-9a-f]{64}\n$`, out)
			assert.Equal(t, strings.TrimSpace(out), "sha256:"+strings.TrimPrefix(e.imageID(t, "localhost/quiet"), "sha256:"))
		})
	}
}

func TestBuildIidfileHoldsTheImageID(t *testing.T) {
	e := buildEnv(t)
	ctx := writeContext(t, map[string]string{"Dockerfile": "FROM {{busybox}}\nLABEL iid=1\n"})
	iidfile := filepath.Join(mkTemp(t), "iid")
	out := e.build(t, "--iidfile", iidfile, ctx).ok(t)
	b, err := os.ReadFile(iidfile)
	require.NoError(t, err)
	iid := strings.TrimSpace(string(b))
	assert.Regexp(t, imageIDLine, iid)
	_, trailer := parseSteps(out)
	assert.Equal(t, []string{"Successfully built " + shortID(iid)}, trailer, "an untagged build says only that")
	assert.Contains(t, lines(e.urun(t, "images", "-q", "--no-trunc").ok(t)), iid, "the untagged image is listed by id")
	assert.Equal(t, "1\n", e.urun(t, "image", "inspect", "-f", `{{index .Config.Labels "iid"}}`, iid).ok(t))
}

func TestBuildTagsTheImageWithEveryNameAndPushes(t *testing.T) {
	e := buildEnv(t)
	ctx := writeContext(t, map[string]string{"Dockerfile": "FROM {{busybox}}\nRUN echo tagged > /tagged\n"})
	pushed := reg.Addr() + "/built/tagged:v1"
	out := e.build(t, "-t", "localhost/multi:a", "-t", "other/name", "-t", pushed, ctx).ok(t)
	_, trailer := parseSteps(out)
	id := e.imageID(t, "localhost/multi:a")
	assert.Equal(t, []string{
		"Successfully built " + shortID(id),
		"Successfully tagged localhost/multi:a",
		"Successfully tagged other/name:latest",
		"Successfully tagged " + pushed,
	}, trailer)
	for _, name := range []string{"other/name", pushed} {
		assert.Equal(t, id, e.imageID(t, name), "%s names the same image", name)
	}
	e.urun(t, "push", "--tls-verify=false", pushed).ok(t)
	fresh := newEnv(t)
	assert.Equal(t, "tagged\n", fresh.runOut(t, pushed, "cat", "/tagged"), "the pushed image pulls and runs elsewhere")

	// `urun image build` is the same command.
	out = e.urunWith(t, runConf{timeout: buildTimeout}, "image", "build", "-q", "-t", "localhost/image-build", ctx).ok(t)
	assert.Equal(t, strings.TrimPrefix(id, "sha256:"), strings.TrimPrefix(strings.TrimSpace(out), "sha256:"),
		"the same Dockerfile and context, all cached: the same image")
}

func TestBuildTargetBuildsOnlyTheStagesItNeeds(t *testing.T) {
	e := buildEnv(t)
	ctx := writeContext(t, map[string]string{"Dockerfile": `FROM {{busybox}} AS broken
RUN echo broken-$((6+1))-ran && exit 7
FROM {{busybox}} AS dep
RUN echo dep > /dep
FROM {{busybox}} AS final
COPY --from=dep /dep /dep
RUN cat /dep
FROM final AS after
RUN exit 9
`})
	res := e.build(t, "--target", "final", "-t", "localhost/target", ctx)
	out := res.ok(t)
	// The marker is in the output only if the shell ran the RUN.
	assert.NotContains(t, out+res.stderr, "broken-7-ran", "a stage the target does not need is not built")
	assert.Equal(t, "dep\n", e.runOut(t, "localhost/target", "cat", "/dep"))

	res = e.build(t, "-t", "localhost/after", ctx)
	res.exits(t, 1)
	assert.Contains(t, res.stderr, "returned a non-zero code: 9", "without --target the last stage is built")
	assert.NotContains(t, res.stdout+res.stderr, "broken-7-ran")
}

func TestBuildFailuresNameTheStepTheLineAndTheExitCode(t *testing.T) {
	e := buildEnv(t)
	before := lines(e.urun(t, "images", "--format", "{{.Repository}}:{{.Tag}}").ok(t))
	for _, c := range []struct {
		name       string
		dockerfile string
		want       []string // in stderr
		wantLine   *regexp.Regexp
	}{
		{
			name:       "a RUN that exits 3",
			dockerfile: "FROM {{busybox}}\nRUN exit 3\nCMD [\"sh\"]\n",
			want:       []string{"step 2/3", "Dockerfile:2", "/bin/sh -c exit 3", "returned a non-zero code: 3"},
		},
		{
			name:       "a RUN of a missing program",
			dockerfile: "FROM {{busybox}}\n\n# a comment\nRUN [\"/no/such/program\"]\n",
			want:       []string{"Dockerfile:4", "/no/such/program"},
		},
		{
			name:       "a COPY of a missing file",
			dockerfile: "FROM {{busybox}}\nCOPY missing.txt /x\n",
			want:       []string{"Dockerfile:2", "missing.txt"},
		},
		{
			name:       "an unknown instruction",
			dockerfile: "FROM {{busybox}}\nFOO bar\n",
			want:       []string{"FOO"},
			wantLine:   regexp.MustCompile(`(?i)line 2\b|Dockerfile:2\b`),
		},
		{
			name:       "no FROM",
			dockerfile: "RUN true\n",
			wantLine:   regexp.MustCompile(`(?i)line 1\b|Dockerfile:1\b`),
		},
		{
			name:       "an unknown stage in COPY --from",
			dockerfile: "FROM {{busybox}}\nCOPY --from=nosuchstage /x /x\n",
			want:       []string{"nosuchstage"},
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			ctx := writeContext(t, map[string]string{"Dockerfile": c.dockerfile})
			res := e.build(t, "-t", "localhost/failed", ctx)
			res.exits(t, 1)
			for _, w := range c.want {
				assert.Contains(t, res.stderr, w)
			}
			if c.wantLine != nil {
				assert.Regexp(t, c.wantLine, res.stderr)
			}
			assert.NotEqual(t, 0, e.urun(t, "image", "inspect", "localhost/failed").code, "a failed build tags nothing")
		})
	}
	assert.Equal(t, before, lines(e.urun(t, "images", "--format", "{{.Repository}}:{{.Tag}}").ok(t)), "failed builds list no image")
	assert.Empty(t, e.urun(t, "ps", "-a", "-q").ok(t), "and leave no container")
}

// An unknown flag is a usage error (125, as Docker's CLI); the rest is a
// failed build (1).
func TestBuildUsageErrorsExitAsDockers(t *testing.T) {
	e := newEnv(t)
	ctx := writeContext(t, map[string]string{"Dockerfile": "FROM {{busybox}}\n"})
	for _, c := range []struct {
		args []string
		want int
	}{
		{[]string{"--no-such-flag", ctx}, 125},
		{[]string{}, 1},
		{[]string{ctx, ctx}, 1},
		{[]string{"--network", "bogus-mode", ctx}, 1},
		{[]string{"--pull=sometimes", ctx}, 1},
	} {
		args := c.args
		t.Run(shellQuote(args), func(t *testing.T) {
			res := e.build(t, args...)
			res.exits(t, c.want)
			assert.Empty(t, res.stdout)
			assert.NotEmpty(t, res.stderr)
		})
	}
	assert.Empty(t, e.urun(t, "images", "-q").ok(t), "nothing was pulled or built")
}

// uuidDockerfile makes three RUN steps that each store a fresh random
// UUID (a RUN that ran again stores another), around COPYs of a.txt and
// b.txt.
const uuidDockerfile = `FROM {{busybox}}
RUN cat /proc/sys/kernel/random/uuid > /s1
COPY a.txt /a.txt
RUN cat /proc/sys/kernel/random/uuid > /s2
COPY b.txt /b.txt
RUN cat /proc/sys/kernel/random/uuid > /s3
CMD ["cat", "/s1", "/s2", "/s3"]
`

// stamps are the three UUIDs an image of uuidDockerfile holds.
func stamps(t *testing.T, e *env, image string) []string {
	t.Helper()
	s := lines(e.runOut(t, image))
	require.Len(t, s, 3)
	return s
}

func TestBuildUnchangedRebuildUsesTheCacheForEveryStep(t *testing.T) {
	e := buildEnv(t)
	ctx := writeContext(t, map[string]string{"Dockerfile": uuidDockerfile, "a.txt": "a\n", "b.txt": "b\n"})
	first := e.build(t, "-t", "localhost/cached", ctx).ok(t)
	firstID := e.imageID(t, "localhost/cached")
	firstStamps := stamps(t, e, "localhost/cached")
	steps, _ := parseSteps(first)
	assert.Equal(t, []string{"built", "built", "built", "built", "built", "built"}, cacheUse(steps))

	second := e.build(t, "-t", "localhost/cached", ctx).ok(t)
	steps, trailer := parseSteps(second)
	require.Len(t, steps, 7)
	assert.Equal(t, []string{"cache", "cache", "cache", "cache", "cache", "cache"}, cacheUse(steps))
	for _, s := range steps {
		assert.False(t, s.ran(), "step %d ran a container: %q", s.n, s.lines)
	}
	assert.Equal(t, firstID, e.imageID(t, "localhost/cached"), "the same image")
	assert.Equal(t, "Successfully built "+shortID(firstID), trailer[0])
	assert.Equal(t, firstStamps, stamps(t, e, "localhost/cached"), "no RUN ran again")
}

func TestBuildRerunsFromTheFirstStepWhoseFilesChanged(t *testing.T) {
	e := buildEnv(t)
	ctx := writeContext(t, map[string]string{"Dockerfile": uuidDockerfile, "a.txt": "a\n", "b.txt": "b\n"})
	e.build(t, "-t", "localhost/partial", ctx).ok(t)
	s0 := stamps(t, e, "localhost/partial")

	t.Run("a changed b.txt reruns from its COPY", func(t *testing.T) {
		require.NoError(t, os.WriteFile(filepath.Join(ctx, "b.txt"), []byte("b changed\n"), 0o644))
		steps, _ := parseSteps(e.build(t, "-t", "localhost/partial", ctx).ok(t))
		assert.Equal(t, []string{"cache", "cache", "cache", "built", "built", "built"}, cacheUse(steps))
		s := stamps(t, e, "localhost/partial")
		assert.Equal(t, s0[:2], s[:2], "the steps before it were cached")
		assert.NotEqual(t, s0[2], s[2], "the RUN after it ran again")
		s0 = s
	})
	t.Run("the same size and modification time, other bytes", func(t *testing.T) {
		p := filepath.Join(ctx, "a.txt")
		st, err := os.Stat(p)
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(p, []byte("A\n"), 0o644))
		require.NoError(t, os.Chtimes(p, st.ModTime(), st.ModTime())) // touch -r
		steps, _ := parseSteps(e.build(t, "-t", "localhost/partial", ctx).ok(t))
		assert.Equal(t, []string{"cache", "built", "built", "built", "built", "built"}, cacheUse(steps))
		assert.Equal(t, "A\n", e.runOut(t, "localhost/partial", "cat", "/a.txt"))
		s := stamps(t, e, "localhost/partial")
		assert.Equal(t, s0[0], s[0])
		assert.NotEqual(t, s0[1], s[1])
		s0 = s
	})
	t.Run("only the mode changed", func(t *testing.T) {
		require.NoError(t, os.Chmod(filepath.Join(ctx, "a.txt"), 0o755))
		steps, _ := parseSteps(e.build(t, "-t", "localhost/partial", ctx).ok(t))
		assert.Equal(t, []string{"cache", "built", "built", "built", "built", "built"}, cacheUse(steps))
		assert.Equal(t, "755\n", e.runOut(t, "localhost/partial", "stat", "-c", "%a", "/a.txt"))
	})
	t.Run("only the modification time changed", func(t *testing.T) {
		later := time.Now().Add(time.Hour)
		require.NoError(t, os.Chtimes(filepath.Join(ctx, "b.txt"), later, later))
		steps, _ := parseSteps(e.build(t, "-t", "localhost/partial", ctx).ok(t))
		assert.Equal(t, []string{"cache", "cache", "cache", "cache", "cache", "cache"}, cacheUse(steps), "times are not content")
	})
}

func TestBuildNoCacheRerunsEveryStep(t *testing.T) {
	e := buildEnv(t)
	ctx := writeContext(t, map[string]string{"Dockerfile": uuidDockerfile, "a.txt": "a\n", "b.txt": "b\n"})
	e.build(t, "-t", "localhost/nocache", ctx).ok(t)
	s0 := stamps(t, e, "localhost/nocache")
	steps, _ := parseSteps(e.build(t, "--no-cache", "-t", "localhost/nocache", ctx).ok(t))
	assert.Equal(t, []string{"built", "built", "built", "built", "built", "built"}, cacheUse(steps))
	s := stamps(t, e, "localhost/nocache")
	for i := range s {
		assert.NotEqual(t, s0[i], s[i], "RUN %d ran again", i+1)
	}
}

func TestBuilderPruneEmptiesTheCache(t *testing.T) {
	for _, flags := range [][]string{{"-f"}, {"-f", "-a"}} {
		t.Run(strings.Join(flags, " "), func(t *testing.T) {
			e := buildEnv(t)
			ctx := writeContext(t, map[string]string{"Dockerfile": uuidDockerfile, "a.txt": "a\n", "b.txt": "b\n"})
			e.build(t, "-t", "localhost/pruned", ctx).ok(t)
			s0 := stamps(t, e, "localhost/pruned")
			out := e.urun(t, append([]string{"builder", "prune"}, flags...)...).ok(t)
			assert.Regexp(t, `(?m)^Total reclaimed space: `, out)
			assert.Equal(t, s0, stamps(t, e, "localhost/pruned"), "the tagged image is kept")

			steps, _ := parseSteps(e.build(t, "-t", "localhost/pruned", ctx).ok(t))
			assert.Equal(t, []string{"built", "built", "built", "built", "built", "built"}, cacheUse(steps), "nothing cached is left")
			assert.NotEqual(t, s0[0], stamps(t, e, "localhost/pruned")[0])
		})
	}
}

func TestTwoBuildsOfOneDockerfileAtOnceBothSucceed(t *testing.T) {
	e := buildEnv(t)
	ctx := writeContext(t, map[string]string{
		"Dockerfile": "FROM {{busybox}}\nCOPY a.txt /a.txt\nRUN sleep 1 && cat /proc/sys/kernel/random/uuid > /s\nRUN echo two > /two\n",
		"a.txt":      "a\n",
	})
	results := make([]result, 2)
	var wg sync.WaitGroup
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = e.build(t, "-t", "localhost/twice-"+strconv.Itoa(i), ctx)
		}()
	}
	wg.Wait()
	for i, res := range results {
		assert.Equalf(t, 0, res.code, "build %d: %s", i, res.describe())
		if res.code == 0 {
			assert.Equal(t, "two\n", e.runOut(t, "localhost/twice-"+strconv.Itoa(i), "cat", "/two"))
		}
	}
	e.urun(t, "images").ok(t)
	res := e.build(t, "-t", "localhost/twice-2", ctx)
	steps, _ := parseSteps(res.ok(t))
	assert.Equal(t, []string{"cache", "cache", "cache"}, cacheUse(steps), "a third build finds their steps cached")
}

// contextTar is a tar of a context: a Dockerfile that copies a file in.
func contextTar(t *testing.T) []byte {
	t.Helper()
	df := strings.ReplaceAll("FROM {{busybox}}\nCOPY sub/file.txt /from-tar\n", "{{busybox}}", busyboxRef)
	return tarOf(t, []*tar.Header{
		{Name: "Dockerfile", Typeflag: tar.TypeReg, Mode: 0o644, Size: int64(len(df))},
		{Name: "sub/", Typeflag: tar.TypeDir, Mode: 0o755},
		{Name: "sub/file.txt", Typeflag: tar.TypeReg, Mode: 0o644, Size: 9},
	}, map[string]string{"Dockerfile": df, "sub/file.txt": "from tar\n"})
}

func TestBuildFromStdin(t *testing.T) {
	e := buildEnv(t)
	for _, c := range []struct {
		name  string
		stdin []byte
		check func(t *testing.T, image string)
	}{
		{"a tar context", contextTar(t), func(t *testing.T, image string) {
			assert.Equal(t, "from tar\n", e.runOut(t, image, "cat", "/from-tar"))
		}},
		{"a gzipped tar context", gzipped(t, contextTar(t)), func(t *testing.T, image string) {
			assert.Equal(t, "from tar\n", e.runOut(t, image, "cat", "/from-tar"))
		}},
		{"a lone Dockerfile", []byte("FROM " + busyboxRef + "\nRUN echo lone > /lone\n"), func(t *testing.T, image string) {
			assert.Equal(t, "lone\n", e.runOut(t, image, "cat", "/lone"))
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			image := "localhost/stdin-" + strings.ToLower(strings.ReplaceAll(c.name, " ", "-"))
			e.urunWith(t, runConf{timeout: buildTimeout, stdin: bytes.NewReader(c.stdin)}, "build", "-t", image, "-").ok(t)
			c.check(t, image)
		})
	}
	t.Run("a lone Dockerfile has no files to copy", func(t *testing.T) {
		res := e.urunWith(t, runConf{timeout: buildTimeout, stdin: strings.NewReader("FROM " + busyboxRef + "\nCOPY x /x\n")}, "build", "-")
		res.exits(t, 1)
		assert.Contains(t, res.stderr, "Dockerfile:2")
	})
}

func TestBuildFromAURLOfATar(t *testing.T) {
	e := buildEnv(t)
	ctxTar := gzipped(t, contextTar(t))
	var served sync.Map
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		served.Store(r.URL.Path, true)
		if r.URL.Path != "/context.tar.gz" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/gzip")
		w.Write(ctxTar)
	}))
	t.Cleanup(srv.Close)
	e.build(t, "-t", "localhost/from-url", srv.URL+"/context.tar.gz").ok(t)
	assert.Equal(t, "from tar\n", e.runOut(t, "localhost/from-url", "cat", "/from-tar"))

	res := e.build(t, srv.URL+"/missing.tar")
	res.exits(t, 1)
	assert.Contains(t, res.stderr, "404")
}

func TestBuildWithADockerfileElsewhere(t *testing.T) {
	e := buildEnv(t)
	ctx := writeContext(t, map[string]string{"data.txt": "data\n", "sub/Dockerfile.sub": "FROM {{busybox}}\nCOPY data.txt /in-sub\n"})
	outside := writeContext(t, map[string]string{"Dockerfile.other": "FROM {{busybox}}\nCOPY data.txt /from-outside\n"})
	e.build(t, "-f", filepath.Join(outside, "Dockerfile.other"), "-t", "localhost/f-outside", ctx).ok(t)
	assert.Equal(t, "data\n", e.runOut(t, "localhost/f-outside", "cat", "/from-outside"))
	e.build(t, "--file", filepath.Join(ctx, "sub", "Dockerfile.sub"), "-t", "localhost/f-inside", ctx).ok(t)
	assert.Equal(t, "data\n", e.runOut(t, "localhost/f-inside", "cat", "/in-sub"))
}

func TestBuildPullPolicyChoosesTheBase(t *testing.T) {
	// Two versions of one base, pushed in turn under one name.
	publisher := buildEnv(t)
	base := reg.Addr() + "/built/pullbase:latest"
	publish := func(version string) {
		ctx := writeContext(t, map[string]string{"Dockerfile": "FROM {{busybox}}\nRUN echo " + version + " > /version\n"})
		publisher.build(t, "-t", base, ctx).ok(t)
		publisher.urun(t, "push", "--tls-verify=false", base).ok(t)
	}
	publish("v1")
	e := newEnv(t)
	ctx := writeContext(t, map[string]string{"Dockerfile": "FROM " + base + "\nRUN cat /version > /seen\n"})

	res := e.build(t, "--pull=never", "-t", "localhost/pulled", ctx)
	res.exits(t, 1)
	assert.Contains(t, res.stderr, base, "--pull=never and no base stored: the build fails naming it")

	e.build(t, "-t", "localhost/pulled", ctx).ok(t)
	assert.Equal(t, "v1\n", e.runOut(t, "localhost/pulled", "cat", "/seen"), "a missing base is pulled")
	publish("v2")
	e.build(t, "--pull=missing", "-t", "localhost/pulled", ctx).ok(t)
	assert.Equal(t, "v1\n", e.runOut(t, "localhost/pulled", "cat", "/seen"), "--pull=missing keeps the stored base")
	e.build(t, "--pull", "-t", "localhost/pulled", ctx).ok(t)
	assert.Equal(t, "v2\n", e.runOut(t, "localhost/pulled", "cat", "/seen"), "--pull fetches the base again")
	publish("v3")
	e.build(t, "--pull=always", "-t", "localhost/pulled", ctx).ok(t)
	assert.Equal(t, "v3\n", e.runOut(t, "localhost/pulled", "cat", "/seen"))
}

func TestBuildLabelPlatformFormatAndProgressFlags(t *testing.T) {
	e := buildEnv(t)
	ctx := writeContext(t, map[string]string{"Dockerfile": "FROM {{busybox}}\nLABEL from=dockerfile\nRUN echo flags > /flags\n"})
	out := e.build(t, "--label", "from=flag", "--label", "extra=1", "--platform", "linux/amd64",
		"--format", "oci", "--progress", "plain", "-t", "localhost/flags", ctx).ok(t)
	assert.Contains(t, out, "Successfully tagged localhost/flags:latest")
	labels := e.urun(t, "image", "inspect", "-f", "{{json .Config.Labels}}", "localhost/flags").ok(t)
	assert.JSONEq(t, `{"from":"flag","extra":"1"}`, labels, "--label overrides the Dockerfile's")
	assert.Equal(t, "flags\n", e.runOut(t, "localhost/flags", "cat", "/flags"))
	e.build(t, "--format", "docker", "--progress", "auto", "-q", ctx).ok(t)
}

func TestBuildRunMountCacheKeepsItsFilesBetweenBuilds(t *testing.T) {
	e := buildEnv(t)
	ctx := writeContext(t, map[string]string{"Dockerfile": `FROM {{busybox}}
ARG N
RUN --mount=type=cache,target=/cache echo "$N" >> /cache/log && cat /cache/log > /seen && stat -c '%a %u:%g' /cache > /cache-dir
`})
	e.build(t, "--build-arg", "N=1", "-t", "localhost/cache-mount", ctx).ok(t)
	assert.Equal(t, "1\n", e.runOut(t, "localhost/cache-mount", "cat", "/seen"))
	e.build(t, "--build-arg", "N=2", "-t", "localhost/cache-mount", ctx).ok(t)
	assert.Equal(t, "1\n2\n", e.runOut(t, "localhost/cache-mount", "cat", "/seen"), "the cache mount kept the first build's file")
	assert.Equal(t, "755 0:0\n", e.runOut(t, "localhost/cache-mount", "cat", "/cache-dir"))
	img := savedTree(t, e, "localhost/cache-mount")
	assert.False(t, hasChildren(img.files, "/cache"), "the cache's files are not in the image")
}

func TestBuildRunMountSecretIsReadableAndLeftOutOfTheImage(t *testing.T) {
	e := buildEnv(t)
	const secret = "s3cret-value-of-the-build-test"
	secretFile := filepath.Join(mkTemp(t), "secret.txt")
	require.NoError(t, os.WriteFile(secretFile, []byte(secret), 0o600))
	// The Dockerfile does not name the secret's value: the history would.
	ctx := writeContext(t, map[string]string{"Dockerfile": `FROM {{busybox}}
RUN --mount=type=secret,id=mysecret sha256sum /run/secrets/mysecret | cut -d' ' -f1 > /secret-sum
RUN --mount=type=secret,id=mysecret,target=/etc/other-place sha256sum /etc/other-place | cut -d' ' -f1 > /target-sum
`})
	e.build(t, "--secret", "id=mysecret,src="+secretFile, "-t", "localhost/secret", ctx).ok(t)
	sum := wantFile(secret, 0).digest
	assert.Equal(t, sum+"\n"+sum+"\n", e.runOut(t, "localhost/secret", "cat", "/secret-sum", "/target-sum"), "both RUNs read the secret")

	img := savedTree(t, e, "localhost/secret")
	assert.False(t, hasChildren(img.files, "/run/secrets"), "no secret file in the image")
	_, inImage := img.files["/etc/other-place"]
	assert.False(t, inImage, "no secret file in the image")
	secretDigest := wantFile(secret, 0).digest
	for p, n := range img.files {
		assert.NotEqual(t, secretDigest, n.digest, "%s holds the secret", p)
	}
	assert.NotContains(t, jsonText(img.config), secret, "the configuration and history do not name the secret")
	assert.NotContains(t, e.urun(t, "history", "--no-trunc", "localhost/secret").ok(t), secret)

	// Docker's rule: a secret that is not given is only an error when the
	// mount says required=true.
	required := writeContext(t, map[string]string{"Dockerfile": `FROM {{busybox}}
RUN --mount=type=secret,id=mysecret,required=true cat /run/secrets/mysecret
`})
	res := e.build(t, required)
	res.exits(t, 1)
	assert.Contains(t, res.stderr, "mysecret", "a build without a required secret fails naming it")
}

func TestBuildRunMountTmpfsAndBind(t *testing.T) {
	e := buildEnv(t)
	ctx := writeContext(t, map[string]string{
		"data.txt":     "context data\n",
		"sub/deep.txt": "deep\n",
		"Dockerfile": `FROM {{busybox}} AS stage
RUN echo staged > /staged
FROM {{busybox}}
RUN --mount=type=tmpfs,target=/scratch echo x > /scratch/f && grep ' /scratch tmpfs ' /proc/mounts > /tmpfs-mounted
RUN --mount=type=bind,target=/ctx cat /ctx/data.txt > /copied && ! touch /ctx/new 2>/dev/null && echo read-only > /ro
RUN --mount=type=bind,source=sub,target=/src cat /src/deep.txt > /deep
RUN --mount=type=bind,from=stage,source=/staged,target=/m/staged cat /m/staged > /from-stage
`,
	})
	e.build(t, "-t", "localhost/mounts", ctx).ok(t)
	assert.NotEmpty(t, e.runOut(t, "localhost/mounts", "cat", "/tmpfs-mounted"), "/scratch was a tmpfs")
	assert.Equal(t, "context data\nread-only\ndeep\nstaged\n", e.runOut(t, "localhost/mounts", "cat", "/copied", "/ro", "/deep", "/from-stage"))
	img := savedTree(t, e, "localhost/mounts")
	for _, p := range []string{"/scratch", "/ctx", "/src", "/m/staged"} {
		assert.False(t, hasChildren(img.files, p), "nothing of the mount %s is in the image", p)
	}
	_, err := os.Stat(filepath.Join(ctx, "new"))
	assert.True(t, os.IsNotExist(err), "the bind mount of the context was read-only")
}

func TestBuildNetworkNoneHasNoNetworkAndHostHasTheHosts(t *testing.T) {
	e := buildEnv(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "token-from-the-host\n") }))
	t.Cleanup(srv.Close)
	ctx := writeContext(t, map[string]string{"Dockerfile": "FROM {{busybox}}\nRUN timeout 5 wget -q -O /got " + srv.URL + "/ && cat /got\nRUN cut -d: -f1 /proc/net/dev | tail -n +3 | tr -d ' ' | sort > /ifaces\n"})

	res := e.build(t, "--network", "none", ctx)
	res.exits(t, 1)
	assert.Contains(t, res.stderr, "returned a non-zero code", "with --network none the download fails")

	e.build(t, "--network", "host", "-t", "localhost/net-host", ctx).ok(t)
	assert.Equal(t, "token-from-the-host\n", e.runOut(t, "localhost/net-host", "cat", "/got"), "--network host reaches the host's loopback")

	none := writeContext(t, map[string]string{"Dockerfile": "FROM {{busybox}}\nRUN cut -d: -f1 /proc/net/dev | tail -n +3 | tr -d ' ' | sort > /ifaces\n"})
	e.build(t, "--network", "none", "-t", "localhost/net-none", none).ok(t)
	assert.Equal(t, "lo\n", e.runOut(t, "localhost/net-none", "cat", "/ifaces"), "--network none: only lo")
}

func TestBuildKeepsTheOwnersRUNSets(t *testing.T) {
	e := buildEnv(t)
	ctx := writeContext(t, map[string]string{"Dockerfile": `FROM {{busybox}}
RUN mkdir /x && touch /x/f && chown 1000:1000 /x /x/f && touch /nobody && chown 65534:65534 /nobody && touch /top && chown 65536:65536 /top
USER 1000:1001
RUN touch /tmp/by-user
`})
	e.build(t, "-t", "localhost/owners", ctx).ok(t)
	img := savedTree(t, e, "localhost/owners")
	for p, want := range map[string][2]int{"/x": {1000, 1000}, "/x/f": {1000, 1000}, "/nobody": {65534, 65534}, "/top": {65536, 65536}, "/tmp/by-user": {1000, 1001}} {
		n, ok := img.files[p]
		if assert.True(t, ok, "%s is in the image", p) {
			assert.Equal(t, want, [2]int{n.uid, n.gid}, "%s's owner in the image", p)
		}
	}
	assert.Equal(t, "1000:1000\n", e.runOut(t, "localhost/owners", "stat", "-c", "%u:%g", "/x/f"), "and in a container of it")
}

func TestBuildWithAnIDOutsideTheMappingNamesEtcSubuid(t *testing.T) {
	e := buildEnv(t)
	for _, c := range []struct{ name, dockerfile string }{
		{"RUN chown", "FROM {{busybox}}\nRUN touch /x && chown 4000000000 /x\n"},
		{"COPY --chown", "FROM {{busybox}}\nCOPY --chown=4000000000:0 a.txt /a.txt\n"},
	} {
		t.Run(c.name, func(t *testing.T) {
			ctx := writeContext(t, map[string]string{"Dockerfile": c.dockerfile, "a.txt": "a\n"})
			res := e.build(t, ctx)
			res.exits(t, 1)
			assert.Contains(t, res.stderr, "/etc/subuid", "the message says where the mapped ids come from")
		})
	}
}

var debianPush struct {
	once sync.Once
	ref  string
	err  error
}

// debianRef pushes testbed.DebianBase (made by hack/setup-host.sh test)
// to the suite's registry, once, and returns its reference.
func debianRef(t *testing.T) string {
	t.Helper()
	debianPush.once.Do(func() {
		img, err := testbed.DebianBase(testbed.DebianBasePath)
		if err == nil {
			err = reg.Push(img)
		}
		debianPush.ref, debianPush.err = reg.Ref(img), err
	})
	require.NoError(t, debianPush.err, "the Debian base image (as root, `bash hack/setup-host.sh test` builds it with debootstrap)")
	return debianPush.ref
}

// The seed's case: a Debian 12 image, apt-get install in a RUN, the
// program runs; and adduser's owners survive the build.
func TestBuildOnDebianInstallsAPackageAndAddsAUser(t *testing.T) {
	e := newEnv(t)
	base := debianRef(t)
	e.urun(t, "pull", "-q", base).ok(t)
	t.Run("apt-get install stress", func(t *testing.T) {
		ctx := writeContext(t, map[string]string{"Dockerfile": "FROM " + base + "\nRUN apt-get -y update && apt-get -y install stress\n"})
		e.urunWith(t, runConf{timeout: 15 * time.Minute}, "build", "-t", "localhost/stress", ctx).ok(t)
		out := e.urun(t, "run", "--rm", "localhost/stress", "stress", "--version").ok(t)
		assert.Regexp(t, `^stress \d+\.\d+`, out)
	})
	t.Run("adduser", func(t *testing.T) {
		ctx := writeContext(t, map[string]string{"Dockerfile": "FROM " + base + "\nRUN adduser --disabled-password --gecos '' --uid 2000 builder && touch /home/builder/mine && chown builder:builder /home/builder/mine\n"})
		e.build(t, "-t", "localhost/adduser", ctx).ok(t)
		gid, err := strconv.Atoi(strings.TrimSpace(e.runOut(t, "localhost/adduser", "id", "-g", "builder")))
		require.NoError(t, err)
		img := savedTree(t, e, "localhost/adduser")
		for _, p := range []string{"/home/builder", "/home/builder/mine"} {
			assert.Equal(t, [2]int{2000, gid}, [2]int{img.files[p].uid, img.files[p].gid}, "%s's owner", p)
		}
		assert.Equal(t, "builder\n", e.runOut(t, "localhost/adduser", "stat", "-c", "%U", "/home/builder/mine"))
	})
}

func TestBuiltImageSavedByUrunRunsInPodman(t *testing.T) {
	e := buildEnv(t)
	ctx := writeContext(t, map[string]string{"Dockerfile": "FROM {{busybox}}\nRUN echo built-by-urun > /built\nUSER 1000\nCMD [\"cat\", \"/built\"]\n"})
	e.build(t, "-t", "localhost/for-podman", ctx).ok(t)
	for _, format := range []string{"docker-archive", "oci-archive"} {
		t.Run(format, func(t *testing.T) {
			archive := filepath.Join(mkTemp(t), "image.tar")
			e.urun(t, "save", "--format", format, "-o", archive, "localhost/for-podman").ok(t)
			pm := newPodmanWorld(t)
			pm.run(t, time.Minute, "load", "-i", archive).ok(t)
			out := pm.run(t, time.Minute, "run", "--rm", "--network", "none", "localhost/for-podman").ok(t)
			assert.Equal(t, "built-by-urun\n", out)
		})
	}
}

func TestBuiltImageHistoryHasOneEntryPerInstruction(t *testing.T) {
	e := buildEnv(t)
	ctx := writeContext(t, map[string]string{
		"a.txt":      "a\n",
		"Dockerfile": "FROM {{busybox}}\nENV A=1\nRUN echo x > /x\nCOPY a.txt /\nLABEL l=1\nWORKDIR /tmp\nCMD [\"sh\"]\n",
	})
	e.build(t, "-t", "localhost/history", ctx).ok(t)
	got := lines(e.urun(t, "history", "--no-trunc", "--format", "{{.CreatedBy}}", "localhost/history").ok(t))
	require.Len(t, got, 6+2, "one entry per instruction after FROM, then the base's two:\n%s", strings.Join(got, "\n"))
	for i, want := range []string{"CMD", "WORKDIR /tmp", "LABEL l=1", "COPY", "echo x > /x", "ENV A=1"} {
		assert.Contains(t, got[i], want, "entry %d (newest first)", i)
	}
	img := savedTree(t, e, "localhost/history")
	var empty []bool
	for _, h := range asSlice(img.config["history"])[2:] {
		empty = append(empty, asMap(h)["empty_layer"] == true)
	}
	assert.Equal(t, []bool{true, false, false, true, true, true}, empty, "ENV, LABEL, WORKDIR, CMD make no layer")
	assert.Equal(t, 2+2, img.layers, "the base's two layers, RUN's and COPY's")
}

func TestBuildKilledOrInterruptedLeavesNoHalfMadeImage(t *testing.T) {
	seed := *faultSeed
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	t.Logf("fault seed %d (replay with -fault.seed=%d)", seed, seed)
	rng := rand.New(rand.NewPCG(seed, seed^0x5bd1e995))
	files := map[string]string{
		"Dockerfile": `FROM {{busybox}}
COPY tree /tree
RUN sleep 0.4 && cat /proc/sys/kernel/random/uuid > /one
COPY big /big
RUN sleep 0.4 && cp /big /big2 && rm /big2
RUN sleep 0.2
CMD ["cat", "/one"]
`,
		"big": strings.Repeat("0123456789abcdef", 2<<20), // 32 MiB
	}
	for i := range 300 {
		files["tree/f"+strconv.Itoa(i)] = strings.Repeat("x", 16<<10)
	}
	ctx := writeContext(t, files)
	const tries = 8
	for _, sig := range []syscall.Signal{syscall.SIGKILL, syscall.SIGINT} {
		t.Run(sig.String(), func(t *testing.T) {
			f := newFaultEnv(t)
			f.urun(t, "pull", "-q", busyboxRef).ok(t)
			start := time.Now()
			f.build(t, "--no-cache", "-t", "localhost/measure", ctx).ok(t)
			took := time.Since(start)
			f.urun(t, "rmi", "localhost/measure").ok(t)
			before := lines(f.urun(t, "images", "--format", "{{.Repository}}:{{.Tag}}").ok(t))
			for i := 1; i <= tries; i++ {
				tag := "localhost/killed-" + strconv.Itoa(i)
				args := []string{"build", "--no-cache", "-t", tag, ctx}
				delay := time.Duration(rng.Float64() * 1.1 * float64(took))
				if sig == syscall.SIGKILL {
					f.killAfter(t, args, delay)
				} else {
					f.interruptAfter(t, args, delay)
				}
				f.urun(t, "ps", "-a").ok(t)
				listed := lines(f.urun(t, "images", "--format", "{{.Repository}}:{{.Tag}}").ok(t))
				bad := f.leftovers(t)
				for _, l := range listed {
					if !slices.Contains(before, l) && l != tag+":latest" {
						bad = append(bad, "a new image is listed: "+l)
					}
				}
				bad = append(bad, f.imageWholeOrGone(t, tag)...)
				if out := f.urun(t, "ps", "-a", "-q").ok(t); out != "" {
					bad = append(bad, "containers are listed: "+strings.Join(lines(out), " "))
				}
				if len(bad) > 0 {
					t.Errorf("a build that got %v after %v (try %d, of %v unharmed; seed %d) left:\n  %s",
						sig, delay.Round(time.Millisecond), i, took.Round(time.Millisecond), seed, strings.Join(bad, "\n  "))
				}
				f.urun(t, "rmi", tag)
			}
			f.build(t, "-t", "localhost/after-faults", ctx).ok(t)
			assert.Len(t, lines(f.runOut(t, "localhost/after-faults")), 1, "the build after them runs")
		})
	}
}

// interruptAfter starts urun with args in its own process group and sends
// the group SIGINT after delay (ctrl-c on a terminal does that), then
// waits up to 30 s for urun to end by itself, and for no process of the
// group to be left.
func (f *faultEnv) interruptAfter(t *testing.T, args []string, delay time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := f.command(ctx, args...)
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = io.Discard, &stderr
	require.NoError(t, cmd.Start())
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	select {
	case <-time.After(delay):
		syscall.Kill(-cmd.Process.Pid, syscall.SIGINT)
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			t.Errorf("%s did not end within 30s of SIGINT; stderr: %s", shellQuote(args), stderr.String())
			syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-done
		}
	case <-done:
	}
	if left := waitGroupGone(cmd.Process.Pid, 10*time.Second); len(left) > 0 {
		t.Errorf("processes %v of the interrupted %s are still there", left, shellQuote(args))
	}
}

func TestDiffListsAddedChangedAndDeletedPathsSortedAsDocker(t *testing.T) {
	e := containerEnv(t)
	e.urun(t, "run", "--name", "changed", "--network", "none", busyboxRef, "sh", "-c",
		"touch /new && mkdir -p /newdir/sub && rm /etc/layer2 && echo x >> /etc/passwd && rm -r /home/app && echo y > /tmp/t").ok(t)
	want := []string{
		"C /etc",
		"D /etc/layer2",
		"C /etc/passwd",
		"C /home",
		"D /home/app",
		"A /new",
		"A /newdir",
		"A /newdir/sub",
		"C /tmp",
		"A /tmp/t",
	}
	assert.Equal(t, want, lines(e.urun(t, "diff", "changed").ok(t)))
	assert.Equal(t, want, lines(e.urun(t, "container", "diff", "changed").ok(t)))

	res := e.urun(t, "diff", "no-such-container")
	res.exits(t, 1)
	assert.Contains(t, res.stderr, "no-such-container")
}

func TestCommitMakesARunnableImageWithTheChangesAndMetadata(t *testing.T) {
	e := containerEnv(t)
	e.urun(t, "run", "--name", "src", "--network", "none", busyboxRef, "sh", "-c", "echo committed > /committed && rm /etc/layer2").ok(t)
	out := e.urun(t, "commit", "-c", `CMD ["cat","/committed"]`, "-c", "ENV C=1", "-c", "LABEL l=v", "-c", "EXPOSE 8080",
		"-c", "WORKDIR /tmp", "-c", "USER app", "-m", "msg", "-a", "me", "src", "localhost/committed:v1").ok(t)
	require.Regexp(t, `^sha256:[0-9a-f]{64}\n$`, out)
	assert.Equal(t, strings.TrimPrefix(strings.TrimSpace(out), "sha256:"), strings.TrimPrefix(e.imageID(t, "localhost/committed:v1"), "sha256:"))
	assert.Equal(t, "committed\n", e.urun(t, "run", "--rm", "--network", "none", "localhost/committed:v1").ok(t), "CMD from -c")
	assert.Equal(t, "app /tmp 1\n", e.runOut(t, "localhost/committed:v1", "sh", "-c", `echo "$(id -un) $(pwd) $C"`))
	assert.NotEqual(t, 0, e.urun(t, "run", "--rm", "--network", "none", "localhost/committed:v1", "test", "-e", "/etc/layer2").code, "the deletion is committed")

	img := savedTree(t, e, "localhost/committed:v1")
	assert.Equal(t, "me", img.config["author"])
	history := asSlice(img.config["history"])
	last := asMap(history[len(history)-1])
	assert.Equal(t, "msg", last["comment"], "-m is the new history entry's comment")
	assert.Len(t, history, 3, "the base's two entries and the commit's")
	rc := asMap(img.config["config"])
	assert.Equal(t, map[string]any{"l": "v"}, rc["Labels"])
	assert.Contains(t, rc["ExposedPorts"], "8080/tcp")

	// Without -c the image runs what the container ran; a repository
	// without a tag is :latest.
	e.urun(t, "commit", "src", "localhost/committed").ok(t)
	var cmd []string
	require.NoError(t, json.Unmarshal([]byte(e.urun(t, "image", "inspect", "-f", "{{json .Config.Cmd}}", "localhost/committed:latest").ok(t)), &cmd))
	assert.Equal(t, []string{"sh", "-c", "echo committed > /committed && rm /etc/layer2"}, cmd)
	// Without a name the image is only an id.
	id := strings.TrimSpace(e.urun(t, "commit", "-p", "src").ok(t))
	assert.Regexp(t, imageIDLine, id)
	assert.Contains(t, lines(e.urun(t, "images", "-q", "--no-trunc").ok(t)), id)

	res := e.urun(t, "commit", "-c", "FROBNICATE x", "src", "localhost/bad")
	res.exits(t, 1)
	assert.Contains(t, res.stderr, "FROBNICATE")
}

func TestCommitOfARunningContainerUnpausedKeepsItRunning(t *testing.T) {
	e := containerEnv(t)
	id := e.runDetached(t, "--network", "none", busyboxRef, "sh", "-c", "echo live > /live && exec sleep 600")
	marker := filepath.Join(e.GraphRoot(), "urun-containers", id, "diff", "live")
	require.Eventually(t, func() bool { _, err := os.Stat(marker); return err == nil }, 10*time.Second, 20*time.Millisecond)
	e.urun(t, "commit", "--pause=false", id, "localhost/live").ok(t)
	assert.Equal(t, "live\n", e.runOut(t, "localhost/live", "cat", "/live"))
	assert.Equal(t, "running false\n", e.urun(t, "inspect", "-f", "{{.State.Status}} {{.State.Paused}}", id).ok(t), "still running, not left paused")
}

// In the VM test bed, where containers have a cgroup to freeze: commit
// pauses a running container by default (-p), commits what it wrote, and
// leaves it running.
func TestVMCommitPausesARunningContainerAndResumesIt(t *testing.T) {
	inVM(t)
	e := sharedStore(t)
	count := startCounter(t, e, "commit-counter")
	e.urun(t, "exec", "commit-counter", "sh", "-c", "echo inside > /inside").ok(t)
	e.urun(t, "commit", "commit-counter", "localhost/vm-committed").ok(t)
	assert.Equal(t, "running false\n", e.urun(t, "inspect", "-f", "{{.State.Status}} {{.State.Paused}}", "commit-counter").ok(t))
	after := count()
	require.Eventually(t, func() bool { return count() > after }, 10*time.Second, 50*time.Millisecond, "it counts on after the commit")
	assert.Equal(t, "inside\n", e.runOut(t, "localhost/vm-committed", "cat", "/inside"))
	e.urun(t, "rmi", "localhost/vm-committed").ok(t)
}
