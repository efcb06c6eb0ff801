package test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestRunWithLabelsShowsThemInPsAndInspect gives containers labels with
// -l, --label and --label-file on an image with labels of its own: the
// container has the image's with its own over them, as with Docker, and
// ps filters and columns and inspect show them.
func TestRunWithLabelsShowsThemInPsAndInspect(t *testing.T) {
	e := containerEnv(t)
	ctx := writeContext(t, map[string]string{"Dockerfile": "FROM {{busybox}}\nLABEL tier=image owner=image\n"})
	e.build(t, "-t", "labelled", ctx).ok(t)
	file := filepath.Join(e.dir, "labels")
	require.NoError(t, os.WriteFile(file, []byte("# the team's\n  team=web\nflag\nowner=file\n"), 0o600))

	e.urun(t, "create", "--name", "front", "-l", "tier=front", "--label-file", file, "labelled", "true").ok(t)
	e.urun(t, "run", "--name", "back", "--label", "tier=back", "--label", "owner=flag", "labelled", "true").ok(t)
	e.urun(t, "run", "--name", "plain", busyboxRef, "true").ok(t)
	t.Cleanup(func() { e.urun(t, "rm", "-f", "front", "back", "plain") })

	for _, tt := range []struct {
		name string
		args []string
		want string
	}{
		{"filter by a label's value", []string{"--filter", "label=tier=front"}, "front\n"},
		{"filter by the image's label", []string{"--filter", "label=owner=image"}, ""},
		{"filter by a label set", []string{"--filter", "label=team"}, "front\n"},
		{"filter by a label with an empty value", []string{"--filter", "label=flag="}, "front\n"},
		{"filter by a label of the image both have", []string{"--filter", "label=tier"}, "back\nfront\n"},
		{"two label filters must both match", []string{"--filter", "label=tier", "--filter", "label=owner=flag"}, "back\n"},
		{"a label nobody has", []string{"--filter", "label=nosuch"}, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := e.urun(t, append([]string{"ps", "-a", "--format", "{{.Names}}"}, tt.args...)...).ok(t)
			assert.ElementsMatch(t, lines(tt.want), lines(got))
		})
	}

	assert.Equal(t, "front\n", e.urun(t, "ps", "-a", "--filter", "name=front", "--format", `{{.Label "tier"}}`).ok(t))
	assert.Equal(t, "flag=,owner=file,team=web,tier=front\n", sortedLabels(e.urun(t, "ps", "-a", "--filter", "name=front", "--format", "{{.Labels}}").ok(t)))

	var labels map[string]string
	require.NoError(t, json.Unmarshal([]byte(e.urun(t, "inspect", "-f", "{{json .Config.Labels}}", "back").ok(t)), &labels))
	assert.Equal(t, map[string]string{"tier": "back", "owner": "flag"}, labels, "the image's labels, with the flags' over them")
	assert.Equal(t, "{}\n", e.urun(t, "inspect", "-f", "{{json .Config.Labels}}", "plain").ok(t))

	e.urun(t, "start", "--all", "--filter", "label=tier=back").ok(t)
}

// sortedLabels sorts the K=V,K=V list ps prints (in no set order).
func sortedLabels(s string) string {
	parts := strings.Split(strings.TrimSpace(s), ",")
	for i := range parts {
		for j := i + 1; j < len(parts); j++ {
			if parts[j] < parts[i] {
				parts[i], parts[j] = parts[j], parts[i]
			}
		}
	}
	return strings.Join(parts, ",") + "\n"
}

