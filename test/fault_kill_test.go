package test

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// faultTries is how many times each command is killed; with the seed it
// bounds the fault test (about two minutes in all here).
const faultTries = 6

// faultSeed, if set, replays a run of the fault test: its seed is printed
// at the start (`bash hack/test.sh integration -test.run TestKillNine
// -fault.seed=N`). The same seed draws the same fractions of each
// command's measured duration, for the same selection of commands.
var faultSeed = flag.Uint64("fault.seed", 0, "the fault test's random seed (0: from the clock)")

// faultCase is one command the fault test kills.
type faultCase struct {
	name string
	// prepare readies the store for one try and returns the command's
	// arguments; i numbers the try (0 is the measuring run).
	prepare func(t *testing.T, f *faultEnv, i int) []string
	// settled checks what the store must show after the killed command
	// and the next ordinary urun commands, beyond the common checks.
	settled func(t *testing.T, f *faultEnv, i int) []string
}

// faultEnv is a store with busybox and what the commands need.
type faultEnv struct {
	*env
	tmp     string // the store's TMPDIR
	out     string // where save, export and cp write
	archive string // a docker-archive of busybox, for load
	rootfs  string // an exported root file system, for import
	// saveSize and exportSize are the sizes of a whole archive, known
	// from the measuring run.
	saveSize, exportSize int64
}

// TestKillNineAtAnyMomentLeavesNothingBehind kills (SIGKILL to its process
// group) each command that writes to the store or to files at random
// moments of its normal duration, then runs `urun ps -a` and `urun images`
// as a user would next, and checks that nothing is left: no temporary
// files, no run state or writable layer without a container, no stored
// layer without an image, no partial file under an output's name, and
// each container fully there or fully gone. The store still runs a
// container in the end.
func TestKillNineAtAnyMomentLeavesNothingBehind(t *testing.T) {
	seed := *faultSeed
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	t.Logf("fault seed %d (replay with -fault.seed=%d)", seed, seed)
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	source := newFaultEnv(t)
	source.urun(t, "pull", "-q", busyboxRef).ok(t)
	archive := filepath.Join(source.dir, "busybox.tar")
	source.urun(t, "save", "-o", archive, busyboxRef).ok(t)
	source.urun(t, "create", "--name", "exported", busyboxRef, "true").ok(t)
	rootfs := filepath.Join(source.dir, "rootfs.tar")
	source.urun(t, "export", "-o", rootfs, "exported").ok(t)

	for _, c := range faultCases() {
		t.Run(c.name, func(t *testing.T) {
			f := newFaultEnv(t)
			f.archive, f.rootfs = archive, rootfs
			f.urun(t, "pull", "-q", busyboxRef).ok(t)
			// The measuring run: how long the command takes unharmed.
			args := c.prepare(t, f, 0)
			start := time.Now()
			f.urun(t, args...).ok(t)
			took := time.Since(start)
			if c.settled != nil {
				if bad := c.settled(t, f, 0); len(bad) > 0 {
					t.Fatalf("after an unharmed %s: %s", shellQuote(args), strings.Join(bad, "; "))
				}
			}
			for i := 1; i <= faultTries; i++ {
				args := c.prepare(t, f, i)
				delay := time.Duration(rng.Float64() * 1.1 * float64(took)) // to a little past its end
				f.killAfter(t, args, delay)
				// What a user runs next.
				f.urun(t, "ps", "-a").ok(t)
				f.urun(t, "images").ok(t)
				bad := f.leftovers(t)
				if c.settled != nil {
					bad = append(bad, c.settled(t, f, i)...)
				}
				if len(bad) > 0 {
					t.Errorf("%s killed after %v (try %d, of %v unharmed; seed %d) left:\n  %s",
						shellQuote(args), delay.Round(time.Millisecond), i, took.Round(time.Millisecond), seed, strings.Join(bad, "\n  "))
				}
			}
			f.urun(t, "run", "--rm", busyboxRef, "true").ok(t)
		})
	}
}

