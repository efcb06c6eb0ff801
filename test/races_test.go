package test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// A burst of `run -d` and `rm -f` while another urun keeps listing the
// containers: every `ps` looks at each container's lock for an instant,
// which `rm -f` must wait out, not report as an error.
func TestParallelRunDetachedAndRmForceRemoveEveryContainer(t *testing.T) {
	e := newEnv(t)
	e.urun(t, "pull", "-q", busyboxRef).ok(t)
	const containers = 40

	stopWatching := make(chan struct{})
	var watcher sync.WaitGroup
	watcher.Add(1)
	go func() {
		defer watcher.Done()
		for {
			select {
			case <-stopWatching:
				return
			default:
				e.urunQuiet("ps", "-a", "-q")
			}
		}
	}()

	var wg sync.WaitGroup
	failures := make(chan string, 2*containers)
	for i := range containers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			run := e.urunQuiet("run", "-d", "--name", fmt.Sprintf("burst%d", i), busyboxRef, "sleep", "60")
			if run.code != 0 {
				failures <- run.cmdline + ": " + run.describe()
				return
			}
			if rm := e.urunQuiet("rm", "-f", strings.TrimSpace(run.stdout)); rm.code != 0 {
				failures <- rm.cmdline + ": " + rm.describe()
			}
		}()
	}
	wg.Wait()
	close(stopWatching)
	watcher.Wait()
	close(failures)
	for f := range failures {
		t.Error(f)
	}

	assert.Empty(t, e.urun(t, "ps", "-a", "-q").ok(t), "every container is removed")
	layers, states := e.containerDirs(t)
	assert.Empty(t, layers, "no container's writable layer is left")
	assert.Empty(t, states, "no container's run state is left")
}

// `rmi` started a little before `run`s of the image, as far ahead as
// rmi takes to start (so that its look at the containers falls in each
// run's start): every container keeps its root file system to its end
// (rmi is refused while a container uses the image, or deletes it before
// a run, which pulls it again), and no container is left whose image is
// gone.
func TestRmiRacingRunNeverTakesAContainersImage(t *testing.T) {
	e := newEnv(t)
	e.urun(t, "pull", "-q", busyboxRef).ok(t)
	script := "sleep 1; ls /bin | wc -l"
	want := e.urun(t, "run", "--rm", busyboxRef, "sh", "-c", script).ok(t)
	require.NotEqual(t, "0\n", want, "the fixture's /bin has files")
	start := time.Now()
	e.urun(t, "rmi", "nosuchimage").exits(t, 1)
	rmiStart := time.Since(start)

	const runs = 6
	for round := range 2 {
		t.Run(fmt.Sprintf("round %d", round), func(t *testing.T) {
			e.urunQuiet("pull", "-q", busyboxRef)
			var wg sync.WaitGroup
			var rmi result
			wg.Add(1)
			go func() {
				defer wg.Done()
				rmi = e.urunQuiet("rmi", busyboxRef)
			}()
			// rmi looks at the containers late in its start: run i
			// starts rmiStart*(2/5+i/runs) after rmi, half a step
			// later each round; the last one is detached.
			results := make([]result, runs)
			for i := range runs {
				lead := rmiStart*2/5 + rmiStart*time.Duration(2*i+round)/(2*runs)
				wg.Add(1)
				go func() {
					defer wg.Done()
					time.Sleep(lead)
					args := []string{"run", "--rm", busyboxRef, "sh", "-c", script}
					if i == runs-1 {
						args = []string{"run", "-d", "--name", "kept", busyboxRef, "sh", "-c", script}
					}
					results[i] = e.urunQuiet(args...)
				}()
			}
			wg.Wait()

			t.Logf("%s: %s", rmi.cmdline, rmi.describe())
			if rmi.code != 0 {
				assert.Equal(t, 1, rmi.code, rmi.describe())
				assert.Contains(t, rmi.stderr, "is using its referenced image", "rmi is refused only for a container's use")
			}
			for _, r := range results[:runs-1] {
				assert.Equal(t, 0, r.code, r.describe())
				assert.Equal(t, want, r.stdout, "the container saw its image's /bin to its end: %s", r.describe())
			}
			require.Equal(t, 0, results[runs-1].code, results[runs-1].describe())
			e.urun(t, "wait", "kept")
			assert.Equal(t, want, e.urun(t, "logs", "kept").ok(t), "the detached container saw its image's /bin")
			image := strings.TrimSpace(e.urun(t, "inspect", "-f", "{{.Image}}", "kept").ok(t))
			e.urun(t, "image", "inspect", image).ok(t) // the container can start again
			e.urun(t, "rm", "-f", "kept").ok(t)
			assert.Empty(t, e.urun(t, "ps", "-a", "-q").ok(t), "no container is left")
		})
	}
}

