package test

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRunShowsRootInsideTheContainer(t *testing.T) {
	e := sharedStore(t)
	out := e.urun(t, "run", "--rm", busyboxRef, "id").ok(t)
	assert.Regexp(t, `^uid=0\(root\) gid=0\(root\)`, out)
}

func TestRunShowsRootWithTwoLineUIDMap(t *testing.T) {
	e := sharedStore(t)
	for _, c := range []struct {
		file, subFile string
		callerID      int
	}{
		{"/proc/self/uid_map", "/etc/subuid", os.Getuid()},
		{"/proc/self/gid_map", "/etc/subgid", os.Getgid()},
	} {
		t.Run(filepath.Base(c.file), func(t *testing.T) {
			sub, err := callerRange(c.subFile)
			require.NoError(t, err, "the test user needs a range in %s", c.subFile)
			out := e.urun(t, "run", "--rm", busyboxRef, "cat", c.file).ok(t)
			var got [][]string
			for _, l := range lines(out) {
				got = append(got, strings.Fields(l))
			}
			want := [][]string{
				{"0", strconv.Itoa(c.callerID), "1"},
				{"1", strconv.Itoa(sub.start), strconv.Itoa(sub.count)},
			}
			assert.Equal(t, want, got, "%s inside the container", c.file)
		})
	}
}

func TestRunSeesLayersWithWhiteoutsApplied(t *testing.T) {
	e := sharedStore(t)
	out := e.urun(t, "run", "--rm", busyboxRef, "ls", "-a", "/etc").ok(t)
	names := strings.Fields(out)
	assert.NotContains(t, names, "deleteme", "layer 2 whites out /etc/deleteme")
	assert.NotContains(t, names, ".wh.deleteme", "the whiteout itself must not show")
	assert.Contains(t, names, "layer2")
	assert.Contains(t, names, "passwd")
	assert.Equal(t, layer2Body, e.urun(t, "run", "--rm", busyboxRef, "cat", "/etc/layer2").ok(t))
}

func TestRunWritesDoNotLeakIntoTheImage(t *testing.T) {
	e := sharedStore(t)
	e.urun(t, "run", "--rm", busyboxRef, "sh", "-c", "echo x > /etc/written && rm /etc/layer2 && cat /etc/written").ok(t)
	out := e.urun(t, "run", "--rm", busyboxRef, "ls", "/etc").ok(t)
	assert.NotContains(t, strings.Fields(out), "written", "a file written by an earlier container")
	assert.Contains(t, strings.Fields(out), "layer2", "a file removed by an earlier container")
}

func TestRunCommandIsPID1AndAlone(t *testing.T) {
	e := sharedStore(t)
	t.Run("echo $$", func(t *testing.T) {
		out := e.urun(t, "run", "--rm", busyboxRef, "sh", "-c", "echo $$").ok(t)
		assert.Equal(t, "1", strings.TrimSpace(out))
	})
	t.Run("ps", func(t *testing.T) {
		out := e.urun(t, "run", "--rm", busyboxRef, "ps", "-o", "pid,args").ok(t)
		ls := lines(out)
		require.GreaterOrEqual(t, len(ls), 2, "ps prints a header and itself")
		assert.Equal(t, []string{"1", "ps", "-o", "pid,args"}, strings.Fields(ls[1]))
		assert.Len(t, ls, 2, "ps inside sees only itself, not the host's processes")
	})
}

func TestRunHostnameIsShortContainerID(t *testing.T) {
	e := sharedStore(t)
	a := strings.TrimSpace(e.urun(t, "run", "--rm", busyboxRef, "hostname").ok(t))
	b := strings.TrimSpace(e.urun(t, "run", "--rm", busyboxRef, "hostname").ok(t))
	assert.Regexp(t, `^[0-9a-f]{12}$`, a)
	assert.Regexp(t, `^[0-9a-f]{12}$`, b)
	assert.NotEqual(t, a, b, "two containers have two ids")
	host, _ := os.Hostname()
	assert.NotEqual(t, host, a)
}

func TestRunHostnameFlagSetsHostname(t *testing.T) {
	e := sharedStore(t)
	out := e.urun(t, "run", "--rm", "--hostname", "box-one", busyboxRef, "hostname").ok(t)
	assert.Equal(t, "box-one", strings.TrimSpace(out))
}

// envOf parses `env` output.
func envOf(out string) map[string]string {
	m := map[string]string{}
	for _, l := range lines(out) {
		if k, v, ok := strings.Cut(l, "="); ok {
			m[k] = v
		}
	}
	return m
}

