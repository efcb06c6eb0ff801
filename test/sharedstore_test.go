package test

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// A shared image store (additionalimagestores) is filled once by an
// administrator, `urun --root DIR pull IMAGE`, and every user runs its
// images in place, without pulling or copying them, and without writing
// anything there.

// sharedStoreOf returns a store that admin filled with refs, made
// read-only as a shared file system exported read-only would be: its
// directories lose their write permission (restored for the clean-up).
func sharedStoreOf(t *testing.T, refs ...string) string {
	t.Helper()
	admin := newEnvWith(t, envOptions{explicitRoot: true})
	for _, ref := range refs {
		admin.urun(t, "pull", "-q", ref).ok(t)
	}
	store := admin.GraphRoot()
	var dirs []string
	filepath.WalkDir(store, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return filepath.SkipDir
		}
		// The layers' own trees keep the image's modes.
		if d.IsDir() && d.Name() == "diff" {
			return filepath.SkipDir
		}
		if d.IsDir() {
			dirs = append(dirs, path)
		}
		return nil
	})
	for _, d := range dirs {
		require.NoError(t, os.Chmod(d, 0o555))
	}
	t.Cleanup(func() {
		for _, d := range dirs {
			os.Chmod(d, 0o755)
		}
	})
	return store
}

// storeSnapshot lists every path under dir with its size, mode and time:
// any write there changes it.
func storeSnapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	snap := map[string]string{}
	filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if info, err := d.Info(); err == nil {
			snap[path] = fmt.Sprintf("%v %d %v", info.Mode(), info.Size(), info.ModTime())
		}
		return nil
	})
	return snap
}

// userOf returns a fresh user whose urun.conf names the shared stores.
func userOf(t *testing.T, stores ...string) *env {
	t.Helper()
	u := newEnv(t)
	quoted := make([]string, len(stores))
	for i, s := range stores {
		quoted[i] = `"` + s + `"`
	}
	conf := filepath.Join(u.configHome, "urun", "urun.conf")
	f, err := os.OpenFile(conf, os.O_APPEND|os.O_WRONLY, 0)
	require.NoError(t, err)
	_, err = f.WriteString("additionalimagestores = [" + strings.Join(quoted, ", ") + "]\n")
	require.NoError(t, err)
	require.NoError(t, f.Close())
	return u
}

