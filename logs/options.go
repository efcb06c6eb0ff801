package logs

import (
	"errors"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"text/template"

	units "github.com/docker/go-units"
)

// The log drivers (--log-driver).
const (
	DriverK8sFile  = "k8s-file"
	DriverJSONFile = "json-file"
	DriverNone     = "none"
	DriverJournald = "journald"
)

// Drivers are the --log-driver values, the default first.
var Drivers = []string{DriverK8sFile, DriverJSONFile, DriverNone, DriverJournald}

// ErrNoReading is `urun logs` of a container whose driver keeps nothing
// to read, in Docker's words.
var ErrNoReading = errors.New("configured logging driver does not support reading")

// Options are the --log-driver and --log-opt settings, kept in the
// container's settings.
type Options struct {
	// Driver is one of Drivers; "" is k8s-file (containers made before
	// there was a choice).
	Driver string `json:"driver,omitempty"`
	// MaxSize rotates the log once it would grow past this many bytes
	// (0: never).
	MaxSize int64 `json:"max_size,omitempty"`
	// MaxFiles is how many files are kept, the current one included, once
	// the log rotates; 1 starts the log afresh.
	MaxFiles int `json:"max_files,omitempty"`
	// Tag is journald's CONTAINER_TAG and SYSLOG_IDENTIFIER, a template
	// of TagFields ("" is {{.ID}}).
	Tag string `json:"tag,omitempty"`
	// Labels and Env name container labels and environment variables
	// (LabelsRegex and EnvRegex match them) whose values go with each
	// entry: journald's fields, `urun logs --details`.
	Labels      []string `json:"labels,omitempty"`
	LabelsRegex string   `json:"labels_regex,omitempty"`
	Env         []string `json:"env,omitempty"`
	EnvRegex    string   `json:"env_regex,omitempty"`
}

// DriverName is the driver, "" read as the default.
func (o Options) DriverName() string {
	if o.Driver == "" {
		return DriverK8sFile
	}
	return o.Driver
}

// KeepsFile says whether the driver writes a log file urun reads.
func (o Options) KeepsFile() bool {
	d := o.DriverName()
	return d == DriverK8sFile || d == DriverJSONFile
}

// driverOptions are the --log-opt keys each driver takes. Docker's
// mode=blocking is every driver's default and only mode: it is taken and
// changes nothing.
var driverOptions = map[string][]string{
	DriverK8sFile:  {"max-size", "max-file", "labels", "labels-regex", "env", "env-regex", "mode"},
	DriverJSONFile: {"max-size", "max-file", "labels", "labels-regex", "env", "env-regex", "mode"},
	DriverNone:     {},
	DriverJournald: {"tag", "labels", "labels-regex", "env", "env-regex", "mode"},
}

// refusedOptions are Docker's options urun knows and does not do, with
// why.
var refusedOptions = map[string]string{
	"compress":        "urun does not compress rotated log files",
	"max-buffer-size": "urun writes the log as the container writes (mode=blocking), it buffers nothing",
}

