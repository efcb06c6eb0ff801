package test

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// committedIDLine is what commit prints: the new image's id.
const committedIDLine = `^sha256:[0-9a-f]{64}\n$`

func TestDiffListsWhatAContainerAddedChangedAndDeleted(t *testing.T) {
	e := containerEnv(t)
	tests := []struct {
		name   string
		script string
		want   []string
	}{
		{"a container that changed nothing", "true", nil},
		{"touching a file of the image", "touch /etc/group", []string{"C /etc", "C /etc/group"}},
		{"creating files in a new directory", "mkdir -p /srv/data && echo x > /srv/data/b && echo y > /srv/data/a",
			[]string{"A /srv", "A /srv/data", "A /srv/data/a", "A /srv/data/b"}},
		{"removing a file", "rm /etc/passwd", []string{"C /etc", "D /etc/passwd"}},
		{"removing a directory", "rm -r /home/app", []string{"C /home", "D /home/app"}},
		{"editing, adding and removing at once", "echo more >> /etc/layer2 && rm /etc/group && echo new > /etc/new && mkdir /tmp/t",
			[]string{"C /etc", "D /etc/group", "C /etc/layer2", "A /etc/new", "C /tmp", "A /tmp/t"}},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			name := "diff" + string(rune('a'+i))
			e.urun(t, "run", "--name", name, busyboxRef, "sh", "-c", tt.script).ok(t)
			assert.Equal(t, tt.want, lines(e.urun(t, "diff", name).ok(t)))
		})
	}
	t.Run("of a running container", func(t *testing.T) {
		e.runInBackground(t, "difflive", uniqueSleep())
		e.urun(t, "exec", "difflive", "sh", "-c", "echo live > /live").ok(t)
		assert.Equal(t, []string{"A /live"}, lines(e.urun(t, "diff", "difflive").ok(t)))
	})
}

func TestCommitOfAStoppedContainerMakesAnImageOfItsFiles(t *testing.T) {
	e := containerEnv(t)
	e.urun(t, "run", "--name", "src", busyboxRef, "sh", "-c",
		"echo made > /made && rm /etc/group && mkdir /home/app/work && echo mine > /home/app/work/f && chown -R 1000:1001 /home/app/work").ok(t)
	res := e.urun(t, "commit", "src", "committed:v1")
	assert.Regexp(t, committedIDLine, res.ok(t))
	id := strings.TrimPrefix(strings.TrimSpace(res.stdout), "sha256:")
	assert.Contains(t, lines(e.urun(t, "images", "-q", "--no-trunc").ok(t)), "sha256:"+id)

	tests := []struct {
		name string
		args []string
		want string
	}{
		{"the file the container made is there", []string{"cat", "/made"}, "made\n"},
		{"the file it removed is gone", []string{"sh", "-c", "test -e /etc/group && echo present || echo gone"}, "gone\n"},
		{"a file of uid 1000 keeps its owner", []string{"stat", "-c", "%u:%g", "/home/app/work/f"}, "1000:1001\n"},
		{"the image's files are kept", []string{"cat", "/etc/layer2"}, layer2Body},
		{"a file an image layer deleted stays deleted", []string{"sh", "-c", "test -e /etc/deleteme && echo present || echo gone"}, "gone\n"},
		{"the image's environment is kept", []string{"sh", "-c", "echo $FIXTURE"}, "busybox\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, e.urun(t, append([]string{"run", "--rm", "committed:v1"}, tt.args...)...).ok(t))
		})
	}
	t.Run("by id, untagged, runs the container's command", func(t *testing.T) {
		e.urun(t, "run", "--name", "greeter", busyboxRef, "sh", "-c", "echo hello from the commit").ok(t)
		id := strings.TrimSpace(e.urun(t, "commit", "greeter").ok(t))
		require.Regexp(t, committedIDLine, id+"\n")
		assert.Equal(t, "hello from the commit\n", e.urun(t, "run", "--rm", strings.TrimPrefix(id, "sha256:")[:12]).ok(t))
		env := e.urun(t, "image", "inspect", "-f", "{{json .Config.Env}}", id).ok(t)
		assert.NotContains(t, env, "HOSTNAME", "the hostname urun sets at each start is not the image's")
	})
	t.Run("diff of a container of the committed image starts empty", func(t *testing.T) {
		e.urun(t, "run", "--name", "fromcommit", "committed:v1", "true").ok(t)
		assert.Empty(t, e.urun(t, "diff", "fromcommit").ok(t))
	})
	t.Run("urun save writes a valid archive of it", func(t *testing.T) {
		out := filepath.Join(mkTemp(t), "committed.tar")
		e.urun(t, "save", "-o", out, "committed:v1").ok(t)
		fresh := newEnv(t)
		fresh.urun(t, "load", "-i", out).ok(t)
		assert.Equal(t, "made\n", fresh.urun(t, "run", "--rm", "committed:v1", "cat", "/made").ok(t))
		assert.Equal(t, "1000:1001\n", fresh.urun(t, "run", "--rm", "committed:v1", "stat", "-c", "%u:%g", "/home/app/work/f").ok(t))
	})
	t.Run("as an OCI image", func(t *testing.T) {
		e.urun(t, "commit", "--format", "oci", "src", "committed:oci").ok(t)
		assert.Equal(t, "made\n", e.urun(t, "run", "--rm", "committed:oci", "cat", "/made").ok(t))
	})
}

