// Package userns creates the user namespace that every other urun
// namespace nests in. spawn.go runs on the host side; nsenter.c runs in the
// new process before the Go runtime starts; stage.go tells that process's
// Go code which stage it is in.
package userns

// extern char urun_ns_role[8];
// extern int urun_ns_sync_fd;
import "C"

import (
	"os"
)

// Stage is what nsenter.c made of this process.
type Stage string

const (
	// Host: an ordinary process in the caller's namespaces.
	Host Stage = ""
	// Child: in a new user namespace (and the requested others) as its root.
	Child Stage = "child"
	// Init: PID 1 of a new PID namespace, with its own mount namespace.
	Init Stage = "init"
	// Ports: forwards published ports in the container's network
	// namespace, in the host's mount namespace.
	Ports Stage = "ports"
)

// Current returns this process's stage.
func Current() Stage {
	return Stage(C.GoString(&C.urun_ns_role[0]))
}

// SyncSocket returns the socket to the host-side process, in the Child and
// Init stages; nil on the host.
func SyncSocket() *os.File {
	fd := int(C.urun_ns_sync_fd)
	if fd < 0 {
		return nil
	}
	return os.NewFile(uintptr(fd), "urun-sync")
}
