package events

import (
	"bytes"
	"io"
	"os"

	"golang.org/x/sys/unix"
)

// rotate drops the older half of the log at path once it passed MaxSize:
// the newer half (from a line's start) is written to a new file that
// replaces the log. One urun does it, under a lock the others do not wait
// for; an event appended to the old file meanwhile (a window of
// microseconds, once per thousands of events) is lost.
func rotate(path string) {
	lock, err := os.OpenFile(path+".lock", os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return
	}
	defer lock.Close()
	if unix.Flock(int(lock.Fd()), unix.LOCK_EX|unix.LOCK_NB) != nil {
		return
	}
	f, err := os.Open(path)
	if err != nil {
		return
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil || info.Size() <= MaxSize {
		// Another urun rotated it just now.
		return
	}
	keep := info.Size() / 2
	if _, err := f.Seek(info.Size()-keep, io.SeekStart); err != nil {
		return
	}
	tail, err := io.ReadAll(f)
	if err != nil {
		return
	}
	// Start at a whole line.
	if i := bytes.IndexByte(tail, '\n'); i >= 0 {
		tail = tail[i+1:]
	}
	tmp := path + ".new"
	if err := os.WriteFile(tmp, tail, 0o600); err != nil {
		os.Remove(tmp)
		return
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
	}
}
