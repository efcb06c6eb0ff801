package launch

import (
	"strconv"
	"time"

	"github.com/urun/urun/containers"
)

// emit records a container event about c (package events).
func (c *container) emit(action string, attrs ...string) {
	containers.Emit(c.cfg, c.state, action, attrs...)
}

// emitEnd records the end of one run: oom when its cgroup's OOM killer
// killed a process, then die with the exit status and how long it ran,
// as Docker. The urun that saw the exit calls it, once per run.
func (c *container) emitEnd(code int) {
	if c.oomKilled {
		c.emit("oom")
	}
	ran := "0"
	if !c.state.StartedAt.IsZero() {
		ran = strconv.Itoa(int(time.Since(c.state.StartedAt).Seconds()))
	}
	c.emit("die", "exitCode", strconv.Itoa(code), "execDuration", ran)
}
