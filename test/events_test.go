package test

import (
	"bufio"
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// eventLines are the store's events so far, as --format prints them.
func (e *env) eventLines(t *testing.T, args ...string) []string {
	t.Helper()
	return lines(e.urun(t, append([]string{"events", "--since", "1h", "--until", "0s"}, args...)...).ok(t))
}

// eventFormat prints type, action and, when the event has one, its exit
// code or signal.
const eventFormat = `{{.Type}} {{.Action}}{{with index .Actor.Attributes "exitCode"}} {{.}}{{end}}{{with index .Actor.Attributes "signal"}} {{.}}{{end}}`

func TestEventsOfRunStopAndRmComeInOrderWithExitCodes(t *testing.T) {
	e := containerEnv(t)
	e.urun(t, "run", "--name", "failing", busyboxRef, "sh", "-c", "exit 3").exits(t, 3)
	e.urun(t, "run", "-d", "--name", "sleeper", busyboxRef, "sleep", uniqueSleep()).ok(t)
	e.urun(t, "exec", "sleeper", "sh", "-c", "exit 4").exits(t, 4)
	// busybox's sleep as PID 1 ignores SIGTERM: the stop ends in SIGKILL.
	e.urun(t, "stop", "-t", "1", "sleeper").ok(t)
	e.urun(t, "rm", "failing", "sleeper").ok(t)
	e.urun(t, "tag", busyboxRef, "mine:1").ok(t)
	e.urun(t, "rmi", "mine:1").ok(t)

	assert.Equal(t, []string{"image pull", "image tag", "image untag"}, e.eventLines(t, "--filter", "type=image", "--format", eventFormat))
	assert.Equal(t, []string{"mine:1 " + e.imageID(t, busyboxRef)}, e.eventLines(t, "--filter", "event=untag", "--format", "{{.Actor.Attributes.name}} {{.Actor.ID}}"))
	assert.Equal(t, []string{"container create", "container start", "container die 3", "container destroy"},
		e.eventLines(t, "--filter", "container=failing", "--format", eventFormat))
	assert.Equal(t, []string{"container create", "container start", "container exec_create: sh -c exit 4", "container exec_start: sh -c exit 4", "container exec_die 4",
		"container kill 15", "container kill 9", "container die 137", "container stop", "container destroy"},
		e.eventLines(t, "--filter", "container=sleeper", "--format", eventFormat))

	// Docker's JSON shape.
	var m map[string]any
	last := e.eventLines(t, "--filter", "container=failing", "--filter", "event=die", "--format", "json")
	require.Len(t, last, 1)
	require.NoError(t, json.Unmarshal([]byte(last[0]), &m))
	assert.Equal(t, "die", m["status"])
	assert.Equal(t, "container", m["Type"])
	assert.Equal(t, "die", m["Action"])
	assert.Equal(t, "local", m["scope"])
	assert.Equal(t, busyboxRef, m["from"])
	assert.Regexp(t, `^[0-9a-f]{64}$`, m["id"])
	actor := m["Actor"].(map[string]any)
	assert.Equal(t, m["id"], actor["ID"])
	assert.Equal(t, map[string]any{"name": "failing", "image": busyboxRef, "exitCode": "3", "execDuration": actor["Attributes"].(map[string]any)["execDuration"]}, actor["Attributes"])
	assert.Equal(t, m["time"], float64(int64(m["timeNano"].(float64))/1e9))
}

func TestEventsSinceUntilFilterAndFormatAsDocker(t *testing.T) {
	e := newEnv(t)
	e.urun(t, "volume", "create", "early").ok(t)
	time.Sleep(1100 * time.Millisecond)
	middle := time.Now()
	time.Sleep(100 * time.Millisecond)
	e.urun(t, "volume", "create", "late").ok(t)
	e.urun(t, "network", "create", "net1").ok(t)
	e.urun(t, "network", "rm", "net1").ok(t)

	text := e.eventLines(t)
	require.Len(t, text, 4)
	assert.Regexp(t, `^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}(Z|[+-]\d\d:\d\d) volume create early \(driver=local\)$`, text[0])
	assert.Regexp(t, `^\S+ network create [0-9a-f]{64} \(name=net1, type=bridge\)$`, text[2])

	// A volume's id is its name; a network's is random.
	format := []string{"--format", `{{.Type}} {{.Action}}{{if eq .Type "volume"}} {{.Actor.ID}}{{end}}`}
	for _, tt := range []struct {
		name string
		args []string
		want []string
	}{
		{"since a Unix time", []string{"--since", strconv.FormatFloat(float64(middle.UnixNano())/1e9, 'f', 3, 64), "--until", "0s"}, []string{"volume create late", "network create", "network destroy"}},
		{"since an RFC 3339 time", []string{"--since", middle.UTC().Format(time.RFC3339Nano), "--until", "0s"}, []string{"volume create late", "network create", "network destroy"}},
		{"until a Unix time", []string{"--since", "10m", "--until", strconv.FormatInt(middle.Unix(), 10)}, []string{"volume create early"}},
		{"one key's values are alternatives", []string{"--since", "10m", "--until", "0s", "--filter", "volume=early", "--filter", "volume=late"}, []string{"volume create early", "volume create late"}},
		{"different keys must all match", []string{"--since", "10m", "--until", "0s", "--filter", "type=network", "--filter", "event=destroy"}, []string{"network destroy"}},
		{"network by name", []string{"--since", "10m", "--until", "0s", "--filter", "network=net1", "--filter", "event=create"}, []string{"network create"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			args := append(append([]string{"events"}, tt.args...), format...)
			assert.Equal(t, tt.want, lines(e.urun(t, args...).ok(t)))
		})
	}
	bad := e.urun(t, "events", "--filter", "nosuch=1", "--until", "0s")
	assert.NotEqual(t, 0, bad.code)
	assert.Contains(t, bad.stderr, "invalid filter 'nosuch'")
}

func TestEventsFollowsANewContainersStart(t *testing.T) {
	e := containerEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), defaultTimeout)
	defer cancel()
	follow := e.command(ctx, "events", "--filter", "event=start", "--format", "{{.Actor.Attributes.name}}")
	out, err := follow.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, follow.Start())
	defer func() {
		follow.Process.Kill()
		follow.Wait()
	}()
	// Only events that come after it started are shown.
	time.Sleep(300 * time.Millisecond)
	e.urun(t, "run", "--rm", "--name", "followed", busyboxRef, "true").ok(t)
	got := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(out).ReadString('\n')
		got <- line
	}()
	select {
	case line := <-got:
		assert.Equal(t, "followed\n", line)
	case <-time.After(20 * time.Second):
		t.Fatal("urun events printed no start event")
	}
}

