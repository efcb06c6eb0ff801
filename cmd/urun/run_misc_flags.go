package main

import (
	"errors"
	"fmt"
	"maps"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"github.com/spf13/pflag"

	"github.com/urun/urun/cgroupv2"
	"github.com/urun/urun/launch"
	"github.com/urun/urun/spec"
)

// The values of --pull, Docker's.
const (
	pullMissing = "missing"
	pullAlways  = "always"
	pullNever   = "never"
)

// miscRunFlags are Docker's flags of `run` and `create` for the
// container's labels, the pull policy, exposed ports, the id file and the
// cgroup settings beyond the limits.
type miscRunFlags struct {
	labels, labelFiles []string
	annotations        []string
	pull               string
	expose             []string
	cidfile            string
	oomKillDisable     bool
	memorySwappiness   int64
	cgroupParent       string
}

// addMiscRunFlags adds them, and Docker's aliases of flags added before
// (--dns-opt), to fl.
func addMiscRunFlags(fl *pflag.FlagSet, f *miscRunFlags) {
	fl.StringArrayVarP(&f.labels, "label", "l", nil, "set a label on the container: KEY=VALUE, or KEY for an empty value (added to the image's labels)")
	fl.StringArrayVar(&f.labelFiles, "label-file", nil, "read labels from a file of KEY=VALUE lines (# starts a comment line)")
	fl.StringArrayVar(&f.annotations, "annotation", nil, "add an annotation to the container's OCI spec: KEY=VALUE (inspect shows them in HostConfig.Annotations)")
	fl.StringVar(&f.pull, "pull", pullMissing, `when to pull the image: "missing" (when it is not stored), "always" or "never"`)
	fl.StringArrayVar(&f.expose, "expose", nil, "expose a port or a range of ports: PORT[-PORT][/tcp|udp|sctp] (-P publishes them)")
	fl.StringVar(&f.cidfile, "cidfile", "", "write the container's id to this file, which must not exist")
	fl.BoolVar(&f.oomKillDisable, "oom-kill-disable", false, "accepted as Docker does on cgroup v2, which has no such setting: ignored with a warning")
	fl.Int64Var(&f.memorySwappiness, "memory-swappiness", -1, "0 to 100; accepted as Docker does on cgroup v2, which has no such setting: ignored with a warning")
	fl.StringVar(&f.cgroupParent, "cgroup-parent", "", "where the container's cgroup is made: a systemd slice (NAME.slice, made by your systemd user manager; root's by the system's) or a cgroup path under a cgroup delegated to you (relative: under urun's own; for root, anywhere)")
	// The same value under both names, so that both may be given.
	if opt := fl.Lookup("dns-option"); opt != nil {
		fl.Var(opt.Value, "dns-opt", "same as --dns-option")
		fl.MarkHidden("dns-opt")
	}
}

// miscOptions are the checked values of miscRunFlags.
type miscOptions struct {
	labels       map[string]string
	annotations  map[string]string
	exposed      map[string]struct{}
	pull         string
	cidfile      string
	cgroupParent string
	// warnings are what Docker also accepts and ignores on cgroup v2.
	warnings []string
}

// check reads the label files and checks every value. It reads and
// makes nothing else: it runs before the image is pulled.
func (f *miscRunFlags) check() (miscOptions, error) {
	o := miscOptions{pull: f.pull, cidfile: f.cidfile}
	switch f.pull {
	case pullMissing, pullAlways, pullNever:
	default:
		return o, fmt.Errorf(`--pull %q: want "always", "missing" or "never"`, f.pull)
	}
	var err error
	if o.labels, err = readLabels(f.labelFiles, f.labels); err != nil {
		return o, err
	}
	if o.annotations, err = parseAnnotations(f.annotations); err != nil {
		return o, err
	}
	for _, e := range f.expose {
		ports, err := parseExpose(e)
		if err != nil {
			return o, err
		}
		if o.exposed == nil {
			o.exposed = map[string]struct{}{}
		}
		maps.Copy(o.exposed, ports)
	}
	if err := checkCIDFile(f.cidfile); err != nil {
		return o, err
	}
	if f.memorySwappiness != -1 && (f.memorySwappiness < 0 || f.memorySwappiness > 100) {
		return o, fmt.Errorf("--memory-swappiness %d: want 0 to 100 (or -1, the default: the host's)", f.memorySwappiness)
	}
	if f.memorySwappiness != -1 {
		o.warnings = append(o.warnings, "--memory-swappiness is ignored: cgroup v2 has no per-cgroup swappiness (Docker discards it there too); --memory-swap limits swap")
	}
	if f.oomKillDisable {
		o.warnings = append(o.warnings, "--oom-kill-disable is ignored: cgroup v2 cannot turn off the OOM killer of a cgroup (Docker discards it there too)")
	}
	if f.cgroupParent != "" {
		if err := cgroupv2.CheckParent(f.cgroupParent); err != nil {
			return o, err
		}
		o.cgroupParent = f.cgroupParent
	}
	return o, nil
}

