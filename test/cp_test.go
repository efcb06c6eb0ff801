package test

import (
	"archive/tar"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// tarEntry is one entry of a tar stream as `tar -tv` shows it.
type tarEntry struct {
	typ      byte
	mode     int64
	uid, gid int
	link     string
	body     string
}

// readTar lists a tar stream by entry name.
func readTar(t *testing.T, data string) map[string]tarEntry {
	t.Helper()
	tr := tar.NewReader(strings.NewReader(data))
	got := map[string]tarEntry{}
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return got
		}
		require.NoError(t, err, "a valid tar stream")
		body, err := io.ReadAll(tr)
		require.NoError(t, err)
		got[h.Name] = tarEntry{typ: h.Typeflag, mode: h.Mode, uid: h.Uid, gid: h.Gid, link: h.Linkname, body: string(body)}
	}
}

// ownerOf returns a host file's uid and gid.
func ownerOf(t *testing.T, path string) (int, int) {
	t.Helper()
	fi, err := os.Lstat(path)
	require.NoError(t, err)
	st := fi.Sys().(*syscall.Stat_t)
	return int(st.Uid), int(st.Gid)
}

func TestCpOutOfAStoppedContainerGivesTheCallerTheFiles(t *testing.T) {
	e := containerEnv(t)
	e.urun(t, "run", "--name", "src", busyboxRef, "sh", "-c",
		"mkdir -p /data/sub && echo secret > /data/f && echo deep > /data/sub/g && chown -R 1000:1000 /data && chmod 640 /data/f && chmod 750 /data/sub && touch -d '2021-03-04 05:06:07' /data/f && ln -s /data/f /link").ok(t)
	host := mkTemp(t)

	t.Run("a file into an existing directory", func(t *testing.T) {
		e.urun(t, "cp", "src:/data/f", host).ok(t)
		path := filepath.Join(host, "f")
		data, err := os.ReadFile(path)
		require.NoError(t, err)
		assert.Equal(t, "secret\n", string(data))
		uid, gid := ownerOf(t, path)
		assert.Equal(t, os.Getuid(), uid, "owned by the caller, not by the subordinate uid the container's 1000 is")
		assert.Equal(t, os.Getgid(), gid)
		fi, err := os.Stat(path)
		require.NoError(t, err)
		assert.Equal(t, os.FileMode(0o640), fi.Mode())
		assert.Equal(t, time.Date(2021, 3, 4, 5, 6, 7, 0, time.UTC), fi.ModTime().UTC(), "the mtime is kept")
	})
	t.Run("a file to a new name", func(t *testing.T) {
		e.urun(t, "cp", "src:/data/f", filepath.Join(host, "renamed")).ok(t)
		data, err := os.ReadFile(filepath.Join(host, "renamed"))
		require.NoError(t, err)
		assert.Equal(t, "secret\n", string(data))
	})
	t.Run("a directory to a new name", func(t *testing.T) {
		e.urun(t, "cp", "src:/data", filepath.Join(host, "copy")).ok(t)
		data, err := os.ReadFile(filepath.Join(host, "copy", "sub", "g"))
		require.NoError(t, err)
		assert.Equal(t, "deep\n", string(data))
		fi, err := os.Stat(filepath.Join(host, "copy", "sub"))
		require.NoError(t, err)
		assert.Equal(t, os.ModeDir|0o750, fi.Mode())
		uid, _ := ownerOf(t, filepath.Join(host, "copy", "sub", "g"))
		assert.Equal(t, os.Getuid(), uid)
	})
	t.Run("a directory into an existing one, and its contents with /.", func(t *testing.T) {
		into := filepath.Join(host, "into")
		require.NoError(t, os.Mkdir(into, 0o755))
		e.urun(t, "cp", "src:/data", into).ok(t)
		assert.FileExists(t, filepath.Join(into, "data", "sub", "g"))
		contents := filepath.Join(host, "contents")
		require.NoError(t, os.Mkdir(contents, 0o755))
		e.urun(t, "cp", "src:/data/.", contents).ok(t)
		assert.FileExists(t, filepath.Join(contents, "sub", "g"))
		assert.NoDirExists(t, filepath.Join(contents, "data"))
	})
	t.Run("a symlink is copied as one unless -L", func(t *testing.T) {
		e.urun(t, "cp", "src:/link", filepath.Join(host, "link")).ok(t)
		target, err := os.Readlink(filepath.Join(host, "link"))
		require.NoError(t, err)
		assert.Equal(t, "/data/f", target)
		e.urun(t, "cp", "-L", "src:/link", filepath.Join(host, "followed")).ok(t)
		data, err := os.ReadFile(filepath.Join(host, "followed"))
		require.NoError(t, err)
		assert.Equal(t, "secret\n", string(data), "the container's /data/f")
	})
	t.Run("on a terminal it says how much it copied, unless -q", func(t *testing.T) {
		dst := filepath.Join(host, "told")
		assert.Regexp(t, `^Successfully copied \d+(\.\d+)?kB to `+dst+`\r?\n$`, stderrOnTerminal(t, e, "cp", "src:/data", dst))
		assert.Empty(t, stderrOnTerminal(t, e, "cp", "-q", "src:/data", filepath.Join(host, "quiet")))
		assert.Empty(t, e.urun(t, "cp", "src:/data", filepath.Join(host, "piped")).stderr, "nothing said when stderr is no terminal")
	})
	t.Run("a tar stream on stdout keeps the container's owners", func(t *testing.T) {
		got := readTar(t, e.urun(t, "cp", "src:/data", "-").ok(t))
		require.Contains(t, got, "data/f")
		assert.Equal(t, tarEntry{typ: tar.TypeReg, mode: 0o640, uid: 1000, gid: 1000, body: "secret\n"}, got["data/f"])
		assert.Equal(t, byte(tar.TypeDir), got["data/sub/"].typ)
	})
}

