package test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Docker's flags of the image commands beyond their basics: image prune
// --filter and build's --add-host, --shm-size and --ulimit.

// haveImages says, for each reference, whether the store still has it.
func haveImages(t *testing.T, e *env, refs ...string) []bool {
	t.Helper()
	have := make([]bool, len(refs))
	for i, ref := range refs {
		have[i] = e.urun(t, "image", "inspect", "-f", "{{.Id}}", ref).code == 0
	}
	return have
}

func TestImagePruneRemovesOnlyTheImagesItsFiltersMatch(t *testing.T) {
	// busybox is the fixture (created 2024-01-01, no labels); the two
	// built images are made now, with a purpose label.
	for _, tc := range []struct {
		name  string
		flags []string
		// kept: busybox, localhost/scratch, localhost/keeper
		kept [3]bool
	}{
		{"label=KEY=VALUE removes the images with that label", []string{"-a", "--filter", "label=purpose=scratch"}, [3]bool{true, false, true}},
		{"label=KEY removes the images with that label whatever its value", []string{"-a", "--filter", "label=purpose"}, [3]bool{true, false, false}},
		{"label!=KEY removes the images without that label", []string{"-a", "--filter", "label!=purpose"}, [3]bool{false, true, true}},
		{"label!=KEY=VALUE removes the images without that value", []string{"-a", "--filter", "label!=purpose=keep"}, [3]bool{false, false, true}},
		{"until=TIME removes the images created before it", []string{"-a", "--filter", "until=2025-01-01T00:00:00"}, [3]bool{false, true, true}},
		{"until=DURATION keeps the images made since", []string{"-a", "--filter", "until=24h"}, [3]bool{false, true, true}},
		{"filters together must all match", []string{"-a", "--filter", "label=purpose", "--filter", "until=2025-01-01"}, [3]bool{true, true, true}},
		{"without -a named images stay whatever the filter", []string{"--filter", "label=purpose=scratch"}, [3]bool{true, true, true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := buildEnv(t)
			ctx := writeContext(t, map[string]string{"Dockerfile": "FROM {{busybox}}\nLABEL made=now\n"})
			e.build(t, "-q", "--label", "purpose=scratch", "-t", "localhost/scratch", ctx).ok(t)
			e.build(t, "-q", "--label", "purpose=keep", "-t", "localhost/keeper", ctx).ok(t)
			out := e.urun(t, append([]string{"image", "prune", "-f"}, tc.flags...)...).ok(t)
			assert.Regexp(t, `(?m)^Total reclaimed space: `, out)
			got := haveImages(t, e, busyboxRef, "localhost/scratch", "localhost/keeper")
			assert.Equal(t, tc.kept[:], got, "kept busybox, scratch, keeper; prune said:\n%s", out)
		})
	}
}

func TestImagePruneWithABadFilterExitsOneAndRemovesNothing(t *testing.T) {
	e := newEnv(t)
	e.urun(t, "pull", "-q", busyboxRef).ok(t)
	for _, filter := range []string{"color=red", "until=yesterday", "label"} {
		t.Run(filter, func(t *testing.T) {
			bad := e.urun(t, "image", "prune", "-a", "-f", "--filter", filter)
			bad.exits(t, 1)
			assert.Contains(t, bad.stderr, "--filter")
			assert.Equal(t, []bool{true}, haveImages(t, e, busyboxRef))
		})
	}
}

