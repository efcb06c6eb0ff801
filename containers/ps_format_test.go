package containers

import (
	"bytes"
	"encoding/json"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/urun/urun/image/local"
	"github.com/urun/urun/spec"
)

// sample are containers as `urun ps -a` lists them, newest first.
func sampleContainers(now time.Time) []Container {
	return []Container{
		{State: State{ID: id("a1"), Name: "web", Image: "busybox", ImageID: "feed01", Command: []string{"httpd", "-f"},
			Created: now.Add(-time.Minute), StartedAt: now.Add(-50 * time.Second), Status: StatusRunning, RestartPolicy: "always",
			Ports:    []Port{{HostIP: "127.0.0.1", HostPort: 41234, ContainerPort: 80, Proto: "tcp"}},
			Networks: []NetworkEndpoint{{Network: "appnet", NetworkID: "70996e3003e3"}}},
			Running: true, Started: true},
		{State: State{ID: id("b2"), Name: "job", Image: "localhost:5000/tools:1.0", ImageID: "beef02", Command: []string{"false"},
			Created: now.Add(-time.Hour), FinishedAt: now.Add(-30 * time.Minute), Status: StatusExited, ExitCode: 1, RestartPolicy: "on-failure"}},
		{State: State{ID: id("c3"), Name: "webcache", Image: "busybox:latest", ImageID: "feed01", Command: []string{"true"},
			Created: now.Add(-2 * time.Hour), Status: StatusCreated,
			Volumes: []spec.VolumeMount{{Name: "cache", Destination: "/var/cache"}}}},
		{State: State{ID: id("a4"), Name: "ok", Image: "busybox", ImageID: "feed01", Command: []string{"true"},
			Created: now.Add(-3 * time.Hour), FinishedAt: now.Add(-3 * time.Hour), Status: StatusExited, ExitCode: 0}},
	}
}

func namesOf(list []Container) []string {
	var out []string
	for _, c := range list {
		out = append(out, c.Name)
	}
	return out
}

// labelStore writes image records with labels into a store.
func labelStore(t *testing.T) *LabelSource {
	cfg := newConfig(t)
	require.NoError(t, os.MkdirAll(local.Dir(cfg.GraphRoot), 0o700))
	for id, labels := range map[string]map[string]string{
		"feed01": {"maintainer": "ops", "tier": "front"},
		"beef02": {"tier": "batch"},
	} {
		img := &local.Image{ID: id, Layers: []local.Layer{}}
		img.Config.Config.Labels = labels
		if id == "beef02" {
			img.Config.Config.ExposedPorts = map[string]struct{}{"8080/tcp": {}}
		}
		require.NoError(t, local.Write(cfg.GraphRoot, img))
	}
	return NewLabelSource(cfg)
}

