// Package stage is the one contract between urun on the host and every
// process it starts to work inside namespaces or to take a container
// over: the stages. Each stage is urun's own binary (or urun-image)
// started with argv[0] set to its Name; the binary's main dispatches on
// Current from one table.
//
// # Start-up: one message, one way
//
// Start makes a SOCK_SEQPACKET socket pair and, before the stage runs,
// writes the start message on the host's end. The stage's end is the only
// thing its environment names (_URUN_STAGE=<fd>). nsenter.c, an ELF
// constructor that runs before the Go runtime, reads that message: a
// fixed header for the C side (what to create or join, what the waiter
// does; startHeader in start.go, struct start_header in nsenter.c), then
// the stage's own request, which its Go code decodes with Request.
//
// # The exchange of a container's start (Create with ForkInit)
//
//	host (launch)                   nsenter.c, before Go             init (Go), port child (Go)
//	start message ───────────────►
//	                                unshare(CLONE_NEWUSER)
//	◄──────────────── UserNSMade
//	newuidmap, newgidmap
//	Proceed ─────────────────────►
//	                                setsid, unshare uts/ipc/net
//	                                fork the port child ──────────► port child: Request, serves ports
//	                                unshare pid; fork init ────────► init: Request
//	◄──────────────── InitPID <pid>
//	                                the waiter: waits for init,      init: [Terminal + pty master]
//	                                removes what it was told to,     [Waiting] ◄── Go (network attached)
//	                                exits with init's status         Failed <code> <why>, or exec
//	                                                                 (the socket closes: started)
//	◄──── InitEnded (on the end socket, ReportEnd) ── host reads the OOM count, closes it: the waiter exits
//
// A container on urun's networks (Create.UserNS with Nest) sends no
// UserNSMade: nsenter.c enters the network holder's user namespace, forks
// a mapper that stays there, unshares a user namespace and has the mapper
// write its maps (the holder's ids, 1:1), then waits for Proceed as
// above; the waiter keeps Create.Keep. --network container:NAME enters
// that container's user and network namespaces (UserNS, NetNS) instead;
// --ipc, --uts and --pid container:NAME its IPC and UTS namespaces
// (IPCNS, UTSNS) before the port child is forked and its PID namespace
// (PIDNS) where the waiter would make one, so that init is forked into
// it; init clones that container's /dev/shm (ShmFrom, ShmDir) before Go
// runs. In a joined PID namespace the process the waiter forks stays as
// the tiny init, the subreaper of the container's processes there, and
// InitPID is its child's (the Go init), which tells the waiter its pid
// with SCM_CREDENTIALS.
//
// The network holder (Create with Outlive and Daemonize) forks once its
// namespaces exist; the process the host started exits, and the child
// says InitPID <its pid>, then, from Go, Started once it serves.
//
// Joining (Join: exec, cp into a running container) sends the same start
// message; with HoldJoin the stage waits for Proceed (the host moved it
// into the container's cgroup) before it joins. The exec stage then
// speaks as init does: Terminal, Failed, or exec.
//
// A stage in the caller's namespaces (urun-monitor) reads its request
// and reports on the same socket: Listening (its attach socket is up),
// then Started or Failed.
//
// Any failure in nsenter.c is Errno "<errno> <what>", then exit 125:
// Receive turns it into an error that names the fix where one is known.
package stage

// extern char urun_stage[32];
// extern int urun_stage_socket;
// extern char *urun_stage_request;
// extern unsigned int urun_stage_request_len;
import "C"

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"unsafe"
)

// Name is a stage: argv[0] of its process.
type Name string

// The stages.
const (
	// Init is PID 1 of a new container (package inside), forked by the
	// waiter in nsenter.c.
	Init Name = "urun-init"
	// Ports forwards published ports from the container's network
	// namespace (package network), forked by the waiter beside init.
	Ports Name = "urun-ports"
	// Exec is `urun exec`'s process in a running container (package
	// inside).
	Exec Name = "urun-exec"
	// Copy reads or writes a container's files: cp, export (package
	// rootfscopy).
	Copy Name = "urun-copy"
	// Remove deletes writable layers owned by subordinate ids (package
	// containers).
	Remove Name = "urun-remove"
	// Probe is `urun info`'s and `urun doctor`'s check of what the kernel
	// allows in a user namespace (package hostinfo).
	Probe Name = "urun-probe"
	// Monitor keeps a detached container, in the host's namespaces
	// (package launch).
	Monitor Name = "urun-monitor"
	// Image is the image helper, urun-image, started by urun (package
	// image/helper) with a request.Request; it does a command that needs
	// no store itself, and the others in ImageInUserNS.
	Image Name = "urun-image"
	// ImageInUserNS is urun-image again, as root of a user namespace with
	// the store's mapping, with the same request.
	ImageInUserNS Name = "urun-image-userns"
	// NetHolder holds the user's networks (package usernet/holder), a
	// stage of urun-netholder in a user and network namespace of its own.
	NetHolder Name = "urun-netholder"
)

// Current is the stage this process is, or "" when urun did not start it
// as one.
func Current() Name {
	return Name(C.GoString(&C.urun_stage[0]))
}

// Socket is this stage's end of the socket to the host; nil when the
// process is no stage.
func Socket() *os.File {
	fd := int(C.urun_stage_socket)
	if fd < 0 {
		return nil
	}
	return os.NewFile(uintptr(fd), "urun-stage")
}

// Request decodes the request the host sent this stage into v.
func Request(v any) error {
	if Current() == "" {
		return errors.New("this process must be started by urun")
	}
	data := C.GoBytes(unsafe.Pointer(C.urun_stage_request), C.int(C.urun_stage_request_len))
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("decode the %s stage's request: %w", Current(), err)
	}
	return nil
}

// ContainerRequest is the request of a Container stage, read by both
// stages the waiter forks: init and the port child.
type ContainerRequest struct {
	// Config is the path of the container's config.json (package inside).
	Config string `json:"config"`
	// PortChild is what the port child needs of rootlesskit's builtin
	// port driver (package network); nil when there is no port child.
	PortChild map[string]string `json:"port_child,omitempty"`
}
