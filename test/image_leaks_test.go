package test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"io/fs"
	mrand "math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/urun/urun/test/testbed"
)

// Saving one image under two names writes it once, with both names: the
// archive is one that skopeo reads by either name and that urun load
// gives both names back from.
func TestSaveOfTwoNamesOfOneImageWritesBoth(t *testing.T) {
	e := newEnv(t)
	e.urun(t, "pull", "-q", busyboxRef).ok(t)
	e.urun(t, "tag", busyboxRef, "myorg/bb:v1").ok(t)
	out := filepath.Join(e.dir, "bb.tar")
	e.urun(t, "save", "-o", out, "myorg/bb:v1", busyboxRef).ok(t)

	for _, name := range []string{"docker.io/myorg/bb:v1", busyboxRef} {
		res, err := exec.Command("skopeo", "inspect", "--raw", "docker-archive:"+out+":"+name).CombinedOutput()
		require.NoError(t, err, "skopeo inspect of %s in the archive: %s", name, res)
		assert.Contains(t, string(res), "schemaVersion", "skopeo reads the manifest of %s", name)
	}

	f := newEnv(t)
	loaded := f.urun(t, "load", "-i", out).ok(t)
	assert.ElementsMatch(t, []string{"myorg/bb:v1", busyboxRef}, loadedNames(loaded))
	list := f.urun(t, "images").ok(t)
	assert.True(t, imagesListHas(list, "myorg/bb", "v1"), "urun images shows myorg/bb:v1:\n%s", list)
	assert.True(t, imagesListHas(list, strings.TrimSuffix(busyboxRef, ":latest"), "latest"), "urun images shows busybox:\n%s", list)
	assert.Len(t, imageIDs(t, f), 1, "one image with two names")
	assert.Equal(t, layer2Body, f.urun(t, "run", "--rm", "myorg/bb:v1", "cat", "/etc/layer2").ok(t))
}

// countingReader counts what urun read of an endless input.
type countingReader struct {
	r  io.Reader
	mu sync.Mutex
	n  int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.mu.Lock()
	c.n += int64(n)
	c.mu.Unlock()
	return n, err
}

func (c *countingReader) count() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n
}

type zeroReader struct{}

func (zeroReader) Read(p []byte) (int, error) { clear(p); return len(p), nil }

type randomReader struct{ r *mrand.ChaCha8 }

func (r randomReader) Read(p []byte) (int, error) { return r.r.Read(p) }

// gzipOf is the gzip stream of r, made as it is read; it ends when the
// test does.
func gzipOf(t *testing.T, r io.Reader) io.Reader {
	pr, pw := io.Pipe()
	t.Cleanup(func() { pr.Close() })
	go func() {
		zw, _ := gzip.NewWriterLevel(pw, gzip.BestSpeed)
		_, err := io.Copy(zw, r)
		if err == nil {
			err = zw.Close()
		}
		pw.CloseWithError(err)
	}()
	return pr
}

// tarHeaderOf is the header block of a tar entry of a regular file of
// size bytes, whose data does not follow.
func tarHeaderOf(t *testing.T, name string, size int64) []byte {
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	require.NoError(t, tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: size, Typeflag: tar.TypeReg}))
	return b.Bytes()
}

