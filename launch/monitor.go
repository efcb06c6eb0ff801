package launch

import (
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"time"

	"golang.org/x/sys/unix"

	"github.com/urun/urun/config"
	"github.com/urun/urun/containers"
	"github.com/urun/urun/exitcode"
	"github.com/urun/urun/image/local"
	"github.com/urun/urun/stage"
)

// attachWait bounds how long a monitor started for `start -a` waits for
// its caller to attach before starting the command.
const attachWait = 10 * time.Second

// monitorLockFD is the container's run state lock, handed over by
// StartDetached.
const monitorLockFD = 3

// MonitorMain is a detached container's monitor (stage.Monitor), started
// by StartDetached with the container's lock as fd 3; it reports on the
// stage's socket. It returns its exit status.
func MonitorMain() int {
	// The monitor lives as long as its container and allocates little:
	// collect often and give memory back, to stay small.
	debug.SetGCPercent(20)
	// One P: a monitor mostly waits; each more P has caches of its own.
	runtime.GOMAXPROCS(1)
	// Neither may leak into the container or slirp4netns: the lock must
	// end with the monitor.
	unix.CloseOnExec(monitorLockFD)
	lock, ready := os.NewFile(monitorLockFD, "lock"), stage.Socket()
	say := func(kind stage.Kind, text string) {
		if ready != nil {
			stage.Send(ready, kind, text)
		}
	}
	fail := func(err error) int {
		say(stage.Failed, fmt.Sprintf("125 %s", err))
		return 125
	}
	var req monitorRequest
	if err := stage.Request(&req); err != nil || req.Config == nil {
		return fail(fmt.Errorf("read the monitor's request: %v", err))
	}
	cfg := req.Config
	local.UseSharedStores(cfg.AdditionalImageStores)
	c, err := loadContainer(cfg, req.ID, lock)
	if err != nil {
		return fail(err)
	}
	log, err := c.openLog()
	if err != nil {
		return fail(err)
	}
	if log != nil {
		defer log.Close()
	}
	sock, err := socketPath(c.stateDir, AttachSocket)
	if err == nil {
		err = os.MkdirAll(filepath.Dir(sock), 0o700)
	}
	if err != nil {
		return fail(err)
	}
	attach, err := listenAttach(sock)
	if err != nil {
		return fail(err)
	}
	defer func() {
		os.Remove(sock)
		if dir := filepath.Dir(sock); dir != c.stateDir {
			os.Remove(dir)
		}
	}()
	defer attach.close()
	forgetPID, err := containers.RecordMonitorPID(c.stateDir)
	if err != nil {
		return fail(err)
	}
	defer forgetPID()

	// SIGTERM (urun stop between restarts, the system going down, systemd
	// stopping the unit the monitor runs in) ends the restarts; runOnce
	// forwards it to the container as well, and stopOnTerm finishes the
	// stop as `urun stop` would, so that nobody waits for systemd's own
	// timeout.
	stop := make(chan struct{})
	terms := make(chan os.Signal, 1)
	signal.Notify(terms, unix.SIGTERM, unix.SIGINT)
	go func() {
		<-terms
		close(stop)
		c.stopOnTerm()
	}()
	signal.Ignore(unix.SIGHUP, unix.SIGPIPE)

	say(stage.Listening, "")
	if req.Attach {
		attach.waitForClient(attachWait)
	}
	trim := &idleTrimmer{}
	go trim.run(stop)
	streams := &monitorStreams{log: log, attach: attach, interactive: c.settings.Interactive, tty: c.spec.Process.Terminal, trim: trim}
	started := func(err error) {
		if err != nil {
			say(stage.Failed, fmt.Sprintf("%d %s", exitcode.Of(err), err))
		} else {
			say(stage.Started, "")
		}
		ready.Close()
		ready = nil
		shrink()
	}
	code, _ := c.runWithRestarts(streams, started, attach.exited, stop)
	return code
}

// loadContainer reads a stored container for its monitor, which holds
// its lock.
func loadContainer(cfg *config.Config, id string, lock *os.File) (*container, error) {
	stateDir := containers.StateDir(cfg, id)
	st, err := containers.ReadState(stateDir)
	if err != nil {
		return nil, fmt.Errorf("read the container's record: %w", err)
	}
	settings, err := containers.ReadSettings(cfg, st)
	if err != nil {
		return nil, err
	}
	img, err := local.Read(cfg.GraphRoot, st.ImageID)
	if err != nil {
		return nil, fmt.Errorf("the container's image %s (%s): %w", st.Image, st.ImageID, err)
	}
	layerDir := containers.LayerDir(cfg, st)
	return &container{
		cfg: cfg, id: st.ID, stateDir: stateDir, layerDir: layerDir,
		image: img, settings: settings, spec: settings.Spec, state: st, stderr: io.Discard,
		registered: true, lock: lock, layerLock: containers.HoldLayer(layerDir),
		neverRan: st.Status == containers.StatusCreated,
	}, nil
}

// stopOnTerm stops the running container as `urun stop` does, once the
// monitor got SIGTERM (which runOnce passed on): its stop signal, when that
// is another one, then SIGKILL after its stop timeout. The monitor exits
// when the container does, which ends the wait.
func (c *container) stopOnTerm() {
	if sig, err := c.settings.FirstStopSignal(""); err == nil && sig != unix.SIGTERM {
		if pid, err := containers.InitPID(c.stateDir); err == nil {
			unix.Kill(pid, sig)
		}
	}
	time.Sleep(c.settings.StopWait())
	if pid, err := containers.InitPID(c.stateDir); err == nil {
		unix.Kill(pid, unix.SIGKILL)
	}
}