// ParseOptions reads --log-driver and its --log-opt values as Docker's
// drivers take them: max-size=SIZE (10k, 20m, 1g) and max-file=N for the
// file drivers, tag=TEMPLATE for journald, labels, labels-regex, env and
// env-regex for all but none.
func ParseOptions(driver string, opts []string) (Options, error) {
	o := Options{MaxFiles: 1}
	if driver == "" {
		driver = DriverK8sFile
	}
	keys, ok := driverOptions[driver]
	if !ok {
		return o, fmt.Errorf("--log-driver %q: want one of %s", driver, strings.Join(Drivers, ", "))
	}
	if driver != DriverK8sFile {
		o.Driver = driver
	}
	for _, opt := range opts {
		key, value, ok := strings.Cut(opt, "=")
		if !ok {
			return o, fmt.Errorf("--log-opt %q: want KEY=VALUE (max-size=10m, max-file=3)", opt)
		}
		if why, refused := refusedOptions[key]; refused {
			return o, fmt.Errorf("--log-opt %s: %s", opt, why)
		}
		if !contains(keys, key) {
			if len(keys) == 0 {
				return o, fmt.Errorf("--log-opt %q: log driver %s takes no options", opt, driver)
			}
			return o, fmt.Errorf("--log-opt %q: unknown option %s for log driver %s, which takes %s", opt, key, driver, strings.Join(keys, ", "))
		}
		var err error
		switch key {
		case "max-size":
			var n int64
			n, err = units.RAMInBytes(value)
			if err != nil || n <= 0 {
				return o, fmt.Errorf("--log-opt max-size=%s: want a positive size such as 10k, 20m or 1g", value)
			}
			o.MaxSize = n
		case "max-file":
			n, err := strconv.Atoi(value)
			if err != nil || n < 1 {
				return o, fmt.Errorf("--log-opt max-file=%s: want a whole number of at least 1", value)
			}
			o.MaxFiles = n
		case "tag":
			_, err = template.New("tag").Parse(value)
			o.Tag = value
		case "labels":
			o.Labels = splitList(value)
		case "env":
			o.Env = splitList(value)
		case "labels-regex":
			_, err = regexp.Compile(value)
			o.LabelsRegex = value
		case "env-regex":
			_, err = regexp.Compile(value)
			o.EnvRegex = value
		case "mode":
			if value != "blocking" {
				err = errors.New("urun's log is written as the container writes: only mode=blocking")
			}
		}
		if err != nil {
			return o, fmt.Errorf("--log-opt %s=%s: %w", key, value, err)
		}
	}
	if o.MaxFiles > 1 && o.MaxSize == 0 {
		return o, fmt.Errorf("--log-opt max-file needs max-size: without a size the log never rotates")
	}
	return o, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func splitList(s string) []string {
	var out []string
	for _, x := range strings.Split(s, ",") {
		if x = strings.TrimSpace(x); x != "" {
			out = append(out, x)
		}
	}
	return out
}

// Attrs are the extra attributes of the container's entries, as Docker
// gives them: the values of the labels and environment variables the
// options name or match (an environment variable wins over a label of
// the same name). env is KEY=VALUE entries.
func (o Options) Attrs(labels map[string]string, env []string) map[string]string {
	attrs := map[string]string{}
	labelsRe := compileOrNil(o.LabelsRegex)
	for k, v := range labels {
		if contains(o.Labels, k) || labelsRe != nil && labelsRe.MatchString(k) {
			attrs[k] = v
		}
	}
	envRe := compileOrNil(o.EnvRegex)
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		if contains(o.Env, k) || envRe != nil && envRe.MatchString(k) {
			attrs[k] = v
		}
	}
	return attrs
}

func compileOrNil(expr string) *regexp.Regexp {
	if expr == "" {
		return nil
	}
	re, err := regexp.Compile(expr)
	if err != nil {
		return nil
	}
	return re
}

// DetailsPrefix is what `urun logs --details` puts before each line:
// the attributes as k=v joined by commas, sorted, then a space (only the
// space when there are none), as Docker prints them.
func DetailsPrefix(attrs map[string]string) string {
	keys := make([]string, 0, len(attrs))
	for k := range attrs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + attrs[k]
	}
	return strings.Join(parts, ",") + " "
}

// TagFields are what a journald tag template may name.
type TagFields struct {
	ID, FullID, Name, ImageName, ImageID, ImageFullID, DaemonName string
}

// ExpandTag is the tag's value for a container ({{.ID}} when no tag was
// given).
func (o Options) ExpandTag(f TagFields) string {
	text := o.Tag
	if text == "" {
		return f.ID
	}
	t, err := template.New("tag").Parse(text)
	if err != nil {
		return f.ID
	}
	var b strings.Builder
	if err := t.Execute(&b, f); err != nil {
		return f.ID
	}
	return b.String()
}

// Sink is where a container's output goes: a log file or the journal.
type Sink interface {
	Stream(name string) io.Writer
	Close() error
}

// Target names the container a Sink is for.
type Target struct {
	// Path is the log file (file drivers).
	Path string
	// Fields are the journal fields every entry carries (journald).
	Fields map[string]string
}

// Open starts the container's log as o's driver says; nil, nil for none.
func Open(t Target, o Options) (Sink, error) {
	switch o.DriverName() {
	case DriverNone:
		return nil, nil
	case DriverJournald:
		return OpenJournal(t.Fields)
	}
	return Create(t.Path, o)
}
