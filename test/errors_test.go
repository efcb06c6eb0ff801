package test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRunUnknownImageFails(t *testing.T) {
	e := newEnv(t)
	res := e.urun(t, "run", "--rm", reg.Addr()+"/library/nope:latest", "true")
	res.exits(t, 125)
	assert.Contains(t, res.stderr, "library/nope", "the message names the image")
	assert.Empty(t, res.stdout)
}

func TestRunMalformedReferenceFails(t *testing.T) {
	e := newEnv(t)
	start := time.Now()
	res := e.urun(t, "run", "--rm", "BAD//ref", "true")
	res.exits(t, 125)
	assert.True(t, strings.Contains(res.stderr, "BAD//ref") || strings.Contains(strings.ToLower(res.stderr), "invalid reference"),
		"the message names the bad reference: %q", res.stderr)
	assert.Less(t, time.Since(start), 20*time.Second, "a malformed reference fails without network waits")
}

func TestRunUsageErrorsExit125(t *testing.T) {
	e := newEnv(t)
	for _, c := range []struct {
		name    string
		args    []string
		mention string
	}{
		{"no image", []string{"run"}, ""},
		{"unknown flag", []string{"run", "--no-such-flag", busyboxRef, "true"}, "no-such-flag"},
		{"bad rootfs driver", []string{"--rootfs-driver", "bogus", "run", "--rm", busyboxRef, "true"}, "fuse-overlayfs"},
		{"bad network", []string{"run", "--rm", "--network", "bogus", busyboxRef, "true"}, "bogus"},
		{"bad slirp4netns option", []string{"run", "--rm", "--network", "slirp4netns:bogus_option=1", busyboxRef, "true"}, "bogus_option"},
		{"bad slirp4netns mtu", []string{"run", "--rm", "--network", "slirp4netns:mtu=huge", busyboxRef, "true"}, "huge"},
		{"bad publish", []string{"run", "--rm", "-p", "127.0.0.1:eighty:80", busyboxRef, "true"}, "eighty"},
		{"publish port out of range", []string{"run", "--rm", "-p", "127.0.0.1:70000:80", busyboxRef, "true"}, "70000"},
		{"publish bad protocol", []string{"run", "--rm", "-p", "80/sctp-ish", busyboxRef, "true"}, "sctp-ish"},
		{"bad --add-host", []string{"run", "--rm", "--add-host", "no-address-here", busyboxRef, "true"}, "no-address-here"},
		{"bad --dns", []string{"run", "--rm", "--dns", "not-an-ip", busyboxRef, "true"}, "not-an-ip"},
		{"bad mount", []string{"run", "--rm", "--mount", "type=nonsense,target=/x", busyboxRef, "true"}, "nonsense"},
		{"relative workdir", []string{"run", "--rm", "-w", "relative/dir", busyboxRef, "true"}, "relative/dir"},
		{"missing env file", []string{"run", "--rm", "--env-file", "/nonexistent/vars.env", busyboxRef, "true"}, "/nonexistent/vars.env"},
	} {
		t.Run(c.name, func(t *testing.T) {
			res := e.urun(t, c.args...)
			res.exits(t, 125)
			assert.NotEmpty(t, strings.TrimSpace(res.stderr), "the error is explained on stderr")
			if c.mention != "" {
				assert.Contains(t, res.stderr, c.mention)
			}
		})
	}
	// Not a run: Docker's CLI exits 1 for a command it does not have.
	res := e.urun(t, "no-such-subcommand")
	res.exits(t, 1)
	assert.Contains(t, res.stderr, "'no-such-subcommand' is not a urun command")
}

// linkFarmWithout returns a directory of symlinks to every command in the
// system's bin directories except those named, for a PATH that lacks them.
func linkFarmWithout(t *testing.T, without ...string) string {
	t.Helper()
	farm := mkTemp(t)
	skip := map[string]bool{}
	for _, w := range without {
		skip[w] = true
	}
	for _, d := range []string{"/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"} {
		ents, err := os.ReadDir(d)
		if err != nil {
			continue
		}
		for _, e := range ents {
			if skip[e.Name()] {
				continue
			}
			link := filepath.Join(farm, e.Name())
			if _, err := os.Lstat(link); err == nil {
				continue // an earlier directory wins, as in PATH
			}
			require.NoError(t, os.Symlink(filepath.Join(d, e.Name()), link))
		}
	}
	return farm
}

func TestRunFuseOverlayfsMissingNamesThePackage(t *testing.T) {
	e := newEnv(t)
	e.flags = append(e.flags, "--rootfs-driver", "fuse-overlayfs")
	e.urun(t, "pull", busyboxRef).ok(t)
	// urun's environment keeps binDir first in PATH; the rest is the farm.
	farm := linkFarmWithout(t, "fuse-overlayfs")
	e.vars = append(e.vars, "PATH="+binDir+":"+farm)
	res := e.urun(t, "run", "--rm", busyboxRef, "true")
	res.exits(t, 125)
	assert.Contains(t, res.stderr, "fuse-overlayfs")
	assert.Contains(t, strings.ToLower(res.stderr), "install", "the message says to install the package")
}