// Junk on stdin, endless, fails load and import after a bounded read,
// with exit 1 and a message that says what is wrong, and leaves nothing.
func TestLoadAndImportOfEndlessJunkFailAtOnce(t *testing.T) {
	archive := sharedStore(t).urun(t, "save", busyboxRef).ok(t)
	for _, c := range []struct {
		name  string
		input func(t *testing.T) io.Reader
		// what load and import say
		load, imp string
	}{
		{"zeros", func(*testing.T) io.Reader { return zeroReader{} }, "is an empty tar archive, or no archive", "after the end of its tar archive"},
		{"random bytes", func(*testing.T) io.Reader { return randomReader{mrand.NewChaCha8([32]byte{1})} }, "is not a tar archive", "is not a tar archive"},
		{"gzip of zeros", func(t *testing.T) io.Reader { return gzipOf(t, zeroReader{}) }, "is an empty tar archive, or no archive", "after the end of its tar archive"},
		{"an archive followed by zeros", func(*testing.T) io.Reader {
			return io.MultiReader(strings.NewReader(archive), zeroReader{})
		}, "after the end of its tar archive", "after the end of its tar archive"},
	} {
		for _, cmd := range []struct{ name, want string }{{"load", c.load}, {"import", c.imp}} {
			t.Run(c.name+"/"+cmd.name, func(t *testing.T) {
				e := newEnv(t)
				args := []string{"load"}
				if cmd.name == "import" {
					args = []string{"import", "-", "junk"}
				}
				in := &countingReader{r: c.input(t)}
				start := time.Now()
				res := e.urunWith(t, runConf{stdin: in, timeout: 40 * time.Second}, args...)
				require.False(t, res.timedOut, "urun %s still reading junk after 40 s (%d MiB read)", cmd.name, in.count()>>20)
				res.exits(t, 1)
				assertUrunError(t, res, "urun: ")
				assert.Contains(t, res.stderr, cmd.want)
				assert.Less(t, in.count(), int64(32<<20), "urun read %d bytes of junk", in.count())
				t.Logf("failed after %s, %d bytes read", time.Since(start).Round(time.Millisecond), in.count())
				assert.Empty(t, imageIDs(t, e))
				assert.Empty(t, imageTempLeftovers(t, e, start), "temporary files")
			})
		}
	}
}

// A spool that fills its file system stops with a message that names the
// directory and the fix, and removes what it wrote. urun.conf's tmp_dir
// points at the suite's small file system (see smallFS).
func TestSpoolingOntoAFullFileSystemStopsAndRemovesItsFile(t *testing.T) {
	requireSmallFS(t)
	small := smallFS
	for _, c := range []struct {
		name string
		args []string
		// input is a tar entry of 1 GiB: bigger than the file system.
		gzipped bool
	}{
		{"load from stdin", []string{"load"}, false},
		{"load of gzip", []string{"load"}, true},
		{"import from stdin", []string{"import", "-", "big"}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t)
			tmpDir, err := os.MkdirTemp(small, "tmp-")
			require.NoError(t, err)
			t.Cleanup(func() { os.RemoveAll(tmpDir) })
			conf := filepath.Join(e.configHome, "urun", "urun.conf")
			old, err := os.ReadFile(conf)
			require.NoError(t, err)
			require.NoError(t, os.WriteFile(conf, append(old, []byte("tmp_dir = \""+tmpDir+"\"\n")...), 0o600))

			var in io.Reader = io.MultiReader(bytes.NewReader(tarHeaderOf(t, "big", 1<<30)), io.LimitReader(zeroReader{}, 1<<30), zeroReaderN(1024))
			if c.gzipped {
				in = gzipOf(t, in)
			}
			res := e.urunWith(t, runConf{stdin: in, timeout: 2 * time.Minute}, c.args...)
			res.exits(t, 1)
			assertUrunError(t, res, "urun: ")
			assert.Contains(t, res.stderr, "no space left on device")
			assert.Contains(t, res.stderr, "the file system of "+tmpDir+" is full")
			assert.Contains(t, res.stderr, "set tmp_dir in")
			assert.Empty(t, entries(t, tmpDir), "what the spool wrote is removed")
			assert.Empty(t, imageIDs(t, e))
		})
	}
}

func zeroReaderN(n int64) io.Reader { return io.LimitReader(zeroReader{}, n) }