// apply puts the options that do not depend on the image into o.
func (m miscOptions) apply(o *launch.Options) {
	o.Cgroups.Parent = m.cgroupParent
	o.Spec.Annotations = m.annotations
	if m.cidfile != "" {
		o.Registered = func(id string) error { return writeCIDFile(m.cidfile, id) }
	}
	for _, w := range m.warnings {
		fmt.Fprintln(os.Stderr, "WARNING:", w)
	}
}

// applyImage gives the container its image's labels and exposed ports
// with the flags' added, the flags' winning.
func (m miscOptions) applyImage(o *launch.Options) {
	ic := o.Image.Config.Config
	o.Labels = mergeMaps(ic.Labels, m.labels)
	o.ExposedPorts = mergeMaps(ic.ExposedPorts, m.exposed)
}

// mergeMaps returns image's entries overlaid with own's; nil when both
// are empty.
func mergeMaps[V any](image, own map[string]V) map[string]V {
	if len(image) == 0 && len(own) == 0 {
		return nil
	}
	out := make(map[string]V, len(image)+len(own))
	maps.Copy(out, image)
	maps.Copy(out, own)
	return out
}

// readLabels reads the --label-file files, then the --label values,
// which win, as Docker does. A KEY alone is a label with an empty value.
func readLabels(files, values []string) (map[string]string, error) {
	out := map[string]string{}
	for _, file := range files {
		lines, err := spec.ReadKeyValueFile("--label-file", file)
		if err != nil {
			return nil, err
		}
		for _, l := range lines {
			key, value, _ := strings.Cut(l, "=")
			out[key] = value
		}
	}
	for _, l := range values {
		key, value, _ := strings.Cut(l, "=")
		if strings.TrimSpace(key) == "" {
			return nil, fmt.Errorf("--label %q: no label name: want KEY=VALUE", l)
		}
		out[key] = value
	}
	if len(out) == 0 {
		return nil, nil
	}
	return out, nil
}

// exposeRe is PORT or PORT-PORT, with an optional protocol.
// It is compiled on first use, so that no urun start pays for it.
var exposeRe = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^([0-9]+)(?:-([0-9]+))?(?:/([a-zA-Z]+))?$`) })

// parseExpose reads an --expose value, PORT[-PORT][/PROTO], into the
// "PORT/PROTO" keys of the image configuration's ExposedPorts, one per
// port of a range; the protocol is tcp unless given.
func parseExpose(value string) (map[string]struct{}, error) {
	m := exposeRe().FindStringSubmatch(value)
	if m == nil {
		return nil, fmt.Errorf("--expose %q: want PORT, PORT/PROTO or a range such as 8000-8010/udp", value)
	}
	proto := strings.ToLower(m[3])
	switch proto {
	case "":
		proto = "tcp"
	case "tcp", "udp", "sctp":
	default:
		return nil, fmt.Errorf("--expose %q: unknown protocol %q: want tcp, udp or sctp", value, m[3])
	}
	port := func(s string) (int, error) {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 65535 {
			return 0, fmt.Errorf("--expose %q: port %s: want 1 to 65535", value, s)
		}
		return n, nil
	}
	low, err := port(m[1])
	if err != nil {
		return nil, err
	}
	high := low
	if m[2] != "" {
		if high, err = port(m[2]); err != nil {
			return nil, err
		}
		if high < low {
			return nil, fmt.Errorf("--expose %q: the range ends before it starts", value)
		}
	}
	out := make(map[string]struct{}, high-low+1)
	for p := low; p <= high; p++ {
		out[strconv.Itoa(p)+"/"+proto] = struct{}{}
	}
	return out, nil
}

// cidFileExists is Docker's refusal to reuse an id file, which may
// belong to a container that still runs.
func cidFileExists(path string) error {
	return fmt.Errorf("--cidfile %s: Container ID file found, make sure the other container isn't running or delete %s", path, path)
}

// checkCIDFile refuses an id file that exists, before anything is made.
func checkCIDFile(path string) error {
	if path == "" {
		return nil
	}
	if _, err := os.Lstat(path); err == nil {
		return cidFileExists(path)
	} else if !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("--cidfile %s: %w", path, err)
	}
	return nil
}

// writeCIDFile writes the new container's id, once its record exists.
// The file stays when the container is removed, as Docker leaves it.
func writeCIDFile(path, id string) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if errors.Is(err, os.ErrExist) {
		// Made meanwhile, by another run given the same file.
		return cidFileExists(path)
	}
	if err != nil {
		return fmt.Errorf("--cidfile %s: write the container id: %w", path, err)
	}
	_, err = f.WriteString(id)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return fmt.Errorf("--cidfile %s: write the container id: %w", path, err)
	}
	return nil
}

// parseAnnotations reads --annotation KEY=VALUE values.
func parseAnnotations(values []string) (map[string]string, error) {
	var out map[string]string
	for _, v := range values {
		key, value, ok := strings.Cut(v, "=")
		switch {
		case !ok || key == "":
			return nil, fmt.Errorf("--annotation %q: want KEY=VALUE", v)
		case strings.HasPrefix(key, spec.OwnAnnotationPrefix):
			return nil, fmt.Errorf("--annotation %q: keys starting %q are urun's own: choose another key", v, spec.OwnAnnotationPrefix)
		}
		if out == nil {
			out = map[string]string{}
		}
		out[key] = value
	}
	return out, nil
}