func TestPsFilterShowsOnlyTheMatchingContainers(t *testing.T) {
	now := time.Now()
	list := sampleContainers(now)
	labels := labelStore(t)
	tests := []struct {
		name    string
		filters []string
		want    []string
	}{
		{"no filter", nil, []string{"web", "job", "webcache", "ok"}},
		{"status=running", []string{"status=running"}, []string{"web"}},
		{"status=exited", []string{"status=exited"}, []string{"job", "ok"}},
		{"status=paused: Docker's, but urun pauses nothing", []string{"status=paused"}, nil},
		{"two statuses are alternatives", []string{"status=created", "status=running"}, []string{"web", "webcache"}},
		{"name is a substring", []string{"name=web"}, []string{"web", "webcache"}},
		{"name as a regexp", []string{"name=^web$"}, []string{"web"}},
		{"name with Docker's leading slash", []string{"name=^/web$"}, []string{"web"}},
		{"id prefix", []string{"id=a"}, []string{"web", "ok"}},
		{"different keys must all match", []string{"id=a", "status=exited"}, []string{"ok"}},
		{"ancestor by the name given", []string{"ancestor=localhost:5000/tools:1.0"}, []string{"job"}},
		{"ancestor without tag means latest", []string{"ancestor=busybox"}, []string{"web", "webcache", "ok"}},
		{"ancestor by image id prefix", []string{"ancestor=sha256:beef"}, []string{"job"}},
		{"exited=1", []string{"exited=1"}, []string{"job"}},
		{"exited=0 is no running container", []string{"exited=0"}, []string{"ok"}},
		{"label key", []string{"label=maintainer"}, []string{"web", "webcache", "ok"}},
		{"label key and value", []string{"label=tier=batch"}, []string{"job"}},
		{"labels all apply", []string{"label=tier=front", "label=maintainer=ops"}, []string{"web", "webcache", "ok"}},
		{"a label nobody has", []string{"label=missing"}, nil},
		{"restart-policy=always", []string{"restart-policy=always"}, []string{"web"}},
		{"network by name", []string{"network=appnet"}, []string{"web"}},
		{"network by id prefix", []string{"network=70996e"}, []string{"web"}},
		{"a network nobody is on", []string{"network=other"}, nil},
		{"restart-policy=no is also no policy given", []string{"restart-policy=no"}, []string{"webcache", "ok"}},
		{"two restart policies are alternatives", []string{"restart-policy=always", "restart-policy=on-failure"}, []string{"web", "job"}},
		{"before a container", []string{"before=job"}, []string{"webcache", "ok"}},
		{"since a container", []string{"since=webcache"}, []string{"web", "job"}},
		{"since and before", []string{"since=ok", "before=job"}, []string{"webcache"}},
		{"volume by name", []string{"volume=cache"}, []string{"webcache"}},
		{"volume by container path", []string{"volume=/var/cache"}, []string{"webcache"}},
		{"publish by the container's port", []string{"publish=80"}, []string{"web"}},
		{"publish with the protocol", []string{"publish=80/udp"}, nil},
		{"publish in a range", []string{"publish=79-81/tcp"}, []string{"web"}},
		{"expose: the image's or a published port", []string{"expose=8080"}, []string{"job"}},
		{"expose of a published port", []string{"expose=80/tcp"}, []string{"web"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := ParseFilters(tt.filters)
			require.NoError(t, err)
			assert.Equal(t, tt.want, namesOf(f.Keep(list, labels)))
		})
	}
}

func TestPsFilterRejectsBadFilters(t *testing.T) {
	tests := []struct{ filter, want string }{
		{"status=sleeping", "invalid status: want one of created, running, restarting, exited, paused, removing, dead"},
		{"color=red", `unknown filter "color": urun filters by ancestor, before, exited, expose, health, id, label, name, network, publish, restart-policy, since, status, volume`},
		{"publish=http", "want PORT[/PROTO] or FIRST-LAST[/PROTO]"},
		{"expose=80/icmp", "the protocol is tcp, udp or sctp"},
		{"restart-policy=sometimes", "invalid restart policy: want one of no, on-failure, always, unless-stopped"},
		{"name", "want KEY=VALUE"},
		{"name=(", "the name is a regular expression"},
		{"exited=x", "the exit code must be a number"},
	}
	for _, tt := range tests {
		t.Run(tt.filter, func(t *testing.T) {
			_, err := ParseFilters([]string{tt.filter})
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
			assert.Contains(t, err.Error(), tt.filter)
		})
	}
}

func TestStatusFilterListsStoppedContainersWithoutAll(t *testing.T) {
	f, err := ParseFilters([]string{"status=exited"})
	require.NoError(t, err)
	assert.True(t, f.HasStatus())
	f, err = ParseFilters([]string{"name=x"})
	require.NoError(t, err)
	assert.False(t, f.HasStatus())
}