func TestCpIntoAStoppedContainerMakesTheFilesRootsUnlessArchive(t *testing.T) {
	e := containerEnv(t)
	e.urun(t, "run", "--name", "dst", busyboxRef, "true").ok(t)
	host := mkTemp(t)
	dir := filepath.Join(host, "payload")
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "sub"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "sub", "run.sh"), []byte("#!/bin/sh\necho ran\n"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "owned"), []byte("by 1000\n"), 0o644))
	// Give "owned" to the host uid that is uid 1000 in the container.
	sub, err := callerRange("/etc/subuid")
	require.NoError(t, err)
	subg, err := callerRange("/etc/subgid")
	require.NoError(t, err)
	out, err := exec.Command("unshare", "--map-root-user",
		fmt.Sprintf("--map-users=%d,1,%d", sub.start, sub.count),
		fmt.Sprintf("--map-groups=%d,1,%d", subg.start, subg.count),
		"chown", "1000:1000", filepath.Join(dir, "owned")).CombinedOutput()
	require.NoError(t, err, "%s", out)
	uid, _ := ownerOf(t, filepath.Join(dir, "owned"))
	require.Equal(t, sub.start+999, uid)

	e.urun(t, "cp", dir, "dst:/tmp/").ok(t)
	e.urun(t, "cp", "-a", dir, "dst:/archived").ok(t)

	got := readTar(t, e.urun(t, "cp", "dst:/tmp/payload", "-").ok(t))
	assert.Equal(t, tarEntry{typ: tar.TypeReg, mode: 0o755, body: "#!/bin/sh\necho ran\n"}, got["payload/sub/run.sh"], "root's, mode kept")
	assert.Equal(t, 0, got["payload/owned"].uid, "without -a the container's root owns it")
	got = readTar(t, e.urun(t, "cp", "dst:/archived", "-").ok(t))
	assert.Equal(t, 1000, got["archived/owned"].uid, "-a maps the host's subordinate uid back to the container's 1000")
	assert.Equal(t, 1000, got["archived/owned"].gid)
	assert.Equal(t, 0, got["archived/sub/run.sh"].uid, "the caller's own files are the container's root's")

	t.Run("a directory to a path that does not exist takes that name", func(t *testing.T) {
		e.urun(t, "cp", dir, "dst:/opt/").ok(t)
		got := readTar(t, e.urun(t, "cp", "dst:/opt", "-").ok(t))
		assert.Contains(t, got, "opt/sub/run.sh")
	})
	t.Run("a tar stream on stdin is unpacked into a directory", func(t *testing.T) {
		var buf bytes.Buffer
		tw := tar.NewWriter(&buf)
		require.NoError(t, tw.WriteHeader(&tar.Header{Name: "streamed/", Typeflag: tar.TypeDir, Mode: 0o755}))
		require.NoError(t, tw.WriteHeader(&tar.Header{Name: "streamed/s", Typeflag: tar.TypeReg, Mode: 0o600, Size: 3, Uid: 1234}))
		_, err := tw.Write([]byte("s!\n"))
		require.NoError(t, err)
		require.NoError(t, tw.Close())
		e.urunWith(t, runConf{stdin: &buf}, "cp", "-", "dst:/tmp").ok(t)
		got := readTar(t, e.urun(t, "cp", "dst:/tmp/streamed/s", "-").ok(t))
		assert.Equal(t, tarEntry{typ: tar.TypeReg, mode: 0o600, body: "s!\n"}, got["s"])
	})
}

