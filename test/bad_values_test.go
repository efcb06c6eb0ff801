package test

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// badValue is one malformed value of a flag of `urun run` and `urun
// create`.
type badValue struct {
	flag  string // the long name, without --
	value string
}

// badValues gives every flag of `urun run` that takes a value at least one
// malformed value (TestEveryRunFlagWithAValueHasABadValue keeps the list
// whole).
var badValues = []badValue{
	{"add-host", "bogus"},
	{"annotation", "novalue"},
	{"annotation", "=x"},
	{"annotation", "run.urun.seccomp=unconfined"},
	{"add-host", "db\nevil:1.2.3.4"},
	{"add-host", "db:1.2.3.4\n"},
	{"blkio-weight", "5"},
	{"blkio-weight", "heavy"},
	{"cap-add", "NOPE"},
	{"cap-drop", "NOPE"},
	{"cgroup-manager", "bogus"},
	{"cgroup-parent", "../x"},
	{"cgroup-parent", "-bad.slice"},
	{"cgroupns", "bogus"},
	{"cgroups", "bogus"},
	{"cidfile", "/etc/hostname"},
	{"cpu-period", "5"},
	{"cpu-period", "often"},
	{"cpu-quota", "5"},
	{"cpu-quota", "some"},
	{"cpu-shares", "1"},
	{"cpu-shares", "many"},
	{"cpus", ""},
	{"cpus", "two"},
	{"cpus", "-1"},
	{"cpuset-cpus", "x"},
	{"cpuset-mems", "1-0"},
	{"device", "/nonexistent"},
	{"device", "/dev/null:/x"},
	{"device-read-bps", "bogus"},
	{"device-read-iops", "bogus"},
	{"device-write-bps", "bogus"},
	{"device-write-iops", "bogus"},
	{"domainname", "a b"},
	{"domainname", "x\ny"},
	{"dns", "999.1.1.1"},
	{"dns", ""},
	{"dns-option", "ndots:1\nnameserver 6.6.6.6"},
	{"dns-option", "a b"},
	{"dns-search", "bad..domain"},
	{"dns-search", "a\nnameserver 6.6.6.6"},
	{"env", "=x"},
	{"env", "="},
	{"env-file", "/nonexistent/env"},
	{"health-interval", "-1s"},
	{"health-interval", "often"},
	{"health-retries", "-1"},
	{"health-retries", "many"},
	{"health-start-interval", "-5s"},
	{"health-start-interval", "soon"},
	{"health-start-period", "-5s"},
	{"health-start-period", "1µs"},
	{"health-timeout", "-1s"},
	{"health-timeout", "1ns"},
	{"expose", "web"},
	{"expose", "80/icmp"},
	{"gpus", "bogus"},
	{"gpus", "driver=amd"},
	{"group-add", "a,b"},
	{"group-add", ""},
	{"hostname", "web\nevil"},
	{"ipc", "bogus"},
	{"ipc", "container:nosuch"},
	{"ip", "1.2.3"},
	{"ip", "10.99.0.5"},
	{"label", "=x"},
	{"label-file", "/nonexistent/labels"},
	{"link", "a:b:c"},
	{"hostname", strings.Repeat("h", 65)},
	{"attach", "stdall"},
	{"detach-keys", "ctrl-1"},
	{"detach-keys", "p,,q"},
	{"log-driver", "syslog"},
	{"log-opt", "max-size=lots"},
	{"log-opt", "bogus"},
	{"log-opt", "compress=true"},
	{"log-opt", "tag={{.Name"},
	{"memory", ""},
	{"memory", "lots"},
	{"memory-reservation", ""},
	{"memory-reservation", "lots"},
	{"memory-swap", ""},
	{"memory-swap", "lots"},
	{"memory-swappiness", "101"},
	{"memory-swappiness", "many"},
	{"mount", "type=bogus,target=/x"},
	{"mount", "type=image,target=/x"},
	{"mount", "type=bind,source=/tmp,target=/x\n"},
	{"name", "bad/name"},
	{"network", "bogus"},
	{"network-alias", "web"},
	{"network-alias", "a b"},
	{"oom-score-adj", "2000"},
	{"oom-score-adj", "high"},
	{"pid", "bogus"},
	{"pid", "container:"},
	{"pid", "container:nosuch"},
	{"pids-limit", "few"},
	{"platform", "bogus"},
	{"publish", "99999:80"},
	{"pull", "sometimes"},
	{"publish", "web"},
	{"restart", "bogus"},
	{"restart", "on-failure:x"},
	{"shm-size", "0"},
	{"shm-size", "big"},
	{"security-opt", "bogus"},
	{"security-opt", "seccomp=/etc/hostname"},
	{"sysctl", "kernel.hostname=x"},
	{"sysctl", "net.ipv4.ip_forward"},
	{"stop-signal", "BOGUS"},
	{"stop-timeout", "-5"},
	{"stop-timeout", "long"},
	{"tmpfs", "relative"},
	{"tmpfs", "/x\n"},
	{"ulimit", "nofile"},
	{"ulimit", "nofile=10:5"},
	{"ulimit", "bogus=1"},
	{"user", "a:b:c"},
	{"user", "root:"},
	{"userns", "bogus"},
	{"userns", "keep-id:uid=x"},
	{"uts", "bogus"},
	{"uts", "container:nosuch"},
	{"volume", "/tmp:/x:ro,rw"},
	{"volume", "/tmp:/x\n"},
	{"volume", "/tmp\n:/x"},
	{"volume", "my/vol:/x"},
	{"volumes-from", "nosuch"},
	{"workdir", "relative"},
}