func TestRunEnvComesFromImageFlagsAndFiles(t *testing.T) {
	e := sharedStore(t)
	t.Run("image", func(t *testing.T) {
		got := envOf(e.urun(t, "run", "--rm", busyboxRef, "env").ok(t))
		assert.Equal(t, "busybox", got["FIXTURE"])
		assert.Equal(t, strings.TrimPrefix(fixturePath, "PATH="), got["PATH"])
	})
	t.Run("-e", func(t *testing.T) {
		got := envOf(e.urun(t, "run", "--rm", "-e", "FOO=bar baz", "-e", "FIXTURE=override", "-e", "EMPTY=", busyboxRef, "env").ok(t))
		assert.Equal(t, "bar baz", got["FOO"])
		assert.Equal(t, "override", got["FIXTURE"], "-e overrides the image's value")
		v, ok := got["EMPTY"]
		assert.True(t, ok, "EMPTY= is set, to the empty string")
		assert.Equal(t, "", v)
	})
	t.Run("-e NAME takes urun's environment", func(t *testing.T) {
		e2 := *e
		e2.vars = append(slicesClone(e.vars), "FROM_CALLER=caller value")
		got := envOf(e2.urun(t, "run", "--rm", "-e", "FROM_CALLER", "-e", "UNSET_IN_CALLER", busyboxRef, "env").ok(t))
		assert.Equal(t, "caller value", got["FROM_CALLER"])
		_, ok := got["UNSET_IN_CALLER"]
		assert.False(t, ok, "a name unset in urun's environment is not set")
	})
	t.Run("--env-file", func(t *testing.T) {
		f := filepath.Join(mkTemp(t), "vars.env")
		require.NoError(t, os.WriteFile(f, []byte("# a comment\nA=1\n\nB=two words\nFIXTURE=from-file\n"), 0o644))
		got := envOf(e.urun(t, "run", "--rm", "--env-file", f, "-e", "C=3", busyboxRef, "env").ok(t))
		assert.Equal(t, "1", got["A"])
		assert.Equal(t, "two words", got["B"])
		assert.Equal(t, "3", got["C"])
		assert.Equal(t, "from-file", got["FIXTURE"])
		_, ok := got["# a comment"]
		assert.False(t, ok)
	})
}

func TestRunSetsHomeFromPasswd(t *testing.T) {
	e := sharedStore(t)
	assert.Equal(t, "/root", envOf(e.urun(t, "run", "--rm", busyboxRef, "env").ok(t))["HOME"])
	assert.Equal(t, "/home/app", envOf(e.urun(t, "run", "--rm", "-u", "app", busyboxRef, "env").ok(t))["HOME"])
}

func TestRunWorkdirFlag(t *testing.T) {
	e := sharedStore(t)
	for _, c := range []struct{ name, dir string }{
		{"existing", "/tmp"},
		{"created when absent", "/new/work/dir"},
	} {
		t.Run(c.name, func(t *testing.T) {
			out := e.urun(t, "run", "--rm", "-w", c.dir, busyboxRef, "pwd").ok(t)
			assert.Equal(t, c.dir, strings.TrimSpace(out))
		})
	}
	t.Run("default is /", func(t *testing.T) {
		assert.Equal(t, "/", strings.TrimSpace(e.urun(t, "run", "--rm", busyboxRef, "pwd").ok(t)))
	})
}

func TestRunUserFlag(t *testing.T) {
	e := sharedStore(t)
	for _, c := range []struct {
		user      string
		wantID    string // prefix of `id`
		wantGroup string // must appear in groups= ("" for no check)
	}{
		// A named user gets its supplementary groups from /etc/group.
		{"app", "uid=1000(app) gid=1000(app)", "1001(extra)"},
		{"1000", "uid=1000(app) gid=1000(app)", ""},
		{"1000:1001", "uid=1000(app) gid=1001(extra)", ""},
		{"app:extra", "uid=1000(app) gid=1001(extra)", ""},
		{"0", "uid=0(root) gid=0(root)", ""},
		{"nobody", "uid=65534(nobody) gid=65534(nobody)", ""},
	} {
		t.Run(c.user, func(t *testing.T) {
			out := strings.TrimSpace(e.urun(t, "run", "--rm", "-u", c.user, busyboxRef, "id").ok(t))
			assert.True(t, strings.HasPrefix(out, c.wantID), "id printed %q, want it to start with %q", out, c.wantID)
			if c.wantGroup != "" {
				_, groups, _ := strings.Cut(out, "groups=")
				assert.Contains(t, strings.Split(groups, ","), c.wantGroup)
			}
		})
	}
	t.Run("unknown user", func(t *testing.T) {
		res := e.urun(t, "run", "--rm", "-u", "nosuchuser", busyboxRef, "id")
		res.exits(t, 125)
		assert.Contains(t, res.stderr, "nosuchuser")
	})
}

