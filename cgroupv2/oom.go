package cgroupv2

import (
	"os"
	"path/filepath"
	"sync"

	"golang.org/x/sys/unix"
)

// oomWatch keeps the highest oom_kill count of a cgroup's memory.events
// seen while the container runs. With systemd the scope, and the
// container's cgroup in it, may be removed as soon as its last process
// exits, before urun could read the count; the kernel signals every
// change of memory.events, so the count is read when it changes.
type oomWatch struct {
	file *os.File
	dir  string
	mu   sync.Mutex
	max  uint64
	done chan struct{}
}

// watchOOM starts watching dir's memory.events; nil when the memory
// controller is not enabled there (no limit, nothing to see).
func watchOOM(dir string) *oomWatch {
	events := filepath.Join(dir, "memory.events")
	fd, err := unix.InotifyInit1(unix.IN_NONBLOCK | unix.IN_CLOEXEC)
	if err != nil {
		return nil
	}
	if _, err := unix.InotifyAddWatch(fd, events, unix.IN_MODIFY); err != nil {
		unix.Close(fd)
		return nil
	}
	// A non-blocking fd goes to Go's poller, so Close ends the Read.
	w := &oomWatch{file: os.NewFile(uintptr(fd), "inotify"), dir: dir, done: make(chan struct{})}
	go w.run()
	return w
}

func (w *oomWatch) run() {
	defer close(w.done)
	buf := make([]byte, 4096)
	for {
		if _, err := w.file.Read(buf); err != nil {
			return
		}
		if n, err := OOMKills(w.dir); err == nil {
			w.mu.Lock()
			w.max = max(w.max, n)
			w.mu.Unlock()
		}
	}
}

// stop ends the watch and returns the highest count seen.
func (w *oomWatch) stop() uint64 {
	if w == nil {
		return 0
	}
	w.file.Close()
	<-w.done
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.max
}
