//go:build containers_image_openpgp && exclude_graphdriver_btrfs

package image

import (
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/urun/urun/image/local"
)

// Filters are `urun images --filter KEY=VALUE` conditions, as Docker's:
// the values of one key are alternatives (labels must all match), and
// every key must match.
type Filters struct {
	dangling      *bool
	references    []string
	labels        []string
	before, since []string
}

// ParseFilters parses the --filter values.
func ParseFilters(args []string) (Filters, error) {
	var f Filters
	for _, a := range args {
		key, value, ok := strings.Cut(a, "=")
		if !ok || value == "" && key != "label" {
			return f, fmt.Errorf("bad filter %q: want KEY=VALUE with KEY one of dangling, reference, label, before, since", a)
		}
		switch key {
		case "dangling":
			var b bool
			switch strings.ToLower(value) {
			case "true", "1":
				b = true
			case "false", "0":
			default:
				return f, fmt.Errorf("bad filter %q: dangling is true or false", a)
			}
			if f.dangling != nil && *f.dangling != b {
				return f, fmt.Errorf("conflicting filters dangling=true and dangling=false")
			}
			f.dangling = &b
		case "reference":
			if _, err := path.Match(value, ""); err != nil {
				return f, fmt.Errorf("bad filter %q: %w", a, err)
			}
			f.references = append(f.references, value)
		case "label":
			if value == "" {
				return f, fmt.Errorf("bad filter %q: want label=KEY or label=KEY=VALUE", a)
			}
			f.labels = append(f.labels, value)
		case "before":
			f.before = append(f.before, value)
		case "since":
			f.since = append(f.since, value)
		default:
			return f, fmt.Errorf("bad filter %q: unknown key %q (use dangling, reference, label, before or since)", a, key)
		}
	}
	return f, nil
}

// Apply returns the images of list that match. With a reference filter an
// image keeps only the names that match, so only those rows show, as
// with Docker.
func (f Filters) Apply(list []Summary) ([]Summary, error) {
	before, err := f.bound(list, f.before)
	if err != nil {
		return nil, err
	}
	since, err := f.bound(list, f.since)
	if err != nil {
		return nil, err
	}
	var out []Summary
	for _, img := range list {
		if f.dangling != nil && (len(img.Names) == 0) != *f.dangling {
			continue
		}
		if !allLabels(img.Labels, f.labels) {
			continue
		}
		if len(before) > 0 && !slices.ContainsFunc(before, func(b Summary) bool { return img.Created.Before(b.Created) }) {
			continue
		}
		if len(since) > 0 && !slices.ContainsFunc(since, func(s Summary) bool { return img.Created.After(s.Created) }) {
			continue
		}
		if len(f.references) > 0 {
			var names []string
			for _, n := range img.Names {
				if slices.ContainsFunc(f.references, func(p string) bool { return matchReference(p, n) }) {
					names = append(names, n)
				}
			}
			if len(names) == 0 {
				continue
			}
			img.Names = names
		}
		out = append(out, img)
	}
	return out, nil
}

// bound finds the images that before= or since= name.
func (f Filters) bound(list []Summary, refs []string) ([]Summary, error) {
	var out []Summary
	for _, ref := range refs {
		img, ok := findSummary(list, ref)
		if !ok {
			return nil, fmt.Errorf("%w: %s (in a before or since filter)", ErrNoSuchImage, ref)
		}
		out = append(out, img)
	}
	return out, nil
}

// findSummary finds ref in list as Resolve does in the store.
func findSummary(list []Summary, ref string) (Summary, bool) {
	if id, ok := fullID(ref); ok {
		i := slices.IndexFunc(list, func(s Summary) bool { return s.ID == id })
		return at(list, i)
	}
	if name, err := local.Normalize(ref); err == nil {
		if i := slices.IndexFunc(list, func(s Summary) bool { return slices.Contains(s.Names, name) }); i >= 0 {
			return list[i], true
		}
	}
	prefix := strings.TrimPrefix(ref, "sha256:")
	if len(prefix) < 3 || !isHex(prefix) {
		return Summary{}, false
	}
	var found []int
	for i, s := range list {
		if strings.HasPrefix(s.ID, prefix) {
			found = append(found, i)
		}
	}
	if len(found) != 1 {
		return Summary{}, false
	}
	return list[found[0]], true
}

func at(list []Summary, i int) (Summary, bool) {
	if i < 0 {
		return Summary{}, false
	}
	return list[i], true
}

// allLabels reports whether labels has every KEY or KEY=VALUE of want.
func allLabels(labels map[string]string, want []string) bool {
	for _, w := range want {
		k, v, hasValue := strings.Cut(w, "=")
		got, ok := labels[k]
		if !ok || hasValue && got != v {
			return false
		}
	}
	return true
}

// matchReference matches a reference= pattern as Docker does: against
// the name with its tag and without, in full (docker.io/library/busybox)
// and in Docker's familiar form (busybox).
func matchReference(pattern, name string) bool {
	repo, tag := splitTag(name)
	if r, _, ok := strings.Cut(name, "@"); ok {
		repo, tag = r, ""
	}
	familiar := repo
	if rest, ok := strings.CutPrefix(repo, local.DefaultRegistry+"/"); ok {
		familiar = strings.TrimPrefix(rest, "library/")
	}
	candidates := []string{repo, familiar}
	if tag != "" && tag != "<none>" {
		candidates = append(candidates, repo+":"+tag, familiar+":"+tag)
	}
	for _, c := range candidates {
		if ok, _ := path.Match(pattern, c); ok {
			return true
		}
	}
	return false
}
