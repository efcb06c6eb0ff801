package spec

import (
	"os"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"

	"github.com/urun/urun/image/local"
)

func callerLimits(hard uint64) func(int) (unix.Rlimit, error) {
	return func(int) (unix.Rlimit, error) { return unix.Rlimit{Cur: hard, Max: hard}, nil }
}

func TestUlimitParsesDockersForms(t *testing.T) {
	tests := []struct {
		value string
		want  specs.POSIXRlimit
	}{
		{"nofile=1024:4096", specs.POSIXRlimit{Type: "RLIMIT_NOFILE", Soft: 1024, Hard: 4096}},
		{"nofile=1024", specs.POSIXRlimit{Type: "RLIMIT_NOFILE", Soft: 1024, Hard: 1024}},
		{"core=0", specs.POSIXRlimit{Type: "RLIMIT_CORE", Soft: 0, Hard: 0}},
		{"nproc=-1", specs.POSIXRlimit{Type: "RLIMIT_NPROC", Soft: unix.RLIM_INFINITY, Hard: unix.RLIM_INFINITY}},
		{"stack=8192:-1", specs.POSIXRlimit{Type: "RLIMIT_STACK", Soft: 8192, Hard: unix.RLIM_INFINITY}},
		{"memlock=65536:65536", specs.POSIXRlimit{Type: "RLIMIT_MEMLOCK", Soft: 65536, Hard: 65536}},
	}
	for _, tt := range tests {
		t.Run(tt.value, func(t *testing.T) {
			got, err := ParseUlimit(tt.value, callerLimits(unix.RLIM_INFINITY))
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
			n, ok := RlimitNumber(got.Type)
			assert.True(t, ok)
			assert.GreaterOrEqual(t, n, 0)
		})
	}
}

func TestUlimitRefusesWhatCannotBeHad(t *testing.T) {
	tests := []struct{ value, wantErr string }{
		{"nofile", "want TYPE=SOFT[:HARD]"},
		{"bogus=1", "want TYPE=SOFT[:HARD]"},
		{"nofile=many", "want TYPE=SOFT[:HARD]"},
		{"nofile=10:5", "soft limit"},
		{"nofile=10:99999", "above yours (4096)"},
		{"nofile=-1", "above yours (4096)"},
	}
	for _, tt := range tests {
		t.Run(tt.value, func(t *testing.T) {
			_, err := ParseUlimit(tt.value, callerLimits(4096))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.wantErr)
			assert.Contains(t, err.Error(), "--ulimit")
		})
	}
}

func TestSysctlTakesOnlyNamespacedKeys(t *testing.T) {
	tests := []struct {
		name, value          string
		hostNetwork, hostIPC bool
		wantErr              string
	}{
		{name: "net", value: "net.ipv4.ip_forward=1"},
		{name: "shm", value: "kernel.shmmax=1000"},
		{name: "msg", value: "kernel.msgmax=1000"},
		{name: "sem", value: "kernel.sem=250 32000 32 128"},
		{name: "mqueue", value: "fs.mqueue.msg_max=20"},
		{name: "next id", value: "kernel.shm_next_id=5"},
		{name: "not IPC though it starts alike", value: "kernel.semaphore_x=1", wantErr: "not a namespaced sysctl"},
		{name: "fs but not mqueue", value: "fs.file-max=1", wantErr: "not a namespaced sysctl"},
		{name: "host wide", value: "kernel.hostname=x", wantErr: "not a namespaced sysctl"},
		{name: "vm", value: "vm.swappiness=1", wantErr: "not a namespaced sysctl"},
		{name: "net with the host's network", value: "net.ipv4.ip_forward=1", hostNetwork: true, wantErr: "--network host"},
		{name: "ipc with the host's ipc", value: "kernel.shmmax=1", hostIPC: true, wantErr: "--ipc host"},
		{name: "no value", value: "net.ipv4.ip_forward", wantErr: "KEY=VALUE"},
		{name: "a path", value: "net/../../x=1", wantErr: "KEY=VALUE"},
		{name: "an empty part", value: "net..x=1", wantErr: "KEY=VALUE"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := ParseSysctl(tt.value, tt.hostNetwork, tt.hostIPC)
			if tt.wantErr == "" {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.wantErr)
		})
	}
}

