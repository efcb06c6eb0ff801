package test

import (
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestPsFilterAndFormat(t *testing.T) {
	e := containerEnv(t)
	e.urun(t, "run", "--name", "seven", busyboxRef, "sh", "-c", "exit 7").exits(t, 7)
	e.urun(t, "create", "--name", "fresh", busyboxRef, "true").ok(t)
	e.runDetachedNamed(t, "web", busyboxRef, "sleep", uniqueSleep())
	t.Cleanup(func() { e.urun(t, "rm", "-f", "seven", "fresh") })
	webID := e.inspect(t, "web").ID

	for _, tt := range []struct {
		name string
		args []string
		want string
	}{
		{"status=exited lists stopped containers without -a", []string{"--filter", "status=exited"}, "seven\n"},
		{"status=created", []string{"-f", "status=created"}, "fresh\n"},
		{"two statuses", []string{"-f", "status=created", "-f", "status=running"}, "web\nfresh\n"},
		{"name regexp", []string{"-a", "--filter", "name=^(we|fr)"}, "web\nfresh\n"},
		{"name substring", []string{"-a", "--filter", "name=eve"}, "seven\n"},
		{"id prefix", []string{"-a", "--filter", "id=" + webID[:5]}, "web\n"},
		{"exited code", []string{"-a", "--filter", "exited=7"}, "seven\n"},
		{"ancestor", []string{"-a", "--filter", "ancestor=" + busyboxRef}, "web\nfresh\nseven\n"},
		{"ancestor another image", []string{"-a", "--filter", "ancestor=localhost/other"}, ""},
		{"a label the image does not have", []string{"-a", "--filter", "label=com.example.tier"}, ""},
		{"without -a only running ones", []string{"--filter", "name=e"}, "web\n"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, e.urun(t, append([]string{"ps", "--format", "{{.Names}}"}, tt.args...)...).ok(t))
		})
	}

	out := e.urun(t, "ps", "-a", "--format", `table {{.Names}}\t{{.State}}\t{{.Image}}`).ok(t)
	assert.Regexp(t, regexp.MustCompile(`^NAMES +STATE +IMAGE\nweb +running +`+regexp.QuoteMeta(busyboxRef)+`\n`), out)
	assert.Equal(t, 4, len(lines(out)))
	assert.Equal(t, webID[:12]+"\n", e.urun(t, "container", "ls", "--format", "{{.ID}}").ok(t))

	res := e.urun(t, "ps", "--filter", "color=red")
	res.exits(t, 1)
	assert.Contains(t, res.stderr, `unknown filter "color"`)
	e.urun(t, "ps", "--filter", "status=sleeping").exits(t, 1)
	e.urun(t, "ps", "--format", "{{.Names").exits(t, 1)
}

func TestRenameARunningContainer(t *testing.T) {
	e := containerEnv(t)
	e.runDetachedNamed(t, "old", busyboxRef, "sleep", uniqueSleep())
	t.Cleanup(func() { e.urun(t, "rm", "-f", "new") })
	e.urun(t, "create", "--name", "taken", busyboxRef, "true").ok(t)
	t.Cleanup(func() { e.urun(t, "rm", "-f", "taken") })

	e.urun(t, "rename", "old", "new").ok(t)
	ps := e.ps(t)
	if assert.Len(t, ps, 1) {
		assert.Equal(t, []string{"new"}, ps[0].Names)
		assert.Equal(t, "running", ps[0].State)
	}
	res := e.urun(t, "inspect", "old")
	res.exits(t, 1)

	for _, tt := range []struct{ name, newName, want string }{
		{"a taken name", "taken", `the container name "taken" is already in use`},
		{"an invalid name", "no/slash", `invalid container name "no/slash"`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			res := e.urun(t, "container", "rename", "new", tt.newName)
			res.exits(t, 1)
			assert.Contains(t, res.stderr, tt.want)
		})
	}
	e.urun(t, "rename", "nosuch", "other").exits(t, 1)

	// The container's monitor records the end under the new name.
	e.urun(t, "stop", "-t", "0", "new").ok(t)
	out := e.urun(t, "ps", "-a", "--format", "{{.Names}} {{.State}}").ok(t)
	assert.Equal(t, []string{"taken created", "new exited"}, lines(out))
	// The old name is free again.
	e.urun(t, "create", "--name", "old", busyboxRef, "true").ok(t)
	t.Cleanup(func() { e.urun(t, "rm", "-f", "old") })
	assert.True(t, strings.Contains(e.urun(t, "ps", "-a").ok(t), " old\n"))
}
