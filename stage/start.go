package stage

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"strings"
)

// startHeader is the C half of the start message: struct start_header in
// nsenter.c, field for field (4-byte fields, native byte order: both
// sides are the same binary on the same machine).
type startHeader struct {
	Magic      uint32
	Do         uint32
	CloneFlags uint32
	JoinPID    int32
	EndedFD    int32
	// UserNSFD, NetNSFD and KeepFD are descriptors the stage inherits: a
	// user and a network namespace to enter instead of creating them, and
	// one the waiter keeps; -1 for none.
	UserNSFD, NetNSFD, KeepFD int32
	// IPCNSFD, UTSNSFD and PIDNSFD are another container's namespaces to
	// enter instead of creating them; ShmMntNSFD and ShmDirFD the mount
	// namespace of the container whose IPC namespace is entered and the
	// directory where init gets its /dev/shm; -1 for none.
	IPCNSFD, UTSNSFD, PIDNSFD, ShmMntNSFD, ShmDirFD int32
	// The lengths of the strings that follow the header, in this order,
	// then of the request.
	JoinNamespacesLen, RemoveOnExitLen, RemoveNowLen, RequestLen uint32
}

const startMagic = 0x4e555255 // "URUN" read as a little-endian uint32

// What a start message asks of nsenter.c: DO_* in nsenter.c.
const (
	doCreateUserNS = 0x01
	doJoin         = 0x02
	doForkInit     = 0x04
	doForkPorts    = 0x08
	doTinyInit     = 0x10
	doOutlive      = 0x20
	doHoldJoin     = 0x40
	doNestUserNS   = 0x80
	doDaemonize    = 0x100
)

// startMessage is what nsenter.c reads before the stage's Go code runs.
type startMessage struct {
	header                                  startHeader
	joinNamespaces, removeOnExit, removeNow string
}

// encode lays the message out as nsenter.c's read_start expects it, with
// the request (JSON) last.
func (m startMessage) encode(request any) ([]byte, error) {
	req, err := json.Marshal(request)
	if err != nil {
		return nil, fmt.Errorf("encode the stage's request: %w", err)
	}
	for _, s := range []string{m.joinNamespaces, m.removeOnExit, m.removeNow} {
		if strings.IndexByte(s, 0) >= 0 {
			return nil, fmt.Errorf("a path for the stage holds a NUL byte: %q", s)
		}
	}
	h := m.header
	h.Magic = startMagic
	h.JoinNamespacesLen = uint32(len(m.joinNamespaces))
	h.RemoveOnExitLen = uint32(len(m.removeOnExit))
	h.RemoveNowLen = uint32(len(m.removeNow))
	h.RequestLen = uint32(len(req))
	var buf bytes.Buffer
	binary.Write(&buf, binary.NativeEndian, h)
	buf.WriteString(m.joinNamespaces)
	buf.WriteString(m.removeOnExit)
	buf.WriteString(m.removeNow)
	buf.Write(req)
	return buf.Bytes(), nil
}