// An image a created or running container uses is refused to `rmi`
// without -f, naming the container; with -f its name goes and the
// container keeps what it needs to start again (an exited container's:
// TestRmiOfAnImageAStoppedContainerUsesIsRefusedAndForceKeepsItStartable).
func TestRmiOfAnImageAContainerUsesIsRefusedAndForceKeepsItStartable(t *testing.T) {
	// The running container's first run sleeps, its next ones do not.
	once := "cat /etc/layer2; [ -e /once ] || { touch /once; exec sleep 60; }"
	tests := []struct {
		name   string
		create []string // makes the container "user"
	}{
		{"created", []string{"create", "--name", "user", busyboxRef, "cat", "/etc/layer2"}},
		{"running", []string{"run", "-d", "--name", "user", busyboxRef, "sh", "-c", once}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			e.urun(t, "pull", "-q", busyboxRef).ok(t)
			id := e.imageID(t, busyboxRef)
			e.urun(t, tt.create...).ok(t)
			t.Cleanup(func() { e.urun(t, "rm", "-f", "user") })

			res := e.urun(t, "rmi", busyboxRef)
			res.exits(t, 1)
			assert.Contains(t, res.stderr, "container user is using its referenced image")
			res = e.urun(t, "rmi", id)
			res.exits(t, 1)
			assert.Contains(t, res.stderr, "being used by container user")

			res = e.urun(t, "rmi", "-f", busyboxRef)
			assert.Equal(t, "Untagged: "+busyboxRef+"\n", res.ok(t), "untagged, not deleted")
			assert.Contains(t, res.stderr, "kept")

			if tt.name == "running" {
				e.urun(t, "kill", "user").ok(t)
				e.urun(t, "wait", "user").ok(t)
			}
			assert.Equal(t, layer2Body, e.urun(t, "start", "-a", "user").ok(t), "the container starts again")
			e.urun(t, "rm", "user").ok(t)
			assert.Contains(t, e.urun(t, "rmi", id).ok(t), "Deleted: "+id, "once the container is gone, so can the image")
		})
	}
}