func TestRunAppImageUsesItsEntrypointUserAndWorkdir(t *testing.T) {
	e := sharedStore(t)
	t.Run("entrypoint with default cmd", func(t *testing.T) {
		assert.Equal(t, "entry default-arg\n", e.urun(t, "run", "--rm", appRef).ok(t))
	})
	t.Run("arguments replace cmd", func(t *testing.T) {
		assert.Equal(t, "entry one two\n", e.urun(t, "run", "--rm", appRef, "one", "two").ok(t))
	})
	t.Run("--entrypoint overrides and drops cmd", func(t *testing.T) {
		out := e.urun(t, "run", "--rm", "--entrypoint", "/bin/sh", appRef, "-c", "id -un; id -gn; pwd; echo APP_ENV=$APP_ENV; cat /etc/app-release ../hello.txt").ok(t)
		assert.Equal(t, []string{"app", "app", "/home/app/work", "APP_ENV=1", "app 1", strings.TrimSpace(helloBody)}, lines(out))
		out = e.urun(t, "run", "--rm", "--entrypoint", "pwd", appRef).ok(t)
		assert.Equal(t, "/home/app/work\n", out, "--entrypoint without arguments must not get the image's cmd")
	})
	t.Run("-u and -w override the image", func(t *testing.T) {
		out := e.urun(t, "run", "--rm", "-u", "root", "-w", "/tmp", "--entrypoint", "sh", appRef, "-c", "id -un; pwd").ok(t)
		assert.Equal(t, []string{"root", "/tmp"}, lines(out))
	})
}

func TestRunExitCodes(t *testing.T) {
	e := sharedStore(t)
	for _, c := range []struct {
		name string
		cmd  []string
		code int
	}{
		{"true", []string{"true"}, 0},
		{"false", []string{"false"}, 1},
		{"exit 7", []string{"sh", "-c", "exit 7"}, 7},
		{"not executable", []string{"/etc/passwd"}, 126},
		{"directory", []string{"/tmp"}, 126},
		{"command not found", []string{"nonexistent-cmd"}, 127},
		{"path not found", []string{"/no/such/binary"}, 127},
	} {
		t.Run(c.name, func(t *testing.T) {
			res := e.urun(t, append([]string{"run", "--rm", busyboxRef}, c.cmd...)...)
			res.exits(t, c.code)
			if c.code >= 126 {
				assert.Contains(t, res.stderr, c.cmd[0], "the message names the command")
			}
		})
	}
}

func TestRunPassesStdinOnlyWithInteractive(t *testing.T) {
	e := sharedStore(t)
	t.Run("-i", func(t *testing.T) {
		out := e.urunWith(t, runConf{stdin: strings.NewReader("hi\n")}, "run", "-i", "--rm", busyboxRef, "cat").ok(t)
		assert.Equal(t, "hi\n", out)
	})
	t.Run("-i with a megabyte", func(t *testing.T) {
		data := make([]byte, 1<<20)
		_, err := rand.Read(data)
		require.NoError(t, err)
		sum := sha256.Sum256(data)
		out := e.urunWith(t, runConf{stdin: bytes.NewReader(data)}, "run", "-i", "--rm", busyboxRef, "sha256sum").ok(t)
		assert.Equal(t, hex.EncodeToString(sum[:]), strings.Fields(out + " ")[0])
	})
	t.Run("without -i", func(t *testing.T) {
		out := e.urunWith(t, runConf{stdin: strings.NewReader("hi\n")}, "run", "--rm", busyboxRef, "cat").ok(t)
		assert.Equal(t, "", out, "without -i the container's stdin is not the caller's")
	})
	t.Run("stdout and stderr stay apart", func(t *testing.T) {
		res := e.urun(t, "run", "--rm", busyboxRef, "sh", "-c", "echo to-out; echo to-err >&2")
		res.ok(t)
		assert.Equal(t, "to-out\n", res.stdout)
		assert.Contains(t, res.stderr, "to-err\n")
		assert.NotContains(t, res.stdout, "to-err")
	})
}

func TestRunNameFlag(t *testing.T) {
	e := sharedStore(t)
	name := "named-" + strconv.Itoa(os.Getpid())
	e.urun(t, "run", "--rm", "--name", name, busyboxRef, "true").ok(t)
	// The name is free again after --rm.
	e.urun(t, "run", "--rm", "--name", name, busyboxRef, "true").ok(t)
	res := e.urun(t, "run", "--rm", "--name", "bad name!", busyboxRef, "true")
	res.exits(t, 125)
}

var hexID = regexp.MustCompile(`^[0-9a-f]{12,64}$`)
