// Package trace prints when each phase of a container's start happens,
// for `make bench` and anyone asking where urun's milliseconds go. It is
// off unless URUN_TRACE is set; then every Mark prints one line on stderr:
//
//	urun-trace <CLOCK_MONOTONIC µs> <stage> <phase>
//
// The clock is the same in every process, so the host's and the
// container init's lines merge into one timeline.
package trace

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// Env is the variable that turns tracing on; the host passes it on to the
// namespace stages.
const Env = "URUN_TRACE"

var enabled = os.Getenv(Env) != ""

// Enabled reports whether tracing is on.
func Enabled() bool { return enabled }

// Mark records that stage reached phase.
func Mark(stage, phase string) {
	if !enabled {
		return
	}
	var ts unix.Timespec
	unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts)
	fmt.Fprintf(os.Stderr, "urun-trace %d %s %s\n", ts.Nano()/1000, stage, phase)
}