// A registry that announces more than the manifest gives a blob and
// sends without end is read only to the blob's size; one that stops
// sending, or trickles, is given up on after the stall timeout. Either
// way the pull fails naming the registry and the layer.
func TestPullFromALyingOrStalledRegistryFailsNamingTheLayer(t *testing.T) {
	f, _ := pullTestImages(t)
	last := f.App.Layers[len(f.App.Layers)-1]
	for _, c := range []struct {
		name  string
		fault testbed.Fault
		want  string
	}{
		{"endless body", testbed.Endless, "is longer than the"},
		{"stall", testbed.Stall, "stalled"},
		{"trickle of a byte a second", testbed.Trickle, "stalled"},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := startFaultProxy(t)
			e := proxyEnv(t, p.Addr())
			e.vars = append(e.vars, "URUN_PULL_STALL_TIMEOUT=3s")
			p.Set(last.Digest, c.fault)
			start := time.Now()
			res := e.urunWith(t, runConf{timeout: 50 * time.Second}, "pull", p.Ref(f.App))
			require.False(t, res.timedOut, "the pull still waits on the registry after 50 s")
			res.exits(t, 1)
			assertUrunError(t, res, "urun: pull ")
			assert.Contains(t, res.stderr, c.want)
			assert.Contains(t, res.stderr, last.Digest, "the message names the layer")
			assert.Contains(t, res.stderr, p.Addr(), "the message names the registry")
			t.Logf("failed after %s; the proxy sent %d bytes of a %d-byte blob", time.Since(start).Round(time.Millisecond), p.Sent(last.Digest), len(last.Data))
			if c.fault == testbed.Endless {
				// What urun read, plus what the kernel's socket buffers took.
				assert.Less(t, p.Sent(last.Digest), int64(len(last.Data))+32<<20, "bytes the registry could send")
			}
			assert.Empty(t, imageIDs(t, e))
			noTempLeft(t, e)
		})
	}
}

// Every file an image command writes is in urun's store, its run
// directory or its temporary directory: nothing in the home directory
// (podman's ~/.local/share/containers above all) or in /var/tmp.
func TestImageCommandsWriteNothingOutsideUrunsDirectories(t *testing.T) {
	e := newEnv(t)
	home := filepath.Join(e.dir, "home")
	require.NoError(t, os.Mkdir(home, 0o700))
	e.vars = append(e.vars, "HOME="+home)
	start := time.Now()
	archive := filepath.Join(e.dir, "bb.tar")
	rootfs := filepath.Join(e.dir, "rootfs.tar")
	require.NoError(t, os.WriteFile(rootfs, append(tarHeaderOf(t, "hello", 0), make([]byte, 1024)...), 0o600))
	pushed := reg.Addr() + "/leaks/bb:v1"
	for _, args := range [][]string{
		{"pull", "-q", busyboxRef},
		{"tag", busyboxRef, "myorg/bb:v1"},
		{"images"},
		{"inspect", "myorg/bb:v1"},
		{"history", "myorg/bb:v1"},
		{"save", "-o", archive, "myorg/bb:v1"},
		{"save", "--format", "oci-archive", "-o", archive + ".oci", "myorg/bb:v1"},
		{"rmi", "myorg/bb:v1", busyboxRef},
		{"load", "-i", archive},
		{"import", rootfs, "imported"},
		{"tag", "myorg/bb:v1", pushed},
		{"push", "--tls-verify=false", pushed},
		{"image", "prune", "-a", "-f"},
	} {
		e.urun(t, args...).ok(t)
	}
	var found []string
	for _, d := range []string{home, e.dataHome, e.configHome} {
		filepath.WalkDir(d, func(p string, de fs.DirEntry, err error) error {
			switch {
			case err != nil:
				return nil
			case p == filepath.Join(e.dataHome, "urun"):
				return filepath.SkipDir // the store
			case de.IsDir():
				return nil
			}
			rel, _ := filepath.Rel(e.dir, p)
			switch rel {
			case "config/containers/registries.conf", "config/urun/urun.conf":
				return nil // the test's own
			}
			found = append(found, p)
			return nil
		})
	}
	assert.Empty(t, found, "files urun wrote outside its store, run and temporary directories")
	assert.NoDirExists(t, filepath.Join(e.dataHome, "containers"), "podman's directory")
	assert.NoDirExists(t, filepath.Join(home, ".local", "share", "containers"), "podman's directory")
	assert.Empty(t, varTmpLeftovers(t, start), "files in /var/tmp")
}

