package launch

import (
	"bufio"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"
)

// shrink gives back what a monitor touched only to start its container:
// the heap it freed, and the pages of urun's binary and libraries that
// start-up read (package initialisation and start-up code fault in most
// of the binary, over 7 MiB, against some hundreds of KiB that relaying
// output needs). Dropping a read-only file mapping's pages costs nothing
// but a page fault for each page touched again: they stay in the page
// cache. A mapping with pages of its own (relocated read-only data such as
// a GOT, copied on write before it was made read-only) is left alone:
// dropping those would bring back the file's unrelocated bytes.
func shrink() {
	debug.FreeOSMemory()
	f, err := os.Open("/proc/self/smaps")
	if err != nil {
		return
	}
	defer f.Close()
	type mapping struct {
		start, end uint64
		candidate  bool
	}
	var m mapping
	drop := func() {
		if m.candidate && m.end > m.start {
			unix.Syscall(unix.SYS_MADVISE, uintptr(m.start), uintptr(m.end-m.start), unix.MADV_DONTNEED)
		}
	}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		fields := strings.Fields(line)
		if len(fields) == 0 {
			continue
		}
		// A mapping's header: "00400000-00c00000 r-xp 00000000 08:01 1234 /path".
		if from, to, ok := strings.Cut(fields[0], "-"); ok && len(fields) >= 5 {
			drop()
			start, err1 := strconv.ParseUint(from, 16, 64)
			end, err2 := strconv.ParseUint(to, 16, 64)
			m = mapping{start: start, end: end,
				candidate: err1 == nil && err2 == nil && len(fields) >= 6 && strings.HasPrefix(fields[5], "/") && !strings.Contains(fields[1], "w")}
			continue
		}
		if fields[0] == "Anonymous:" && fields[1] != "0" {
			m.candidate = false
		}
	}
	drop()
}

// trimIdle is how long a monitor's container must have been quiet before
// the monitor shrinks again: a burst of output faults the code that
// relays and logs it back in (and grows the heap), and it is not needed
// again until the next burst.
const trimIdle = 5 * time.Second

// idleTrimmer shrinks the monitor once output has stopped for trimIdle
// after it last shrank.
type idleTrimmer struct {
	// last is when output was last relayed (unix nanoseconds); 0 once the
	// monitor has shrunk since.
	last atomic.Int64
}

func (t *idleTrimmer) active() { t.last.Store(time.Now().UnixNano()) }

func (t *idleTrimmer) run(stop <-chan struct{}) {
	tick := time.NewTicker(trimIdle)
	defer tick.Stop()
	for {
		select {
		case <-stop:
			return
		case <-tick.C:
		}
		if last := t.last.Load(); last != 0 && time.Since(time.Unix(0, last)) >= trimIdle {
			t.last.Store(0)
			shrink()
		}
	}
}