func TestBuildRunStepsSeeAddHostShmSizeAndUlimit(t *testing.T) {
	e := buildEnv(t)
	ctx := writeContext(t, map[string]string{"Dockerfile": `FROM {{busybox}}
RUN grep -v localhost /etc/hosts | grep -v '^127.0.1.1' > /hosts; df -k /dev/shm | tail -1 | awk '{print $2}' > /shm; ulimit -Sn > /nofile; ulimit -Hn >> /nofile
`})
	e.build(t, "--add-host", "db.example:10.1.2.3", "--add-host", "v6.example=[fd00::7]", "--add-host", "gw:host-gateway",
		"--shm-size", "128m", "--ulimit", "nofile=512:1024", "-t", "localhost/runflags", ctx).ok(t)
	assert.Equal(t, "10.1.2.3\tdb.example\nfd00::7\tv6.example\n127.0.0.1\tgw\n", e.runOut(t, "localhost/runflags", "cat", "/hosts"))
	assert.Equal(t, "131072\n", e.runOut(t, "localhost/runflags", "cat", "/shm"))
	assert.Equal(t, "512\n1024\n", e.runOut(t, "localhost/runflags", "cat", "/nofile"))

	again := []string{"--add-host", "db.example:10.1.2.3", "--add-host", "v6.example=[fd00::7]", "--add-host", "gw:host-gateway",
		"--shm-size", "128m", "--ulimit", "nofile=512:1024", "-t", "localhost/runflags", ctx}
	steps, _ := parseSteps(e.build(t, again...).ok(t))
	assert.Equal(t, []string{"cache"}, cacheUse(steps), "the same flags: the RUN comes from the cache")

	steps, _ = parseSteps(e.build(t, "--add-host", "db.example:10.9.9.9", "--shm-size", "128m", "--ulimit", "nofile=512:1024", "-t", "localhost/runflags", ctx).ok(t))
	assert.Equal(t, []string{"built"}, cacheUse(steps), "another --add-host runs the RUN again")
	assert.Equal(t, "10.9.9.9\tdb.example\n", e.runOut(t, "localhost/runflags", "cat", "/hosts"))

	steps, _ = parseSteps(e.build(t, "-t", "localhost/runflags", ctx).ok(t))
	assert.Equal(t, []string{"built"}, cacheUse(steps), "without the flags the RUN runs again")
	assert.Equal(t, "65536\n", e.runOut(t, "localhost/runflags", "cat", "/shm"), "Docker's 64 MiB")
}

func TestBuildRefusesBadRunFlagsWithExitOne(t *testing.T) {
	e := newEnv(t)
	ctx := writeContext(t, map[string]string{"Dockerfile": "FROM {{busybox}}\nRUN true\n"})
	for _, tc := range []struct {
		name  string
		flags []string
		want  string
	}{
		{"an --add-host without an IP", []string{"--add-host", "db"}, "want NAME:IP"},
		{"an --add-host whose IP is a name", []string{"--add-host", "db:somewhere"}, "is not an IP address"},
		{"a --shm-size that is no size", []string{"--shm-size", "lots"}, "--shm-size"},
		{"a --ulimit of an unknown type", []string{"--ulimit", "wings=2"}, "--ulimit"},
		{"a --ulimit whose soft limit is above its hard one", []string{"--ulimit", "nofile=2048:1024"}, "soft limit must be less than or equal to hard limit"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.build(t, append(tc.flags, ctx)...)
			r.exits(t, 1)
			require.Contains(t, r.stderr, tc.want)
		})
	}
}

