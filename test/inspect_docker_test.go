package test

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// What scripts written for Docker read of `inspect`, `ps` and the other
// list commands.

func TestInspectHostConfigCarriesWhatRunWasAsked(t *testing.T) {
	e := containerEnv(t)
	e.urun(t, "create", "--name", "asked",
		"--cap-add", "net_admin", "--cap-drop", "MKNOD", "--dns", "192.0.2.53", "--dns-option", "ndots:2",
		"--dns-search", "example.com", "--add-host", "db:192.0.2.7", "--read-only", "--tmpfs", "/scratch:size=1m",
		"-v", "asked-data:/data", "-p", "127.0.0.1:8080:80", "--restart", "on-failure:3", "--init",
		"--security-opt", "no-new-privileges=false", "--device", "/dev/null:/dev/nothing",
		busyboxRef, "true").ok(t)
	var h struct {
		CapAdd, CapDrop, Dns, DnsOptions, DnsSearch, ExtraHosts, Binds, SecurityOpt []string
		ReadonlyRootfs, Privileged, AutoRemove                                      bool
		Init                                                                        *bool
		Tmpfs                                                                       map[string]string
		PortBindings                                                                map[string][]struct{ HostIp, HostPort string }
		RestartPolicy                                                               struct {
			Name              string
			MaximumRetryCount int
		}
		IpcMode, NetworkMode string
		LogConfig            struct{ Type string }
		Devices              []struct{ PathOnHost, PathInContainer, CgroupPermissions string }
		Memory, NanoCpus     int64
		PidsLimit            *int64
	}
	out := e.urun(t, "inspect", "-f", "{{json .HostConfig}}", "asked").ok(t)
	require.NoError(t, json.Unmarshal([]byte(out), &h), out)
	assert.Equal(t, []string{"CAP_NET_ADMIN"}, h.CapAdd, "Docker's normalised names")
	assert.Equal(t, []string{"CAP_MKNOD"}, h.CapDrop)
	assert.Equal(t, []string{"192.0.2.53"}, h.Dns)
	assert.Equal(t, []string{"ndots:2"}, h.DnsOptions)
	assert.Equal(t, []string{"example.com"}, h.DnsSearch)
	assert.Equal(t, []string{"db:192.0.2.7"}, h.ExtraHosts)
	assert.Equal(t, []string{"asked-data:/data"}, h.Binds)
	assert.Equal(t, []string{"no-new-privileges=false"}, h.SecurityOpt)
	assert.True(t, h.ReadonlyRootfs)
	assert.False(t, h.Privileged)
	require.NotNil(t, h.Init)
	assert.True(t, *h.Init)
	assert.Contains(t, h.Tmpfs, "/scratch")
	assert.Equal(t, []struct{ HostIp, HostPort string }{{"127.0.0.1", "8080"}}, h.PortBindings["80/tcp"])
	assert.Equal(t, "on-failure", h.RestartPolicy.Name)
	assert.Equal(t, 3, h.RestartPolicy.MaximumRetryCount)
	assert.Equal(t, "private", h.IpcMode)
	assert.NotEmpty(t, h.NetworkMode)
	assert.Equal(t, "k8s-file", h.LogConfig.Type)
	assert.Equal(t, []struct{ PathOnHost, PathInContainer, CgroupPermissions string }{{"/dev/null", "/dev/nothing", "rwm"}}, h.Devices)
	assert.Zero(t, h.Memory, "no limit asked")
	assert.Nil(t, h.PidsLimit)

	t.Run("privileged", func(t *testing.T) {
		e.urun(t, "create", "--name", "priv", "--privileged", busyboxRef, "true").ok(t)
		assert.Equal(t, "true null []\n", e.urun(t, "inspect", "-f", "{{.HostConfig.Privileged}} {{json .HostConfig.CapAdd}} {{json .HostConfig.Dns}}", "priv").ok(t))
	})
	t.Run(".Mounts in Docker's shape", func(t *testing.T) {
		var mounts []map[string]any
		require.NoError(t, json.Unmarshal([]byte(e.urun(t, "inspect", "-f", "{{json .Mounts}}", "asked").ok(t)), &mounts))
		require.NotEmpty(t, mounts)
		var vol map[string]any
		for _, m := range mounts {
			if m["Destination"] == "/data" {
				vol = m
			}
		}
		require.NotNil(t, vol, "the volume is among %v", mounts)
		assert.Equal(t, "volume", vol["Type"])
		assert.Equal(t, "asked-data", vol["Name"])
		assert.Equal(t, "local", vol["Driver"])
		assert.Equal(t, true, vol["RW"])
		assert.NotEmpty(t, vol["Source"])
	})
	t.Run("--format json is the document", func(t *testing.T) {
		var docs []map[string]any
		require.NoError(t, json.Unmarshal([]byte(e.urun(t, "inspect", "--format", "json", "asked").ok(t)), &docs))
		require.Len(t, docs, 1)
		assert.Equal(t, "/asked", docs[0]["Name"])
		assert.Contains(t, docs[0], "HostConfig")
	})
}