// urunQuiet runs urun as urun does but logs nothing: for the many
// invocations of a race, whose failures the test reports itself.
func (e *env) urunQuiet(args ...string) result {
	ctx, cancel := context.WithTimeout(context.Background(), defaultTimeout)
	defer cancel()
	cmd := e.command(ctx, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	r := result{
		cmdline: "urun " + shellQuote(append(slicesClone(e.flags), args...)),
		stdout:  stdout.String(), stderr: stderr.String(), code: -1, err: err,
		timedOut: ctx.Err() != nil,
	}
	var exitErr *exec.ExitError
	switch {
	case err == nil:
		r.code = 0
	case errors.As(err, &exitErr) && exitErr.Exited():
		r.code = exitErr.ExitCode()
	}
	return r
}

// `ps`, `wait` and `rm` look at a container's lock to see whether it
// runs: one that holds its look as the container ends (a slow `ps`) makes
// `rm -f` wait a moment, not fail.
func TestRmForceWaitsForAnotherUrunLookingAtTheContainer(t *testing.T) {
	e := newEnv(t)
	e.urun(t, "pull", "-q", busyboxRef).ok(t)
	id := strings.TrimSpace(e.urun(t, "run", "-d", busyboxRef, "sleep", "60").ok(t))
	dir, err := os.Open(filepath.Join(e.RunRoot(), "containers", id[:12]))
	require.NoError(t, err)
	defer dir.Close()

	// Like a `ps` at the wrong moment: take a shared look as soon as the
	// container's urun lets go of its lock, and keep it for a while.
	looked := make(chan struct{})
	go func() {
		defer close(looked)
		deadline := time.Now().Add(30 * time.Second)
		for unix.Flock(int(dir.Fd()), unix.LOCK_SH|unix.LOCK_NB) != nil {
			if time.Now().After(deadline) {
				return
			}
			time.Sleep(200 * time.Microsecond)
		}
		time.Sleep(500 * time.Millisecond)
		unix.Flock(int(dir.Fd()), unix.LOCK_UN)
	}()
	e.urun(t, "rm", "-f", id).ok(t)
	<-looked
	assert.Empty(t, e.urun(t, "ps", "-a", "-q").ok(t), "the container is removed")
	layers, states := e.containerDirs(t)
	assert.Empty(t, layers, "no writable layer is left")
	assert.Empty(t, states, "no run state is left")
}

// `run` and `create` wait while `rmi` or `image prune` deletes, and those
// wait while a container is being made; past lock_timeout each gives up
// (run and create with exit 125, the others 1), naming the process that
// holds the lock.
func TestImageUseLockWaitsAreBoundedAndNameTheHolder(t *testing.T) {
	e := newEnv(t)
	e.urun(t, "pull", "-q", busyboxRef).ok(t)
	require.NoError(t, os.WriteFile(filepath.Join(e.configHome, "urun", "urun.conf"), []byte("cgroups_warning = false\nlock_timeout = \"1s\"\n"), 0o600))
	lockPath := filepath.Join(e.GraphRoot(), "urun-image-use.lock")

	tests := []struct {
		name string
		// held is how this test holds the lock: as rmi (exclusive) or
		// as a starting run (shared).
		held int
		args []string
	}{
		{"run while rmi deletes", unix.LOCK_EX, []string{"run", "--rm", busyboxRef, "true"}},
		{"create while image prune deletes", unix.LOCK_EX, []string{"create", busyboxRef, "true"}},
		{"rmi while a container is made", unix.LOCK_SH, []string{"rmi", "nosuchimage"}},
		{"image prune while a container is made", unix.LOCK_SH, []string{"image", "prune", "-f"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lock, err := os.OpenFile(lockPath, os.O_RDWR|os.O_CREATE, 0o600)
			require.NoError(t, err)
			defer lock.Close()
			require.NoError(t, unix.Flock(int(lock.Fd()), tt.held))

			start := time.Now()
			res := e.urun(t, tt.args...)
			want := 1
			if tt.args[0] == "run" || tt.args[0] == "create" {
				want = 125
			}
			res.exits(t, want)
			assert.GreaterOrEqual(t, time.Since(start), time.Second, "it waited for the lock")
			assert.Contains(t, res.stderr, fmt.Sprintf("is locked by pid %d (", os.Getpid()), "it names the holder")
			assert.Contains(t, res.stderr, "lock_timeout")

			// Released within the bound, the lock is only a wait.
			go func() {
				time.Sleep(300 * time.Millisecond)
				unix.Flock(int(lock.Fd()), unix.LOCK_UN)
			}()
			res = e.urun(t, tt.args...)
			if tt.args[0] == "rmi" {
				res.exits(t, 1)
				assert.Contains(t, res.stderr, "No such image", "it got past the lock")
			} else {
				res.ok(t)
			}
		})
	}
}

// `rmi` while a container is being made of the image, caught between
// finding its image and writing its record (held there by the names
// lock, which it takes to write the record): rmi waits for the record,
// then refuses, and the container gets its whole image.
func TestRmiWhileAContainerIsBeingMadeKeepsItsImage(t *testing.T) {
	script := "ls /bin | wc -l"
	tests := []struct {
		name string
		make []string
		// output reads what the container printed, once make ended.
		output func(e *env) result
	}{
		{"run --rm", []string{"run", "--rm", busyboxRef, "sh", "-c", script}, nil},
		{"run -d", []string{"run", "-d", "--name", "made", busyboxRef, "sh", "-c", script}, func(e *env) result {
			e.urun(t, "wait", "made").ok(t)
			return e.urun(t, "logs", "made")
		}},
		{"create", []string{"create", "--name", "made", busyboxRef, "sh", "-c", script}, func(e *env) result {
			return e.urun(t, "start", "-a", "made")
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			e.urun(t, "pull", "-q", busyboxRef).ok(t)
			want := e.urun(t, "run", "--rm", busyboxRef, "sh", "-c", script).ok(t)

			namesDir := filepath.Join(e.GraphRoot(), "urun-names")
			require.NoError(t, os.MkdirAll(namesDir, 0o700))
			names, err := os.OpenFile(filepath.Join(namesDir, ".lock"), os.O_RDONLY|os.O_CREATE, 0o600)
			require.NoError(t, err)
			defer names.Close()
			require.NoError(t, unix.Flock(int(names.Fd()), unix.LOCK_EX))

			made := make(chan result, 1)
			go func() { made <- e.urunQuiet(tt.make...) }()
			// Its run state is made just before the record.
			require.Eventually(t, func() bool {
				entries, _ := os.ReadDir(filepath.Join(e.RunRoot(), "containers"))
				return len(entries) > 0
			}, 30*time.Second, 10*time.Millisecond, "the container's run state appears")
			rmied := make(chan result, 1)
			go func() { rmied <- e.urunQuiet("rmi", busyboxRef) }()
			time.Sleep(time.Second) // long enough for rmi to have deleted
			require.NoError(t, unix.Flock(int(names.Fd()), unix.LOCK_UN))

			res := <-made
			require.Equal(t, 0, res.code, "%s: %s", res.cmdline, res.describe())
			if tt.output != nil {
				res = tt.output(e)
			}
			assert.Equal(t, want, res.stdout, "the container had its image's files: %s", res.describe())
			rmi := <-rmied
			assert.Equal(t, 1, rmi.code, "%s: %s", rmi.cmdline, rmi.describe())
			assert.Contains(t, rmi.stderr, "is using its referenced image")
			e.urun(t, "image", "inspect", busyboxRef).ok(t)
			e.urun(t, "rm", "-f", "made")
		})
	}
}