func TestImagesOfASharedStoreRunInPlace(t *testing.T) {
	store := sharedStoreOf(t, appRef, busyboxRef)
	before := storeSnapshot(t, store)
	u := userOf(t, store)

	r := u.urun(t, "run", "--rm", "--entrypoint", "cat", appRef, "/etc/app-release", "/etc/layer2")
	assert.Equal(t, "app 1\n"+layer2Body, r.ok(t))
	assert.NotContains(t, r.stderr, "Unable to find image", "the image is run from the shared store, not pulled")
	// Layer 2's whiteout hides /etc/deleteme.
	r = u.urun(t, "run", "--rm", busyboxRef, "sh", "-c", "test -e /etc/deleteme && echo there || echo gone")
	assert.Equal(t, "gone\n", r.ok(t))

	t.Run("the container changes the image's files in its own layer", func(t *testing.T) {
		out := u.urun(t, "run", "--rm", busyboxRef, "sh", "-c", "echo x >> /etc/passwd && tail -n 1 /etc/passwd && touch /etc/new && echo created").ok(t)
		assert.Equal(t, "x\ncreated\n", out)
	})

	t.Run("a detached container, exec and start find the image too", func(t *testing.T) {
		u.urun(t, "run", "-d", "--name", "shared1", busyboxRef, "sleep", "300").ok(t)
		assert.Equal(t, layer2Body, u.urun(t, "exec", "shared1", "cat", "/etc/layer2").ok(t))
		u.urun(t, "stop", "-t", "0", "shared1").ok(t)
		u.urun(t, "start", "shared1").ok(t)
		assert.Equal(t, "true\n", u.urun(t, "inspect", "--format", "{{.State.Running}}", "shared1").ok(t))
		u.urun(t, "rm", "-f", "shared1").ok(t)
	})

	t.Run("images lists them read-only", func(t *testing.T) {
		out := u.urun(t, "images").ok(t)
		assert.Contains(t, lines(out)[0], "R/O")
		out = u.urun(t, "images", "--format", "{{.Repository}}:{{.Tag}} {{.ReadOnly}}").ok(t)
		assert.Contains(t, out, appRef+" true")
		assert.Contains(t, out, busyboxRef+" true")
	})

	t.Run("pull says the image is there and pulls nothing", func(t *testing.T) {
		out := u.urun(t, "pull", busyboxRef).ok(t)
		assert.Contains(t, out, "is in the shared image store "+store)
		ids := u.urun(t, "images", "-q", "--filter", "dangling=false").ok(t)
		assert.Len(t, lines(ids), 2, "no image of the user's own: the two shared ones only")
		_, err := os.Stat(filepath.Join(u.GraphRoot(), "urun-images"))
		assert.ErrorIs(t, err, os.ErrNotExist, "the user's store has no image record")
	})

	t.Run("rmi refuses with the reason", func(t *testing.T) {
		r := u.urun(t, "rmi", busyboxRef)
		assert.NotEqual(t, 0, r.code)
		assert.Contains(t, r.stderr, "is in the read-only shared image store "+store)
		assert.Contains(t, r.stderr, "urun --root "+store+" rmi")
	})

	t.Run("image inspect finds it", func(t *testing.T) {
		out := u.urun(t, "image", "inspect", "--format", "{{.RepoTags}}", busyboxRef).ok(t)
		assert.Contains(t, out, busyboxRef)
	})

	t.Run("run --pull always pulls a copy of the user's own, which is used from then on", func(t *testing.T) {
		u.urun(t, "run", "--rm", "--pull", "always", busyboxRef, "true").ok(t)
		out := u.urun(t, "images", "--format", "{{.Repository}}:{{.Tag}} {{.ReadOnly}}").ok(t)
		assert.Contains(t, out, busyboxRef+" false")
		assert.NotContains(t, out, busyboxRef+" true")
		u.urun(t, "rmi", busyboxRef).ok(t)
		assert.Contains(t, u.urun(t, "images", "--format", "{{.Repository}}:{{.Tag}} {{.ReadOnly}}").ok(t), busyboxRef+" true")
	})

	assert.Equal(t, before, storeSnapshot(t, store), "urun wrote into the shared store")
}