func TestPushAllTagsThenPullAllTagsElsewhere(t *testing.T) {
	e := newEnv(t)
	e.urun(t, "pull", "-q", busyboxRef).ok(t)
	e.urun(t, "pull", "-q", appRef).ok(t)
	repo := fmt.Sprintf("%s/alltags/r%d", reg.Addr(), time.Now().UnixNano())
	e.urun(t, "tag", busyboxRef, repo+":one").ok(t)
	e.urun(t, "tag", appRef, repo+":two").ok(t)
	e.urun(t, "tag", appRef, "localhost/elsewhere:two").ok(t)

	out := e.urun(t, "push", "-a", "--tls-verify=false", repo).ok(t)
	assert.Equal(t, 1, strings.Count(out, "The push refers to repository ["+repo+"]"), "said once:\n%s", out)
	assert.Regexp(t, `(?m)^one: digest: sha256:[0-9a-f]{64} size: \d+$`, out)
	assert.Regexp(t, `(?m)^two: digest: sha256:[0-9a-f]{64} size: \d+$`, out)
	quiet := e.urun(t, "image", "push", "--all-tags", "-q", "--tls-verify=false", repo).ok(t)
	assert.Equal(t, repo+":one\n"+repo+":two\n", quiet)

	fresh := newEnv(t)
	out = fresh.urun(t, "pull", "-a", "--tls-verify=false", repo).ok(t)
	assert.Equal(t, repo, lines(out)[len(lines(out))-1], "the repository's name last, as Docker's")
	assert.Contains(t, out, "one: Pulling from ")
	assert.Contains(t, out, "two: Pulling from ")
	for _, tag := range []string{"one", "two"} {
		assert.Equal(t, e.imageID(t, repo+":"+tag), fresh.imageID(t, repo+":"+tag), "tag %s", tag)
	}
	assert.Equal(t, repo+"\n", newEnv(t).urun(t, "image", "pull", "--all-tags", "-q", "--tls-verify=false", repo).ok(t))
}

func TestPullAndPushAllTagsRefuseWhatTheyCannotDo(t *testing.T) {
	e := newEnv(t)
	e.urun(t, "pull", "-q", busyboxRef).ok(t)
	missing := fmt.Sprintf("%s/alltags/none%d", reg.Addr(), time.Now().UnixNano())
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"pull -a with a tag", []string{"pull", "-a", "--tls-verify=false", busyboxRef}, "tag can't be used with --all-tags/-a"},
		{"push -a with a tag", []string{"push", "-a", "--tls-verify=false", busyboxRef}, "tag can't be used with --all-tags/-a"},
		{"push -a with a destination", []string{"push", "-a", "--tls-verify=false", missing, missing + ":x"}, "leave out the destination"},
		{"push -a of a repository the store has no tag of", []string{"push", "-a", "--tls-verify=false", missing}, "no tag of that repository"},
		{"pull -a of a repository the registry does not have", []string{"pull", "-a", "--tls-verify=false", missing}, "list the tags of"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.urun(t, tc.args...)
			r.exits(t, 1)
			assert.Contains(t, r.stderr, tc.want)
		})
	}
}

func TestSearchFilterKeepsOnlyWhatMatches(t *testing.T) {
	// The suite's registry is searched through its v2 catalog: no stars,
	// nothing official, nothing automated.
	e := newEnv(t)
	// Other tests push repositories to the same registry: a filter that
	// keeps everything keeps what the unfiltered search finds.
	every := lines(e.urun(t, "search", "--format", "{{.Name}}", reg.Addr()+"/busybox").ok(t))
	require.Contains(t, every, reg.Addr()+"/library/busybox")
	for _, tc := range []struct {
		name    string
		filters []string
		want    []string
	}{
		{"stars=0 keeps every result", []string{"--filter", "stars=0"}, every},
		{"stars above 0 leaves nothing of a registry without stars", []string{"--filter", "stars=1"}, nil},
		{"is-official=true leaves nothing", []string{"-f", "is-official=true"}, nil},
		{"is-official=false keeps every result", []string{"-f", "is-official=false"}, every},
		{"is-automated=false with stars=0", []string{"-f", "is-automated=false", "-f", "stars=0"}, every},
	} {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"search", "--format", "{{.Name}}"}, tc.filters...)
			res := e.urun(t, append(args, reg.Addr()+"/busybox")...)
			res.ok(t)
			assert.Equal(t, tc.want, lines(res.stdout))
			if tc.want == nil {
				assert.Contains(t, res.stderr, "No repository in "+reg.Addr())
			}
		})
	}
	bad := e.urun(t, "search", "--filter", "stars=lots", reg.Addr()+"/busybox")
	bad.exits(t, 1)
	assert.Contains(t, bad.stderr, "invalid filter")
}
