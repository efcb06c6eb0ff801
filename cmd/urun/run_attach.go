package main

import (
	"io"
	"os"

	"github.com/urun/urun/launch"
)

// viaMonitor says whether a foreground `urun run` starts its container
// under a monitor, as `run -d` does, and attaches to it, instead of
// running it in its own process (the fast path). The container must then
// outlive this urun: -it, whose detach keys leave it running (and closing
// the terminal too, as with Docker); --sig-proxy=false, where a signal
// ends urun and not the container; and -a, which shows only some streams
// while the log keeps them all.
func (f *runFlags) viaMonitor() bool {
	return f.interactive && f.tty || !f.logging.sigProxy || len(f.logging.attach) > 0
}

// runAttached runs the container under a monitor and attaches to it
// until it ends (urun exits with its status) or the user detaches (urun
// exits 0 and prints nothing, as Docker's CLI).
func runAttached(o launch.Options, f *runFlags) error {
	streams, err := f.logging.streams(f.interactive)
	if err != nil {
		return err
	}
	// -a stdin passes the caller's input, as -i does.
	o.Interactive = o.Interactive || streams.stdin
	created, err := launch.Create(o)
	if err != nil {
		return err
	}
	attach := launch.AttachOptions{
		Stdin: streams.stdin, DetachKeys: f.logging.detachKeys, SigProxy: f.logging.sigProxy,
		Stdout: os.Stdout, Stderr: os.Stderr,
	}
	if !streams.stdout {
		attach.Stdout = io.Discard
	}
	if !streams.stderr {
		attach.Stderr = io.Discard
	}
	code, err := launch.StartDetached(o.Config, created.Dir, created.Lock, launch.StartOptions{Attach: &attach})
	return attachExit(code, err)
}