// A user inspects, saves, tags, builds on and commits a shared image as
// one of their own; what they make is theirs, on the shared layers.
func TestAUserWorksWithASharedImageAsWithTheirOwn(t *testing.T) {
	store := sharedStoreOf(t, busyboxRef)
	before := storeSnapshot(t, store)
	u := userOf(t, store)
	id := strings.TrimSpace(u.urun(t, "image", "inspect", "--format", "{{.Id}}", busyboxRef).ok(t))
	require.True(t, strings.HasPrefix(id, "sha256:"), id)

	t.Run("the commands that read images see it", func(t *testing.T) {
		for _, c := range []struct {
			name string
			args []string
			want string
		}{
			{"image inspect", []string{"image", "inspect", "--format", "{{.Id}}", busyboxRef}, id},
			{"inspect", []string{"inspect", "--type", "image", "--format", "{{.Id}}", busyboxRef}, id},
			{"history", []string{"history", busyboxRef}, id[len("sha256:") : len("sha256:")+12]},
			{"info", []string{"info"}, store + ": 1 image"},
		} {
			t.Run(c.name, func(t *testing.T) {
				assert.Contains(t, u.urun(t, c.args...).ok(t), c.want)
			})
		}
	})

	t.Run("save, then load elsewhere", func(t *testing.T) {
		archive := filepath.Join(mkTemp(t), "busybox.tar")
		u.urun(t, "save", "-o", archive, busyboxRef).ok(t)
		other := newEnv(t)
		other.urun(t, "load", "-i", archive).ok(t)
		assert.Equal(t, layer2Body, other.runOut(t, busyboxRef, "cat", "/etc/layer2"))
	})

	t.Run("tag, then run by the new name", func(t *testing.T) {
		u.urun(t, "tag", busyboxRef, "localhost/mine:1").ok(t)
		assert.Equal(t, layer2Body, u.runOut(t, "localhost/mine:1", "cat", "/etc/layer2"))
		assert.Contains(t, u.urun(t, "images", "--format", "{{.Repository}}:{{.Tag}} {{.ReadOnly}}").ok(t), "localhost/mine:1 false")
		// The copy holds the image's names: removing them removes it,
		// and the shared image is the one listed again.
		u.urun(t, "rmi", "localhost/mine:1", busyboxRef).ok(t)
		assert.Contains(t, u.urun(t, "images", "--format", "{{.Repository}}:{{.Tag}} {{.ReadOnly}}").ok(t), busyboxRef+" true")
	})

	t.Run("build FROM it", func(t *testing.T) {
		ctx := writeContext(t, map[string]string{"Dockerfile": "FROM {{busybox}}\nRUN echo built > /built\n"})
		u.build(t, "-q", "-t", "localhost/built", ctx).ok(t)
		assert.Equal(t, "built\n"+layer2Body, u.runOut(t, "localhost/built", "cat", "/built", "/etc/layer2"))
		u.urun(t, "rmi", "localhost/built").ok(t)
	})

	t.Run("commit a container of it", func(t *testing.T) {
		u.urun(t, "run", "--name", "changed", "--network", "none", busyboxRef, "sh", "-c", "echo changed > /changed").ok(t)
		u.urun(t, "commit", "changed", "localhost/committed").ok(t)
		u.urun(t, "rm", "changed").ok(t)
		assert.Equal(t, "changed\n"+layer2Body, u.runOut(t, "localhost/committed", "cat", "/changed", "/etc/layer2"))
		u.urun(t, "rmi", "localhost/committed").ok(t)
	})

	t.Run("rmi refuses, naming the store", func(t *testing.T) {
		r := u.urun(t, "rmi", busyboxRef)
		assert.NotEqual(t, 0, r.code)
		assert.Contains(t, r.stderr, "is in the read-only shared image store "+store)
	})

	assert.Equal(t, before, storeSnapshot(t, store), "urun wrote into the shared store")
}

func TestTheSharedStoreCanBeNamedInTheEnvironment(t *testing.T) {
	store := sharedStoreOf(t, busyboxRef)
	u := newEnv(t)
	u.vars = append(u.vars, "URUN_ADDITIONAL_IMAGE_STORES=/nonexistent:"+store)
	assert.Equal(t, layer2Body, u.urun(t, "run", "--rm", busyboxRef, "cat", "/etc/layer2").ok(t))
}

// rootsStore is a shared store whose files root owns, as an
// administrator's pull as root leaves them: hack/shared-store-fixture.sh
// makes it (as root) before the suite runs.
const (
	rootsStore      = "/var/tmp/urun-test-shared-by-root/store"
	rootsStoreImage = "shared-by-root"
)