// varTmpLeftovers lists what this user created in /var/tmp since start
// with a name urun or the image library use.
func varTmpLeftovers(t *testing.T, since time.Time) []string {
	t.Helper()
	var out []string
	ents, err := os.ReadDir("/var/tmp")
	require.NoError(t, err)
	for _, de := range ents {
		n := de.Name()
		if !strings.HasPrefix(n, ".urun-") && !strings.HasPrefix(n, "storage") && !strings.HasPrefix(n, "container_images") && !strings.HasPrefix(n, "docker-tar") {
			continue
		}
		info, err := de.Info()
		if err != nil || info.ModTime().Before(since.Add(-time.Second)) {
			continue
		}
		if st, ok := info.Sys().(*syscall.Stat_t); ok && st.Uid == uint32(os.Getuid()) {
			out = append(out, filepath.Join("/var/tmp", n))
		}
	}
	return out
}

// imageTempLeftovers lists the temporary files of image commands: in
// the store's temporary directory and staging area, and in /var/tmp.
func imageTempLeftovers(t *testing.T, e *env, since time.Time) []string {
	t.Helper()
	return append(pullLeftovers(t, e), varTmpLeftovers(t, since)...)
}

// heldStdin is a pipe for a command's stdin that gives the first `first`
// bytes of data, then waits for release (or the test's end) before it
// gives the rest. It is an *os.File, so that exec starts no copying
// goroutine that a killed command's Wait would wait for.
type heldStdin struct {
	r       *os.File
	release chan struct{}
	once    sync.Once
}

func newHeldStdin(t *testing.T, data []byte, first int) *heldStdin {
	t.Helper()
	r, w, err := os.Pipe()
	require.NoError(t, err)
	h := &heldStdin{r: r, release: make(chan struct{})}
	t.Cleanup(func() { h.Release(); r.Close() })
	go func() {
		defer w.Close()
		if _, err := w.Write(data[:first]); err != nil {
			return
		}
		<-h.release
		w.Write(data[first:])
	}()
	return h
}

// Release lets the rest of the data through.
func (h *heldStdin) Release() { h.once.Do(func() { close(h.release) }) }

// spoolFiles lists the regular files with data in the store's temporary
// directory.
func spoolFiles(e *env) []string {
	var out []string
	filepath.WalkDir(filepath.Join(e.GraphRoot(), "urun-tmp"), func(p string, de fs.DirEntry, err error) error {
		if err == nil && de.Type().IsRegular() {
			if info, err := de.Info(); err == nil && info.Size() > 0 {
				out = append(out, p)
			}
		}
		return nil
	})
	return out
}

// killGroup kills cmd's process group with SIGKILL and waits for it.
func killGroup(t *testing.T, cmd *exec.Cmd) {
	t.Helper()
	require.NoError(t, syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL))
	cmd.Wait()
	assert.Empty(t, waitGroupGone(cmd.Process.Pid, 10*time.Second), "processes of the killed command")
}

// A load or import killed with SIGKILL while it spools its input leaves
// its temporary files, which the next image command (urun images)
// removes.
func TestLoadAndImportKilledWhileSpoolingAreCleanedByTheNextCommand(t *testing.T) {
	archive := []byte(sharedStore(t).urun(t, "save", busyboxRef).ok(t))
	// The gzip reader decompresses in blocks of a megabyte: a stream of
	// a few megabytes of random data gives output at its half.
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(tarHeaderOf(t, "blob", 8<<20))
	io.Copy(zw, io.LimitReader(randomReader{mrand.NewChaCha8([32]byte{2})}, 8<<20))
	require.NoError(t, zw.Close())
	for _, c := range []struct {
		name string
		args []string
		data []byte
	}{
		{"load from stdin", []string{"load"}, archive},
		{"load of gzip from stdin", []string{"load"}, gz.Bytes()},
		{"import from stdin", []string{"import", "-", "imported"}, archive},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t)
			start := time.Now()
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			cmd := e.command(ctx, c.args...)
			in := newHeldStdin(t, c.data, len(c.data)/2)
			cmd.Stdin = in.r
			require.NoError(t, cmd.Start())
			in.r.Close()
			require.Eventually(t, func() bool { return len(spoolFiles(e)) > 0 }, 30*time.Second, 10*time.Millisecond,
				"urun %s spools its input into the store's temporary directory", c.args[0])
			killGroup(t, cmd)
			assert.NotEmpty(t, imageTempLeftovers(t, e, start), "the killed command's temporary files")

			assert.Empty(t, e.urun(t, "images", "-q").ok(t))
			assert.Empty(t, imageTempLeftovers(t, e, start), "temporary files after the next command")
		})
	}
}

