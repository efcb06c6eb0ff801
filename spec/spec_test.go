package spec

import (
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/urun/urun/image/local"
)

const testID = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

func testImage(rc local.RunConfig) *local.Image {
	return &local.Image{ID: "img", Config: local.ImageConfig{Config: rc}}
}

func noCallerEnv(string) (string, bool) { return "", false }

func callerEnv(env map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) {
		v, ok := env[k]
		return v, ok
	}
}

func strPtr(s string) *string { return &s }

func TestRunCommandFollowsDockerEntrypointRules(t *testing.T) {
	tests := []struct {
		name       string
		image      local.RunConfig
		entrypoint *string
		command    []string
		want       []string
	}{
		{
			name:  "image entrypoint and cmd",
			image: local.RunConfig{Entrypoint: []string{"/entry.sh", "-x"}, Cmd: []string{"serve", "--port=80"}},
			want:  []string{"/entry.sh", "-x", "serve", "--port=80"},
		},
		{
			name:  "image cmd only",
			image: local.RunConfig{Cmd: []string{"/bin/sh"}},
			want:  []string{"/bin/sh"},
		},
		{
			name:  "image entrypoint only",
			image: local.RunConfig{Entrypoint: []string{"/entry.sh"}},
			want:  []string{"/entry.sh"},
		},
		{
			name:    "user command replaces cmd and keeps the entrypoint",
			image:   local.RunConfig{Entrypoint: []string{"/entry.sh"}, Cmd: []string{"serve"}},
			command: []string{"migrate", "--all"},
			want:    []string{"/entry.sh", "migrate", "--all"},
		},
		{
			name:    "user command on an image without entrypoint",
			image:   local.RunConfig{Cmd: []string{"/bin/sh"}},
			command: []string{"echo", "hi"},
			want:    []string{"echo", "hi"},
		},
		{
			name:       "--entrypoint replaces the entrypoint and drops the image's cmd",
			image:      local.RunConfig{Entrypoint: []string{"/entry.sh"}, Cmd: []string{"serve"}},
			entrypoint: strPtr("/bin/bash"),
			want:       []string{"/bin/bash"},
		},
		{
			name:       "--entrypoint with a user command",
			image:      local.RunConfig{Entrypoint: []string{"/entry.sh"}, Cmd: []string{"serve"}},
			entrypoint: strPtr("/bin/sh"),
			command:    []string{"-c", "true"},
			want:       []string{"/bin/sh", "-c", "true"},
		},
		{
			name:       `--entrypoint "" clears the entrypoint`,
			image:      local.RunConfig{Entrypoint: []string{"/entry.sh"}, Cmd: []string{"serve"}},
			entrypoint: strPtr(""),
			command:    []string{"ls", "/"},
			want:       []string{"ls", "/"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Build(testID, testImage(tt.image), Options{Entrypoint: tt.entrypoint, Command: tt.command}, noCallerEnv)
			require.NoError(t, err)
			assert.Equal(t, tt.want, s.Process.Args)
		})
	}
}

func TestRunWithoutAnyCommandIsAnError(t *testing.T) {
	tests := []struct {
		name       string
		image      local.RunConfig
		entrypoint *string
	}{
		{"image without entrypoint or cmd", local.RunConfig{}, nil},
		{`--entrypoint "" drops the image's cmd too`, local.RunConfig{Cmd: []string{"/bin/sh"}}, strPtr("")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Build(testID, testImage(tt.image), Options{Entrypoint: tt.entrypoint}, noCallerEnv)
			require.Error(t, err)
			assert.Nil(t, s)
			assert.Contains(t, err.Error(), "no command specified")
		})
	}
}

