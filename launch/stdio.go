package launch

import (
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// A container run in the foreground (and `urun exec`) gets pipes for its
// stdio, as with Docker and podman, never the caller's own descriptors:
// with those it could reopen /proc/self/fd/1 and read or truncate the
// file the caller's stdout is, or reach whatever else the caller's
// descriptors lead to. urun copies between the pipes and the caller's
// descriptors, with splice(2) where the kernel can (a pipe on one side),
// so the data does not pass through urun's memory.

// Descriptors of the caller that the relays use, by number: going
// through os.Stdout would make them blocking for every process sharing
// them.
const (
	callerStdin  = 0
	callerStdout = 1
	callerStderr = 2
)

// relayChunk is what one splice or read moves at most.
const relayChunk = 1 << 20

// A relay that moved less than half its pipe's capacity pauses for
// relayPause before it waits for more: a command that writes a page at a
// time (busybox head, stdio's buffers) would otherwise wake urun for every
// page, which costs more than the copy itself (a 1 GiB stdout took half
// as long again as through the caller's descriptor). Waking once per pause
// moves tens of pages at once. The pipe holds outputPipeSize, so that the
// command does not wait for room during a pause unless it writes faster
// than outputPipeSize per pause (1 GB/s); then the relay copies without
// pausing. What a command writes is late by at most the pause.
const (
	relayPause     = 250 * time.Microsecond
	outputPipeSize = 256 << 10
)

// stdioRelay copies a container's output pipes to the caller's stdout
// and stderr.
type stdioRelay struct {
	// stageEnds are the container's ends of the output pipes, closed once
	// the stage holds its copies.
	stageEnds []*os.File
	// outputs are the read ends of the output pipes with the caller's
	// descriptor each is copied to; copying starts with start.
	outputs []outputPipe
	copying sync.WaitGroup
	// With drainable, the read ends are non-blocking and stopR reads as
	// ended once stopW is closed (drain): the copies then end once their
	// pipes are empty, whoever still holds them. That costs a poll per
	// chunk; without it, each copy is a blocking splice and ends when
	// the last writer is gone.
	drainable    bool
	stopR, stopW *os.File
	// logFor, if set, is the container's log of a stream (0 stdout, 1
	// stderr), asked for once the stream has output; what is copied is
	// written there too.
	logFor func(stream int) io.Writer
}

type outputPipe struct {
	r  int
	fd int
	// stream is 0 for stdout, 1 for stderr.
	stream int
	// size is the pipe's capacity.
	size int
}

// newOutputRelay makes the container's stdout and stderr pipes. When the
// caller's stdout and stderr are one file (2>&1, or one terminal), the
// container gets one pipe for both, so that what it writes to each comes
// out in the order it wrote it. A stream whose caller's descriptor is not
// open is nil: the stage gets /dev/null there. drainable is for
// processes whose children may outlive them holding the pipes (exec).
func newOutputRelay(drainable bool) (stdout, stderr *os.File, r *stdioRelay, err error) {
	r = &stdioRelay{drainable: drainable}
	if drainable {
		if r.stopR, r.stopW, err = os.Pipe(); err != nil {
			return nil, nil, nil, fmt.Errorf("create the output relay's pipe: %w", err)
		}
	}
	var out, errOut *os.File
	if isOpen(callerStdout) {
		if out, err = r.pipeTo(callerStdout, 0); err != nil {
			r.closeAll()
			return nil, nil, nil, err
		}
	}
	switch {
	case out != nil && sameFile(callerStdout, callerStderr):
		errOut = out
	case isOpen(callerStderr):
		if errOut, err = r.pipeTo(callerStderr, 1); err != nil {
			r.closeAll()
			return nil, nil, nil, err
		}
	}
	return out, errOut, r, nil
}

// newLoggedOutputRelay is newOutputRelay for a container that keeps a
// log: each stream gets its own pipe (the log keeps them apart), copied
// to the caller's descriptor when it is open and to logFor(stream).
func newLoggedOutputRelay(logFor func(stream int) io.Writer) (stdout, stderr *os.File, r *stdioRelay, err error) {
	r = &stdioRelay{logFor: logFor}
	if stdout, err = r.pipeTo(openOr(callerStdout), 0); err == nil {
		stderr, err = r.pipeTo(openOr(callerStderr), 1)
	}
	if err != nil {
		r.closeAll()
		return nil, nil, nil, err
	}
	return stdout, stderr, r, nil
}

// openOr is fd when it is open, else -1.
func openOr(fd int) int {
	if isOpen(fd) {
		return fd
	}
	return -1
}

func (r *stdioRelay) pipeTo(fd, stream int) (*os.File, error) {
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_CLOEXEC); err != nil {
		return nil, fmt.Errorf("create the container's output pipe: %w", err)
	}
	// Only this process reads the pipe: non-blocking, so that a drain
	// can stop at its end.
	if r.drainable {
		if err := unix.SetNonblock(p[0], true); err != nil {
			unix.Close(p[0])
			unix.Close(p[1])
			return nil, fmt.Errorf("create the container's output pipe: %w", err)
		}
	}
	// A user past fs.pipe-user-pages-soft keeps the default size.
	size, err := unix.FcntlInt(uintptr(p[0]), unix.F_SETPIPE_SZ, outputPipeSize)
	if err != nil {
		size, _ = unix.FcntlInt(uintptr(p[0]), unix.F_GETPIPE_SZ, 0)
	}
	w := os.NewFile(uintptr(p[1]), "container-output")
	r.stageEnds = append(r.stageEnds, w)
	r.outputs = append(r.outputs, outputPipe{r: p[0], fd: fd, stream: stream, size: size})
	return w, nil
}

