package containers

import (
	"os"
	"testing"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"

	"github.com/urun/urun/config"
)

func TestUrunStopSendsTheFlagsSignalElseTheContainersElseSIGTERM(t *testing.T) {
	tests := []struct {
		name      string
		flag      string
		container string
		want      unix.Signal
	}{
		{"nothing given", "", "", unix.SIGTERM},
		{"the container's --stop-signal", "", "SIGQUIT", unix.SIGQUIT},
		{"stop --signal wins", "HUP", "SIGQUIT", unix.SIGHUP},
		{"a number", "9", "", unix.SIGKILL},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Settings{StopSignal: tt.container}.FirstStopSignal(tt.flag)
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
	_, err := Settings{StopSignal: "SIGNOPE"}.FirstStopSignal("")
	assert.Error(t, err, "a bad stop signal is no SIGTERM")
}

func TestUrunStopWaitsTheContainersStopTimeoutElseTenSeconds(t *testing.T) {
	spec := &specs.Spec{Process: &specs.Process{}}
	tests := []struct {
		name     string
		settings Settings
		want     time.Duration
	}{
		{"--stop-timeout 3", Settings{Spec: spec, StopTimeout: 3}, 3 * time.Second},
		{"--stop-timeout 0", Settings{Spec: spec, StopTimeout: 0}, 0},
		{"none recorded", Settings{Spec: spec, StopTimeout: -1}, 10 * time.Second},
		{"settings that could not be read", Settings{}, 10 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, tt.settings.StopWait())
		})
	}
}

func TestAContainersSettingsAreReadBackAsWritten(t *testing.T) {
	cfg := &config.Config{GraphRoot: t.TempDir(), RunRoot: t.TempDir()}
	st := State{ID: id("5e"), Name: "web"}
	_, err := ReadSettings(cfg, st)
	assert.ErrorContains(t, err, "container web cannot be started again: it was run in the foreground with --rm")

	written := Settings{Spec: &specs.Spec{Process: &specs.Process{Args: []string{"sh"}}}, Restart: RestartPolicy{Name: RestartAlways}, StopTimeout: 7}
	require.NoError(t, os.MkdirAll(LayerDir(cfg, st), 0o700))
	require.NoError(t, WriteSettings(cfg, st, written))
	read, err := ReadSettings(cfg, st)
	require.NoError(t, err)
	assert.Equal(t, written, read)
}