func TestAnImageOfRootsSharedStoreIsWritableInTheContainer(t *testing.T) {
	if _, err := os.Stat(rootsStore); err != nil {
		t.Skipf("no store of root's at %s (as root, hack/shared-store-fixture.sh makes it): %v", rootsStore, err)
	}
	before := storeSnapshot(t, rootsStore)
	u := userOf(t, rootsStore)

	t.Run("with fuse-overlayfs every file is root's and changes", func(t *testing.T) {
		out := u.urun(t, "run", "--rm", rootsStoreImage, "sh", "-c",
			"stat -c '%u:%g %n' /etc/profile /home/app/hello.txt; echo x >> /etc/profile && tail -n 1 /etc/profile && touch /etc/new && echo created").ok(t)
		assert.Equal(t, "0:0 /etc/profile\n0:0 /home/app/hello.txt\nx\ncreated\n", out)
	})

	t.Run("a file only root may read stays unreadable", func(t *testing.T) {
		r := u.urun(t, "run", "--rm", rootsStoreImage, "cat", "/etc/secret")
		assert.Equal(t, 1, r.code, r.describe())
		assert.Contains(t, r.stderr, "Permission denied")
	})

	// The kernel's overlay lets the container create nothing in the
	// image's directories: not even the mount points of /etc/hostname
	// and the like, when the image has none.
	t.Run("with the kernel's overlay it says why the container cannot change the image", func(t *testing.T) {
		r := u.urun(t, "--rootfs-driver", "native", "run", "--rm", rootsStoreImage, "sh", "-c", "echo x >> /etc/profile")
		assert.NotEqual(t, 0, r.code, r.describe())
		assert.Contains(t, r.stderr, "whose files belong to ids outside your user namespace, and --rootfs-driver native")
	})

	t.Run("inspect, history and info see it", func(t *testing.T) {
		assert.Contains(t, u.urun(t, "image", "inspect", "--format", "{{.RepoTags}}", rootsStoreImage).ok(t), rootsStoreImage+":latest")
		assert.Contains(t, u.urun(t, "history", rootsStoreImage).ok(t), "urun import")
		assert.Contains(t, u.urun(t, "info").ok(t), rootsStore+": 1 image")
	})

	// The tag's copy is mounted as the store's image is.
	t.Run("tag, then run by the new name", func(t *testing.T) {
		u.urun(t, "tag", rootsStoreImage, "localhost/roots:1").ok(t)
		out := u.urun(t, "run", "--rm", "localhost/roots:1", "sh", "-c", "echo x >> /etc/profile && tail -n 1 /etc/profile").ok(t)
		assert.Equal(t, "x\n", out)
		u.urun(t, "rmi", "localhost/roots:1", rootsStoreImage).ok(t)
	})

	// A build's RUN and a commit mount it as a container does.
	t.Run("build FROM it changes its files, and commit keeps a container's changes", func(t *testing.T) {
		dir := writeContext(t, map[string]string{"Dockerfile": "FROM " + rootsStoreImage + "\n" +
			"RUN echo built >> /etc/profile && mkdir -p /srv/app && echo ok > /srv/app/state\n" +
			"CMD tail -n 1 /etc/profile; cat /srv/app/state\n"})
		u.build(t, "-q", "-t", "localhost/on-roots", dir).ok(t)
		assert.Equal(t, "built\nok\n", u.urun(t, "run", "--rm", "--network", "none", "localhost/on-roots").ok(t))

		u.urun(t, "run", "--name", "roots-commit", "--network", "none", rootsStoreImage, "sh", "-c", "rm /home/app/hello.txt && echo mine > /etc/mine").ok(t)
		t.Cleanup(func() { u.urun(t, "rm", "-f", "roots-commit") })
		u.urun(t, "commit", "roots-commit", "localhost/roots-committed").ok(t)
		out := u.urun(t, "run", "--rm", "--network", "none", "localhost/roots-committed", "sh", "-c", "cat /etc/mine; ls /home/app").ok(t)
		assert.Equal(t, "mine\n", out)
		u.urun(t, "rmi", "localhost/on-roots", "localhost/roots-committed").ok(t)
	})

	t.Run("rmi refuses, naming the store and its administrator's command", func(t *testing.T) {
		r := u.urun(t, "rmi", rootsStoreImage)
		assert.NotEqual(t, 0, r.code)
		assert.Contains(t, r.stderr, "is in the read-only shared image store "+rootsStore)
		assert.Contains(t, r.stderr, "urun --root "+rootsStore+" rmi")
	})

	out := u.urun(t, "images", "--format", "{{.Repository}}:{{.Tag}} {{.ReadOnly}}").ok(t)
	assert.Contains(t, out, rootsStoreImage+":latest true")
	assert.Equal(t, before, storeSnapshot(t, rootsStore), "urun wrote into the shared store")
}