// start closes this process's copies of the container's ends (the stage
// holds its own by now, or failed to start) and starts copying.
func (r *stdioRelay) start() {
	for _, f := range r.stageEnds {
		f.Close()
	}
	r.stageEnds = nil
	for _, o := range r.outputs {
		r.copying.Add(1)
		go func() {
			defer r.copying.Done()
			// A failed copy (the reader of the caller's pipe went away)
			// closes the container's pipe: its next write fails with
			// EPIPE, as it would have on the caller's own pipe.
			stop := -1
			if r.drainable {
				stop = int(r.stopR.Fd())
			}
			if r.logFor != nil {
				relayLogged(o.r, o.fd, o.size/2, func() io.Writer { return r.logFor(o.stream) })
			} else {
				relayOutput(o.r, o.fd, stop, o.size/2)
			}
			unix.Close(o.r)
		}()
	}
	r.outputs = nil
}

// wait returns once everything the container wrote is copied: once the
// last holder of each output pipe is gone.
func (r *stdioRelay) wait() {
	r.copying.Wait()
	if r.drainable {
		r.stopR.Close()
		r.stopW.Close()
	}
}

// drain (drainable only) returns once what is in the pipes now is
// copied, even if a process still holds them: the background children of
// an exec'd command outlive it in the container.
func (r *stdioRelay) drain() {
	r.stopW.Close()
	r.wait()
}

func (r *stdioRelay) closeAll() {
	for _, f := range r.stageEnds {
		f.Close()
	}
	for _, o := range r.outputs {
		unix.Close(o.r)
	}
	r.stageEnds, r.outputs = nil, nil
	if r.stopR != nil {
		r.stopR.Close()
		r.stopW.Close()
	}
}

// relayOutput copies the pipe src to the caller's dst (which may be
// non-blocking) until every writer of src is gone. With a stop
// descriptor, src is non-blocking and the copy also ends once stop reads
// as ended and src is empty. After moving less than pauseBelow it pauses
// (relayPause).
func relayOutput(src, dst, stop, pauseBelow int) error {
	flags := unix.SPLICE_F_MOVE
	if stop >= 0 {
		flags |= unix.SPLICE_F_NONBLOCK
	}
	c := chunkCopier{src: src, dst: dst, flags: flags}
	stopping := false
	for {
		n, err := c.move()
		switch {
		case err == nil && n == 0:
			return nil
		case err == nil && n < pauseBelow:
			pauseUnlessEnded(src)
		case err == nil, errors.Is(err, unix.EINTR):
		case errors.Is(err, unix.EAGAIN):
			if stop < 0 || pipeHasData(src) {
				// A blocking src has waited for data: dst is what is full.
				unix.Poll([]unix.PollFd{{Fd: int32(dst), Events: unix.POLLOUT}}, -1)
				continue
			}
			if stopping {
				return nil
			}
			fds := []unix.PollFd{{Fd: int32(src), Events: unix.POLLIN}, {Fd: int32(stop), Events: unix.POLLIN}}
			unix.Poll(fds, -1)
			stopping = fds[1].Revents != 0
		default:
			return err
		}
	}
}

