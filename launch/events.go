package launch

import (
	"strconv"
	"strings"
	"time"

	"github.com/urun/urun/config"
	"github.com/urun/urun/containers"
	"github.com/urun/urun/netdef"
)

// emit records a container event about c (package events), with its
// labels (its image's and --label's), which it has at hand.
func (c *container) emit(action string, attrs ...string) {
	containers.EmitLabeled(c.cfg, c.state, c.labels(), action, attrs...)
}

// labels are the container's: its record's (its image's and --label's),
// else, in a record of an older urun, its image's.
func (c *container) labels() map[string]string {
	if c.state.Labels == nil && c.image != nil {
		return c.image.Config.Config.Labels
	}
	return c.state.Labels
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
	c.emitNetworks("disconnect")
}

// emitNetworks records a network event (connect, disconnect) for each
// of urun's networks the container is on, as Docker does at each start
// and end.
func (c *container) emitNetworks(action string) {
	for _, n := range c.state.Networks {
		netdef.Emit(c.cfg, netdef.Network{ID: n.NetworkID, Name: n.Network}, action, "container", c.id)
	}
}

// execEvents are the events of one `urun exec`, as Docker's:
// "exec_create: CMD ARGS", "exec_start: CMD ARGS", exec_die with its
// exit code, each with the exec's id.
type execEvents struct {
	cfg     *config.Config
	state   containers.State
	command string
	id      string
}

// newExecEvents records exec_create.
func newExecEvents(cfg *config.Config, st containers.State, command []string) *execEvents {
	id, _ := newID()
	ev := &execEvents{cfg: cfg, state: st, command: strings.Join(command, " "), id: id}
	containers.Emit(cfg, st, "exec_create: "+ev.command, "execID", id)
	return ev
}

// started records exec_start once the command started.
func (ev *execEvents) started(err error) {
	if err == nil {
		containers.Emit(ev.cfg, ev.state, "exec_start: "+ev.command, "execID", ev.id)
	}
}

// died records exec_die and passes the exit status on.
func (ev *execEvents) died(code int, err error) (int, error) {
	if err == nil {
		containers.Emit(ev.cfg, ev.state, "exec_die", "execID", ev.id, "exitCode", strconv.Itoa(code))
	}
	return code, err
}