// TestRunPullPolicy runs with --pull missing, always and never. The name
// of the busybox fixture is first given to the app fixture locally, so
// that whether urun pulled shows in the image the container got.
func TestRunPullPolicy(t *testing.T) {
	e := containerEnv(t)
	busyboxID := strings.TrimPrefix(e.imageID(t, busyboxRef), "sha256:")
	e.urun(t, "pull", "-q", appRef).ok(t)
	appID := strings.TrimPrefix(e.imageID(t, appRef), "sha256:")
	require.NotEqual(t, busyboxID, appID)

	for _, tt := range []struct {
		name    string
		command []string
		want    string // the image id the container got
	}{
		{"missing, the default, uses the stored image", []string{"create"}, "app"},
		{"missing uses the stored image", []string{"create", "--pull", "missing"}, "app"},
		{"never uses the stored image", []string{"run", "--pull", "never"}, "app"},
		{"always pulls though it is stored", []string{"run", "--pull", "always"}, "busybox"},
		{"create --pull always pulls too", []string{"create", "--pull=always"}, "busybox"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e.urun(t, "tag", appRef, busyboxRef).ok(t)
			args := append(append([]string{}, tt.command...), "--name", "probe", busyboxRef, "true")
			e.urun(t, args...).ok(t)
			defer e.urun(t, "rm", "-f", "probe")
			want := map[string]string{"app": appID, "busybox": busyboxID}[tt.want]
			assert.Equal(t, want, strings.TrimPrefix(e.inspect(t, "probe").Image, "sha256:"))
		})
	}

	fresh := newEnvWith(t, envOptions{explicitRoot: true})
	for _, command := range []string{"run", "create"} {
		res := fresh.urun(t, command, "--pull", "never", busyboxRef, "true")
		res.exits(t, 125)
		assert.Contains(t, res.stderr, "No such image: "+busyboxRef)
		assert.NotContains(t, res.stderr, "Unable to find image")
	}
	assert.Empty(t, fresh.urun(t, "images", "-q").ok(t), "--pull never pulled nothing")
	assert.Empty(t, fresh.urun(t, "ps", "-aq").ok(t), "and made no container")
}

// TestRunExposeAddsToTheImagesPorts: --expose adds ports and ranges to
// those the image exposes; inspect shows them and -P publishes them.
func TestRunExposeAddsToTheImagesPorts(t *testing.T) {
	e := containerEnv(t)
	e.urun(t, "create", "--name", "exposed", "--expose", "80", "--expose", "53/udp", "--expose", "8000-8001", busyboxRef, "true").ok(t)
	t.Cleanup(func() { e.urun(t, "rm", "-f", "exposed") })
	var ports map[string]struct{}
	require.NoError(t, json.Unmarshal([]byte(e.urun(t, "inspect", "-f", "{{json .Config.ExposedPorts}}", "exposed").ok(t)), &ports))
	assert.Equal(t, map[string]struct{}{"80/tcp": {}, "53/udp": {}, "8000/tcp": {}, "8001/tcp": {}}, ports)

	e.runDetachedNamed(t, "published", "-P", "--expose", "8080", busyboxRef, "sleep", uniqueSleep())
	out := e.urun(t, "port", "published").ok(t)
	assert.Regexp(t, `(?m)^8080/tcp -> 0\.0\.0\.0:[0-9]+$`, out, "-P publishes the exposed port")
}

// TestRunCIDFileHoldsTheContainersID: --cidfile writes the id (with -d,
// in the foreground, with --rm, and by create), and refuses a file that
// is there, as Docker does.
func TestRunCIDFileHoldsTheContainersID(t *testing.T) {
	e := containerEnv(t)
	dir := mkTemp(t)
	for _, tt := range []struct {
		name string
		args []string
	}{
		{"run -d", []string{"run", "-d"}},
		{"run in the foreground", []string{"run"}},
		{"create", []string{"create"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			file := filepath.Join(dir, strings.ReplaceAll(tt.name, " ", "-")+".cid")
			e.urun(t, append(append([]string{}, tt.args...), "--cidfile", file, "--name", "probe", busyboxRef, "true")...).ok(t)
			defer e.urun(t, "rm", "-f", "probe")
			data, err := os.ReadFile(file)
			require.NoError(t, err)
			assert.Equal(t, e.inspect(t, "probe").ID, string(data), "the file holds the full id, no newline")
		})
	}

	file := filepath.Join(dir, "rm.cid")
	e.urun(t, "run", "--rm", "--cidfile", file, busyboxRef, "true").ok(t)
	data, err := os.ReadFile(file)
	require.NoError(t, err, "--rm still writes the file, and it stays")
	assert.Regexp(t, `^[0-9a-f]{64}$`, string(data))

	for _, command := range []string{"run", "create"} {
		res := e.urun(t, command, "--cidfile", file, busyboxRef, "true")
		res.exits(t, 125)
		assert.Contains(t, res.stderr, "Container ID file found, make sure the other container isn't running or delete "+file)
	}
	assert.Empty(t, e.urun(t, "ps", "-aq").ok(t), "no container was made")
}