func TestCpIntoARunningContainerIsSeenByItsCommand(t *testing.T) {
	e := containerEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), defaultTimeout)
	defer cancel()
	cmd := e.command(ctx, "run", "--name", "waiter", busyboxRef, "sh", "-c",
		"while [ ! -f /tmp/x ]; do sleep 0.1; done; cat /tmp/x; stat -c '%u %a' /tmp/x")
	var stdout bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stdout
	require.NoError(t, cmd.Start())
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	require.Eventually(t, func() bool {
		list := e.ps(t)
		return len(list) == 1 && list[0].State == "running"
	}, 20*time.Second, 50*time.Millisecond)

	file := filepath.Join(mkTemp(t), "x")
	require.NoError(t, os.WriteFile(file, []byte("copied in\n"), 0o640))
	e.urun(t, "cp", file, "waiter:/tmp/x").ok(t)
	select {
	case err := <-done:
		require.NoError(t, err, "output: %s", stdout.String())
	case <-time.After(20 * time.Second):
		t.Fatalf("the container did not see the file: %s", stdout.String())
	}
	assert.Equal(t, "copied in\n0 640\n", stdout.String())

	t.Run("and out of it once it ended", func(t *testing.T) {
		got := readTar(t, e.urun(t, "cp", "waiter:/tmp/x", "-").ok(t))
		assert.Equal(t, "copied in\n", got["x"].body)
	})
}

func TestCpNeverFollowsAContainersSymlinkOutOfIt(t *testing.T) {
	e := containerEnv(t)
	hostDir := mkTemp(t)
	canary := filepath.Join(hostDir, "canary")
	require.NoError(t, os.WriteFile(canary, []byte("host file\n"), 0o644))
	e.urun(t, "run", "--name", "links", busyboxRef, "sh", "-c", fmt.Sprintf(
		"ln -s %s /hostdir && ln -s ../../../../../../.. /up && mkdir /box && ln -s /etc /box/etc", hostDir)).ok(t)
	payload := filepath.Join(mkTemp(t), "payload")
	require.NoError(t, os.WriteFile(payload, []byte("from the host\n"), 0o644))

	t.Run("reading through a link to a host path finds nothing", func(t *testing.T) {
		res := e.urun(t, "cp", "links:/hostdir/canary", "-")
		res.exits(t, 1)
		assert.Contains(t, res.stderr, "Could not find the file /hostdir/canary in container links")
		assert.NotContains(t, res.stdout, "host file")
	})
	t.Run("a link climbing up stays at the container's root", func(t *testing.T) {
		got := readTar(t, e.urun(t, "cp", "links:/up/etc/passwd", "-").ok(t))
		assert.Contains(t, got["passwd"].body, "app:x:1000:1000", "the container's passwd")
		assert.NotContains(t, got["passwd"].body, os.Getenv("USER")+":")
	})
	t.Run("writing through the links stays in the container", func(t *testing.T) {
		res := e.urun(t, "cp", payload, "links:/hostdir/canary")
		res.exits(t, 1)
		assert.Contains(t, res.stderr, "Could not find the file /hostdir in container links", "the link's target is looked up in the container")
		e.urun(t, "cp", payload, "links:/up/tmp/").ok(t)
		e.urun(t, "cp", payload, "links:/box/etc/").ok(t)
		data, err := os.ReadFile(canary)
		require.NoError(t, err)
		assert.Equal(t, "host file\n", string(data))
		ents, err := os.ReadDir(hostDir)
		require.NoError(t, err)
		assert.Len(t, ents, 1, "nothing new in the host directory")
		assert.NoFileExists(t, "/tmp/payload")
		got := readTar(t, e.urun(t, "cp", "links:/etc/payload", "-").ok(t))
		assert.Equal(t, "from the host\n", got["payload"].body, "the link to /etc led to the container's /etc")
		got = readTar(t, e.urun(t, "cp", "links:/tmp/payload", "-").ok(t))
		assert.Equal(t, "from the host\n", got["payload"].body)
	})
}