func TestAContainerWhoseCommandCannotStartIsCreated(t *testing.T) {
	e := containerEnv(t)
	for _, c := range []struct {
		name string
		args []string
	}{
		{"foreground", []string{"run", "--name", "fg"}},
		{"detached", []string{"run", "-d", "--name", "bg"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			name := c.args[len(c.args)-1]
			e.urun(t, append(c.args, busyboxRef, "no-such-command")...).exits(t, 127)
			out := e.urun(t, "inspect", "-f", "{{.State.Status}} {{.State.Running}} {{.State.ExitCode}}", name).ok(t)
			assert.Equal(t, "created false 127\n", out, "as Docker's: the command never ran")
			assert.Contains(t, e.urun(t, "inspect", "-f", "{{.State.Error}}", name).ok(t), "no-such-command")
			entry := e.psEntryNamed(t, name)
			assert.Equal(t, "created", entry.State)
			assert.Equal(t, "Created", entry.Status)
			assert.Equal(t, "127\n", e.urun(t, "wait", name).ok(t), "wait does not wait for a start that failed")
		})
	}
	t.Run("a command that ran is exited", func(t *testing.T) {
		e.urun(t, "run", "--name", "ran", busyboxRef, "false").exits(t, 1)
		assert.Equal(t, "exited 1\n", e.urun(t, "inspect", "-f", "{{.State.Status}} {{.State.ExitCode}}", "ran").ok(t))
	})
}

// jsonLines decodes output that must be one JSON object a line.
func jsonLines(t *testing.T, out string) []map[string]any {
	t.Helper()
	var rows []map[string]any
	for _, line := range lines(out) {
		var row map[string]any
		require.NoError(t, json.Unmarshal([]byte(line), &row), "one JSON object a line, got %q", out)
		rows = append(rows, row)
	}
	return rows
}