func TestRunLeavesTheImageConfigUntouched(t *testing.T) {
	// Spare capacity would let appends write into the image's arrays.
	entrypoint := make([]string, 1, 8)
	entrypoint[0] = "/entry.sh"
	env := make([]string, 2, 8)
	env[0], env[1] = "A=image", "PATH=/image/bin"
	img := testImage(local.RunConfig{Entrypoint: entrypoint, Cmd: []string{"serve"}, Env: env})

	s, err := Build(testID, img, Options{Command: []string{"other"}, Env: []string{"A=user", "B=new"}, Terminal: true}, noCallerEnv)
	require.NoError(t, err)
	assert.Equal(t, []string{"/entry.sh", "other"}, s.Process.Args)
	assert.Equal(t, []string{"A=user", "PATH=/image/bin", "B=new", "HOSTNAME=0123456789ab", "TERM=xterm"}, s.Process.Env)
	assert.Equal(t, []string{"/entry.sh"}, img.Config.Config.Entrypoint)
	assert.Equal(t, []string{"serve"}, img.Config.Config.Cmd)
	assert.Equal(t, []string{"A=image", "PATH=/image/bin"}, img.Config.Config.Env)
	assert.Equal(t, []string{"A=image", "PATH=/image/bin", "", ""}, env[:4], "nothing was written past the image's entries")

	s.Process.Args[0], s.Process.Env[0] = "changed", "changed"
	assert.Equal(t, "/entry.sh", img.Config.Config.Entrypoint[0])
	assert.Equal(t, "A=image", img.Config.Config.Env[0])
}

func TestRunEnvironment(t *testing.T) {
	tests := []struct {
		name   string
		image  []string
		opts   Options
		caller map[string]string
		want   []string
	}{
		{
			name: "image without env gets PATH and HOSTNAME",
			want: []string{"PATH=" + DefaultPath, "HOSTNAME=0123456789ab"},
		},
		{
			name:  "image PATH is kept",
			image: []string{"PATH=/opt/bin:/bin", "LANG=C.UTF-8"},
			want:  []string{"PATH=/opt/bin:/bin", "LANG=C.UTF-8", "HOSTNAME=0123456789ab"},
		},
		{
			name:  "-e replaces by key in place and appends new keys",
			image: []string{"PATH=/bin", "MODE=prod", "LANG=C"},
			opts:  Options{Env: []string{"MODE=dev", "EXTRA=1"}},
			want:  []string{"PATH=/bin", "MODE=dev", "LANG=C", "EXTRA=1", "HOSTNAME=0123456789ab"},
		},
		{
			name:  "-e PATH overrides the image's",
			image: []string{"PATH=/bin"},
			opts:  Options{Env: []string{"PATH=/custom"}},
			want:  []string{"PATH=/custom", "HOSTNAME=0123456789ab"},
		},
		{
			name:   "-e KEY takes the caller's value",
			opts:   Options{Env: []string{"TOKEN"}},
			caller: map[string]string{"TOKEN": "s3cret"},
			want:   []string{"TOKEN=s3cret", "PATH=" + DefaultPath, "HOSTNAME=0123456789ab"},
		},
		{
			name:  "-e KEY the caller does not have is dropped",
			image: []string{"TOKEN=image"},
			opts:  Options{Env: []string{"TOKEN"}},
			want:  []string{"TOKEN=image", "PATH=" + DefaultPath, "HOSTNAME=0123456789ab"},
		},
		{
			name: "--hostname sets HOSTNAME",
			opts: Options{Hostname: "web"},
			want: []string{"PATH=" + DefaultPath, "HOSTNAME=web"},
		},
		{
			name: "-e HOSTNAME wins over the hostname",
			opts: Options{Env: []string{"HOSTNAME=mine"}},
			want: []string{"HOSTNAME=mine", "PATH=" + DefaultPath},
		},
		{
			name: "a terminal gets TERM=xterm",
			opts: Options{Terminal: true},
			want: []string{"PATH=" + DefaultPath, "HOSTNAME=0123456789ab", "TERM=xterm"},
		},
		{
			name: "a terminal keeps a TERM given with -e",
			opts: Options{Terminal: true, Env: []string{"TERM=vt100"}},
			want: []string{"TERM=vt100", "PATH=" + DefaultPath, "HOSTNAME=0123456789ab"},
		},
		{
			name:  "no terminal, no TERM",
			image: []string{"PATH=/bin"},
			opts:  Options{Terminal: false},
			want:  []string{"PATH=/bin", "HOSTNAME=0123456789ab"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			img := testImage(local.RunConfig{Cmd: []string{"sh"}, Env: tt.image})
			s, err := Build(testID, img, tt.opts, callerEnv(tt.caller))
			require.NoError(t, err)
			assert.Equal(t, tt.want, s.Process.Env)
		})
	}
}

