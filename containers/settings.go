package containers

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/urun/urun/atomicfile"
	"github.com/urun/urun/cgroupv2"
	"github.com/urun/urun/config"
	"github.com/urun/urun/health"
	"github.com/urun/urun/logs"
	"github.com/urun/urun/network"
	"github.com/urun/urun/network/namefiles"
	"github.com/urun/urun/spec"
)

// Settings are what a container keeps of the options it was created with
// to be started again (`urun start`, a restart policy, a detached
// container's monitor), beside its writable layer.
type Settings struct {
	Spec        *specs.Spec           `json:"spec"`
	Network     network.Mode          `json:"network"`
	Ports       []network.PortMapping `json:"ports,omitempty"`
	Names       namefiles.Options     `json:"names"`
	Interactive bool                  `json:"interactive,omitempty"`
	Init        bool                  `json:"init,omitempty"`
	Restart     RestartPolicy         `json:"restart"`
	Log         logs.Options          `json:"log"`
	// StopSignal and StopTimeout are what `urun stop` uses (see
	// FirstStopSignal and StopWait): --stop-signal, else the image's
	// StopSignal; --stop-timeout in seconds.
	StopSignal  string `json:"stop_signal,omitempty"`
	StopTimeout int    `json:"stop_timeout"`
	// Entrypoint and Cmd split the spec's command as Docker's config
	// does, for `urun inspect`.
	Entrypoint []string `json:"entrypoint,omitempty"`
	Cmd        []string `json:"cmd,omitempty"`
	// CreateCommand is the urun command line that made the container,
	// for `urun generate systemd --new`.
	CreateCommand []string `json:"create_command,omitempty"`
	// Resources and Cgroups are applied again at each start.
	Resources cgroupv2.Flags   `json:"resources,omitzero"`
	Cgroups   cgroupv2.Options `json:"cgroups,omitzero"`
	// Healthcheck is the container's health check (package health): the
	// image's merged with the --health-* flags.
	Healthcheck *health.Check `json:"healthcheck,omitempty"`
	// ExposedPorts are the image's and --expose's ("80/tcp"), for inspect.
	ExposedPorts map[string]struct{} `json:"exposed_ports,omitempty"`
	// Kernel are the flags as given (--ulimit, --sysctl, --ipc, ...), for
	// `urun inspect`'s HostConfig; the spec carries what they do.
	Kernel spec.Kernel `json:"kernel,omitzero"`
	// Host is what was asked of the container's place on the host, for
	// `urun inspect`.
	Host HostRequest `json:"host,omitzero"`
}

// ReadSettings reads what the container keeps of its options.
func ReadSettings(cfg *config.Config, st State) (Settings, error) {
	var s Settings
	path := filepath.Join(LayerDir(cfg, st), settingsFile)
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return s, fmt.Errorf("container %s cannot be started again: it was run in the foreground with --rm", st.Name)
	}
	if err != nil {
		return s, fmt.Errorf("read the container's settings: %w", err)
	}
	if err := json.Unmarshal(data, &s); err != nil || s.Spec == nil || s.Spec.Process == nil {
		return s, fmt.Errorf("the container's settings %s are damaged (%v): remove the container and run it again", path, err)
	}
	return s, nil
}

// WriteSettings keeps s beside the writable layer of the container st
// records, once that layer exists.
func WriteSettings(cfg *config.Config, st State, s Settings) error {
	return atomicfile.WriteJSON(filepath.Join(LayerDir(cfg, st), settingsFile), s)
}

// DefaultStopTimeout is Docker's: seconds between the stop signal and
// SIGKILL.
const DefaultStopTimeout = 10

// FirstStopSignal is the signal `urun stop` sends first: name when one is
// given (stop --signal), else the container's (--stop-signal, else its
// image's StopSignal), else SIGTERM.
func (s Settings) FirstStopSignal(name string) (unix.Signal, error) {
	if name == "" {
		name = s.StopSignal
	}
	if name == "" {
		return unix.SIGTERM, nil
	}
	return ParseSignal(name)
}

// StopWait is how long `urun stop` waits after the stop signal before
// SIGKILL: the container's --stop-timeout, else DefaultStopTimeout (also
// for settings that could not be read, the zero Settings).
func (s Settings) StopWait() time.Duration {
	if s.Spec == nil || s.StopTimeout < 0 {
		return DefaultStopTimeout * time.Second
	}
	return time.Duration(s.StopTimeout) * time.Second
}