func TestCommitWithChangesSetsTheImagesConfiguration(t *testing.T) {
	e := containerEnv(t)
	e.urun(t, "run", "--name", "src", "-e", "FROM_RUN=kept", "-w", "/tmp", busyboxRef, "sh", "-c", "echo made > /made").ok(t)
	tests := []struct {
		name    string
		changes []string
		args    []string
		want    string
	}{
		{"CMD replaces the command", []string{"-c", `CMD ["echo","hi"]`}, nil, "hi\n"},
		{"ENV adds a variable", []string{"-c", "ENV A=b"}, []string{"sh", "-c", "echo $A"}, "b\n"},
		{"the container's own variables and working directory are kept", nil, []string{"sh", "-c", "echo $FROM_RUN in $(pwd)"}, "kept in /tmp\n"},
		{"several changes apply in order", []string{"-c", "ENV A=1", "-c", "ENV A=2", "-c", "WORKDIR /srv"}, []string{"sh", "-c", "echo $A in $(pwd)"}, "2 in /srv\n"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ref := "changed:" + string(rune('a'+i))
			e.urun(t, append(append([]string{"commit"}, tt.changes...), "src", ref)...).ok(t)
			assert.Equal(t, tt.want, e.urun(t, append([]string{"run", "--rm", ref}, tt.args...)...).ok(t))
		})
	}
	t.Run("without CMD the container's command is the image's", func(t *testing.T) {
		var docs []struct{ Config struct{ Cmd []string } }
		require.NoError(t, json.Unmarshal([]byte(e.urun(t, "image", "inspect", "changed:c").ok(t)), &docs))
		require.Len(t, docs, 1)
		assert.Equal(t, []string{"sh", "-c", "echo made > /made"}, docs[0].Config.Cmd)
	})
}

func TestCommitMessageAndAuthorShowInHistoryAndInspect(t *testing.T) {
	e := containerEnv(t)
	e.urun(t, "run", "--name", "src", busyboxRef, "sh", "-c", "echo made > /made").ok(t)
	e.urun(t, "commit", "-m", "saved by the test", "-a", "Tester <tester@example.com>", "src", "noted").ok(t)

	history := lines(e.urun(t, "history", "--no-trunc", "--format", "{{.CreatedBy}}|{{.Comment}}", "noted").ok(t))
	require.NotEmpty(t, history)
	assert.Equal(t, "sh -c echo made > /made|saved by the test", history[0], "the newest step: the container's command and the message")
	assert.Len(t, history, len(lines(e.urun(t, "history", "-q", busyboxRef).ok(t)))+1, "one step more than the container's image")

	var docs []struct {
		Author, Comment string
		RootFS          struct{ Layers []string }
	}
	require.NoError(t, json.Unmarshal([]byte(e.urun(t, "image", "inspect", "noted").ok(t)), &docs))
	require.Len(t, docs, 1)
	assert.Equal(t, "Tester <tester@example.com>", docs[0].Author)
	assert.Equal(t, "saved by the test", docs[0].Comment)
	assert.Len(t, docs[0].RootFS.Layers, 3, "the image's two layers and the container's")
}

func TestCommitOfARunningContainer(t *testing.T) {
	e := containerEnv(t)
	e.runInBackground(t, "live", uniqueSleep())
	e.urun(t, "exec", "live", "sh", "-c", "echo live > /live").ok(t)

	res := e.urun(t, "commit", "live", "live:v1")
	assert.Regexp(t, committedIDLine, res.ok(t))
	assert.Equal(t, "live\n", e.urun(t, "run", "--rm", "live:v1", "cat", "/live").ok(t))
	assert.Equal(t, "running false\n", e.urun(t, "inspect", "-f", "{{.State.Status}} {{.State.Paused}}", "live").ok(t), "running, and not left paused")

	t.Run("with -p given", func(t *testing.T) {
		res := e.urun(t, "commit", "-p", "live", "live:v2")
		if cgroupV2(t) {
			assert.Regexp(t, committedIDLine, res.ok(t))
		} else {
			// No cgroup to freeze: what the user asked for cannot be done.
			res.exits(t, 1)
			assert.Contains(t, res.stderr, noFreezer)
			assert.Contains(t, res.stderr, "--pause=false")
		}
		assert.Equal(t, "running false\n", e.urun(t, "inspect", "-f", "{{.State.Status}} {{.State.Paused}}", "live").ok(t))
	})
	t.Run("with --pause=false", func(t *testing.T) {
		res := e.urun(t, "commit", "--pause=false", "live", "live:v3")
		assert.Regexp(t, committedIDLine, res.ok(t))
		assert.Empty(t, res.stderr, "no warning when the user said not to pause")
	})
}

func cgroupV2(t *testing.T) bool {
	t.Helper()
	var st unix.Statfs_t
	require.NoError(t, unix.Statfs("/sys/fs/cgroup", &st))
	return st.Type == unix.CGROUP2_SUPER_MAGIC
}

func TestCommitAndDiffRefuseBadInput(t *testing.T) {
	e := containerEnv(t)
	e.urun(t, "run", "--name", "src", busyboxRef, "true").ok(t)
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"commit of an unknown container", []string{"commit", "nosuch"}, "No such container: nosuch"},
		{"diff of an unknown container", []string{"diff", "nosuch"}, "No such container: nosuch"},
		{"an unsupported change", []string{"commit", "-c", "RUN rm -rf /", "src"}, "RUN"},
		{"a bad change", []string{"commit", "-c", "EXPOSE http", "src"}, "EXPOSE http"},
		{"a bad name", []string{"commit", "src", "Bad:Name:x"}, "invalid reference format"},
		{"a bad format", []string{"commit", "--format", "v1", "src"}, "want docker or oci"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := e.urun(t, tt.args...)
			res.exits(t, 1)
			assert.Contains(t, res.stderr, tt.want)
			assert.Empty(t, res.stdout)
		})
	}
	assert.Len(t, lines(e.urun(t, "images", "-q").ok(t)), 1, "no image was made")
}