func faultCases() []faultCase {
	return []faultCase{
		{name: "run", prepare: func(t *testing.T, f *faultEnv, i int) []string {
			return []string{"run", busyboxRef, "sh", "-c", "echo x >/written"}
		}},
		{name: "run -d", prepare: func(t *testing.T, f *faultEnv, i int) []string {
			return []string{"run", "-d", busyboxRef, "sh", "-c", "echo x >/written"}
		}},
		{name: "run --rm", prepare: func(t *testing.T, f *faultEnv, i int) []string {
			return []string{"run", "--rm", busyboxRef, "sh", "-c", "echo x >/written"}
		}, settled: func(t *testing.T, f *faultEnv, i int) []string {
			return f.noContainers(t)
		}},
		{name: "rm", prepare: func(t *testing.T, f *faultEnv, i int) []string {
			name := "victim" + strconv.Itoa(i)
			f.urun(t, "run", "--name", name, busyboxRef, "sh", "-c", "echo kept >/marker").ok(t)
			return []string{"rm", name}
		}, settled: func(t *testing.T, f *faultEnv, i int) []string {
			return f.wholeOrGone(t, "victim"+strconv.Itoa(i))
		}},
		{name: "rm -f", prepare: func(t *testing.T, f *faultEnv, i int) []string {
			name := "victim" + strconv.Itoa(i)
			f.urun(t, "run", "-d", "--name", name, busyboxRef, "sh", "-c", "echo kept >/marker; exec sleep 600").ok(t)
			id := strings.TrimSpace(f.urun(t, "inspect", "-f", "{{.Id}}", name).ok(t))
			marker := filepath.Join(f.GraphRoot(), "urun-containers", id, "diff", "marker")
			require.Eventually(t, func() bool { _, err := os.Stat(marker); return err == nil }, 10*time.Second, 10*time.Millisecond,
				"the container wrote %s", marker)
			return []string{"rm", "-f", name}
		}, settled: func(t *testing.T, f *faultEnv, i int) []string {
			bad := f.wholeOrGone(t, "victim"+strconv.Itoa(i))
			f.urun(t, "rm", "-f", "victim"+strconv.Itoa(i))
			return bad
		}},
		{name: "pull", prepare: func(t *testing.T, f *faultEnv, i int) []string {
			f.urun(t, "rmi", busyboxRef)
			return []string{"pull", "-q", busyboxRef}
		}, settled: func(t *testing.T, f *faultEnv, i int) []string {
			return f.imageWholeOrGone(t, busyboxRef)
		}},
		{name: "load", prepare: func(t *testing.T, f *faultEnv, i int) []string {
			f.urun(t, "rmi", busyboxRef)
			return []string{"load", "-q", "-i", f.archive}
		}, settled: func(t *testing.T, f *faultEnv, i int) []string {
			return f.imageWholeOrGone(t, busyboxRef)
		}},
		{name: "import", prepare: func(t *testing.T, f *faultEnv, i int) []string {
			f.urun(t, "rmi", "imported")
			return []string{"import", f.rootfs, "imported"}
		}, settled: func(t *testing.T, f *faultEnv, i int) []string {
			return f.imageWholeOrGone(t, "imported")
		}},
		{name: "save", prepare: func(t *testing.T, f *faultEnv, i int) []string {
			f.clearOut(t)
			return []string{"save", "-o", filepath.Join(f.out, "saved.tar"), busyboxRef}
		}, settled: func(t *testing.T, f *faultEnv, i int) []string {
			return f.outputWholeOrGone(t, "saved.tar", &f.saveSize, i)
		}},
		{name: "export", prepare: func(t *testing.T, f *faultEnv, i int) []string {
			f.clearOut(t)
			f.ensureStopped(t, "source")
			return []string{"export", "-o", filepath.Join(f.out, "exported.tar"), "source"}
		}, settled: func(t *testing.T, f *faultEnv, i int) []string {
			return f.outputWholeOrGone(t, "exported.tar", &f.exportSize, i)
		}},
		{name: "run --rm --network", prepare: func(t *testing.T, f *faultEnv, i int) []string {
			if i == 0 {
				f.urun(t, "network", "create", "faultnet").ok(t)
			}
			return []string{"run", "--rm", "--network", "faultnet", busyboxRef, "true"}
		}, settled: func(t *testing.T, f *faultEnv, i int) []string {
			bad := f.noContainers(t)
			// The holder (if the killed run started one) ends a second
			// after nothing is attached, its uplink with it.
			if left := f.networkProcesses(10 * time.Second); len(left) > 0 {
				bad = append(bad, "network processes still running: "+procList(left))
			}
			for _, name := range []string{"holder.sock", "state.json"} {
				if _, err := os.Stat(filepath.Join(f.networksDir(), name)); err == nil {
					bad = append(bad, "the network holder's "+name+" with no holder")
				}
			}
			return bad
		}},
		{name: "network create", prepare: func(t *testing.T, f *faultEnv, i int) []string {
			f.urun(t, "network", "rm", "-f", "made")
			return []string{"network", "create", "made"}
		}, settled: func(t *testing.T, f *faultEnv, i int) []string {
			return f.networkWholeOrGone(t, "made")
		}},
		{name: "volume create", prepare: func(t *testing.T, f *faultEnv, i int) []string {
			f.urun(t, "volume", "rm", "-f", "made")
			return []string{"volume", "create", "made"}
		}, settled: func(t *testing.T, f *faultEnv, i int) []string {
			return f.volumeWholeOrGone(t, "made")
		}},
		{name: "cp out", prepare: func(t *testing.T, f *faultEnv, i int) []string {
			f.clearOut(t)
			f.ensureStopped(t, "source")
			return []string{"cp", "source:/bin", filepath.Join(f.out, "bin")}
		}},
		{name: "cp in", prepare: func(t *testing.T, f *faultEnv, i int) []string {
			f.ensureStopped(t, "source")
			return []string{"cp", f.hostTree(t), "source:/copied" + strconv.Itoa(i)}
		}, settled: func(t *testing.T, f *faultEnv, i int) []string {
			return f.wholeOrGone(t, "source")
		}},
	}
}

