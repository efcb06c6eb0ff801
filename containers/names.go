package containers

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"

	"golang.org/x/sys/unix"

	"github.com/urun/urun/config"
	"github.com/urun/urun/lockwait"
)

// adjectives and surnames make Docker-style names (adjective_surname) for
// containers run without --name: 40×40 = 1600 of them.
var adjectives = []string{
	"agile", "amber", "bold", "brave", "bright", "calm", "clever", "cosy",
	"crisp", "curious", "daring", "eager", "fair", "fancy", "gentle", "glad",
	"happy", "honest", "humble", "jolly", "keen", "kind", "lively", "lucid",
	"merry", "modest", "nimble", "noble", "patient", "plucky", "quiet", "rapid",
	"serene", "sharp", "steady", "sunny", "swift", "tidy", "vivid", "witty",
}

var surnames = []string{
	"agnesi", "babbage", "bardeen", "bohr", "boole", "cantor", "curie", "dijkstra",
	"euler", "faraday", "fermi", "franklin", "gauss", "germain", "goodall", "hamilton",
	"hopper", "hypatia", "johnson", "kepler", "knuth", "lamarr", "lovelace", "maxwell",
	"meitner", "mirzakhani", "noether", "pascal", "perlman", "ramanujan", "ritchie", "shannon",
	"somerville", "tesla", "thompson", "turing", "volta", "wiles", "wu", "yalow",
}

// generateName returns a name that taken says is free: a random pair, or
// once the pairs seem used up, a pair with a number appended.
func generateName(taken func(string) bool) string {
	pick := func() string {
		return adjectives[rand.IntN(len(adjectives))] + "_" + surnames[rand.IntN(len(surnames))]
	}
	for range 20 {
		if name := pick(); !taken(name) {
			return name
		}
	}
	base := pick()
	for n := 2; ; n++ {
		if name := base + strconv.Itoa(n); !taken(name) {
			return name
		}
	}
}

// The store's container names are an index of symlinks, NAME -> ID, in
// GRAPHROOT/urun-names: checking or claiming a name is one readlink or
// symlink, where reading every container's record grew with their number.
// It lives in the store, beside the records kept for a reboot. A link
// whose container is gone (its urun was killed before it released the
// name) names nothing.
func namesDir(cfg *config.Config) string { return filepath.Join(cfg.GraphRoot, "urun-names") }

// names is the index, locked.
type names struct {
	cfg  *config.Config
	dir  string
	lock *os.File
}

// lockNames takes the store's names lock (".lock": no name starts with a
// dot), building the index from the records if the store has none yet.
func lockNames(cfg *config.Config) (*names, error) {
	dir := namesDir(cfg)
	_, statErr := os.Lstat(dir)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create the container names' index: %w", err)
	}
	path := filepath.Join(dir, ".lock")
	f, err := os.OpenFile(path, os.O_RDONLY|os.O_CREATE|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open the container names' lock: %w", err)
	}
	if err := lockwait.Take(f, unix.LOCK_EX, cfg.LockWait(), "the container names' index "+path); err != nil {
		f.Close()
		return nil, err
	}
	n := &names{cfg: cfg, dir: dir, lock: f}
	if errors.Is(statErr, os.ErrNotExist) {
		n.index()
	}
	return n, nil
}

func (n *names) unlock() { n.lock.Close() }

// index links the names of the store's containers made before the index
// existed.
func (n *names) index() {
	for _, root := range []string{StateRoot(n.cfg), KeptLayersDir(n.cfg)} {
		entries, _ := os.ReadDir(root)
		for _, e := range entries {
			st, err := ReadState(filepath.Join(root, e.Name()))
			if err == nil && st.Name != "" && validID(st.ID) && st.belongsTo(n.cfg.GraphRoot) && !n.taken(st.Name) {
				n.claim(st.Name, st.ID)
			}
		}
	}
}

// taken reports whether a container that still exists has name.
func (n *names) taken(name string) bool {
	id, err := os.Readlink(filepath.Join(n.dir, name))
	if err != nil || !validID(id) {
		return false
	}
	for _, dir := range []string{StateDir(n.cfg, id), filepath.Join(KeptLayersDir(n.cfg), id)} {
		if st, err := ReadState(dir); err == nil && st.ID == id && st.Name == name {
			return true
		}
	}
	return false
}

// claim points name at id, in place of a link that names nothing.
func (n *names) claim(name, id string) error {
	link := filepath.Join(n.dir, name)
	if err := os.Remove(link); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("free the container name %q: %w", name, err)
	}
	if err := os.Symlink(id, link); err != nil {
		return fmt.Errorf("claim the container name %q: %w", name, err)
	}
	return nil
}

// release drops name if it is id's.
func (n *names) release(name, id string) {
	ReleaseName(n.cfg, name, id)
}

// ReleaseName drops a removed container's name from the index; it needs
// no lock, since only id's own link is removed.
func ReleaseName(cfg *config.Config, name, id string) {
	link := filepath.Join(namesDir(cfg), name)
	if name != "" {
		if target, err := os.Readlink(link); err == nil && target == id {
			os.Remove(link)
		}
	}
}
