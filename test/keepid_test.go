package test

import (
	"fmt"
	"os/user"
	"testing"

	"github.com/stretchr/testify/assert"
)

// What a keep-id container does beyond its ids: the default network
// (slirp4netns, which opens the network namespace of a stage whose ids
// changed to become root) and publishing a port, and `urun commit` of its
// fuse-overlayfs root file system (whose opaque directories fuse-overlayfs
// marks in two ways at once).
func TestKeepIDContainerUsesTheNetworkAndCommits(t *testing.T) {
	if _, err := callerRange("/etc/subuid"); err != nil {
		t.Skipf("keep-id with subordinate ids needs a caller with a range (%v); TestNoSubuidKeepID covers the caller without", err)
	}
	me, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	e := newUserNSEnv(t)
	e.urun(t, "pull", "-q", busyboxRef).ok(t)

	t.Run("the default network is up", func(t *testing.T) {
		out := e.urun(t, "run", "--rm", "--userns", "keep-id", busyboxRef, "sh", "-c", "id -u; ip -4 -o addr show tap0").ok(t)
		assert.Contains(t, out, me.Uid+"\n")
		assert.Contains(t, out, "10.0.2.100/24")
	})

	t.Run("a published port answers", func(t *testing.T) {
		port := freePort(t, "tcp")
		e.urun(t, "run", "-d", "--name", "kid-web", "--userns", "keep-id", "-p", fmt.Sprintf("127.0.0.1:%d:8080", port), busyboxRef,
			"sh", "-c", "mkdir -p $HOME/www && id -un > $HOME/www/index.html && exec httpd -f -p 8080 -h $HOME/www").ok(t)
		t.Cleanup(func() { e.urun(t, "rm", "-f", "kid-web") })
		assert.Equal(t, me.Username+"\n", httpGet(t, fmt.Sprintf("http://127.0.0.1:%d/", port)))
	})

	t.Run("commit keeps what it wrote as its owner", func(t *testing.T) {
		e.urun(t, "run", "--name", "kid-commit", "--network", "none", "--userns", "keep-id", busyboxRef,
			"sh", "-c", "echo result > $HOME/out").ok(t)
		t.Cleanup(func() { e.urun(t, "rm", "-f", "kid-commit") })
		e.urun(t, "commit", "kid-commit", "kid-committed").ok(t)
		out := e.urun(t, "run", "--rm", "--network", "none", "kid-committed", "sh", "-c", "cat "+me.HomeDir+"/out; stat -c %u "+me.HomeDir+"/out").ok(t)
		assert.Equal(t, "result\n"+me.Uid+"\n", out)
		assert.NotContains(t, e.urun(t, "diff", "kid-commit").ok(t), ".opq")
	})
}