func TestPsFormatTemplates(t *testing.T) {
	now := time.Now()
	list := sampleContainers(now)[:2]
	labels := labelStore(t)
	tests := []struct {
		name, format string
		noTrunc      bool
		want         string
	}{
		{"names", "{{.Names}}", false, "web\njob\n"},
		{"id and state", "{{.ID}} {{.State}}", false, "a10000000000 running\nb20000000000 exited\n"},
		{"full ids with --no-trunc", "{{.ID}}", true, id("a1") + "\n" + id("b2") + "\n"},
		{"ports of a running container only", "{{.Names}}={{.Ports}}", false, "web=127.0.0.1:41234->80/tcp\njob=\n"},
		{"command quoted", "{{.Command}}", false, "\"httpd -f\"\n\"false\"\n"},
		{"status", "{{.Status}}", false, "Up 50 seconds\nExited (1) 30 minutes ago\n"},
		{"running for", "{{.RunningFor}}", false, "About a minute ago\nAbout an hour ago\n"},
		{"labels sorted", "{{.Labels}}", false, "maintainer=ops,tier=front\ntier=batch\n"},
		{"one label", `{{.Label "tier"}}`, false, "front\nbatch\n"},
		{"json of a field", "{{json .Names}}", false, "\"web\"\n\"job\"\n"},
		{"the whole row as JSON", "{{json .}}", false,
			`{"Command":"\"httpd -f\"","CreatedAt":"` + now.Add(-time.Minute).Local().Format("2006-01-02 15:04:05 -0700 MST") +
				`","ID":"a10000000000","Image":"busybox","Labels":"maintainer=ops,tier=front","LocalVolumes":"0","Mounts":"","Names":"web","Networks":"appnet",` +
				`"Ports":"127.0.0.1:41234->80/tcp","RunningFor":"About a minute ago","Size":"0B","State":"running","Status":"Up 50 seconds"}` + "\n" +
				`{"Command":"\"false\"","CreatedAt":"` + now.Add(-time.Hour).Local().Format("2006-01-02 15:04:05 -0700 MST") +
				`","ID":"b20000000000","Image":"localhost:5000/tools:1.0","Labels":"tier=batch","LocalVolumes":"0","Mounts":"","Names":"job",` +
				`"Networks":"","Ports":"","RunningFor":"About an hour ago","Size":"0B","State":"exited","Status":"Exited (1) 30 minutes ago"}` + "\n"},
		{"Docker's \\t escape", `{{.Names}}\t{{.State}}`, false, "web\trunning\njob\texited\n"},
		{"table with header", "table {{.ID}}\t{{.Names}}", false,
			"CONTAINER ID   NAMES\na10000000000   web\nb20000000000   job\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			require.NoError(t, Print(&out, list, PrintOptions{Format: tt.format, NoTrunc: tt.noTrunc, Labels: labels}, now))
			assert.Equal(t, tt.want, out.String())
		})
	}
}

func TestPsFormatErrorsNameTheProblem(t *testing.T) {
	_, err := ParseFormat("{{.Names")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "is not a valid Go template")
	var out bytes.Buffer
	err = Print(&out, sampleContainers(time.Now())[:1], PrintOptions{Format: "{{.Nope}}"}, time.Now())
	require.Error(t, err)
	assert.Contains(t, err.Error(), "Nope")
}

func TestPsTableShowsPorts(t *testing.T) {
	now := time.Now()
	var out bytes.Buffer
	require.NoError(t, Print(&out, sampleContainers(now)[:2], PrintOptions{}, now))
	l := psLines(out.String())
	require.Len(t, l, 3)
	assert.Regexp(t, `^CONTAINER ID +IMAGE +COMMAND +CREATED +STATUS +PORTS +NAMES$`, l[0])
	assert.Regexp(t, `Up 50 seconds +127\.0\.0\.1:41234->80/tcp +web$`, l[1])
	assert.Regexp(t, `Exited \(1\) 30 minutes ago +job$`, l[2])
	for _, format := range []string{"", "table"} {
		var again bytes.Buffer
		require.NoError(t, Print(&again, sampleContainers(now)[:2], PrintOptions{Format: format}, now))
		assert.Equal(t, out.String(), again.String(), "--format %q is the default table", format)
	}
}