func newFaultEnv(t *testing.T) *faultEnv {
	t.Helper()
	e := newEnvWith(t, envOptions{explicitRoot: true})
	f := &faultEnv{env: e, tmp: filepath.Join(e.dir, "tmp"), out: filepath.Join(e.dir, "out")}
	require.NoError(t, os.MkdirAll(f.tmp, 0o700))
	require.NoError(t, os.MkdirAll(f.out, 0o700))
	// The store's own temporary directory, so that what is left there is
	// this store's: everything urun writes for a while (os.TempDir, the
	// image library's big files, save's and load's spools) follows
	// TMPDIR, else would go to /var/tmp, which other tests share.
	e.vars = append(e.vars, "TMPDIR="+f.tmp)
	return f
}

// killAfter starts urun with args in its own process group and kills the
// whole group with SIGKILL after delay (or once it has ended), waiting
// until no process of the group is left.
func (f *faultEnv) killAfter(t *testing.T, args []string, delay time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := f.command(ctx, args...)
	require.NoError(t, cmd.Start())
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	select {
	case <-time.After(delay):
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-done
	case <-done:
		// It ended first; whatever it left behind is still checked.
	}
	if left := waitGroupGone(cmd.Process.Pid, 10*time.Second); len(left) > 0 {
		t.Errorf("processes %v of the killed %s are still there", left, shellQuote(args))
	}
}

// leftovers lists what no container, image or output accounts for, each
// with its size.
func (f *faultEnv) leftovers(t *testing.T) []string {
	t.Helper()
	var bad []string
	add := func(path, why string) { bad = append(bad, fmt.Sprintf("%s (%s, %s)", path, sizeOf(path), why)) }
	for _, n := range entries(t, f.tmp) {
		// urun's run directory without XDG_RUNTIME_DIR: no temporary file.
		if n != "urun-"+strconv.Itoa(os.Getuid()) {
			add(filepath.Join(f.tmp, n), "temporary file in TMPDIR")
		}
	}
	graph := f.GraphRoot()
	for _, d := range []string{"urun-tmp", "overlay/staging", "overlay/tempdirs", "tmp"} {
		for _, n := range entries(t, filepath.Join(graph, d)) {
			add(filepath.Join(graph, d, n), "temporary file in the store")
		}
	}
	ids := map[string]bool{}
	for _, id := range lines(f.urun(t, "ps", "-a", "-q", "--no-trunc").ok(t)) {
		ids[id] = true
	}
	stateRoot := filepath.Join(f.RunRoot(), "containers")
	for _, n := range entries(t, stateRoot) {
		dir := filepath.Join(stateRoot, n)
		if !hasShortID(ids, n) {
			add(dir, "run state of no container")
			continue
		}
		if _, err := os.Stat(filepath.Join(dir, "state.json")); err != nil {
			add(dir, "run state without a record")
		}
	}
	for _, d := range []string{"urun-containers", "urun-transient"} {
		for _, n := range entries(t, filepath.Join(graph, d)) {
			if !ids[n] {
				add(filepath.Join(graph, d, n), "writable layer of no container")
			}
		}
	}
	for id := range ids {
		_, kept := os.Stat(filepath.Join(graph, "urun-containers", id, "diff"))
		_, transient := os.Stat(filepath.Join(graph, "urun-transient", id, "diff"))
		if kept != nil && transient != nil {
			bad = append(bad, fmt.Sprintf("container %s has no writable layer", id[:12]))
		}
	}
	bad = append(bad, atomicLeftovers(graph, stateRoot)...)
	bad = append(bad, f.layersWithoutImage(t)...)
	return bad
}