func TestCpErrorsExit1WithAClearMessage(t *testing.T) {
	e := containerEnv(t)
	e.urun(t, "run", "--name", "box", busyboxRef, "sh", "-c", "mkdir /d && touch /d/f").ok(t)
	host := mkTemp(t)
	file := filepath.Join(host, "file")
	require.NoError(t, os.WriteFile(file, []byte("x"), 0o644))
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"a missing path in the container", []string{"box:/nope", host}, "Could not find the file /nope in container box"},
		{"a missing container", []string{"nosuch:/etc/passwd", host}, "No such container: nosuch"},
		{"a missing container to copy into", []string{file, "nosuch:/tmp"}, "No such container: nosuch"},
		{"a host destination whose parent is missing", []string{"box:/d/f", filepath.Join(host, "no", "where")}, "does not exist"},
		{"a container destination whose parent is missing", []string{file, "box:/no/where"}, "Could not find the file /no in container box"},
		{"a missing host source", []string{filepath.Join(host, "nope"), "box:/tmp"}, "no such file or directory"},
		{"a directory onto a file", []string{"box:/d", file}, "cannot copy a directory onto a file"},
		{"a file to a missing directory", []string{"box:/d/f", filepath.Join(host, "newdir") + "/"}, "destination directory does not exist"},
		{"two containers", []string{"box:/d", "box:/tmp"}, "copying between containers is not supported"},
		{"no container", []string{file, host}, "must specify at least one container source"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := e.urun(t, append([]string{"cp"}, tt.args...)...)
			res.exits(t, 1)
			assert.Contains(t, res.stderr, tt.want)
		})
	}
}

// stderrOnTerminal runs urun with its stderr on a terminal and returns what
// it wrote there; it must succeed.
func stderrOnTerminal(t *testing.T, e *env, args ...string) string {
	t.Helper()
	master, slave, err := openPTY(24, 200)
	require.NoError(t, err)
	defer master.Close()
	ctx, cancel := context.WithTimeout(context.Background(), defaultTimeout)
	defer cancel()
	cmd := e.command(ctx, args...)
	cmd.Stderr = slave
	require.NoError(t, cmd.Start())
	slave.Close()
	var out bytes.Buffer
	copied := make(chan struct{})
	go func() {
		io.Copy(&out, master) // ends with EIO once urun closed the terminal
		close(copied)
	}()
	require.NoError(t, cmd.Wait())
	<-copied
	return out.String()
}

func TestCpAndExportWorkOnAFuseOverlayfsContainerAndLeaveNoDaemon(t *testing.T) {
	e := containerEnv(t)
	e.flags = append(e.flags, "--rootfs-driver", "fuse-overlayfs")
	e.urun(t, "run", "--name", "fuse", busyboxRef, "sh", "-c", "echo made > /made-here").ok(t)
	file := filepath.Join(mkTemp(t), "note")
	require.NoError(t, os.WriteFile(file, []byte("through fuse\n"), 0o600))

	e.urun(t, "cp", file, "fuse:/etc/").ok(t)
	got := readTar(t, e.urun(t, "cp", "fuse:/etc/note", "-").ok(t))
	assert.Equal(t, tarEntry{typ: tar.TypeReg, mode: 0o600, body: "through fuse\n"}, got["note"])
	got = readTar(t, e.urun(t, "export", "fuse").ok(t))
	assert.Contains(t, got, "etc/note")
	assert.Equal(t, "made\n", got["made-here"].body, "what the container wrote through fuse-overlayfs")
	assert.NotContains(t, got, "etc/deleteme", "fuse-overlayfs honours the image's whiteouts")
	assert.Eventually(t, func() bool { return len(fuseDaemonsOf(e.GraphRoot())) == 0 }, 5*time.Second, 50*time.Millisecond,
		"no fuse-overlayfs left mounting the container's layers: %v", fuseDaemonsOf(e.GraphRoot()))
}

// fuseDaemonsOf returns the pids of fuse-overlayfs processes whose command
// line mentions dir.
func fuseDaemonsOf(dir string) []int {
	ents, _ := os.ReadDir("/proc")
	var pids []int
	for _, ent := range ents {
		b, err := os.ReadFile(filepath.Join("/proc", ent.Name(), "cmdline"))
		if err != nil {
			continue
		}
		args := strings.Split(string(b), "\x00")
		if filepath.Base(args[0]) == "fuse-overlayfs" && strings.Contains(string(b), dir) {
			var pid int
			fmt.Sscan(ent.Name(), &pid)
			pids = append(pids, pid)
		}
	}
	return pids
}
