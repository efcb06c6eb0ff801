package inside

import (
	"encoding/json"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/urun/urun/spec"
)

// What the host writes (a spec.Container) is what init reads.
func TestInitReadsWhatTheHostWrites(t *testing.T) {
	written := spec.Container{
		ID: "abc",
		Spec: &specs.Spec{
			Hostname: "box", Domainname: "example.org",
			Annotations: map[string]string{spec.GroupAddAnnotation: "wheel"},
			Linux:       &specs.Linux{Sysctl: map[string]string{"net.ipv4.ip_forward": "1"}},
			Root:        &specs.Root{Path: "/run/x/rootfs"},
			Mounts:      []specs.Mount{{Destination: "/proc", Type: "proc", Source: "proc", Options: []string{"nosuid"}}},
			Process: &specs.Process{
				Terminal: true, ConsoleSize: &specs.Box{Height: 24, Width: 80},
				User: specs.User{Username: "app:extra"},
				Args: []string{"sh", "-c", "true"}, Env: []string{"A=1"}, Cwd: "/work",
				Rlimits: []specs.POSIXRlimit{{Type: "RLIMIT_NOFILE", Soft: 10, Hard: 20}},
			},
		},
		Rootfs:      spec.Rootfs{Driver: "native", Lower: []string{"l/B", "l/A"}, LinkDir: "/s/overlay/l", Upper: "/u", Work: "/w", Volatile: true},
		WaitForHost: true,
		CgroupNS:    true,
	}
	data, err := json.Marshal(written)
	require.NoError(t, err)
	var read config
	require.NoError(t, json.Unmarshal(data, &read))

	s := read.Spec
	assert.Equal(t, "box", s.Hostname)
	assert.Equal(t, "example.org", s.Domainname)
	assert.Equal(t, []string{"wheel"}, groupAddOf(s.Annotations))
	assert.Equal(t, written.Spec.Linux.Sysctl, s.Linux.Sysctl)
	assert.Equal(t, written.Spec.Process.Rlimits, s.Process.Rlimits)
	assert.Equal(t, "/run/x/rootfs", s.Root.Path)
	assert.Equal(t, written.Spec.Mounts, s.Mounts)
	assert.True(t, s.Process.Terminal)
	assert.Equal(t, written.Spec.Process.ConsoleSize, s.Process.ConsoleSize)
	assert.Equal(t, "app:extra", s.Process.User.Username)
	assert.Equal(t, written.Spec.Process.Args, s.Process.Args)
	assert.Equal(t, written.Spec.Process.Env, s.Process.Env)
	assert.Equal(t, "/work", s.Process.Cwd)
	assert.Equal(t, written.Rootfs, read.Rootfs)
	assert.True(t, read.WaitForHost)
	assert.True(t, read.CgroupNS)
}
