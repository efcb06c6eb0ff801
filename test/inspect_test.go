package test

import (
	"encoding/json"
	"net"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// runDetachedNamed runs `urun run -d --name NAME ARGS...`, which returns
// once the command started, and removes the container after the test.
func (e *env) runDetachedNamed(t *testing.T, name string, args ...string) string {
	t.Helper()
	id := strings.TrimSpace(e.urun(t, append([]string{"run", "-d", "--name", name}, args...)...).ok(t))
	require.Regexp(t, `^[0-9a-f]{64}$`, id, "run -d prints the container's id")
	t.Cleanup(func() { e.urun(t, "rm", "-f", name) })
	return id
}

// inspectDoc is what the tests read of `urun inspect`'s document.
type inspectDoc struct {
	ID    string `json:"Id"`
	Name  string
	Path  string
	Args  []string
	Image string
	State struct {
		Status                    string
		Running, Restarting, Dead bool
		Pid, ExitCode             int
		StartedAt, FinishedAt     string
	}
	HostConfig struct {
		RestartPolicy struct {
			Name              string
			MaximumRetryCount int
		}
		PortBindings map[string][]struct{ HostIp, HostPort string }
		NetworkMode  string
		AutoRemove   bool
	}
	Config struct {
		Image      string
		Cmd        []string
		Entrypoint []string
		Hostname   string
	}
	NetworkSettings struct {
		Ports map[string][]struct{ HostIp, HostPort string }
	}
	LogPath string
}

func (e *env) inspect(t *testing.T, name string) inspectDoc {
	t.Helper()
	out := e.urun(t, "inspect", name).ok(t)
	var docs []inspectDoc
	require.NoError(t, json.Unmarshal([]byte(out), &docs), "inspect printed %q", out)
	require.Len(t, docs, 1)
	return docs[0]
}

func TestInspectShowsARunningContainerThenItsExitAfterStop(t *testing.T) {
	e := containerEnv(t)
	secs := uniqueSleep()
	id := e.runDetachedNamed(t, "web", "--restart", "on-failure:3", busyboxRef, "sleep", secs)

	d := e.inspect(t, "web")
	assert.Equal(t, id, d.ID)
	assert.Equal(t, "/web", d.Name)
	assert.Equal(t, "running", d.State.Status)
	assert.True(t, d.State.Running)
	assert.Equal(t, 0, d.State.ExitCode)
	require.NotZero(t, d.State.Pid, "a running container's Pid is its init's host pid")
	cmdline, err := os.ReadFile("/proc/" + strconv.Itoa(d.State.Pid) + "/cmdline")
	require.NoError(t, err)
	assert.Equal(t, "sleep\x00"+secs+"\x00", string(cmdline), "Pid is the container's command")
	assert.Equal(t, "0001-01-01T00:00:00Z", d.State.FinishedAt, "a container that never stopped has Docker's zero time")
	_, err = time.Parse(time.RFC3339Nano, d.State.StartedAt)
	assert.NoError(t, err)
	assert.Equal(t, "on-failure", d.HostConfig.RestartPolicy.Name)
	assert.Equal(t, 3, d.HostConfig.RestartPolicy.MaximumRetryCount)
	assert.Equal(t, "slirp4netns", d.HostConfig.NetworkMode)
	assert.Equal(t, busyboxRef, d.Config.Image)
	assert.Equal(t, []string{"sleep", secs}, d.Config.Cmd)
	assert.Equal(t, "sleep", d.Path)
	assert.Equal(t, []string{secs}, d.Args)
	assert.Equal(t, id[:12], d.Config.Hostname)
	assert.Regexp(t, `^sha256:[0-9a-f]{64}$`, d.Image)
	assert.FileExists(t, d.LogPath, "a detached container's log")

	e.urun(t, "stop", "-t", "1", "web").ok(t)
	// busybox sleep as PID 1 ignores SIGTERM: SIGKILL ends it.
	out := e.urun(t, "inspect", "-f", "{{.State.Status}} {{.State.Running}} {{.State.Pid}} {{.State.ExitCode}}", "web").ok(t)
	assert.Equal(t, "exited false 0 137\n", out)
	assert.Equal(t, "exited\n", e.urun(t, "container", "inspect", "--format", "{{.State.Status}}", id[:12]).ok(t),
		"container inspect, by id prefix")
	d = e.inspect(t, "web")
	assert.NotEqual(t, "0001-01-01T00:00:00Z", d.State.FinishedAt)
	var config map[string]any
	require.NoError(t, json.Unmarshal([]byte(e.urun(t, "inspect", "-f", "{{json .Config}}", "web").ok(t)), &config))
	assert.Equal(t, busyboxRef, config["Image"])
}

func TestInspectOfAnUnknownNameFails(t *testing.T) {
	e := containerEnv(t)
	e.urun(t, "create", "--name", "made", busyboxRef, "true").ok(t)
	t.Cleanup(func() { e.urun(t, "rm", "-f", "made") })

	res := e.urun(t, "inspect", "nosuch")
	res.exits(t, 1)
	assert.Equal(t, "[]\n", res.stdout)
	assert.Contains(t, res.stderr, "No such object: nosuch", "neither a container nor an image")

	res = e.urun(t, "container", "inspect", "made", "nosuch")
	res.exits(t, 1)
	assert.Contains(t, res.stderr, "No such container: nosuch")
	var docs []inspectDoc
	require.NoError(t, json.Unmarshal([]byte(res.stdout), &docs))
	require.Len(t, docs, 1, "the container that exists is shown")
	assert.Equal(t, "created", docs[0].State.Status)
	assert.Equal(t, "no", docs[0].HostConfig.RestartPolicy.Name)

	res = e.urun(t, "inspect", "--type", "image", "made")
	res.exits(t, 1)
	assert.Contains(t, res.stderr, "No such image: made", "a container is no image")
	e.urun(t, "inspect", "-f", "{{.State.Status", "made").exits(t, 1)
}

func TestInspectPortAndPsShowThePublishedPort(t *testing.T) {
	e := containerEnv(t)
	e.runDetachedNamed(t, "web", "-p", "127.0.0.1::80", busyboxRef, "sleep", uniqueSleep())

	d := e.inspect(t, "web")
	require.Len(t, d.NetworkSettings.Ports["80/tcp"], 1, "ports: %+v", d.NetworkSettings.Ports)
	bound := d.NetworkSettings.Ports["80/tcp"][0]
	assert.Equal(t, "127.0.0.1", bound.HostIp)
	hostPort, err := strconv.Atoi(bound.HostPort)
	require.NoError(t, err)
	assert.NotZero(t, hostPort, "the host port urun picked")
	assert.Equal(t, []struct{ HostIp, HostPort string }{{"127.0.0.1", ""}}, d.HostConfig.PortBindings["80/tcp"],
		"what the user asked for")
	addr := "127.0.0.1:" + bound.HostPort
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if assert.NoError(t, err, "the host port is listening") {
		conn.Close()
	}

	assert.Equal(t, "80/tcp -> "+addr+"\n", e.urun(t, "port", "web").ok(t))
	assert.Equal(t, addr+"\n", e.urun(t, "port", "web", "80").ok(t))
	assert.Equal(t, addr+"\n", e.urun(t, "container", "port", "web", "80/tcp").ok(t))
	res := e.urun(t, "port", "web", "81")
	res.exits(t, 1)
	assert.Contains(t, res.stderr, "no public port '81/tcp' published for web")
	e.urun(t, "port", "web", "http").exits(t, 1)

	ps := e.urun(t, "ps").ok(t)
	assert.Regexp(t, regexp.MustCompile(`(?m)^CONTAINER ID +IMAGE +COMMAND +CREATED +STATUS +PORTS +NAMES$`), ps)
	assert.Regexp(t, regexp.MustCompile(`(?m)Up .* +`+regexp.QuoteMeta(addr+"->80/tcp")+` +web$`), ps)
	assert.Equal(t, addr+"->80/tcp\n", e.urun(t, "ps", "--format", "{{.Ports}}").ok(t))

	e.urun(t, "stop", "-t", "0", "web").ok(t)
	assert.Equal(t, "", e.urun(t, "port", "web").ok(t), "a stopped container publishes nothing")
	assert.Empty(t, e.inspect(t, "web").NetworkSettings.Ports)
}

// A container run in the foreground with --rm keeps no settings: inspect
// reads what its run state tells.
func TestInspectAForegroundRmContainer(t *testing.T) {
	e := containerEnv(t)
	secs := uniqueSleep()
	e.startRunning(t, "fg", "--rm", "-v", e.dir+":/host:ro", busyboxRef, "sleep", secs)
	d := e.inspect(t, "fg")
	assert.Equal(t, "running", d.State.Status)
	assert.NotZero(t, d.State.Pid)
	assert.True(t, d.HostConfig.AutoRemove)
	assert.Equal(t, []string{"sleep", secs}, d.Config.Cmd)
	assert.Empty(t, d.LogPath, "a foreground container keeps no log")
	out := e.urun(t, "inspect", "-f", "{{range .Mounts}}{{.Source}}:{{.Destination}}:{{.RW}} {{end}}", "fg").ok(t)
	assert.Equal(t, e.dir+":/host:false \n", out, "the user's mount, not the run state's own files")
}
