package containers

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/urun/urun/config"
)

func id(prefix string) string {
	return prefix + strings.Repeat("0", 64-len(prefix))
}

func TestContainerNameFollowsDockersRule(t *testing.T) {
	tests := []struct {
		name  string
		input string
		valid bool
	}{
		{"letters", "web", true},
		{"mixed case and digits", "Web01", true},
		{"separators inside", "my_app.v2-blue", true},
		{"starting with a digit", "1st", true},
		{"ending with a separator", "app-", true},
		{"a generated name", "brave_turing", true},
		{"empty", "", false},
		{"starting with a dash", "-app", false},
		{"starting with a dot", ".app", false},
		{"starting with an underscore", "_app", false},
		{"space", "my app", false},
		{"slash", "a/b", false},
		{"colon", "a:b", false},
		{"non-ASCII letter", "café", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.valid, ValidName(tt.input))
		})
	}
}

func TestPsShowsDockersStatus(t *testing.T) {
	now := time.Date(2025, 1, 1, 12, 0, 0, 0, time.UTC)
	created := now.Add(-5 * time.Minute)
	tests := []struct {
		name      string
		c         Container
		state     string
		code      int
		status    string
		listedByP bool // shown by `ps` without -a
	}{
		{"running", Container{State: State{Status: "running", Created: created, StartedAt: now.Add(-3 * time.Second)}, Running: true, Started: true},
			"running", 0, "Up 3 seconds", true},
		{"still starting", Container{State: State{Status: "running", Created: created}, Running: true},
			"created", 0, "Created", true},
		{"created, never started", Container{State: State{Status: "created", Created: created}},
			"created", 0, "Created", false},
		{"waiting to restart", Container{State: State{Status: "restarting", ExitCode: 3, Created: created, FinishedAt: now.Add(-time.Second)}, Running: true},
			"restarting", 3, "Restarting (3) 1 second ago", true},
		{"exited with 7", Container{State: State{Status: "exited", ExitCode: 7, Created: created, FinishedAt: now.Add(-2 * time.Minute)}},
			"exited", 7, "Exited (7) 2 minutes ago", false},
		{"exited just now", Container{State: State{Status: "exited", Created: created, FinishedAt: now}},
			"exited", 0, "Exited (0) Less than a second ago", false},
		{"its urun was killed", Container{State: State{Status: "running", Created: created, StartedAt: created}, Started: true},
			"exited", 137, "Exited (137) 5 minutes ago", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.state, tt.c.StateName())
			assert.Equal(t, tt.code, tt.c.ExitStatus())
			assert.Equal(t, tt.status, tt.c.StatusText(now))
			assert.Equal(t, tt.listedByP, len(Select([]Container{tt.c}, false, 0)) == 1)
		})
	}
}

func TestPsQuotesAndTruncatesTheCommand(t *testing.T) {
	tests := []struct {
		name    string
		command []string
		noTrunc bool
		want    string
	}{
		{"short", []string{"sleep", "30"}, false, `"sleep 30"`},
		{"long, cut to 20", []string{"sh", "-c", "echo hello world; exit 7"}, false, `"sh -c echo hello wo…"`},
		{"long with --no-trunc", []string{"sh", "-c", "echo hello world; exit 7"}, true, `"sh -c echo hello world; exit 7"`},
		{"quotes escaped", []string{"echo", `"hi"`}, false, `"echo \"hi\""`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, Container{State: State{Command: tt.command}}.CommandText(tt.noTrunc))
		})
	}
}

func TestRmFindsContainersByNameIDOrPrefix(t *testing.T) {
	list := []Container{
		{State: State{ID: id("abc1"), Name: "web"}},
		{State: State{ID: id("abc2"), Name: "db"}},
		{State: State{ID: id("def"), Name: "abc1"}},
	}
	tests := []struct {
		name, ref string
		wantID    string
		wantErr   string
	}{
		{"full id", id("abc2"), id("abc2"), ""},
		{"name", "web", id("abc1"), ""},
		{"a name wins over an id prefix", "abc1", id("def"), ""},
		{"unique prefix", "abc2", id("abc2"), ""},
		{"short unique prefix", "d", id("def"), ""},
		{"ambiguous prefix names the candidates", "abc", "", `"abc" matches several containers: abc100000000 (web), abc200000000 (db)`},
		{"unknown", "nope", "", "No such container: nope"},
		{"empty", "", "", "No such container"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Find(list, tt.ref)
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.wantID, c.ID)
		})
	}
}

func TestGeneratedNamesAreUniqueEvenWhenAllPairsAreTaken(t *testing.T) {
	taken := map[string]bool{}
	for range 3000 {
		name := generateName(func(n string) bool { return taken[n] })
		require.False(t, taken[name], "%s generated twice", name)
		require.True(t, ValidName(name), "%s is not a valid name", name)
		taken[name] = true
	}
	assert.Len(t, taken, 3000)
}

