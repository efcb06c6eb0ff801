package containers

import (
	"path/filepath"

	"github.com/urun/urun/config"
)

// Where a container's record lives, and what it holds. Only this package
// knows these names: the others read and write the record through its
// functions.
//
//	RUNROOT/containers/SHORT-ID/       its run state directory (StateDir)
//	  state.json                      its State (WriteState, Update)
//	  state.lock                      serialises changes to state.json
//	  init.pid, monitor.pid           while it runs (RecordInitPID, RecordMonitorPID)
//	  config.json                     its run configuration, written at each start (RunConfigPath)
//	  hostname, hosts, resolv.conf    bound to its /etc (EtcFilePath)
//	GRAPHROOT/urun-containers/ID/      a kept container's writable layer (LayerDir)
//	GRAPHROOT/urun-transient/ID/       a --rm container's
//	  state.json                      a kept container's copy, restored after a reboot
//	  settings.json                   its Settings (WriteSettings, ReadSettings)
//	  ctr.log, monitor.log            a detached container's log and its monitor's (LogPath, MonitorLogPath)
const (
	// stateFile is a container's record in its run state directory.
	stateFile = "state.json"
	// initPIDFile holds the host pid of a running container's init,
	// written once its command has started, for `urun rm -f`.
	initPIDFile = "init.pid"
	// monitorPIDFile holds a detached container's monitor's pid: `urun
	// stop` signals it between restarts.
	monitorPIDFile = "monitor.pid"
	// runConfigFile is the container's run configuration.
	runConfigFile = "config.json"
	// stateLockFile is the lock Update takes.
	stateLockFile = "state.lock"
	// settingsFile is a container's Settings, beside its writable layer.
	settingsFile = "settings.json"
	// logFile is a detached container's log, beside its writable layer.
	logFile = "ctr.log"
	// monitorLogFile is where a detached container's monitor writes its
	// own errors, beside the container's log.
	monitorLogFile = "monitor.log"
)

// ShortIDLength is how much of a container id names it for short.
const ShortIDLength = 12

// ShortID is the short form of a container id.
func ShortID(id string) string {
	if len(id) > ShortIDLength {
		return id[:ShortIDLength]
	}
	return id
}

// StateRoot holds the containers' run state directories.
func StateRoot(cfg *config.Config) string {
	return stateRootIn(cfg.RunRoot)
}

func stateRootIn(runRoot string) string {
	return filepath.Join(runRoot, "containers")
}

// StateDir holds one container's run state. It is named by the short id:
// unix sockets live in it, and their paths may not pass 107 bytes.
func StateDir(cfg *config.Config, id string) string {
	return filepath.Join(StateRoot(cfg), ShortID(id))
}

// KeptLayersDir holds each kept container's writable layer (upper and
// work directories), beside the storage library's own directories.
func KeptLayersDir(cfg *config.Config) string {
	return filepath.Join(cfg.GraphRoot, "urun-containers")
}

// TransientLayersDir holds the writable layers of --rm containers, so that
// any urun can tell an orphaned one from a kept container's.
func TransientLayersDir(cfg *config.Config) string {
	return filepath.Join(cfg.GraphRoot, "urun-transient")
}

// LayerDir is where the container's writable layer lives.
func LayerDir(cfg *config.Config, st State) string {
	if st.Remove {
		return filepath.Join(TransientLayersDir(cfg), st.ID)
	}
	return filepath.Join(KeptLayersDir(cfg), st.ID)
}

// RunConfigPath is the container's run configuration (package spec's
// Container) in its run state directory dir, written at each start: its
// init, `urun exec`, `cp` and `inspect` read it.
func RunConfigPath(dir string) string {
	return filepath.Join(dir, runConfigFile)
}

// EtcFilePath is where the container's /etc/NAME (hostname, hosts,
// resolv.conf) is kept in its run state directory dir, bound into it.
func EtcFilePath(dir, name string) string {
	return filepath.Join(dir, name)
}

// LogPath is where a detached container's log is.
func LogPath(cfg *config.Config, st State) string {
	return filepath.Join(LayerDir(cfg, st), logFile)
}

// MonitorLogPath is where a detached container's monitor writes what it
// has to say itself (a crash, above all).
func MonitorLogPath(cfg *config.Config, st State) string {
	return filepath.Join(LayerDir(cfg, st), monitorLogFile)
}
