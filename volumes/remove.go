package volumes

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/urun/urun/config"
	"github.com/urun/urun/containers"
	"github.com/urun/urun/spec"
)

// InUseError refuses to remove a volume that containers use.
type InUseError struct {
	Name string
	IDs  []string
}

func (e *InUseError) Error() string {
	return fmt.Sprintf("remove %s: volume is in use - [%s]: remove those containers first (urun rm)", e.Name, strings.Join(e.IDs, ", "))
}

// users maps each volume name to the ids of the containers whose record
// names it, running or not, as Docker counts them.
func users(cfg *config.Config) (map[string][]string, error) {
	list, err := containers.List(cfg)
	if err != nil {
		return nil, err
	}
	out := map[string][]string{}
	for _, c := range list {
		for _, v := range c.Volumes {
			if v.Name != "" {
				out[v.Name] = append(out[v.Name], c.ID)
			}
		}
	}
	return out, nil
}

// Remove deletes the named volumes, refusing those in use; with force, a
// volume that does not exist is no error. removed hears each one deleted.
func Remove(cfg *config.Config, names []string, force bool, removed func(name string)) []error {
	lock, err := lockStore(cfg, true)
	if err != nil {
		return []error{err}
	}
	defer lock.Close()
	used, err := users(cfg)
	if err != nil {
		return []error{err}
	}
	var errs []error
	for _, name := range names {
		v, err := Get(cfg, name)
		if errors.Is(err, ErrNotFound) && force {
			continue
		}
		if err == nil {
			if ids := used[v.Name]; len(ids) > 0 {
				err = &InUseError{Name: v.Name, IDs: ids}
			} else {
				_, err = destroy(cfg, []Volume{v})
			}
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		removed(name)
	}
	return errs
}

// destroy deletes volumes nothing uses: each is renamed out of sight
// first, so that it is gone at once for every urun, then deleted in the
// user namespace. It returns the bytes they held.
func destroy(cfg *config.Config, vols []Volume) (int64, error) {
	var trash []string
	// Docker's reclaimed space is the data's, not the metadata's.
	var metadata int64
	for _, v := range vols {
		if st, err := os.Stat(filepath.Join(v.Dir, metadataFile)); err == nil {
			metadata += st.Size()
		}
		suffix, err := NewName()
		if err != nil {
			return 0, err
		}
		dead := filepath.Join(filepath.Dir(v.Dir), ".removing-"+suffix[:12])
		if err := os.Rename(v.Dir, dead); err != nil {
			return 0, fmt.Errorf("remove volume %s: %w", v.Name, err)
		}
		trash = append(trash, dead)
		emit(cfg, v, "destroy")
	}
	sizes, err := containers.RemoveOwnedDirs(trash)
	total := -metadata
	for _, n := range sizes {
		total += n
	}
	total = max(total, 0)
	if err != nil {
		return total, fmt.Errorf("remove volumes: %w", err)
	}
	return total, nil
}

// PruneOptions are `volume prune`'s: All takes named volumes too, Filters
// keep only the volumes that match.
type PruneOptions struct {
	All     bool
	Filters Filters
}

// Pruned is what Prune deleted.
type Pruned struct {
	Names     []string
	Reclaimed int64
}

// Prune deletes the volumes no container uses: the anonymous ones, or all
// with o.All, as Docker 23+ does.
func Prune(cfg *config.Config, o PruneOptions) (Pruned, error) {
	var p Pruned
	lock, err := lockStore(cfg, true)
	if err != nil {
		return p, err
	}
	defer lock.Close()
	used, err := users(cfg)
	if err != nil {
		return p, err
	}
	list, err := List(cfg)
	if err != nil {
		return p, err
	}
	// What a urun killed while it removed volumes left.
	var leftovers []string
	entries, _ := os.ReadDir(Root(cfg))
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".removing-") {
			leftovers = append(leftovers, filepath.Join(Root(cfg), e.Name()))
		}
	}
	if len(leftovers) > 0 {
		containers.RemoveOwnedDirs(leftovers)
	}
	var victims []Volume
	for _, v := range list {
		if len(used[v.Name]) > 0 || !o.All && !v.Anonymous() || !o.Filters.Match(v, false) {
			continue
		}
		victims = append(victims, v)
		p.Names = append(p.Names, v.Name)
	}
	if len(victims) == 0 {
		return p, nil
	}
	p.Reclaimed, err = destroy(cfg, victims)
	return p, err
}

// RemoveAnonymous deletes the anonymous volumes of a container that was
// removed (`rm -v`, `run --rm`) unless another container uses them
// (--volumes-from); named volumes are kept, as Docker keeps them.
func RemoveAnonymous(cfg *config.Config, mounts []spec.VolumeMount) error {
	var names []string
	for _, m := range mounts {
		if m.Anonymous && !m.Inherited && m.Name != "" {
			names = append(names, m.Name)
		}
	}
	if len(names) == 0 {
		return nil
	}
	lock, err := lockStore(cfg, true)
	if err != nil {
		return err
	}
	defer lock.Close()
	used, err := users(cfg)
	if err != nil {
		return err
	}
	var victims []Volume
	for _, name := range names {
		v, err := Get(cfg, name)
		if err != nil || len(used[name]) > 0 {
			continue
		}
		victims = append(victims, v)
	}
	_, err = destroy(cfg, victims)
	return err
}