// relayLogged copies the blocking pipe src to the caller's dst (none when
// -1) and to the container's log, logOf() once there is output, until
// every writer of src is gone. The data passes through urun's memory, as
// the log needs it; the pause is relayOutput's.
func relayLogged(src, dst, pauseBelow int, logOf func() io.Writer) error {
	buf := make([]byte, 256<<10)
	var log io.Writer
	asked := false
	for {
		n, err := unix.Read(src, buf)
		switch {
		case n > 0:
			if !asked {
				log, asked = logOf(), true
			}
			if log != nil {
				log.Write(buf[:n])
			}
			if dst >= 0 {
				if err := writeAll(dst, buf[:n]); err != nil {
					return err
				}
			}
			if n < pauseBelow {
				pauseUnlessEnded(src)
			}
		case err == nil:
			return nil
		case errors.Is(err, unix.EINTR):
		default:
			return err
		}
	}
}

// pauseUnlessEnded waits relayPause, or less if every writer of the pipe
// is gone: the pause must not delay urun's exit.
func pauseUnlessEnded(src int) {
	ts := unix.NsecToTimespec(relayPause.Nanoseconds())
	unix.Ppoll([]unix.PollFd{{Fd: int32(src), Events: 0}}, &ts, nil)
}

func pipeHasData(fd int) bool {
	queued, err := unix.IoctlGetInt(fd, unix.TIOCINQ)
	return err == nil && queued > 0
}

// writeAll writes data to dst, waiting while a non-blocking dst is full.
func writeAll(dst int, data []byte) error {
	for len(data) > 0 {
		n, err := unix.Write(dst, data)
		if n > 0 {
			data = data[n:]
		}
		switch {
		case err == nil, errors.Is(err, unix.EINTR):
		case errors.Is(err, unix.EAGAIN):
			unix.Poll([]unix.PollFd{{Fd: int32(dst), Events: unix.POLLOUT}}, -1)
		default:
			return err
		}
	}
	return nil
}

// inputPipe is the container's stdin pipe, fed from the caller's stdin;
// when that ends, the pipe's write end is closed and the container reads
// its end. One pipe serves every start of a foreground container
// (--restart): what one start left unread, the next one reads.
type inputPipe struct {
	stageEnd *os.File
	once     sync.Once
	w        *os.File
}

func newInputPipe() (*inputPipe, error) {
	pr, pw, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("create the container's input pipe: %w", err)
	}
	return &inputPipe{stageEnd: pr, w: pw}, nil
}

// start copies the caller's stdin into the pipe, once.
func (p *inputPipe) start() {
	p.once.Do(func() {
		go func() {
			relayInput(callerStdin, int(p.w.Fd()))
			p.w.Close()
		}()
	})
}

// chunkCopier moves a chunk at a time from src to dst: with splice(2)
// while dst takes it, else through a buffer (a terminal, a file opened
// with O_APPEND). A failed write is returned as move's error.
type chunkCopier struct {
	src, dst, flags int
	noSplice        bool
	buf             []byte
}

func (c *chunkCopier) move() (int, error) {
	if !c.noSplice {
		moved, err := unix.Splice(c.src, nil, c.dst, nil, relayChunk, c.flags)
		if !errors.Is(err, unix.EINVAL) && !errors.Is(err, unix.ENOSYS) {
			return int(moved), err
		}
		c.noSplice = true
	}
	if c.buf == nil {
		c.buf = make([]byte, 256<<10)
	}
	n, err := unix.Read(c.src, c.buf)
	if n > 0 {
		if werr := writeAll(c.dst, c.buf[:n]); werr != nil {
			return n, werr
		}
	}
	return n, err
}

// relayInput copies the caller's src (which may be non-blocking) to the
// blocking pipe dst until src ends or either fails.
func relayInput(src, dst int) error {
	// Not splice(2) from a terminal: it waits for a key holding the pipe's
	// lock, and the command's exit, which closes its end of the pipe,
	// would wait with it (exec -i on a terminal hung until a key).
	_, ttyErr := unix.IoctlGetTermios(src, unix.TCGETS)
	c := chunkCopier{src: src, dst: dst, noSplice: ttyErr == nil}
	for {
		n, err := c.move()
		switch {
		case err == nil && n == 0:
			return nil
		case err == nil, errors.Is(err, unix.EINTR):
		case errors.Is(err, unix.EAGAIN):
			unix.Poll([]unix.PollFd{{Fd: int32(src), Events: unix.POLLIN}}, -1)
		default:
			return err
		}
	}
}

func isOpen(fd int) bool {
	_, err := unix.FcntlInt(uintptr(fd), unix.F_GETFD, 0)
	return err == nil
}

// sameFile reports whether two descriptors lead to one file (or pipe, or
// terminal).
func sameFile(a, b int) bool {
	var sa, sb unix.Stat_t
	if unix.Fstat(a, &sa) != nil || unix.Fstat(b, &sb) != nil {
		return false
	}
	return sa.Dev == sb.Dev && sa.Ino == sb.Ino
}