// runOnly are the flags `urun run` has and `urun create` does not, as
// Docker's.
var runOnly = map[string]bool{"detach-keys": true}

// acceptsEveryValue are the flags with a value of which every value means
// something, and why.
var acceptsEveryValue = map[string]string{
	"entrypoint": "any text is a command ('' clears the image's entrypoint), found or not when the container starts (127)",
	"health-cmd": "any text is a shell command line, which fails or not when the check runs",
}

// valueFlagsOfRunHelp lists the flags `urun run --help` shows with a
// value (a type after the name), without the global ones, with their
// shorthands.
func valueFlagsOfRunHelp(t *testing.T, e *env, command string) map[string]string {
	t.Helper()
	help := e.urun(t, command, "--help").ok(t)
	help, _, _ = strings.Cut(help, "Global Flags:")
	flags := map[string]string{}
	re := regexp.MustCompile(`(?m)^\s+(?:-(\w), )?--([a-z-]+) (\w+)  `)
	for _, m := range re.FindAllStringSubmatch(help, -1) {
		flags[m[2]] = m[1]
	}
	require.NotEmpty(t, flags, "urun %s --help lists flags with values", command)
	return flags
}

func TestEveryRunFlagWithAValueHasABadValue(t *testing.T) {
	e := newEnv(t)
	for _, command := range []string{"run", "create"} {
		covered := map[string]bool{}
		for _, b := range badValues {
			covered[b.flag] = command == "run" || !runOnly[b.flag]
		}
		var missing []string
		for flag := range valueFlagsOfRunHelp(t, e, command) {
			if !covered[flag] && acceptsEveryValue[flag] == "" {
				missing = append(missing, flag)
			}
		}
		sort.Strings(missing)
		assert.Empty(t, missing, "flags of urun %s without a malformed value in badValues", command)
	}
}

// shownValue is how an error message shows value: quoted when it is
// empty or has control characters.
func shownValue(value string) string {
	if value == "" {
		return `""`
	}
	return strings.Trim(strconv.Quote(value), `"`)
}

// TestRunAndCreateRefuseEveryMalformedValueAndLeaveNothing gives `urun run
// --rm` and `urun create` each malformed value: each must exit 125 with a
// message naming the flag and the value, before anything is made: no
// container in ps -a, no directory in the store or the run root, and the
// name it asked for still free.
func TestRunAndCreateRefuseEveryMalformedValueAndLeaveNothing(t *testing.T) {
	e := containerEnv(t)
	shorthands := valueFlagsOfRunHelp(t, e, "run")
	// A seccomp profile that reads as JSON but that libseccomp cannot
	// compile (urun compiles it only when the container starts).
	profile := filepath.Join(e.dir, "bad-seccomp.json")
	require.NoError(t, os.WriteFile(profile, []byte(`{"defaultAction":"SCMP_ACT_BOGUS"}`), 0o600))
	cases := append(slices.Clone(badValues), badValue{"security-opt", "seccomp=" + profile})
	for _, command := range []string{"run", "create"} {
		for _, b := range cases {
			if command != "run" && runOnly[b.flag] {
				continue
			}
			t.Run(command+" --"+b.flag+"="+strconv.Quote(b.value), func(t *testing.T) {
				args := []string{command}
				if command == "run" {
					args = append(args, "--rm")
				}
				args = append(args, "--name", "probe", "--"+b.flag, b.value, busyboxRef, "true")
				res := e.urun(t, args...)
				res.exits(t, 125)
				names := "--" + b.flag
				if s := shorthands[b.flag]; s != "" && !strings.Contains(res.stderr, names) {
					names = "-" + s
				}
				assert.Contains(t, res.stderr, names, "the message names the flag")
				assert.Contains(t, res.stderr, shownValue(b.value), "the message names the value")
				assert.Empty(t, e.urun(t, "ps", "-aq").ok(t), "no container is left")
				layers, states := e.containerDirs(t)
				assert.Empty(t, layers, "no writable layer is left")
				assert.Empty(t, states, "no run state is left")
			})
		}
	}
	e.urun(t, "run", "--rm", "--name", "probe", busyboxRef, "true").ok(t)
}