// A load of a big compressed file killed while it decompresses it leaves
// nothing after the next command.
func TestLoadOfAFileKilledWhileDecompressingIsCleanedByTheNextCommand(t *testing.T) {
	e := newEnv(t)
	big := filepath.Join(e.dir, "big.tar.gz")
	out, err := os.Create(big)
	require.NoError(t, err)
	zw, _ := gzip.NewWriterLevel(out, gzip.BestSpeed)
	_, err = io.Copy(zw, io.MultiReader(bytes.NewReader(tarHeaderOf(t, "blob", 512<<20)), zeroReaderN(512<<20+1024)))
	require.NoError(t, err)
	require.NoError(t, zw.Close())
	require.NoError(t, out.Close())

	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := e.command(ctx, "load", "-i", big)
	require.NoError(t, cmd.Start())
	require.Eventually(t, func() bool { return len(spoolFiles(e)) > 0 }, 30*time.Second, time.Millisecond,
		"urun load spools the decompressed archive")
	killGroup(t, cmd)
	assert.NotEmpty(t, imageTempLeftovers(t, e, start), "the killed load's temporary files")
	e.urun(t, "images").ok(t)
	assert.Empty(t, imageTempLeftovers(t, e, start), "temporary files after the next command")
}

// A save killed with SIGKILL leaves no partial file under the target's
// name; its temporary file beside the target goes with the next image
// command.
func TestSaveKilledLeavesNoPartialFile(t *testing.T) {
	e := newEnv(t)
	e.urun(t, "pull", "-q", appRef).ok(t)
	dir := filepath.Join(e.dir, "out")
	require.NoError(t, os.Mkdir(dir, 0o700))
	target := filepath.Join(dir, "app.tar")
	var caught atomic.Bool
	for try := 0; try < 20 && !caught.Load(); try++ {
		os.Remove(target)
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		// A path relative to urun's working directory (e.dir).
		cmd := e.command(ctx, "save", "-o", filepath.Join("out", "app.tar"), appRef)
		require.NoError(t, cmd.Start())
		exited := make(chan struct{})
		go func() {
			for {
				select {
				case <-exited:
					return
				default:
				}
				if ents, _ := os.ReadDir(dir); len(ents) > 0 && strings.HasPrefix(ents[0].Name(), ".urun-save-") {
					syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
					caught.Store(true)
					return
				}
				time.Sleep(200 * time.Microsecond)
			}
		}()
		cmd.Wait()
		close(exited)
		waitGroupGone(cmd.Process.Pid, 10*time.Second)
		cancel()
	}
	if !caught.Load() {
		t.Skip("every save ended before its temporary file showed up (20 tries): too fast to kill in the middle here")
	}
	t.Logf("in the output directory after the kill: %v", entries(t, dir))
	if _, err := os.Stat(target); err == nil {
		// Killed after the rename: the file is whole.
		f := newEnv(t)
		f.urun(t, "load", "-i", target).ok(t)
	}
	e.urun(t, "images").ok(t)
	for _, n := range entries(t, dir) {
		assert.Equal(t, "app.tar", n, "only the target, if anything, is left in the output directory")
	}
	noTempLeft(t, e)
}