// atomicLeftovers are half-written replacements of records (".tmp-"
// files) in the store, its containers' directories and the run root's.
func atomicLeftovers(graph, stateRoot string) []string {
	dirs := []string{graph, filepath.Join(graph, "urun-images"), stateRoot}
	for _, parent := range []string{filepath.Join(graph, "urun-containers"), stateRoot} {
		subs, _ := os.ReadDir(parent)
		for _, d := range subs {
			dirs = append(dirs, filepath.Join(parent, d.Name()))
		}
	}
	var bad []string
	for _, dir := range dirs {
		names, _ := os.ReadDir(dir)
		for _, n := range names {
			if strings.HasPrefix(n.Name(), ".tmp-") {
				p := filepath.Join(dir, n.Name())
				bad = append(bad, fmt.Sprintf("%s (%s, half-written record)", p, sizeOf(p)))
			}
		}
	}
	return bad
}

func hasShortID(ids map[string]bool, short string) bool {
	for id := range ids {
		if strings.HasPrefix(id, short) && len(short) == 12 {
			return true
		}
	}
	return false
}

// storageLayer and storageImage are the storage library's records, as
// far as the check needs them.
type storageLayer struct {
	ID     string `json:"id"`
	Parent string `json:"parent"`
}

type storageImage struct {
	ID           string   `json:"id"`
	Layer        string   `json:"layer"`
	MappedLayers []string `json:"mapped-layers"`
}

// layersWithoutImage lists stored layers that no image's chain reaches
// and no entry of the build cache names (a step a killed build finished
// stays there for the next build), and layer directories that have no
// record.
func (f *faultEnv) layersWithoutImage(t *testing.T) []string {
	graph := f.GraphRoot()
	var layers []storageLayer
	var images []storageImage
	readJSON := func(path string, v any) {
		data, err := os.ReadFile(path)
		if err == nil {
			require.NoError(t, json.Unmarshal(data, v), "%s", path)
		}
	}
	readJSON(filepath.Join(graph, "overlay-layers", "layers.json"), &layers)
	readJSON(filepath.Join(graph, "overlay-images", "images.json"), &images)
	parent := map[string]string{}
	for _, l := range layers {
		parent[l.ID] = l.Parent
	}
	used := map[string]bool{}
	for _, img := range images {
		for id := img.Layer; id != "" && !used[id]; id = parent[id] {
			used[id] = true
		}
	}
	var bad []string
	cache := filepath.Join(graph, "urun-build-cache", "entries")
	for _, n := range entries(t, cache) {
		var entry struct{ TopLayer string }
		readJSON(filepath.Join(cache, n), &entry)
		for id := entry.TopLayer; id != "" && !used[id]; id = parent[id] {
			used[id] = true
		}
	}
	for _, l := range layers {
		if !used[l.ID] {
			bad = append(bad, fmt.Sprintf("layer %s (%s, stored layer of no image)", l.ID, sizeOf(filepath.Join(graph, "overlay", l.ID))))
		}
	}
	for _, n := range entries(t, filepath.Join(graph, "overlay")) {
		if _, ok := parent[n]; len(n) == 64 && !ok {
			p := filepath.Join(graph, "overlay", n)
			bad = append(bad, fmt.Sprintf("%s (%s, layer directory without a record)", p, sizeOf(p)))
		}
	}
	return bad
}

// sizeOf is a file's or a tree's size, for the report.
func sizeOf(path string) string {
	var total int64
	filepath.WalkDir(path, func(_ string, d fs.DirEntry, err error) error {
		if err == nil {
			if info, err := d.Info(); err == nil && info.Mode().IsRegular() {
				total += info.Size()
			}
		}
		return nil
	})
	return fmt.Sprintf("%d bytes", total)
}

// noContainers: a --rm container is gone, whenever it was killed.
func (f *faultEnv) noContainers(t *testing.T) []string {
	if out := f.urun(t, "ps", "-a", "-q").ok(t); out != "" {
		return []string{"containers still listed: " + strings.Join(lines(out), " ")}
	}
	return nil
}

