package rootfscopy

import (
	"errors"
	"os"

	"github.com/urun/urun/stage"
)

// The stage's operations.
const (
	opCopyOut = "out"
	opCopyIn  = "in"
	opExport  = "export"
)

// request is what the host asks of the copy stage (stage.Copy).
type request struct {
	Op string `json:"op"`
	// Path is the path in the container: the source of a copy out, the
	// destination of a copy in.
	Path       string `json:"path"`
	FollowLink bool   `json:"follow_link,omitempty"`
	// Source is what a copy in brings; nil for a tar stream from stdin,
	// unpacked into Path as it is.
	Source *Source `json:"source,omitempty"`
	// Archive keeps the incoming archive's uids and gids (cp -a); else
	// the files are root's.
	Archive bool `json:"archive,omitempty"`
	// View is how to see the container's file system; nil when the stage
	// has joined the running container's mount namespace.
	View *view `json:"view,omitempty"`
}

// view is an overlay of the container's layers mounted at Target.
type view struct {
	Driver string `json:"driver"`
	// Lower are the image's layers, top first, relative to LinkDir if
	// set; Upper and Work the container's writable layer.
	Lower    []string `json:"lower"`
	LinkDir  string   `json:"link_dir,omitempty"`
	Upper    string   `json:"upper"`
	Work     string   `json:"work"`
	Writable bool     `json:"writable,omitempty"`
	Target   string   `json:"target"`
}

// message is what the stage tells the host as stage.Report: first
// "stat" (copy out) or "ready" (copy in), then "done"; "error" ends it
// early.
type message struct {
	Kind   string  `json:"kind"`
	Source *Source `json:"source,omitempty"`
	Error  string  `json:"error,omitempty"`
	// NotFound is the container path that does not exist, when that is
	// the error.
	NotFound string `json:"not_found,omitempty"`
}

func send(sock *os.File, m message) error {
	return stage.SendReport(sock, m)
}

// errSilent: the stage ended without reporting (it was killed, or
// failed before it could say why).
var errSilent = errors.New("the copy stage ended without reporting")

// receive reads the stage's next message.
func receive(sock *os.File) (message, error) {
	var m message
	err := stage.ReceiveReport(sock, &m)
	if errors.Is(err, stage.ErrClosed) {
		return m, errSilent
	}
	return m, err
}