func TestRunDashHIsTheHostName(t *testing.T) {
	e := containerEnv(t)
	assert.Equal(t, "web\n", e.urun(t, "run", "--rm", "-h", "web", busyboxRef, "hostname").ok(t))
	id := strings.TrimSpace(e.urun(t, "create", "-h", "db", busyboxRef, "hostname").ok(t))
	assert.Equal(t, "db\n", e.urun(t, "start", "-a", id).ok(t))
	for _, command := range []string{"run", "create"} {
		assert.Contains(t, e.urun(t, command, "--help").ok(t), "-h, --hostname", "urun %s --help", command)
	}
}

func TestInspectOfAFieldTheDocumentLacksFails(t *testing.T) {
	e := containerEnv(t)
	e.urun(t, "create", "--name", "c1", busyboxRef, "true").ok(t)
	for _, ref := range []string{"c1", busyboxRef} {
		for _, format := range []string{"{{.X.Y.Z}}", "{{.State.Nope}}", "{{.Config.Nope}}"} {
			t.Run(ref+" "+format, func(t *testing.T) {
				res := e.urun(t, "inspect", "-f", format, ref)
				res.exits(t, 1)
				assert.Contains(t, res.stderr, "--format "+strconv.Quote(format))
				assert.Regexp(t, `map has no entry for key|can't evaluate field`, res.stderr)
				assert.Empty(t, strings.TrimSpace(res.stdout))
			})
		}
	}
	assert.Equal(t, "created\n", e.urun(t, "inspect", "-f", "{{.State.Status}}", "c1").ok(t), "a field it has still works")
}

func TestTagRefusesAMalformedName(t *testing.T) {
	e := containerEnv(t)
	for _, name := range []string{"../x", "quay..io/x", "a b", "UPPER"} {
		t.Run(name, func(t *testing.T) {
			res := e.urun(t, "tag", busyboxRef, name)
			res.exits(t, 1)
			assert.Contains(t, res.stderr, name)
		})
	}
	assert.Equal(t, []string{busyboxRef}, lines(e.urun(t, "images", "--format", "{{.Repository}}:{{.Tag}}").ok(t)), "no name was added")
}

// TestAMalformedValueFailsBeforeThePull runs with an image not stored yet:
// a value that is wrong whatever the image fails before urun pulls it.
func TestAMalformedValueFailsBeforeThePull(t *testing.T) {
	e := newEnvWith(t, envOptions{explicitRoot: true})
	for _, b := range []badValue{{"dns", "999.1.1.1"}, {"add-host", "bogus"}, {"env", "=x"}, {"memory-swap", "lots"}, {"volume", "/tmp:/x:ro,rw"}, {"user", "a:b:c"}, {"name", "bad/name"}, {"cap-add", "NOPE"}, {"security-opt", "bogus"}} {
		t.Run(b.flag, func(t *testing.T) {
			res := e.urun(t, "run", "--rm", "--"+b.flag, b.value, busyboxRef, "true")
			res.exits(t, 125)
			assert.Contains(t, res.stderr, b.value)
			assert.NotContains(t, res.stderr, "Unable to find image", "nothing is pulled for a run that cannot be")
		})
	}
	assert.Empty(t, e.urun(t, "images", "-q").ok(t), "no image was pulled")
}

// TestRunRmThatCannotStartLeavesNothing: what only the image can tell
// (a user it lacks, a command it lacks) fails when the container starts;
// with --rm nothing is left of it, as with Docker.
func TestRunRmThatCannotStartLeavesNothing(t *testing.T) {
	e := containerEnv(t)
	for _, args := range [][]string{
		{"-u", "nosuchuser", busyboxRef, "true"},
		{busyboxRef, "no-such-command"},
		{"-w", "/etc/passwd", busyboxRef, "true"},
	} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			res := e.urun(t, append([]string{"run", "--rm", "--name", "probe"}, args...)...)
			assert.NotEqual(t, 0, res.code, "it cannot start")
			assert.Empty(t, e.urun(t, "ps", "-aq").ok(t), "no container is left")
			layers, states := e.containerDirs(t)
			assert.Empty(t, layers, "no writable layer is left")
			assert.Empty(t, states, "no run state is left")
		})
	}
}