// TestRunEnvFileReadAsDockerReadsIt: values are literal, a KEY alone
// takes the caller's value or is left out, a byte order mark and Windows
// line ends are dropped.
func TestRunEnvFileReadAsDockerReadsIt(t *testing.T) {
	e := containerEnv(t)
	e.vars = append(e.vars, "FROM_CALLER=caller's")
	file := filepath.Join(e.dir, "app.env")
	content := "\xEF\xBB\xBFFIRST=1\r\n" +
		"# comment\r\n" +
		"\r\n" +
		"   INDENTED=yes\n" +
		"QUOTED=\"kept\"\n" +
		"DOLLAR=$HOME\n" +
		"TRAILING=space \n" +
		"FROM_CALLER\n" +
		"NOT_IN_CALLER\n"
	require.NoError(t, os.WriteFile(file, []byte(content), 0o600))
	out := e.urun(t, "run", "--rm", "--env-file", file, busyboxRef, "env").ok(t)
	env := map[string]string{}
	for _, l := range lines(out) {
		k, v, _ := strings.Cut(l, "=")
		env[k] = v
	}
	for k, want := range map[string]string{
		"FIRST": "1", "INDENTED": "yes", "QUOTED": `"kept"`, "DOLLAR": "$HOME", "TRAILING": "space ", "FROM_CALLER": "caller's",
	} {
		assert.Equal(t, want, env[k], k)
	}
	assert.NotContains(t, env, "NOT_IN_CALLER", "a KEY alone that the caller lacks is left out")

	bad := filepath.Join(e.dir, "bad.env")
	require.NoError(t, os.WriteFile(bad, []byte("A=1\nMY VAR=2\n"), 0o600))
	res := e.urun(t, "run", "--rm", "--env-file", bad, busyboxRef, "true")
	res.exits(t, 125)
	assert.Contains(t, res.stderr, "line 2: variable 'MY VAR' contains whitespaces")
}

// TestRunTakesDockersFlagAliases: --dns-opt is --dns-option, --net is
// --network, as in Docker's CLI.
func TestRunTakesDockersFlagAliases(t *testing.T) {
	e := containerEnv(t)
	out := e.urun(t, "run", "--rm", "--dns-opt", "ndots:3", "--dns-option", "timeout:2", busyboxRef, "cat", "/etc/resolv.conf").ok(t)
	assert.Regexp(t, `(?m)^options .*ndots:3`, out)
	assert.Regexp(t, `(?m)^options .*timeout:2`, out)
	out = e.urun(t, "run", "--rm", "--net", "none", busyboxRef, "ls", "/sys/class/net").ok(t)
	assert.Equal(t, "lo\n", out)
}

// TestRunMemorySwappinessAndOOMKillDisableAreIgnoredWithAWarning: cgroup
// v2 has neither setting; Docker accepts both there and says it discards
// them, and so does urun.
func TestRunMemorySwappinessAndOOMKillDisableAreIgnoredWithAWarning(t *testing.T) {
	e := containerEnv(t)
	for _, tt := range []struct {
		flags []string
		warns string
	}{
		{[]string{"--memory-swappiness", "0"}, "--memory-swappiness is ignored"},
		{[]string{"--oom-kill-disable"}, "--oom-kill-disable is ignored"},
	} {
		t.Run(tt.flags[0], func(t *testing.T) {
			res := e.urun(t, append(append([]string{"run", "--rm"}, tt.flags...), busyboxRef, "echo", "hi")...)
			assert.Equal(t, "hi\n", res.ok(t))
			assert.Contains(t, res.stderr, "WARNING: "+tt.warns)
		})
	}
}

// TestCgroupParentOnAHybridHostFailsAndSaysWhy: a container's cgroup is
// placed only where urun makes one (the TestVM* tests run it on v2).
func TestCgroupParentOnAHybridHostFailsAndSaysWhy(t *testing.T) {
	notCgroupV2(t)
	e := containerEnv(t)
	for _, parent := range []string{"app.slice", "jobs"} {
		res := e.urun(t, "run", "--rm", "--cgroup-parent", parent, busyboxRef, "true")
		res.exits(t, 125)
		assert.Contains(t, res.stderr, "--cgroup-parent "+parent+": this host has")
		assert.Contains(t, res.stderr, needV2)
	}
	assert.Empty(t, e.urun(t, "ps", "-aq").ok(t))
}
