package inspect

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/urun/urun/config"
	"github.com/urun/urun/containers"
	"github.com/urun/urun/image/imagedoc"
	"github.com/urun/urun/logs"
	"github.com/urun/urun/network"
	"github.com/urun/urun/spec"
)

const containerID = "ab12cd34ef56ab12cd34ef56ab12cd34ef56ab12cd34ef56ab12cd34ef56ab12"

// storeWithContainer makes a store holding one exited container created
// with settings s.
func storeWithContainer(t *testing.T, st containers.State, s containers.Settings) *config.Config {
	t.Helper()
	cfg := &config.Config{GraphRoot: filepath.Join(t.TempDir(), "graph"), RunRoot: t.TempDir()}
	dir := containers.StateDir(cfg, st.ID)
	require.NoError(t, os.MkdirAll(dir, 0o700))
	layer := containers.LayerDir(cfg, st)
	require.NoError(t, os.MkdirAll(layer, 0o700))
	require.NoError(t, containers.WriteSettings(cfg, st, s))
	require.NoError(t, containers.Register(cfg, dir, &st))
	return cfg
}

func exitedContainer() (containers.State, containers.Settings) {
	created := time.Date(2026, 12, 2, 10, 0, 0, 123456789, time.UTC)
	st := containers.State{
		ID: containerID, Name: "web", Image: "busybox", ImageID: "feedbeef", Command: []string{"/entry", "httpd", "-f"},
		Created: created, StartedAt: created.Add(time.Second), FinishedAt: created.Add(time.Minute),
		Status: containers.StatusExited, ExitCode: 3, Detached: true, RestartCount: 2,
		Volumes: []spec.VolumeMount{
			{Name: "db", Destination: "/db", Source: "/v/db/_data", Dir: "/v/db"},
			{Name: "f00d", Anonymous: true, Destination: "/anon", Source: "/v/f00d/_data", Dir: "/v/f00d"},
		},
	}
	s := containers.Settings{
		Spec: &specs.Spec{
			Hostname: "ab12cd34ef56",
			Process: &specs.Process{Args: []string{"/entry", "httpd", "-f"}, Env: []string{"PATH=/bin", "A=1"},
				Cwd: "/srv", User: specs.User{Username: "www"}},
			Mounts: append(spec.DefaultMounts(false),
				specs.Mount{Destination: "/data", Type: "bind", Source: "/home/u/data", Options: []string{"rbind", "ro"}},
				specs.Mount{Destination: "/cache", Type: "bind", Source: "/home/u/cache", Options: []string{"rbind", "rshared"}},
				specs.Mount{Destination: "/run", Type: "tmpfs", Source: "tmpfs", Options: []string{"nosuid", "nodev", "noexec"}},
				specs.Mount{Destination: "/db", Type: "bind", Source: "/v/db/_data", Options: []string{"rbind", "ro"}},
				specs.Mount{Destination: "/anon", Type: "bind", Source: "/v/f00d/_data", Options: []string{"rbind"}}),
		},
		Network:     network.Mode{Kind: network.KindSlirp4netns},
		Ports:       []network.PortMapping{{HostIP: "127.0.0.1", ContainerPort: 80, Proto: "tcp"}, {HostPort: 8000, HostPortEnd: 8010, ContainerPort: 53, Proto: "udp"}},
		Restart:     containers.RestartPolicy{Name: containers.RestartOnFailure, MaxRetries: 5},
		Log:         logs.Options{MaxSize: 10 << 20, MaxFiles: 3},
		StopSignal:  "SIGQUIT",
		StopTimeout: 30,
		Init:        true,
		Entrypoint:  []string{"/entry"},
		Cmd:         []string{"httpd", "-f"},
	}
	return st, s
}

func inspectOne(t *testing.T, cfg *config.Config, format string) string {
	t.Helper()
	var out bytes.Buffer
	errs := Write(&out, cfg, []string{"web"}, Options{Format: format})
	require.Empty(t, errs)
	return out.String()
}