func TestFormatJSONOfListCommandsIsOneObjectALineWithDockersKeys(t *testing.T) {
	e := containerEnv(t)
	e.urun(t, "run", "--name", "listed", "-v", "listed-vol:/v", busyboxRef, "true").ok(t)
	e.urun(t, "network", "create", "listed-net").ok(t)
	t.Cleanup(func() { e.urun(t, "network", "rm", "listed-net") })
	for _, c := range []struct {
		args []string
		keys []string
	}{
		{[]string{"ps", "-a"}, []string{"Command", "CreatedAt", "ID", "Image", "Labels", "LocalVolumes", "Mounts", "Names", "Networks", "Ports", "RunningFor", "Size", "State", "Status"}},
		{[]string{"images"}, []string{"Containers", "CreatedAt", "CreatedSince", "Digest", "ID", "Repository", "SharedSize", "Size", "Tag", "UniqueSize", "VirtualSize"}},
		{[]string{"network", "ls"}, []string{"CreatedAt", "Driver", "ID", "IPv6", "Internal", "Labels", "Name", "Scope"}},
		{[]string{"volume", "ls"}, []string{"Availability", "Driver", "Group", "Labels", "Links", "Mountpoint", "Name", "Scope", "Size", "Status"}},
		{[]string{"history", busyboxRef}, []string{"Comment", "CreatedAt", "CreatedBy", "CreatedSince", "ID", "Size"}},
	} {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			rows := jsonLines(t, e.urun(t, append(c.args, "--format", "json")...).ok(t))
			require.NotEmpty(t, rows)
			for _, row := range rows {
				for _, k := range c.keys {
					assert.Contains(t, row, k)
				}
			}
		})
	}
	t.Run("network ls --filter dangling", func(t *testing.T) {
		assert.Equal(t, []string{"listed-net"}, lines(e.urun(t, "network", "ls", "--filter", "dangling=true", "--format", "{{.Name}}").ok(t)))
		assert.Contains(t, lines(e.urun(t, "network", "ls", "--filter", "dangling=false", "--format", "{{.Name}}").ok(t)), "bridge")
	})
	t.Run("ps fields", func(t *testing.T) {
		rows := jsonLines(t, e.urun(t, "ps", "-a", "--format", "json").ok(t))
		require.Len(t, rows, 1)
		assert.Equal(t, "listed", rows[0]["Names"])
		assert.Equal(t, "exited", rows[0]["State"])
		assert.Equal(t, "listed-vol", rows[0]["Mounts"])
		assert.Equal(t, "1", rows[0]["LocalVolumes"])
		assert.NotEmpty(t, rows[0]["Networks"], "a stopped container's network, as Docker lists it")
		assert.Regexp(t, `^[0-9a-f]{12}$`, rows[0]["ID"])
	})
}

func TestPsSizeShowsTheWritableLayerAndTheVirtualSize(t *testing.T) {
	e := containerEnv(t)
	e.urun(t, "run", "--name", "sized", busyboxRef, "sh", "-c", "head -c 3000 /dev/zero > /written").ok(t)
	ls := lines(e.urun(t, "ps", "-a", "-s").ok(t))
	require.Len(t, ls, 2)
	assert.Regexp(t, `^CONTAINER ID +IMAGE +COMMAND +CREATED +STATUS +PORTS +NAMES +SIZE$`, ls[0])
	assert.Regexp(t, `sized +3(\.\d+)?kB \(virtual [\d.]+MB\)$`, ls[1])
	assert.Regexp(t, `^3(\.\d+)?kB \(virtual [\d.]+MB\)\n$`, e.urun(t, "ps", "-a", "--size", "--format", "{{.Size}}").ok(t))
	assert.Regexp(t, `^3(\.\d+)?kB \(virtual [\d.]+MB\)\n$`, e.urun(t, "ps", "-a", "--format", "{{.Size}}").ok(t), "a template that shows the size measures it, as Docker's")
	assert.Equal(t, "0B", jsonLines(t, e.urun(t, "ps", "-a", "--format", "json").ok(t))[0]["Size"], "measured only when asked")
}

func TestPsFiltersDockerHas(t *testing.T) {
	e := containerEnv(t)
	e.urun(t, "run", "--name", "first", busyboxRef, "true").ok(t)
	e.urun(t, "create", "--name", "second", "-v", "filtered-vol:/data", "-p", "8081:80", busyboxRef, "true").ok(t)
	e.urun(t, "run", "--name", "third", busyboxRef, "true").ok(t)
	names := func(filters ...string) []string {
		args := []string{"ps", "-a", "--format", "{{.Names}}"}
		for _, f := range filters {
			args = append(args, "--filter", f)
		}
		return lines(e.urun(t, args...).ok(t))
	}
	assert.Equal(t, []string{"third", "second"}, names("since=first"))
	assert.Equal(t, []string{"second", "first"}, names("before=third"))
	assert.Equal(t, []string{"second"}, names("volume=filtered-vol"))
	assert.Equal(t, []string{"second"}, names("volume=/data"))
	assert.Equal(t, []string{"second"}, names("publish=80/tcp"))
	assert.Equal(t, []string{"second"}, names("expose=80"))
	assert.Equal(t, []string{"second"}, names("status=created"))
	res := e.urun(t, "ps", "-a", "--filter", "since=nosuch")
	assert.NotEqual(t, 0, res.code)
	assert.Contains(t, res.stderr, "nosuch")
}

