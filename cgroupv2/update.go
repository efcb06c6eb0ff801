package cgroupv2

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// ApplyTo writes the limit files into the running container's cgroup dir
// (`urun update`), enabling in its parent the controllers they need that
// its start did not. The container keeps running; a lower memory.max
// makes the kernel reclaim, or OOM-kill, at once. A v1 cgroup (root on a
// v1 host) gets the files' v1 counterparts.
func ApplyTo(dir string, files map[string]string) error {
	if mounts, rel, ok := v1Cgroup(dir); ok {
		return applyToV1(mounts, rel, files)
	}
	parent := filepath.Dir(dir)
	enable, err := checkControllers(parent, controllersFor(files))
	if err != nil {
		return err
	}
	if err := enableControllers(parent, leafName, enable); err != nil {
		return err
	}
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	// memory.max before memory.swap.max: the order of `run`'s, so that
	// the same values fail the same way.
	slices.Sort(names)
	for _, n := range names {
		if err := os.WriteFile(filepath.Join(dir, n), []byte(files[n]), 0); err != nil {
			return fmt.Errorf("write %s %q in %s: %w", n, files[n], dir, err)
		}
	}
	return nil
}

// Unlimited are the files' values that lift a limit the flags no longer
// ask for, for `urun update` of a limit back to none (such as
// --pids-limit -1): only the files of before missing from after.
func Unlimited(before, after map[string]string) map[string]string {
	out := map[string]string{}
	for name := range before {
		if _, ok := after[name]; ok {
			continue
		}
		switch {
		case name == "cpu.max":
			out[name] = "max"
		case name == "cpu.weight":
			out[name] = "100"
		case name == "io.weight":
			out[name] = "default 100"
		case strings.HasSuffix(name, ".max") || name == "memory.high":
			out[name] = "max"
		case name == "memory.low":
			out[name] = "0"
		}
	}
	return out
}

// CheckLimitsPossible says why a container with these settings cannot get
// limits on this host, as `urun run` says it, or nil.
func CheckLimitsPossible(o Options) error {
	if o.Disabled || o.Manager == ManagerNone {
		_, err := Choose(Request{Manager: o.Manager, Disabled: o.Disabled, Limits: true}, Host{})
		return err
	}
	host, err := DetectHost()
	if err != nil && host.Mode == Unified {
		return err
	}
	_, err = Choose(Request{Manager: o.Manager, Limits: true}, host)
	return err
}
