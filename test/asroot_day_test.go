package test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A CI job run as root uses urun as it would use Docker: each step of its
// day, in order, as root (hack/test.sh runs TestAsRoot* as root). Root
// keeps the host's ids, so what a build chowns is stored with that owner.
func TestAsRootRunsADockerUsersDay(t *testing.T) {
	skipUnlessRoot(t)
	e := newEnvWith(t, envOptions{explicitRoot: true})
	e.urun(t, "pull", "-q", busyboxRef).ok(t)

	t.Run("a published web server answers the host", func(t *testing.T) {
		port := freePort(t, "tcp")
		e.urun(t, "run", "-d", "--name", "web", "-p", fmt.Sprintf("127.0.0.1:%d:80", port), busyboxRef,
			"sh", "-c", "mkdir /www && echo served-as-root > /www/index.html && exec httpd -f -p 80 -h /www").ok(t)
		t.Cleanup(func() { e.urun(t, "rm", "-f", "web") })
		assert.Equal(t, "served-as-root\n", httpGet(t, fmt.Sprintf("http://127.0.0.1:%d/", port)))
		assert.Equal(t, "0\n", e.urun(t, "exec", "web", "id", "-u").ok(t))
		assert.Contains(t, e.urun(t, "ps").ok(t), "web")
		e.urun(t, "stop", "-t", "1", "web").ok(t)
		assert.Contains(t, e.urun(t, "ps", "-a", "--format", "{{.Names}} {{.Status}}").ok(t), "web Exited")
		e.urun(t, "rm", "web").ok(t)
	})

	t.Run("containers on a network find each other by name", func(t *testing.T) {
		e.urun(t, "network", "create", "rootnet").ok(t)
		t.Cleanup(func() { e.urun(t, "network", "rm", "-f", "rootnet") })
		e.urun(t, "run", "-d", "--name", "peer", "--network", "rootnet", busyboxRef, "sleep", "300").ok(t)
		t.Cleanup(func() { e.urun(t, "rm", "-f", "peer") })
		out := e.urun(t, "run", "--rm", "--network", "rootnet", busyboxRef, "ping", "-c", "1", "-W", "5", "peer").ok(t)
		assert.Contains(t, out, "1 packets received")
	})

	t.Run("a volume keeps what a container wrote", func(t *testing.T) {
		e.urun(t, "volume", "create", "rootvol").ok(t)
		t.Cleanup(func() { e.urun(t, "volume", "rm", "-f", "rootvol") })
		e.urun(t, "run", "--rm", "-v", "rootvol:/data", busyboxRef, "sh", "-c", "echo kept > /data/f && chown 4321:4321 /data/f").ok(t)
		assert.Equal(t, "kept\n4321:4321\n", e.urun(t, "run", "--rm", "-v", "rootvol:/data", busyboxRef, "sh", "-c", "cat /data/f; stat -c %u:%g /data/f").ok(t))
		mountpoint := strings.TrimSpace(e.urun(t, "volume", "inspect", "--format", "{{.Mountpoint}}", "rootvol").ok(t))
		uid, gid := ownerOnHost(t, filepath.Join(mountpoint, "f"))
		assert.Equal(t, []uint32{4321, 4321}, []uint32{uid, gid}, "the volume's file has the container's owner on the host")
	})

	t.Run("a build's files keep their owners", func(t *testing.T) {
		dir := writeContext(t, map[string]string{"Dockerfile": "FROM {{busybox}}\n" +
			"RUN echo 'builder:x:1234:1234::/:/bin/sh' >> /etc/passwd && touch /made && chown 1234:1234 /made\n" +
			"USER builder\nCMD id -u; stat -c %u:%g /made\n"})
		e.build(t, "-q", "-t", "rootbuilt", dir).ok(t)
		assert.Equal(t, "1234\n1234:1234\n", e.urun(t, "run", "--rm", "--network", "none", "rootbuilt").ok(t))
		var owners []string
		filepath.Walk(filepath.Join(e.GraphRoot(), "overlay"), func(path string, info os.FileInfo, err error) error {
			if err == nil && strings.HasSuffix(path, "/diff/made") {
				uid, gid := ownerOnHost(t, path)
				owners = append(owners, fmt.Sprintf("%d:%d", uid, gid))
			}
			return nil
		})
		require.NotEmpty(t, owners, "the built layer in the store")
		assert.Equal(t, "1234:1234", owners[0])
	})

	t.Run("nothing is left running", func(t *testing.T) {
		assert.Equal(t, "", e.urun(t, "ps", "-aq").ok(t))
	})
}

// On a systemd host every mount is shared with the whole machine. A
// container's helpers run by root must change none of them: slirp4netns's
// sandbox once unmounted /sys/fs/cgroup for every process of the host.
// Each case runs urun in a mount namespace whose mounts are shared, as a
// systemd host's are, and compares its mount points before and after.
func TestAsRootContainersLeaveTheHostsMountsAlone(t *testing.T) {
	skipUnlessRoot(t)
	if _, err := exec.LookPath("unshare"); err != nil {
		t.Fatalf("unshare (util-linux) is needed: %v", err)
	}
	e := newEnvWith(t, envOptions{explicitRoot: true})
	e.urun(t, "pull", "-q", busyboxRef).ok(t)
	e.urun(t, "network", "create", "mountsnet").ok(t)
	t.Cleanup(func() { e.urun(t, "network", "rm", "-f", "mountsnet") })
	urunLine := shellQuote(append([]string{urunBin}, e.flags...))
	tests := []struct {
		name string
		run  string
	}{
		{"the default network (slirp4netns)", "run --rm " + busyboxRef + " true"},
		{"pasta", "run --rm --network pasta " + busyboxRef + " true"},
		{"a network of urun's", "run --rm --network mountsnet " + busyboxRef + " true"},
		{"a detached container, stopped and removed", "run -d --name mounts-d " + busyboxRef + " sleep 60 && " + urunLine + " rm -f mounts-d"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			script := `points() { awk '{print $5}' /proc/self/mountinfo | sort; }
points > "$1/before"
` + urunLine + " " + tt.run + ` >/dev/null || exit 3
points > "$1/after"
diff "$1/before" "$1/after"`
			dir := mkTemp(t)
			ctx, cancel := context.WithTimeout(context.Background(), defaultTimeout)
			defer cancel()
			cmd := e.commandOf(ctx, "unshare", "-m", "--propagation", "shared", "sh", "-c", script, "sh", dir)
			res := runCmd(t, ctx, cmd, runConf{})
			assert.Equal(t, 0, res.code, "mount points changed (diff before after), or urun failed (3): %s", res.describe())
		})
	}
}