func TestShmSize(t *testing.T) {
	n, err := ParseShmSize("1g")
	require.NoError(t, err)
	assert.Equal(t, int64(1<<30), n)
	for _, bad := range []string{"", "0", "-1m", "big"} {
		_, err := ParseShmSize(bad)
		assert.Error(t, err, bad)
	}
}

func TestKernelOptionsInTheSpec(t *testing.T) {
	adj := 300
	img := testImage(local.RunConfig{Cmd: []string{"sh"}})
	s, err := Build(testID, img, Options{Kernel: Kernel{
		ShmSize: 1 << 30, Sysctls: []string{"kernel.shmmax=5"}, GroupAdd: []string{"wheel", "42"},
		Domainname: "example.org", OOMScoreAdj: &adj, Ulimits: []string{"core=0"},
	}}, noCallerEnv)
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"kernel.shmmax": "5", "net.ipv4.ip_unprivileged_port_start": "0"}, s.Linux.Sysctl)
	assert.Equal(t, "wheel,42", s.Annotations[GroupAddAnnotation])
	assert.Equal(t, "example.org", s.Domainname)
	assert.Equal(t, &adj, s.Process.OOMScoreAdj)
	assert.Equal(t, []specs.POSIXRlimit{{Type: "RLIMIT_CORE"}}, s.Process.Rlimits)
	for _, m := range s.Mounts {
		if m.Destination == "/dev/shm" {
			assert.Contains(t, m.Options, "size=1048576k")
			assert.NotContains(t, m.Options, "size=65536k")
		}
	}
}

func TestHostNamespaces(t *testing.T) {
	img := testImage(local.RunConfig{Cmd: []string{"sh"}})
	s, err := Build(testID, img, Options{Kernel: Kernel{IPC: "host", PID: "host", UTS: "host"}}, noCallerEnv)
	require.NoError(t, err)
	assert.False(t, HasNamespace(s, specs.PIDNamespace))
	assert.False(t, HasNamespace(s, specs.IPCNamespace))
	assert.False(t, HasNamespace(s, specs.UTSNamespace))
	assert.True(t, HasNamespace(s, specs.NetworkNamespace))
	host, err := os.Hostname()
	require.NoError(t, err)
	assert.Equal(t, host, s.Hostname, "the UTS namespace is the host's: /etc/hostname says its name")
	for _, m := range s.Mounts {
		if m.Destination == "/proc" {
			assert.Equal(t, "bind", m.Type, "a PID namespace the container does not own takes the host's /proc")
		}
		if m.Destination == "/dev/mqueue" {
			assert.Equal(t, "bind", m.Type)
		}
	}
	s, err = Build(testID, img, Options{HostNetwork: true}, noCallerEnv)
	require.NoError(t, err)
	assert.NotContains(t, s.Linux.Sysctl, "net.ipv4.ip_unprivileged_port_start", "the host's network is not the container's to change")
}

func TestIPCNoneHasNoDevShm(t *testing.T) {
	s, err := Build(testID, testImage(local.RunConfig{Cmd: []string{"sh"}}), Options{Kernel: Kernel{IPC: "none"}}, noCallerEnv)
	require.NoError(t, err)
	for _, m := range s.Mounts {
		assert.NotEqual(t, "/dev/shm", m.Destination)
	}
	assert.True(t, HasNamespace(s, specs.IPCNamespace))
}

func TestTmpfsOnDevShmReplacesIt(t *testing.T) {
	tmpfs, err := ParseTmpfs("/dev/shm:size=2m")
	require.NoError(t, err)
	s, err := Build(testID, testImage(local.RunConfig{Cmd: []string{"sh"}}), Options{Mounts: []specs.Mount{tmpfs}}, noCallerEnv)
	require.NoError(t, err)
	var shm []specs.Mount
	for _, m := range s.Mounts {
		if m.Destination == "/dev/shm" {
			shm = append(shm, m)
		}
	}
	require.Len(t, shm, 1)
	assert.Contains(t, shm[0].Options, "size=2m")
}

