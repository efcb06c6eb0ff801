package testbed

import (
	"archive/tar"
	"bufio"
	"debug/elf"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strings"
)

// HostProgram is a program of the host to copy into a derived image.
type HostProgram struct {
	// Source is the program on the host (symlinks are followed).
	Source string
	// Target is where the image holds it: an absolute path.
	Target string
}

// DeriveOptions describe an image Derive builds on top of another.
type DeriveOptions struct {
	Repo, Tag string
	// Programs are copied from the host, each with the shared libraries
	// and the dynamic loader it needs (as ldd lists them), at the paths
	// ldd shows. The host's own libc is what they run with, so the image
	// only runs on a host like this one: fine for a test bed.
	Programs []HostProgram
	// ExposedPorts become the config's ExposedPorts ("80/tcp", "53/udp").
	ExposedPorts []string
	// Env is added to the base image's environment (NAME=VALUE).
	Env []string
}

// Derive builds an image from base's layers and run configuration plus
// one layer with o.Programs and their libraries. The iperf3 image of the
// benchmark and the integration suite's helper image are built this way,
// on top of the busybox fixture, so that their shell and applets are
// busybox's.
func Derive(base *Image, o DeriveOptions) (*Image, error) {
	if len(base.diffIDs) != len(base.Layers) {
		return nil, fmt.Errorf("%s was not built by this package", base.Name())
	}
	files := map[string]string{} // target in the image -> file on the host
	for _, p := range o.Programs {
		if !path.IsAbs(p.Target) {
			return nil, fmt.Errorf("%s: the target %q is not absolute", p.Source, p.Target)
		}
		files[path.Clean(p.Target)] = p.Source
		libs, err := SharedLibraries(p.Source)
		if err != nil {
			return nil, err
		}
		for _, l := range libs {
			files[path.Clean(l)] = l
		}
	}
	targets := make([]string, 0, len(files))
	dirs := map[string]bool{}
	for t := range files {
		targets = append(targets, t)
		for d := path.Dir(t); d != "/"; d = path.Dir(d) {
			dirs[d] = true
		}
	}
	slices.Sort(targets)
	dirList := make([]string, 0, len(dirs))
	for d := range dirs {
		dirList = append(dirList, d)
	}
	slices.Sort(dirList) // parents first
	var entries []entry
	for _, d := range dirList {
		entries = append(entries, dir(strings.TrimPrefix(d, "/")+"/", 0o755))
	}
	for _, t := range targets {
		src := files[t]
		body, err := os.ReadFile(src)
		if err != nil {
			return nil, err
		}
		st, err := os.Stat(src)
		if err != nil {
			return nil, err
		}
		mode := int64(st.Mode().Perm() | 0o444)
		entries = append(entries, entry{name: strings.TrimPrefix(t, "/"), typ: tar.TypeReg, mode: mode, body: string(body)})
	}
	top, err := buildLayer(entries)
	if err != nil {
		return nil, err
	}
	layers := make([]layer, 0, len(base.Layers)+1)
	for i, b := range base.Layers {
		layers = append(layers, layer{blob: b, diffID: base.diffIDs[i]})
	}
	layers = append(layers, top)
	rc := base.config
	rc.Env = append(slices.Clone(rc.Env), o.Env...)
	rc.ExposedPorts = nil
	for _, p := range o.ExposedPorts {
		if rc.ExposedPorts == nil {
			rc.ExposedPorts = map[string]struct{}{}
		}
		rc.ExposedPorts[p] = struct{}{}
	}
	return assemble(o.Repo, o.Tag, layers, rc)
}

// SharedLibraries returns the absolute paths of the shared libraries and
// the dynamic loader that the program at path loads, as ldd lists them;
// none for a statically linked program.
func SharedLibraries(prog string) ([]string, error) {
	f, err := elf.Open(prog)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", prog, err)
	}
	dynamic := f.Section(".interp") != nil
	f.Close()
	if !dynamic {
		return nil, nil
	}
	ldd, err := exec.LookPath("ldd")
	if err != nil {
		ldd = "/usr/bin/ldd"
	}
	cmd := exec.Command(ldd, prog)
	cmd.Env = []string{"PATH=/usr/bin:/bin", "LC_ALL=C"}
	out, err := cmd.Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return nil, fmt.Errorf("ldd %s: %w: %s", prog, err, ee.Stderr)
		}
		return nil, fmt.Errorf("ldd %s: %w (install libc-bin)", prog, err)
	}
	libs, err := parseLdd(string(out))
	if err != nil {
		return nil, fmt.Errorf("ldd %s: %w", prog, err)
	}
	for _, l := range libs {
		if _, err := os.Stat(l); err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil, fmt.Errorf("ldd %s lists %s, which does not exist", prog, l)
			}
			return nil, err
		}
	}
	return libs, nil
}

// parseLdd reads ldd's output: "NAME => PATH (ADDR)", "PATH (ADDR)" (the
// loader), "NAME (ADDR)" (the vDSO, no file), "NAME => not found".
func parseLdd(out string) ([]string, error) {
	var libs []string
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.Contains(line, "statically linked") {
			continue
		}
		name, target, arrow := strings.Cut(line, "=>")
		if arrow {
			target = strings.TrimSpace(target)
			if strings.HasPrefix(target, "not found") {
				return nil, fmt.Errorf("the library %s is not found", strings.TrimSpace(name))
			}
		} else {
			target = line
		}
		if i := strings.Index(target, " ("); i >= 0 {
			target = target[:i]
		}
		target = strings.TrimSpace(target)
		if !filepath.IsAbs(target) {
			continue // linux-vdso.so.1 and the like: no file
		}
		if !slices.Contains(libs, target) {
			libs = append(libs, target)
		}
	}
	return libs, sc.Err()
}
