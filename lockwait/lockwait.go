// Package lockwait takes flock(2) locks with a bounded wait: urun
// commands that meet each other's locks wait their turn, and when the
// bound passes the error names the processes that hold the lock, so the
// user knows what to end.
package lockwait

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// TimeoutError says a lock was still held when the wait's bound passed.
type TimeoutError struct {
	What    string // what the lock guards, as the user knows it
	Waited  time.Duration
	Holders string // who holds it, from Holders
}

func (e *TimeoutError) Error() string {
	return fmt.Sprintf("%s is locked by %s: gave up after waiting %s (lock_timeout in urun.conf; end that process if it hangs)", e.What, e.Holders, e.Waited)
}

// maxPause is the longest wait between two tries to take a lock.
const maxPause = 5 * time.Millisecond

// Take locks f (how is unix.LOCK_EX or unix.LOCK_SH), waiting up to
// bound. The first try does not wait, so an uncontended lock costs one
// system call. what names the lock in the error.
func Take(f *os.File, how int, bound time.Duration, what string) error {
	start := time.Now()
	pause := time.Millisecond
	for {
		err := unix.Flock(int(f.Fd()), how|unix.LOCK_NB)
		if err == nil {
			return nil
		}
		if !errors.Is(err, unix.EWOULDBLOCK) && !errors.Is(err, unix.EINTR) {
			return fmt.Errorf("lock %s: %w", what, err)
		}
		waited := time.Since(start)
		if waited >= bound {
			return &TimeoutError{What: what, Waited: waited.Round(time.Millisecond), Holders: Holders(f)}
		}
		// Polling rather than a blocking flock keeps the bound exact
		// without a signal to interrupt the call. A few ms between tries
		// (a flock each, a µs) take the lock soon after it is let go:
		// `urun rmi` must see a `run --rm` container whose record was
		// written as the image lock was let go, which may end in 50 ms.
		time.Sleep(min(pause, bound-waited))
		pause = min(2*pause, maxPause)
	}
}

// Lock is a lock on one file as /proc/locks lists it.
type Lock struct {
	PID       int
	Exclusive bool
}

// Locks lists the flock and fcntl locks held on f's file, from
// /proc/locks; waiters are left out.
func Locks(f *os.File) ([]Lock, error) {
	var st unix.Stat_t
	if err := unix.Fstat(int(f.Fd()), &st); err != nil {
		return nil, fmt.Errorf("stat %s: %w", f.Name(), err)
	}
	// The kernel prints the device as hex major:minor, then the inode.
	id := fmt.Sprintf("%02x:%02x:%d", unix.Major(uint64(st.Dev)), unix.Minor(uint64(st.Dev)), st.Ino)
	procLocks, err := os.Open("/proc/locks")
	if err != nil {
		return nil, err
	}
	defer procLocks.Close()
	var locks []Lock
	sc := bufio.NewScanner(procLocks)
	for sc.Scan() {
		// "1: FLOCK  ADVISORY  WRITE 1234 fd:01:5678 0 EOF"; a waiter
		// has "->" after the number.
		fields := strings.Fields(sc.Text())
		if len(fields) < 6 || fields[1] == "->" || fields[5] != id {
			continue
		}
		pid, _ := strconv.Atoi(fields[4])
		locks = append(locks, Lock{PID: pid, Exclusive: fields[3] == "WRITE"})
	}
	return locks, sc.Err()
}

// Holders describes the processes that hold a lock on f's file, as
// "pid 123 (urun rm -f web)". The pid /proc/locks gives is the process
// that took the lock, which may have passed it on to a child and ended:
// then the processes that have the file open are named.
func Holders(f *os.File) string {
	locks, err := Locks(f)
	if err != nil {
		return "another process (" + err.Error() + ")"
	}
	var file unix.Stat_t
	if err := unix.Fstat(int(f.Fd()), &file); err != nil {
		return "another process"
	}
	var names []string
	for _, l := range locks {
		if l.PID > 0 && hasOpen(l.PID, file) {
			names = append(names, describe(l.PID))
		}
	}
	if len(names) == 0 {
		names = openers(file)
	}
	if len(names) == 0 {
		return "another process"
	}
	return strings.Join(names, ", ")
}

// describe is "pid N (command line)".
func describe(pid int) string {
	cmdline, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "cmdline"))
	args := strings.Fields(strings.ReplaceAll(string(cmdline), "\x00", " "))
	if err != nil || len(args) == 0 {
		return "pid " + strconv.Itoa(pid)
	}
	return fmt.Sprintf("pid %d (%s)", pid, strings.Join(args, " "))
}

// hasOpen reports whether process pid has file open. Files are compared
// by device and inode: the path a descriptor's link shows depends on the
// mount namespace. From a user namespace of its own (urun's image helper)
// a process may not follow another's descriptors: then a live pid is
// taken at /proc/locks's word.
func hasOpen(pid int, file unix.Stat_t) bool {
	fdDir := filepath.Join("/proc", strconv.Itoa(pid), "fd")
	fds, err := os.ReadDir(fdDir)
	if err != nil {
		return errors.Is(err, os.ErrPermission)
	}
	for _, fd := range fds {
		var st unix.Stat_t
		err := unix.Stat(filepath.Join(fdDir, fd.Name()), &st)
		if errors.Is(err, unix.EACCES) || err == nil && st.Dev == file.Dev && st.Ino == file.Ino {
			return true
		}
	}
	return false
}

// openers names the processes this user may look at that have file open,
// other than this one.
func openers(file unix.Stat_t) []string {
	procs, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	var names []string
	for _, p := range procs {
		pid, err := strconv.Atoi(p.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		if canFollow(pid) && hasOpen(pid, file) {
			names = append(names, describe(pid))
		}
	}
	return names
}

// canFollow reports whether this process may follow pid's descriptors.
func canFollow(pid int) bool {
	var st unix.Stat_t
	err := unix.Stat(filepath.Join("/proc", strconv.Itoa(pid), "fd", "0"), &st)
	return !errors.Is(err, unix.EACCES)
}
