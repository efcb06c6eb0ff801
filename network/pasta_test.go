package network

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPastaFlags(t *testing.T) {
	const ns = "--userns /proc/4242/ns/user --netns /proc/4242/ns/net"
	fixed := "--config-net --foreground --quiet --pid /s/pasta.pid"
	if os.Geteuid() == 0 {
		// root's pasta stays root (pastaArgs)
		fixed += " --runas 0:0"
	}
	tests := []struct {
		name  string
		mode  string
		ports []PortMapping
		want  string
	}{
		{"no ports", "pasta", nil,
			fixed + " -t none -u none -T none -U none --no-map-gw --dns-forward 169.254.1.1 " + ns},
		{"ports", "pasta", []PortMapping{
			{HostPort: 8080, ContainerPort: 80, Proto: "tcp"},
			{HostIP: "127.0.0.1", HostPort: 8443, ContainerPort: 443, Proto: "tcp"},
			{HostIP: "::1", HostPort: 5353, ContainerPort: 53, Proto: "udp"},
		}, fixed + " -t 8080:80 -t 127.0.0.1/8443:443 -u ::1/5353:53 -T none -U none --no-map-gw --dns-forward 169.254.1.1 " + ns},
		{"the user's own choices", "pasta:--map-gw,-T,5432,--dns-forward,10.9.9.9,-t,9000", nil,
			fixed + " -u none -U none -T 5432 --dns-forward 10.9.9.9 -t 9000 " + ns},
		{"the user's --no-map-gw", "pasta:--no-map-gw", nil,
			fixed + " -t none -u none -T none -U none --dns-forward 169.254.1.1 --no-map-gw " + ns},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := pastaArgs(mustMode(t, tt.mode).PastaArgs, 4242, tt.ports, "/s/pasta.pid")
			assert.Equal(t, tt.want, strings.Join(got, " "))
		})
	}
}

func TestPastasFailureIsFoundInItsNoise(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "pasta.log")
	cmd := exec.Command("false")
	require.Error(t, cmd.Run())
	p := &pasta{proc: &helperProcess{name: "pasta", cmd: cmd, logPath: log}}
	for _, tt := range []struct{ log, want string }{
		{"pasta: unrecognized option '--bogus'\nFailed to send 51 bytes to syslog\nUsage: pasta [OPTION]...\nFailed to send 35 bytes to syslog\n       pasta [OPTION]... PID\n",
			"pasta exited (exit status 1): pasta: unrecognized option '--bogus'"},
		{"Failed to send 57 bytes to syslog\nFailed to bind any port for '-t 8080:80', exiting\n",
			"pasta exited (exit status 1): Failed to bind any port for '-t 8080:80', exiting"},
		{"", "pasta exited (exit status 1)"},
	} {
		require.NoError(t, os.WriteFile(log, []byte(tt.log), 0o600))
		assert.EqualError(t, p.failure(), tt.want)
	}
}
