package usernet

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// ioctls of nsfs (linux/nsfs.h), which x/sys does not name.
const (
	nsGetParent = 0xb702
	nsGetNSType = 0xb703
)

// ParentUserNS opens the parent of pid's user namespace: the holder's,
// when pid is a waiter of a container on a network.
func ParentUserNS(pid int) (*os.File, error) {
	own, err := os.Open(ProcPath(pid, "ns/user"))
	if err != nil {
		return nil, err
	}
	defer own.Close()
	fd, err := unix.IoctlRetInt(int(own.Fd()), nsGetParent)
	if err != nil {
		return nil, fmt.Errorf("find the parent of process %d's user namespace: %w", pid, err)
	}
	return os.NewFile(uintptr(fd), "userns"), nil
}

// OpenKeptNetNS opens the network namespace that the waiter pid keeps
// open as descriptor fd, checking that it is one.
func OpenKeptNetNS(pid, fd int) (*os.File, error) {
	f, err := os.Open(ProcPath(pid, fmt.Sprintf("fd/%d", fd)))
	if err != nil {
		return nil, err
	}
	if t, err := unix.IoctlRetInt(int(f.Fd()), nsGetNSType); err != nil || t != unix.CLONE_NEWNET {
		f.Close()
		return nil, fmt.Errorf("descriptor %d of process %d is no network namespace", fd, pid)
	}
	return f, nil
}

// inode is the inode of an open namespace: its identity.
func inode(f *os.File) (uint64, error) {
	var st unix.Stat_t
	if err := unix.Fstat(int(f.Fd()), &st); err != nil {
		return 0, err
	}
	return st.Ino, nil
}