// The next command's sweep leaves a running command's temporary files
// alone: a load that spools while `urun images` runs completes.
func TestASweepLeavesARunningLoadAlone(t *testing.T) {
	archive := []byte(sharedStore(t).urun(t, "save", busyboxRef).ok(t))
	e := newEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := e.command(ctx, "load")
	in := newHeldStdin(t, archive, len(archive)/2)
	cmd.Stdin = in.r
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	require.NoError(t, cmd.Start())
	in.r.Close()
	require.Eventually(t, func() bool { return len(spoolFiles(e)) > 0 }, 30*time.Second, 10*time.Millisecond)
	spooled := spoolFiles(e)
	e.urun(t, "images").ok(t)
	assert.Equal(t, spooled, spoolFiles(e), "the running load's spool is still there")
	in.Release()
	require.NoError(t, cmd.Wait(), "the load completes: %s", out.String())
	assert.Equal(t, []string{busyboxRef}, loadedNames(out.String()))
	noTempLeft(t, e)
}

// layerRecords lists the ids of the layers the storage library records
// (GRAPHROOT/overlay-layers/layers.json).
func layerRecords(t *testing.T, e *env) []string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(e.GraphRoot(), "overlay-layers", "layers.json"))
	if os.IsNotExist(err) {
		return nil
	}
	require.NoError(t, err)
	var layers []struct {
		ID string `json:"id"`
	}
	require.NoError(t, json.Unmarshal(data, &layers))
	var ids []string
	for _, l := range layers {
		ids = append(ids, l.ID)
	}
	slices.Sort(ids)
	return ids
}

// Pulls killed with SIGKILL at random moments leave no layer that
// belongs to no image, no layer directory without its record and no
// temporary file, once the next command ran.
func TestPullsKilledAtRandomMomentsLeaveNoLayerBehind(t *testing.T) {
	e := newEnv(t)
	rnd := mrand.New(mrand.NewPCG(13, 7))
	killed := 0
	for try := range 16 {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		cmd := e.command(ctx, "pull", "-q", appRef)
		require.NoError(t, cmd.Start())
		delay := time.Duration(rnd.IntN(1000)) * time.Millisecond
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case <-done:
			t.Logf("try %d: the pull ended before %s", try, delay)
		case <-time.After(delay):
			syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-done
			killed++
			t.Logf("try %d: killed after %s", try, delay)
		}
		waitGroupGone(cmd.Process.Pid, 10*time.Second)
		cancel()
		// The next command; then, without the image (if the pull had
		// stored it), the store must be empty.
		if len(imageIDs(t, e)) > 0 {
			e.urun(t, "rmi", appRef).ok(t)
		}
		assert.Empty(t, storedLayers(t, e), "try %d: layers of no image", try)
		assert.Equal(t, layerRecords(t, e), storedLayers(t, e), "try %d: layer directories and the storage library's records", try)
		noTempLeft(t, e)
	}
	require.Positive(t, killed, "no pull was killed before it ended")
	e.urun(t, "pull", "-q", appRef).ok(t)
	assert.Len(t, storedLayers(t, e), 3, "app's three layers")
}

// A pull killed after it stored some layers of an image (each is
// committed as soon as it is unpacked) but before the image: the next
// image command removes those layers, which belong to no image, when no
// other pull runs.
func TestPullKilledAfterStoringSomeLayersLeavesNoneBehind(t *testing.T) {
	f, _ := pullTestImages(t)
	p := startFaultProxy(t)
	e := proxyEnv(t, p.Addr())
	last := f.App.Layers[len(f.App.Layers)-1].Digest
	p.Set(last, testbed.Stall)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := e.command(ctx, "pull", p.Ref(f.App))
	require.NoError(t, cmd.Start())
	waitStalled(t, p, last)
	require.Eventually(t, func() bool { return len(storedLayers(t, e)) == len(f.App.Layers)-1 }, 20*time.Second, 10*time.Millisecond,
		"the pull stores the layers below the stalled one")
	killGroup(t, cmd)

	assert.Empty(t, imageIDs(t, e), "urun images shows no image")
	assert.Empty(t, storedLayers(t, e), "the killed pull's layers, of no image, are gone")
	assert.Empty(t, layerRecords(t, e), "the storage library's layer records")
	noTempLeft(t, e)

	p.Set(last, 0)
	e.urun(t, "pull", p.Ref(f.App)).ok(t)
	assert.Equal(t, helloBody, e.urun(t, "run", "--rm", "--entrypoint", "cat", p.Ref(f.App), "/home/app/hello.txt").ok(t))
}