func TestPsFormatJSONIsOneObjectALineWithDockersKeys(t *testing.T) {
	now := time.Now()
	var out bytes.Buffer
	require.NoError(t, Print(&out, sampleContainers(now)[:2], PrintOptions{Format: "json"}, now))
	l := psLines(out.String())
	require.Len(t, l, 2, "one line per container")
	var row map[string]string
	require.NoError(t, json.Unmarshal([]byte(l[0]), &row))
	for _, key := range []string{"Command", "CreatedAt", "ID", "Image", "Labels", "LocalVolumes", "Mounts", "Names", "Networks", "Ports", "RunningFor", "Size", "State", "Status"} {
		assert.Contains(t, row, key)
	}
	assert.Equal(t, "127.0.0.1:41234->80/tcp", row["Ports"])
	require.NoError(t, json.Unmarshal([]byte(l[1]), &row))
	assert.Equal(t, "", row["Ports"], "a stopped container publishes nothing")
}

func psLines(s string) []string {
	var out []string
	for _, l := range bytes.Split(bytes.TrimRight([]byte(s), "\n"), []byte("\n")) {
		out = append(out, string(l))
	}
	return out
}

func TestPortListsPublishedPortsAsDocker(t *testing.T) {
	running := Container{Running: true, State: State{Ports: []Port{
		{HostIP: "127.0.0.1", HostPort: 41234, ContainerPort: 80, Proto: "tcp"},
		{HostPort: 5353, ContainerPort: 53, Proto: "udp"},
		{HostIP: "::1", HostPort: 8443, ContainerPort: 443, Proto: "tcp"},
	}}}
	tests := []struct {
		name, private string
		c             Container
		want          []string
		wantErr       string
	}{
		{"every port", "", running, []string{"80/tcp -> 127.0.0.1:41234", "53/udp -> 0.0.0.0:5353", "443/tcp -> [::1]:8443"}, ""},
		{"one port, tcp by default", "80", running, []string{"127.0.0.1:41234"}, ""},
		{"one port with its protocol", "53/udp", running, []string{"0.0.0.0:5353"}, ""},
		{"IPv6 address", "443/tcp", running, []string{"[::1]:8443"}, ""},
		{"a port of another protocol", "53", running, nil, "no public port '53/tcp' published for web"},
		{"a stopped container publishes nothing", "", Container{State: running.State}, nil, ""},
		{"not a port", "http", running, nil, `invalid port "http"`},
		{"bad protocol", "80/sctp", running, nil, `invalid port "80/sctp"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := PortLines(tt.c, "web", tt.private)
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestRenameRefusesTakenAndInvalidNames(t *testing.T) {
	cfg := newConfig(t)
	require.NoError(t, register(cfg, &State{ID: id("a1"), Name: "web"}))
	require.NoError(t, register(cfg, &State{ID: id("b1"), Name: "db"}))
	list, err := List(cfg)
	require.NoError(t, err)
	web, err := Find(list, "web")
	require.NoError(t, err)
	tests := []struct{ name, newName, wantErr string }{
		{"a taken name", "db", `the container name "db" is already in use`},
		{"an invalid name", "-x", `invalid container name "-x"`},
		{"its own name", "web", `already named "web"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Rename(cfg, web, "web", tt.newName)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.wantErr)
		})
	}
	require.NoError(t, Rename(cfg, web, "web", "frontend"))
	st, err := ReadState(web.Dir)
	require.NoError(t, err)
	assert.Equal(t, "frontend", st.Name)
	list, err = List(cfg)
	require.NoError(t, err)
	_, err = Find(list, "web")
	assert.ErrorIs(t, err, ErrNotFound, "the old name is free")
	require.NoError(t, register(cfg, &State{ID: id("c1"), Name: "web"}), "a new container may take the old name")
}