// wholeOrGone: container name is listed with its writable layer and
// record and the file it wrote, or none of it is there.
func (f *faultEnv) wholeOrGone(t *testing.T, name string) []string {
	res := f.urun(t, "inspect", "-f", "{{.Id}}", name)
	if res.code != 0 {
		if strings.Contains(res.stderr, "no such") || strings.Contains(res.stderr, "No such") {
			return nil
		}
		return []string{fmt.Sprintf("inspect %s: %s", name, res.describe())}
	}
	id := strings.TrimSpace(res.stdout)
	layer := filepath.Join(f.GraphRoot(), "urun-containers", id)
	var bad []string
	for _, p := range []string{filepath.Join(layer, "diff", "marker"), filepath.Join(layer, "settings.json"), filepath.Join(layer, "state.json")} {
		if name == "source" && strings.HasSuffix(p, "marker") {
			continue
		}
		if _, err := os.Stat(p); err != nil {
			bad = append(bad, fmt.Sprintf("container %s is listed but half removed: %v", name, err))
		}
	}
	return bad
}

// imageWholeOrGone: ref runs, or is not there at all.
func (f *faultEnv) imageWholeOrGone(t *testing.T, ref string) []string {
	if f.urun(t, "image", "inspect", ref).code != 0 {
		return nil
	}
	if res := f.urun(t, "run", "--rm", ref, "/bin/true"); res.code != 0 {
		return []string{fmt.Sprintf("image %s is listed but does not run: %s", ref, res.describe())}
	}
	return nil
}

// outputWholeOrGone: the output directory holds the whole file under its
// name, or nothing. size is the whole file's, measured by try 0.
func (f *faultEnv) outputWholeOrGone(t *testing.T, name string, size *int64, i int) []string {
	var bad []string
	for _, n := range entries(t, f.out) {
		p := filepath.Join(f.out, n)
		info, err := os.Stat(p)
		require.NoError(t, err)
		switch {
		case n != name:
			bad = append(bad, fmt.Sprintf("%s (%d bytes, not the output's name)", p, info.Size()))
		case i == 0:
			*size = info.Size()
		case info.Size() != *size:
			bad = append(bad, fmt.Sprintf("%s (%d bytes of %d, partial output under its name)", p, info.Size(), *size))
		}
	}
	return bad
}

func (f *faultEnv) clearOut(t *testing.T) {
	require.NoError(t, removeTree(f.out))
	require.NoError(t, os.MkdirAll(f.out, 0o700))
}

// ensureStopped creates a stopped container name with a few files, once.
func (f *faultEnv) ensureStopped(t *testing.T, name string) {
	if f.urun(t, "inspect", "-f", "{{.Id}}", name).code == 0 {
		return
	}
	f.urun(t, "run", "--name", name, busyboxRef, "sh", "-c", "mkdir /data && cp -a /bin /data/").ok(t)
}

// hostTree makes, once, a directory of 300 files of 16 KiB to copy in.
func (f *faultEnv) hostTree(t *testing.T) string {
	dir := filepath.Join(f.dir, "tree")
	if _, err := os.Stat(dir); err == nil {
		return dir
	}
	require.NoError(t, os.MkdirAll(dir, 0o755))
	data := make([]byte, 16<<10)
	for i := range 300 {
		require.NoError(t, os.WriteFile(filepath.Join(dir, "f"+strconv.Itoa(i)), data, 0o644))
	}
	return dir
}

// networkWholeOrGone checks that network name is listed and inspected
// whole, or not there at all.
func (f *faultEnv) networkWholeOrGone(t *testing.T, name string) []string {
	names := lines(f.urun(t, "network", "ls", "--format", "{{.Name}}").ok(t))
	if !slices.Contains(names, name) {
		if _, err := os.Stat(filepath.Join(f.GraphRoot(), "urun-networks", name+".json")); err == nil {
			return []string{"network " + name + " is not listed but its definition is there"}
		}
		return nil
	}
	res := f.urun(t, "network", "inspect", "-f", "{{range .IPAM.Config}}{{.Subnet}}{{end}}", name)
	if res.code != 0 || strings.TrimSpace(res.stdout) == "" {
		return []string{"network " + name + " is listed but not whole: " + res.describe()}
	}
	return nil
}

// volumeWholeOrGone checks that volume name is listed with its data
// directory, or not there at all, and that no half-made volume is left
// once `volume ls` ran.
func (f *faultEnv) volumeWholeOrGone(t *testing.T, name string) []string {
	names := lines(f.urun(t, "volume", "ls", "-q").ok(t))
	root := filepath.Join(f.GraphRoot(), "urun-volumes")
	var bad []string
	for _, n := range entries(t, root) {
		if strings.HasPrefix(n, ".new-") {
			bad = append(bad, filepath.Join(root, n)+" (a half-made volume)")
		}
	}
	if !slices.Contains(names, name) {
		return bad
	}
	if _, err := os.Stat(filepath.Join(root, name, "_data")); err != nil {
		bad = append(bad, "volume "+name+" is listed without its data directory")
	}
	return bad
}
