package launch

import (
	"io"
	"os"
	"sync"
)

// streams is where a container's stdio goes: the caller's own (`urun run`
// in the foreground) or a detached container's log and attached clients.
type streams interface {
	// files are the namespace stage's stdin, stdout and stderr, which init
	// and the command inherit.
	files() (stdin, stdout, stderr *os.File)
	// spawned is called once the stage started (or failed to): the
	// stage's ends of pipes can be closed here.
	spawned()
	// terminal relays the pty master of a container with -t.
	terminal(master *os.File)
	// wait returns once all output is relayed, after the stage ended.
	wait()
}

// callerStreams relay the caller's stdio through pipes (stdio.go), or
// a terminal.
type callerStreams struct {
	interactive, tty bool
	// log, if set, keeps the container's output (keepsForegroundLog).
	log   *foregroundLog
	relay *relay
	// input is the container's stdin pipe (-i without -t), output this
	// start's output pipes.
	input  *inputPipe
	output *stdioRelay
}

func (s *callerStreams) files() (*os.File, *os.File, *os.File) {
	var stdin *os.File
	if s.interactive && !s.tty {
		if s.input == nil {
			// Without a pipe the container reads /dev/null, not the
			// caller's stdin.
			s.input, _ = newInputPipe()
		}
		if s.input != nil {
			stdin = s.input.stageEnd
		}
	}
	var stdout, stderr *os.File
	var output *stdioRelay
	var err error
	if s.log != nil {
		stdout, stderr, output, err = newLoggedOutputRelay(s.log.stream)
	} else {
		stdout, stderr, output, err = newOutputRelay(false)
	}
	if err != nil {
		// Out of descriptors: the container's output goes nowhere rather
		// than to the caller's descriptors.
		return stdin, nil, nil
	}
	s.output = output
	return stdin, stdout, stderr
}

func (s *callerStreams) spawned() {
	if s.output != nil {
		s.output.start()
	}
	if s.input != nil {
		s.input.start()
	}
}

func (s *callerStreams) terminal(master *os.File) {
	var log io.Writer
	if s.log != nil {
		log = s.log.stream(0)
	}
	s.relay = startRelay(master, s.interactive, log)
}

func (s *callerStreams) wait() {
	if s.relay != nil {
		s.relay.wait()
		s.relay = nil
	}
	if s.output != nil {
		s.output.wait()
		s.output = nil
	}
}

// monitorStreams write a detached container's output to its log and to
// the clients attached to it, and feed it what they type (with -i).
type monitorStreams struct {
	log         logWriter
	attach      *attachServer
	interactive bool
	tty         bool
	// trim, if set, hears of each output.
	trim *idleTrimmer

	// Per start: the stage's ends of the pipes and the copying.
	stageEnds []*os.File
	stdin     *os.File // our end of the stdin pipe (-i without -t)
	copying   sync.WaitGroup
}

// logWriter is the container's log (package logs).
type logWriter interface {
	Stream(name string) io.Writer
}

func (s *monitorStreams) files() (*os.File, *os.File, *os.File) {
	s.stageEnds = nil
	devNull, err := os.Open(os.DevNull)
	if err != nil {
		devNull = nil
	}
	stdin := devNull
	if s.interactive && !s.tty {
		r, w, err := os.Pipe()
		if err == nil {
			stdin, s.stdin = r, w
			s.stageEnds = append(s.stageEnds, r)
			s.attach.setInput(w, s.closeStdin)
		}
	}
	s.stageEnds = append(s.stageEnds, devNull)
	out := make([]*os.File, 2)
	for i, name := range []string{"stdout", "stderr"} {
		r, w, err := os.Pipe()
		if err != nil {
			out[i] = devNull
			continue
		}
		out[i] = w
		s.stageEnds = append(s.stageEnds, w)
		s.copying.Add(1)
		go s.copy(r, i, name)
	}
	return stdin, out[0], out[1]
}

// copy moves one output stream to the log and the attached clients until
// every writer is gone.
func (s *monitorStreams) copy(r *os.File, stream int, name string) {
	defer s.copying.Done()
	defer r.Close()
	var log io.Writer = io.Discard
	if s.log != nil {
		log = s.log.Stream(name)
	}
	buf := make([]byte, 32<<10)
	for {
		n, err := r.Read(buf)
		if n > 0 {
			log.Write(buf[:n])
			s.attach.broadcast(stream, buf[:n])
			if s.trim != nil {
				s.trim.active()
			}
		}
		if err != nil {
			return
		}
	}
}

func (s *monitorStreams) spawned() {
	for _, f := range s.stageEnds {
		if f != nil {
			f.Close()
		}
	}
	s.stageEnds = nil
}

func (s *monitorStreams) terminal(master *os.File) {
	s.attach.setTerminal(master)
	s.copying.Add(1)
	go s.copy(master, 0, "stdout")
}

func (s *monitorStreams) wait() {
	s.copying.Wait()
	s.attach.setInput(nil, nil)
	s.attach.setTerminal(nil)
	s.closeStdin()
}

// closeStdin ends the container's stdin (called with the attach server's
// lock held, or after the container ended).
func (s *monitorStreams) closeStdin() {
	if s.stdin != nil {
		s.stdin.Close()
		s.stdin = nil
	}
}