func TestInspectShowsDockersDocument(t *testing.T) {
	st, s := exitedContainer()
	cfg := storeWithContainer(t, st, s)
	var docs []map[string]any
	require.NoError(t, json.Unmarshal([]byte(inspectOne(t, cfg, "")), &docs))
	require.Len(t, docs, 1)
	d := docs[0]
	assert.Equal(t, containerID, d["Id"])
	assert.Equal(t, "2026-12-02T10:00:00.123456789Z", d["Created"])
	assert.Equal(t, "/entry", d["Path"])
	assert.Equal(t, []any{"httpd", "-f"}, d["Args"])
	assert.Equal(t, "sha256:feedbeef", d["Image"])
	assert.Equal(t, "/web", d["Name"])
	assert.Equal(t, 2.0, d["RestartCount"])
	assert.Equal(t, containers.LogPath(cfg, st), d["LogPath"])
	assert.Equal(t, map[string]any{
		"Status": "exited", "Running": false, "Paused": false, "Restarting": false, "OOMKilled": false, "Dead": false,
		"Pid": 0.0, "ExitCode": 3.0, "Error": "", "StartedAt": "2026-12-02T10:00:01.123456789Z", "FinishedAt": "2026-12-02T10:01:00.123456789Z",
	}, d["State"])
	hc := d["HostConfig"].(map[string]any)
	assert.Equal(t, map[string]any{"Name": "on-failure", "MaximumRetryCount": 5.0}, hc["RestartPolicy"])
	assert.Equal(t, "slirp4netns", hc["NetworkMode"])
	assert.Equal(t, map[string]any{
		"80/tcp": []any{map[string]any{"HostIp": "127.0.0.1", "HostPort": ""}},
		"53/udp": []any{map[string]any{"HostIp": "", "HostPort": "8000-8010"}},
	}, hc["PortBindings"])
	assert.Equal(t, map[string]any{"Type": "k8s-file", "Config": map[string]any{"max-size": "10m", "max-file": "3"}}, hc["LogConfig"])
	assert.Equal(t, true, hc["Init"])
	assert.Equal(t, []any{"/home/u/data:/data:ro", "/home/u/cache:/cache", "db:/db:ro"}, hc["Binds"], "volumes by name, anonymous ones not")
	assert.Equal(t, map[string]any{"/run": "nosuid,nodev,noexec"}, hc["Tmpfs"])
	assert.Equal(t, []any{
		map[string]any{"Type": "bind", "Source": "/home/u/data", "Destination": "/data", "Mode": "ro", "RW": false, "Propagation": "rprivate"},
		map[string]any{"Type": "bind", "Source": "/home/u/cache", "Destination": "/cache", "Mode": "", "RW": true, "Propagation": "rshared"},
		map[string]any{"Type": "tmpfs", "Source": "", "Destination": "/run", "Mode": "", "RW": true, "Propagation": ""},
		map[string]any{"Type": "volume", "Name": "db", "Source": "/v/db/_data", "Destination": "/db", "Driver": "local", "Mode": "ro", "RW": false, "Propagation": ""},
		map[string]any{"Type": "volume", "Name": "f00d", "Source": "/v/f00d/_data", "Destination": "/anon", "Driver": "local", "Mode": "", "RW": true, "Propagation": ""},
	}, d["Mounts"], "only the mounts the user asked for")
	c := d["Config"].(map[string]any)
	assert.Equal(t, "ab12cd34ef56", c["Hostname"])
	assert.Equal(t, "www", c["User"])
	assert.Equal(t, []any{"PATH=/bin", "A=1"}, c["Env"])
	assert.Equal(t, []any{"/entry"}, c["Entrypoint"])
	assert.Equal(t, []any{"httpd", "-f"}, c["Cmd"])
	assert.Equal(t, "busybox", c["Image"])
	assert.Equal(t, "/srv", c["WorkingDir"])
	assert.Equal(t, "SIGQUIT", c["StopSignal"])
	assert.Equal(t, 30.0, c["StopTimeout"])
	assert.Equal(t, map[string]any{}, c["Labels"], "no labels: the image is not stored")
	assert.Equal(t, map[string]any{"Ports": map[string]any{}, "Gateway": "", "IPAddress": "", "IPPrefixLen": float64(0), "MacAddress": "", "Networks": map[string]any{}}, d["NetworkSettings"], "a stopped container publishes nothing and is on no network")
}

func TestInspectWithoutRecordedEntrypointShowsTheCommandAsCmd(t *testing.T) {
	st, s := exitedContainer()
	s.Entrypoint, s.Cmd, s.StopTimeout, s.Init = nil, nil, -1, false
	cfg := storeWithContainer(t, st, s)
	out := inspectOne(t, cfg, "{{json .Config.Entrypoint}} {{json .Config.Cmd}} {{.Config.StopTimeout}} {{.HostConfig.Init}}")
	assert.Equal(t, `null ["/entry","httpd","-f"] <nil> <nil>`+"\n", out)
}