func TestContainerHostnameIsTheShortIDUnlessGiven(t *testing.T) {
	tests := []struct {
		name, hostname, want string
	}{
		{"default is the first 12 characters of the id", "", "0123456789ab"},
		{"--hostname", "db.local", "db.local"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Build(testID, testImage(local.RunConfig{Cmd: []string{"sh"}}), Options{Hostname: tt.hostname}, noCallerEnv)
			require.NoError(t, err)
			assert.Equal(t, tt.want, s.Hostname)
			assert.Contains(t, s.Process.Env, "HOSTNAME="+tt.want)
		})
	}
}

func TestTerminalOptionAllocatesATerminal(t *testing.T) {
	for _, terminal := range []bool{false, true} {
		s, err := Build(testID, testImage(local.RunConfig{Cmd: []string{"sh"}}), Options{Terminal: terminal}, noCallerEnv)
		require.NoError(t, err)
		assert.Equal(t, terminal, s.Process.Terminal)
	}
}

func TestRunWorkingDirectory(t *testing.T) {
	tests := []struct {
		name, image, flag, want string
	}{
		{"image without WorkingDir starts in /", "", "", "/"},
		{"image WorkingDir", "/app", "", "/app"},
		{"-w overrides the image", "/app", "/srv", "/srv"},
		{"-w on an image without WorkingDir", "", "/data", "/data"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Build(testID, testImage(local.RunConfig{Cmd: []string{"sh"}, WorkingDir: tt.image}), Options{WorkDir: tt.flag}, noCallerEnv)
			require.NoError(t, err)
			assert.Equal(t, tt.want, s.Process.Cwd)
		})
	}
}

func TestRelativeWorkingDirectoryIsAnError(t *testing.T) {
	tests := []struct {
		name, image, flag string
	}{
		{"relative -w", "/app", "app"},
		{"relative image WorkingDir", "app", ""},
		{"dot", "", "."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Build(testID, testImage(local.RunConfig{Cmd: []string{"sh"}, WorkingDir: tt.image}), Options{WorkDir: tt.flag}, noCallerEnv)
			require.Error(t, err)
			assert.Contains(t, err.Error(), "not absolute")
		})
	}
}

func TestRunUserComesFromImageOrUserFlag(t *testing.T) {
	tests := []struct {
		name, image, flag, want string
	}{
		{"neither", "", "", ""},
		{"image USER", "nobody", "", "nobody"},
		{"-u overrides the image", "nobody", "1000:1000", "1000:1000"},
		{"-u on an image without USER", "", "postgres", "postgres"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Build(testID, testImage(local.RunConfig{Cmd: []string{"sh"}, User: tt.image}), Options{User: tt.flag}, noCallerEnv)
			require.NoError(t, err)
			assert.Equal(t, tt.want, s.Process.User.Username)
		})
	}
}

func namespaceTypes(s *specs.Spec) []specs.LinuxNamespaceType {
	var types []specs.LinuxNamespaceType
	for _, ns := range s.Linux.Namespaces {
		types = append(types, ns.Type)
	}
	return types
}

func mountAt(s *specs.Spec, dest string) (specs.Mount, bool) {
	for _, m := range s.Mounts {
		if m.Destination == dest {
			return m, true
		}
	}
	return specs.Mount{}, false
}

