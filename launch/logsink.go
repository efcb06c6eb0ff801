package launch

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"sync"

	"github.com/urun/urun/containers"
	"github.com/urun/urun/logs"
)

// openLog starts the container's log as its --log-driver says: the log
// file beside its writable layer, or the journal with the container's
// fields; nil for --log-driver none.
func (c *container) openLog() (logs.Sink, error) {
	o := c.settings.Log
	target := logs.Target{Path: containers.LogPath(c.cfg, c.state)}
	if o.DriverName() == logs.DriverJournald {
		fields := o.Attrs(c.labels(), c.spec.Process.Env)
		short := containers.ShortID(c.id)
		tag := o.ExpandTag(logs.TagFields{
			ID: short, FullID: c.id, Name: c.state.Name, ImageName: c.state.Image,
			ImageID: containers.ShortID(c.state.ImageID), ImageFullID: c.state.ImageID, DaemonName: "urun",
		})
		for k, v := range map[string]string{
			"CONTAINER_ID": short, "CONTAINER_ID_FULL": c.id, "CONTAINER_NAME": c.state.Name,
			"CONTAINER_TAG": tag, "SYSLOG_IDENTIFIER": tag, "IMAGE_NAME": c.state.Image,
		} {
			fields[k] = v
		}
		target.Fields = fields
	}
	return logs.Open(target, o)
}

// foregroundLog is the log of a container run in the foreground, opened
// when its command first writes (its record and layer directory exist
// by then) and kept across restarts. A --rm container keeps none: see
// keepsForegroundLog.
type foregroundLog struct {
	c       *container
	mu      sync.Mutex
	opened  bool
	sink    logs.Sink
	streams [2]io.Writer
}

// keepsForegroundLog says whether a container run in the foreground
// keeps a log. A --rm one does not: it is removed, log and all, when it
// exits, so only a `urun logs` while it runs could read it, and writing
// every byte of its output a second time would slow every `urun run
// --rm` (a 1 GiB stdout by half again) for that.
func keepsForegroundLog(o Options) bool {
	return !o.Remove && o.Log.DriverName() != logs.DriverNone
}

// stream returns the log's writer of stream i (0 stdout, 1 stderr), or
// nil when there is none.
func (l *foregroundLog) stream(i int) io.Writer {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !l.opened {
		l.opened = true
		sink, err := l.c.openLog()
		if err != nil {
			// The container runs on; its output still reaches the caller.
			// Without its directory, it never became a container (a start
			// that failed early): there is nothing to say.
			if !errors.Is(err, fs.ErrNotExist) {
				io.WriteString(l.c.stderr, "urun: the container's output is not logged: "+err.Error()+"\n")
			}
			return nil
		}
		if sink == nil {
			return nil
		}
		l.sink = sink
		l.streams = [2]io.Writer{sink.Stream("stdout"), sink.Stream("stderr")}
	}
	return l.streams[i]
}

func (l *foregroundLog) close() {
	if l.sink != nil {
		l.sink.Close()
	}
}

// tee writes to the caller's terminal and, if there is one, the log;
// a log that fails does not stop the terminal's output.
type tee struct {
	out *os.File
	log io.Writer
}

func (t tee) Write(p []byte) (int, error) {
	if t.log != nil {
		t.log.Write(p)
	}
	return t.out.Write(p)
}