func TestInspectTemplates(t *testing.T) {
	st, s := exitedContainer()
	cfg := storeWithContainer(t, st, s)
	tests := []struct{ format, want string }{
		{"{{.State.Status}}", "exited"},
		{"{{.State.ExitCode}} {{.State.Running}} {{.State.Pid}}", "3 false 0"},
		{"{{.Name}}", "/web"},
		{"{{.ID}}", containerID},
		{"{{.Id}}", containerID}, // Docker's JSON key, through the JSON
		{"{{.HostConfig.RestartPolicy.Name}}:{{.HostConfig.RestartPolicy.MaximumRetryCount}}", "on-failure:5"},
		{"{{json .Config.Cmd}}", `["httpd","-f"]`},
		{"{{range .Mounts}}{{.Destination}} {{end}}", "/data /cache /run /db /anon "},
		{"{{upper .State.Status}}", "EXITED"},
	}
	for _, tt := range tests {
		t.Run(tt.format, func(t *testing.T) {
			assert.Equal(t, tt.want+"\n", inspectOne(t, cfg, tt.format))
		})
	}
	t.Run("json of the whole config", func(t *testing.T) {
		var c map[string]any
		require.NoError(t, json.Unmarshal([]byte(inspectOne(t, cfg, "{{json .Config}}")), &c))
		assert.Equal(t, "busybox", c["Image"])
	})
}

func TestInspectOfAnUnknownNameSaysSo(t *testing.T) {
	st, s := exitedContainer()
	cfg := storeWithContainer(t, st, s)
	noImages := func(refs []string) ([]imagedoc.Result, error) {
		var out []imagedoc.Result
		for _, r := range refs {
			out = append(out, imagedoc.Result{Ref: r, NotFound: true})
		}
		return out, nil
	}
	tests := []struct {
		name   string
		images func([]string) ([]imagedoc.Result, error)
		want   string
	}{
		{"nor an image", noImages, "No such object: nosuch"},
		{"containers only", nil, "No such container: nosuch"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			errs := Write(&out, cfg, []string{"web", "nosuch"}, Options{Images: tt.images})
			require.Len(t, errs, 1)
			assert.Equal(t, tt.want, errs[0].Error())
			var docs []map[string]any
			require.NoError(t, json.Unmarshal(out.Bytes(), &docs))
			assert.Len(t, docs, 1, "the found container is shown")
		})
	}
	var out bytes.Buffer
	Write(&out, cfg, []string{"nosuch"}, Options{})
	assert.Equal(t, "[]\n", out.String(), "an empty array, as Docker prints")
}

func TestLogSizesAreShownAsGiven(t *testing.T) {
	for n, want := range map[int64]string{10 << 20: "10m", 512 << 10: "512k", 2 << 30: "2g", 1500: "1500", 1536 << 10: "1536k"} {
		assert.Equal(t, want, sizeText(n))
	}
	assert.True(t, strings.HasPrefix(timeText(time.Time{}), "0001-01-01T00:00:00Z"))
}

func TestInspectStateFollowsDocker(t *testing.T) {
	tests := []struct {
		name string
		c    containers.Container
		want State
	}{
		{"created", containers.Container{State: containers.State{Status: containers.StatusCreated}},
			State{Status: "created", StartedAt: zeroTime, FinishedAt: zeroTime}},
		{"paused", containers.Container{Running: true, Started: true, State: containers.State{Status: containers.StatusRunning, Cgroup: "/x", Paused: true}},
			State{Status: "paused", Running: true, Paused: true, StartedAt: zeroTime, FinishedAt: zeroTime}},
		{"waiting to restart", containers.Container{Running: true, State: containers.State{Status: containers.StatusRestarting, ExitCode: 2}},
			State{Status: "restarting", Running: true, Restarting: true, ExitCode: 2, StartedAt: zeroTime, FinishedAt: zeroTime}},
		{"its urun was killed", containers.Container{State: containers.State{Status: containers.StatusRunning}},
			State{Status: "exited", ExitCode: 137, StartedAt: zeroTime, FinishedAt: zeroTime}},
		{"a failed start says why", containers.Container{State: containers.State{Status: containers.StatusExited, ExitCode: 127, Error: "exec: not found"}},
			State{Status: "exited", ExitCode: 127, Error: "exec: not found", StartedAt: zeroTime, FinishedAt: zeroTime}},
		{"killed by its memory limit", containers.Container{State: containers.State{Status: containers.StatusExited, ExitCode: 137, OOMKilled: true}},
			State{Status: "exited", OOMKilled: true, ExitCode: 137, StartedAt: zeroTime, FinishedAt: zeroTime}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.c.Dir = t.TempDir()
			assert.Equal(t, tt.want, state(tt.c))
		})
	}
}