func TestEventsOfAContainerOnANetwork(t *testing.T) {
	e := networkEnv(t)
	e.urun(t, "network", "create", "evnet").ok(t)
	id := strings.TrimSpace(e.urun(t, "create", "--name", "onnet", "--network", "evnet", busyboxRef, "true").ok(t))
	e.urun(t, "start", "-a", "onnet").ok(t)
	e.urun(t, "rm", "onnet").ok(t)
	e.urun(t, "network", "rm", "evnet").ok(t)
	assert.Equal(t, []string{"network create evnet ", "network connect evnet " + id, "network disconnect evnet " + id, "network destroy evnet "},
		e.eventLines(t, "--filter", "network=evnet", "--format", `{{.Type}} {{.Action}} {{.Actor.Attributes.name}} {{with index .Actor.Attributes "container"}}{{.}}{{end}}`))
	assert.Equal(t, []string{"create", "start", "die", "destroy"}, e.eventLines(t, "--filter", "container=onnet", "--format", "{{.Action}}"))
}

func TestEventsFilterByTheContainersLabels(t *testing.T) {
	e := containerEnv(t)
	e.urun(t, "run", "--name", "base", busyboxRef, "true").ok(t)
	e.urun(t, "commit", "--change", "LABEL tier=front", "base", "labeled:1").ok(t)
	e.urun(t, "run", "--rm", "--name", "front", "labeled:1", "true").ok(t)
	assert.Equal(t, []string{"front create", "front start", "front die", "front destroy"},
		e.eventLines(t, "--filter", "label=tier=front", "--format", "{{.Actor.Attributes.name}} {{.Action}}"))
	assert.Empty(t, e.eventLines(t, "--filter", "label=tier=back"))
}