func TestHostNetworkSharesTheNetworkAndBindsSys(t *testing.T) {
	tests := []struct {
		name        string
		hostNetwork bool
		wantNetNS   bool
		wantSys     specs.Mount
	}{
		{
			name:      "own network namespace mounts a fresh sysfs",
			wantNetNS: true,
			wantSys:   specs.Mount{Destination: "/sys", Type: "sysfs", Source: "sysfs", Options: []string{"nosuid", "noexec", "nodev", "ro"}},
		},
		{
			name:        "host network binds the host's /sys read-only",
			hostNetwork: true,
			wantSys:     specs.Mount{Destination: "/sys", Type: "bind", Source: "/sys", Options: []string{"rbind", "nosuid", "noexec", "nodev", "ro"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Build(testID, testImage(local.RunConfig{Cmd: []string{"sh"}}), Options{HostNetwork: tt.hostNetwork}, noCallerEnv)
			require.NoError(t, err)
			types := namespaceTypes(s)
			for _, always := range []specs.LinuxNamespaceType{specs.UserNamespace, specs.PIDNamespace, specs.MountNamespace, specs.UTSNamespace, specs.IPCNamespace} {
				assert.Contains(t, types, always)
			}
			if tt.wantNetNS {
				assert.Contains(t, types, specs.NetworkNamespace)
			} else {
				assert.NotContains(t, types, specs.NetworkNamespace)
			}
			sys, ok := mountAt(s, "/sys")
			require.True(t, ok)
			assert.Equal(t, tt.wantSys, sys)
		})
	}
}

func TestUserMountsComeAfterTheDefaultMounts(t *testing.T) {
	vol := specs.Mount{Destination: "/data", Type: "bind", Source: "/srv/data", Options: []string{"rbind", "ro"}}
	tmp := specs.Mount{Destination: "/run", Type: "tmpfs", Source: "tmpfs", Options: []string{"nosuid"}}
	s, err := Build(testID, testImage(local.RunConfig{Cmd: []string{"sh"}}), Options{Mounts: []specs.Mount{vol, tmp}}, noCallerEnv)
	require.NoError(t, err)

	defaults := DefaultMounts(false)
	require.Len(t, s.Mounts, len(defaults)+2)
	assert.Equal(t, defaults, s.Mounts[:len(defaults)])
	assert.Equal(t, []specs.Mount{vol, tmp}, s.Mounts[len(defaults):])
	var dests []string
	for _, m := range defaults {
		dests = append(dests, m.Destination)
	}
	assert.Equal(t, []string{"/proc", "/dev", "/dev/pts", "/dev/shm", "/dev/mqueue", "/sys"}, dests)
}

func TestMergeEnv(t *testing.T) {
	tests := []struct {
		name   string
		image  []string
		user   []string
		caller map[string]string
		want   []string
	}{
		{"nothing", nil, nil, nil, []string{}},
		{"image only", []string{"A=1", "B=2"}, nil, nil, []string{"A=1", "B=2"}},
		{"user overrides by key, keeping the image's order", []string{"A=1", "B=2"}, []string{"B=3", "A=4"}, nil, []string{"A=4", "B=3"}},
		{"a key that is a prefix of another is a different key", []string{"AB=1"}, []string{"A=2"}, nil, []string{"AB=1", "A=2"}},
		{"later -e of the same key wins", nil, []string{"A=1", "A=2"}, nil, []string{"A=2"}},
		{"-e KEY= sets an empty value", []string{"A=1"}, []string{"A="}, nil, []string{"A="}},
		{"value with '='", nil, []string{"URL=a=b"}, nil, []string{"URL=a=b"}},
		{"-e KEY from the caller", []string{"HOME=/root"}, []string{"HOME"}, map[string]string{"HOME": "/home/alice"}, []string{"HOME=/home/alice"}},
		{"-e KEY the caller has empty", nil, []string{"EMPTY"}, map[string]string{"EMPTY": ""}, []string{"EMPTY="}},
		{"-e KEY the caller lacks is dropped", []string{"A=1"}, []string{"MISSING"}, nil, []string{"A=1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			image := append([]string(nil), tt.image...)
			got := MergeEnv(image, tt.user, callerEnv(tt.caller))
			assert.Equal(t, tt.want, got)
			assert.Equal(t, tt.image, image, "the image's slice is not changed")
		})
	}
}