func TestBadKernelOptions(t *testing.T) {
	low := -1001
	tests := []struct {
		name    string
		o       Options
		wantErr string
	}{
		{"ipc mode", Options{Kernel: Kernel{IPC: "bogus"}}, `--ipc "bogus": unknown mode`},
		{"pid of a container without a name", Options{Kernel: Kernel{PID: "container:"}}, "want container:NAME"},
		{"hostname with uts of another container", Options{Hostname: "x", Kernel: Kernel{UTS: "container:db"}}, "that container's"},
		{"ipc sysctl with ipc of another container", Options{Kernel: Kernel{IPC: "container:db", Sysctls: []string{"kernel.shmmax=1"}}}, "--ipc container:db"},
		{"uts mode", Options{Kernel: Kernel{UTS: "private"}}, `--uts "private": unknown mode`},
		{"hostname with uts host", Options{Hostname: "x", Kernel: Kernel{UTS: "host"}}, "--uts host"},
		{"group with a comma", Options{Kernel: Kernel{GroupAdd: []string{"a,b"}}}, "--group-add"},
		{"domain name with a space", Options{Kernel: Kernel{Domainname: "a b"}}, "--domainname"},
		{"oom score out of range", Options{Kernel: Kernel{OOMScoreAdj: &low}}, "-1000 to 1000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.o.Check()
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.wantErr)
		})
	}
}

func TestCapabilityFlagsAsDocker(t *testing.T) {
	tests := []struct {
		name       string
		add, drop  []string
		has, lacks []string
	}{
		{"add all then drop one", []string{"all"}, []string{"net_raw"}, []string{"CAP_SYS_ADMIN", "CAP_CHOWN"}, []string{"CAP_NET_RAW"}},
		{"drop all then add one", []string{"chown"}, []string{"ALL"}, []string{"CAP_CHOWN"}, []string{"CAP_NET_RAW", "CAP_KILL"}},
		{"added and dropped is added", []string{"net_admin"}, []string{"net_admin"}, []string{"CAP_NET_ADMIN"}, nil},
		{"add all and drop all is all", []string{"ALL"}, []string{"ALL"}, []string{"CAP_SYS_ADMIN"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			caps, err := Capabilities(tt.add, tt.drop, false)
			require.NoError(t, err)
			for _, c := range tt.has {
				assert.Contains(t, caps, c)
			}
			for _, c := range tt.lacks {
				assert.NotContains(t, caps, c)
			}
		})
	}
}

// --annotation, --group-add and --security-opt seccomp= each keep their
// annotation when given together.
func TestAnnotationsOfEveryFlagAreKeptTogether(t *testing.T) {
	img := testImage(local.RunConfig{Cmd: []string{"sh"}})
	s, err := Build(testID, img, Options{
		Annotations: map[string]string{"org.example.team": "web"},
		Kernel:      Kernel{GroupAdd: []string{"wheel"}},
		Security:    Security{Opts: []string{"seccomp=unconfined"}},
	}, noCallerEnv)
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"org.example.team": "web", GroupAddAnnotation: "wheel", SeccompAnnotation: "unconfined"}, s.Annotations)
}

func TestNamespacesOfAnotherContainerAreNotTheContainersOwn(t *testing.T) {
	k := Kernel{IPC: "container:db", PID: "container:db", UTS: "container:db"}
	require.NoError(t, Options{Kernel: k}.Check())
	s, err := Build(testID, testImage(local.RunConfig{Cmd: []string{"sh"}}), Options{Kernel: k}, noCallerEnv)
	require.NoError(t, err)
	types := namespaceTypes(s)
	for _, joined := range []specs.LinuxNamespaceType{specs.IPCNamespace, specs.PIDNamespace, specs.UTSNamespace} {
		assert.NotContains(t, types, joined)
	}
	assert.Contains(t, types, specs.MountNamespace)
	_, hasShm := mountAt(s, "/dev/shm")
	assert.False(t, hasShm, "the other container's /dev/shm is bound when it starts")
	proc, ok := mountAt(s, "/proc")
	require.True(t, ok)
	assert.Equal(t, "proc", proc.Type, "a procfs of the PID namespace it joins")
	assert.True(t, k.JoinsContainer())
	assert.Equal(t, "db", JoinedContainer(k.PID))
	assert.False(t, Kernel{IPC: "shareable"}.JoinsContainer())
}