func newConfig(t *testing.T) *config.Config {
	t.Helper()
	cfg := &config.Config{GraphRoot: filepath.Join(t.TempDir(), "graph"), RunRoot: t.TempDir()}
	require.NoError(t, os.MkdirAll(StateRoot(cfg), 0o700))
	return cfg
}

// register makes a container's state directory and registers st in it.
func register(cfg *config.Config, st *State) error {
	dir := StateDir(cfg, st.ID)
	if err := os.Mkdir(dir, 0o700); err != nil {
		return err
	}
	return Register(cfg, dir, st)
}

func TestRunRegistersTheContainerName(t *testing.T) {
	cfg := newConfig(t)
	require.NoError(t, register(cfg, &State{ID: id("a1"), Name: "web"}))
	require.NoError(t, os.Mkdir(filepath.Join(StateRoot(cfg), "damaged"), 0o700))
	require.NoError(t, os.WriteFile(filepath.Join(StateRoot(cfg), "damaged", stateFile), []byte(`{"name":`), 0o600))

	tests := []struct {
		name, id, want string
		wantErr        string
	}{
		{"a free name", id("b1"), "cache", ""},
		{"names are case-sensitive", id("b2"), "Web", ""},
		{"a taken name", id("b3"), "web", `the container name "web" is already in use`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := State{ID: tt.id, Name: tt.want}
			err := register(cfg, &st)
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.wantErr)
				return
			}
			require.NoError(t, err)
			got, err := ReadState(StateDir(cfg, tt.id))
			require.NoError(t, err)
			assert.Equal(t, tt.want, got.Name)
		})
	}
}

func TestConcurrentRunsWithoutNameGetDistinctNames(t *testing.T) {
	cfg := newConfig(t)
	const n = 40
	names := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			st := State{ID: id(fmt.Sprintf("%04x", i+1))}
			if assert.NoError(t, register(cfg, &st)) {
				names[i] = st.Name
			}
		})
	}
	wg.Wait()
	seen := map[string]bool{}
	for _, name := range names {
		assert.NotEmpty(t, name)
		assert.False(t, seen[name], "%s given twice", name)
		seen[name] = true
	}
}

func TestPsListsNewestFirstAndSkipsHalfMadeState(t *testing.T) {
	cfg := newConfig(t)
	old := time.Now().Add(-time.Hour)
	require.NoError(t, register(cfg, &State{ID: id("01"), Name: "old", Status: "exited", Created: old}))
	require.NoError(t, register(cfg, &State{ID: id("02"), Name: "new", Status: "exited", Created: old.Add(time.Minute)}))
	require.NoError(t, os.Mkdir(filepath.Join(StateRoot(cfg), "030000000000"), 0o700)) // being created
	lock, err := Lock(StateDir(cfg, id("02")))
	require.NoError(t, err)

	list, err := List(cfg)
	require.NoError(t, err)
	require.Len(t, list, 2)
	assert.Equal(t, []string{"new", "old"}, []string{list[0].Name, list[1].Name})
	assert.True(t, list[0].Running, "its lock is held")
	assert.False(t, list[1].Running)
	lock.Close()

	var out bytes.Buffer
	require.NoError(t, Print(&out, list, PrintOptions{Format: "json"}, time.Now()))
	var doc []map[string]any
	dec := json.NewDecoder(&out)
	for dec.More() {
		var row map[string]any
		require.NoError(t, dec.Decode(&row))
		doc = append(doc, row)
	}
	require.Len(t, doc, 2)
	for _, key := range []string{"ID", "Names", "Image", "Command", "CreatedAt", "State", "Status"} {
		assert.Contains(t, doc[0], key)
	}
}

func TestRemoveRefusesDirectoriesThatAreNoWritableLayer(t *testing.T) {
	cfg := newConfig(t)
	for _, dir := range []string{cfg.GraphRoot, filepath.Join(KeptLayersDir(cfg), ".."), filepath.Join(KeptLayersDir(cfg), "not-an-id"), filepath.Join(t.TempDir(), id("aa"))} {
		_, err := removeLayers(cfg, []string{dir})
		assert.Error(t, err, dir)
	}
	results, err := removeLayers(cfg, []string{filepath.Join(KeptLayersDir(cfg), id("aa"))})
	require.NoError(t, err, "an absent layer needs no user namespace")
	assert.Equal(t, "", results[0].Err)
}

func TestPruneReportsReclaimedSpaceLikeDocker(t *testing.T) {
	tests := []struct {
		name string
		p    Pruned
		want string
	}{
		{"nothing", Pruned{}, "Total reclaimed space: 0B\n"},
		{"two", Pruned{IDs: []string{id("a"), id("b")}, Reclaimed: 1234},
			"Deleted Containers:\n" + id("a") + "\n" + id("b") + "\n\nTotal reclaimed space: 1.234kB\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			PrintPruned(&b, tt.p)
			assert.Equal(t, tt.want, b.String())
		})
	}
}