func TestInfoTakesTemplatesOfDockersKeys(t *testing.T) {
	e := newEnv(t)
	kernel := strings.TrimSpace(e.urun(t, "info", "--format", "{{.KernelVersion}}").ok(t))
	assert.Regexp(t, `^\d+\.\d+`, kernel)
	var doc map[string]any
	require.NoError(t, json.Unmarshal([]byte(e.urun(t, "info", "--format", "{{json .}}").ok(t)), &doc))
	for _, k := range []string{"ID", "Containers", "ContainersRunning", "ContainersPaused", "ContainersStopped", "Images", "Driver",
		"LoggingDriver", "CgroupDriver", "CgroupVersion", "KernelVersion", "OperatingSystem", "OSType", "OSVersion", "Architecture",
		"NCPU", "MemTotal", "Name", "DockerRootDir", "ServerVersion", "SecurityOptions"} {
		assert.Contains(t, doc, k)
	}
	assert.Equal(t, kernel, doc["KernelVersion"])
	assert.Equal(t, "linux", doc["OSType"])
	assert.Equal(t, e.GraphRoot(), doc["DockerRootDir"])
	assert.Contains(t, doc["SecurityOptions"], "name=rootless")
	// One run of info, several templates: each line is one.
	templates := []struct{ format, want string }{
		{"{{.NCPU}}", `^[1-9]\d*$`},
		{"{{.MemTotal}}", `^[1-9]\d+$`},
		{"{{.CgroupVersion}}", `^[12]$`},
		{"{{json .SecurityOptions}}", `"name=rootless"`},
		{"{{.Host.Arch}} {{.OSType}}", `^\S+ linux$`},
		{"{{.Rootfs.Chosen}}", `^(native|fuse-overlayfs)$`},
		{"{{.ContainersRunning}} {{.Images}}", `^0 \d+$`},
		{"{{.ClientInfo.Context}}", `^default$`},
		{"{{json .User.SubUIDs}}", `^\[\{`},
		{"{{.DockerRootDir}}", "^" + regexp.QuoteMeta(e.GraphRoot()) + "$"},
		{"{{.Probe.UserNamespace}}", `^true$`},
		{"{{.ID}}", `^[0-9A-F-]{36}$`},
	}
	var joined []string
	for _, tt := range templates {
		joined = append(joined, tt.format)
	}
	got := lines(e.urun(t, "info", "--format", strings.Join(joined, "\n")).ok(t))
	require.Len(t, got, len(templates))
	for i, tt := range templates {
		assert.Regexp(t, tt.want, got[i], tt.format)
	}
	res := e.urun(t, "info", "--format", "{{.NoSuchKey}}")
	assert.NotEqual(t, 0, res.code, "a key info lacks is an error")

	t.Run("text as Docker's", func(t *testing.T) {
		out := e.urun(t, "info").ok(t)
		for _, want := range []string{"Client:\n Version:", "\nServer:\n Containers: ", "\n  Running: ", "\n Images: ",
			"\n Storage Driver: overlay\n", "\n Cgroup Version: ", "\n Kernel Version: " + kernel + "\n",
			"\n Operating System: ", "\n OSType: linux\n", "\n Architecture: ", "\n CPUs: ", "\n Total Memory: ",
			"\n Docker Root Dir: " + e.GraphRoot() + "\n", "\n Security Options:\n", "  rootless\n",
			// urun's own hints stay
			"  Rootfs Driver: ", "  Subuid Ranges: ", "  User Namespaces: yes"} {
			assert.Contains(t, out, want)
		}
		assert.Regexp(t, `\n Total Memory: \d+(\.\d+)?GiB\n`, out)
	})
}