func TestNamesIndexFollowsTheContainers(t *testing.T) {
	cfg := newConfig(t)
	web := State{ID: id("c1"), Name: "web"}
	require.NoError(t, register(cfg, &web))
	link := filepath.Join(namesDir(cfg), "web")
	target, err := os.Readlink(link)
	require.NoError(t, err)
	assert.Equal(t, web.ID, target, "registering links the name to the id")

	t.Run("a name whose container is gone is free again", func(t *testing.T) {
		require.NoError(t, os.RemoveAll(StateDir(cfg, web.ID))) // as a killed urun leaves it
		again := State{ID: id("c2"), Name: "web"}
		require.NoError(t, register(cfg, &again))
		target, _ := os.Readlink(link)
		assert.Equal(t, again.ID, target)
	})
	t.Run("rename moves the name", func(t *testing.T) {
		list, err := List(cfg)
		require.NoError(t, err)
		c, err := Find(list, "web")
		require.NoError(t, err)
		require.NoError(t, Rename(cfg, c, "web", "api"))
		assert.NoFileExists(t, link)
		target, _ := os.Readlink(filepath.Join(namesDir(cfg), "api"))
		assert.Equal(t, c.ID, target)
		reuse := State{ID: id("c3"), Name: "web"}
		assert.NoError(t, register(cfg, &reuse), "the old name is free")
		taken := State{ID: id("c4"), Name: "api"}
		assert.Error(t, register(cfg, &taken), "the new one is taken")
	})
	t.Run("remove releases the name", func(t *testing.T) {
		ReleaseName(cfg, "api", id("ffff"))
		assert.FileExists(t, filepath.Join(namesDir(cfg), "api"), "only the container's own link goes")
		ReleaseName(cfg, "api", id("c2"))
		assert.NoFileExists(t, filepath.Join(namesDir(cfg), "api"))
	})
}

func TestNamesIndexIsBuiltFromRecordsMadeBeforeIt(t *testing.T) {
	cfg := newConfig(t)
	dir := StateDir(cfg, id("d1"))
	require.NoError(t, os.Mkdir(dir, 0o700))
	require.NoError(t, WriteState(cfg, dir, State{ID: id("d1"), Name: "old"}))

	clash := State{ID: id("d2"), Name: "old"}
	err := register(cfg, &clash)
	require.Error(t, err)
	assert.Contains(t, err.Error(), `"old" is already in use`)
}

func TestListRemovesWhatAKilledUrunLeft(t *testing.T) {
	cfg := newConfig(t)
	root := StateRoot(cfg)
	mkdir := func(name string) string {
		dir := filepath.Join(root, name)
		require.NoError(t, os.Mkdir(dir, 0o700))
		return dir
	}
	noRecord := mkdir("040000000000")
	beingMade := mkdir("050000000000")
	hold, err := Lock(beingMade)
	require.NoError(t, err)
	defer hold.Close()
	require.NoError(t, register(cfg, &State{ID: id("06"), Name: "killed-rm", Status: StatusRunning, Remove: true}))
	require.NoError(t, register(cfg, &State{ID: id("07"), Name: "created-rm", Status: StatusCreated, Remove: true}))
	staleNew := mkdir(newStatePrefix + "080000000000-1")
	long := time.Now().Add(-time.Minute)
	require.NoError(t, os.Chtimes(staleNew, long, long))
	// A fresh one of a live urun (this one) waits; of a killed one goes.
	freshNew := mkdir(newStatePrefix + "090000000000-" + strconv.Itoa(os.Getpid()) + "-1")
	ended := exec.Command("true")
	require.NoError(t, ended.Run())
	killedNew := mkdir(newStatePrefix + "0b0000000000-" + strconv.Itoa(ended.Process.Pid) + "-1")

	list, err := List(cfg)
	require.NoError(t, err)
	var names []string
	for _, c := range list {
		names = append(names, c.Name)
	}
	assert.Equal(t, []string{"created-rm"}, names, "a killed --rm container is gone; a created one waits for its start")
	for _, gone := range []string{noRecord, StateDir(cfg, id("06")), staleNew, killedNew} {
		assert.NoDirExists(t, gone)
	}
	for _, kept := range []string{beingMade, freshNew, StateDir(cfg, id("07"))} {
		assert.DirExists(t, kept)
	}
	n, err := lockNames(cfg)
	require.NoError(t, err)
	defer n.unlock()
	assert.False(t, n.taken("killed-rm"), "the killed container's name is free again")
}

func TestCreateStateDirIsNeverSeenUnlocked(t *testing.T) {
	cfg := newConfig(t)
	dir := StateDir(cfg, id("0a"))
	lock, err := CreateStateDir(dir)
	require.NoError(t, err)
	defer lock.Close()
	assert.True(t, locked(dir), "it is locked under its own name")
	_, err = CreateStateDir(dir)
	assert.Error(t, err, "a short id that is taken")
	entries, err := os.ReadDir(StateRoot(cfg))
	require.NoError(t, err)
	assert.Len(t, entries, 1, "no temporary directory is left")
}
