package containers

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestPauseOfAContainerWithoutACgroupSaysWhy(t *testing.T) {
	c := Container{State: State{ID: id("ab"), Status: StatusRunning}, Running: true, Started: true}
	for _, verb := range []string{"pause", "unpause"} {
		f := map[string]func() error{
			"pause":   func() error { return Pause(nil, c, "web") },
			"unpause": func() error { return Unpause(nil, c, "web") },
		}[verb]
		err := f()
		var noCgroup *NoCgroupError
		assert.ErrorAs(t, err, &noCgroup, verb)
		assert.Contains(t, err.Error(), "cannot "+verb+" container web: it has no cgroup v2 cgroup of its own")
		assert.Contains(t, err.Error(), "--cgroups=disabled")
	}
}

func TestPauseOfAStoppedContainerSaysItIsNotRunning(t *testing.T) {
	for _, c := range []Container{
		{State: State{ID: id("ab"), Status: StatusExited, Cgroup: "/x"}},
		{State: State{ID: id("ab"), Status: StatusRunning, Cgroup: "/x"}, Running: true}, // not started yet
	} {
		var notRunning *NotRunningError
		assert.ErrorAs(t, Pause(nil, c, "web"), &notRunning)
	}
}

func TestAPausedContainerShowsAsPaused(t *testing.T) {
	now := time.Date(2025, 1, 1, 12, 0, 0, 0, time.UTC)
	c := Container{State: State{Status: StatusRunning, Cgroup: "/x", Paused: true, StartedAt: now.Add(-5 * time.Second)}, Running: true, Started: true}
	assert.Equal(t, "paused", c.StateName())
	assert.Equal(t, "Up 5 seconds (Paused)", c.StatusText(now))
	f, err := ParseFilters([]string{"status=paused"})
	assert.NoError(t, err)
	assert.True(t, f.Match(c, nil), "ps --filter status=paused")

	c.Running = false // it ended while paused: the record's Paused is stale
	assert.Equal(t, "exited", c.StateName())
}

func TestStatsRowShowsTheCgroupsMemoryLimit(t *testing.T) {
	c := Container{State: State{ID: id("ab"), Name: "web"}}
	now := Usage{OnlineCPUs: 2, Memory: 16 << 20, MemoryLimit: 64 << 20, PIDs: 3, Cgroup: true}
	r := MakeStatsRow(c, "web", Usage{}, now, true)
	assert.Equal(t, "16MiB / 64MiB", r.MemUsage)
	assert.Equal(t, "25.00%", r.MemPerc)
	assert.Equal(t, "3", r.PIDs)

	// CPU from cpu.stat in µs against the host's time in µs: 0.5 s of
	// 2 s of host time (1 s on each of 2 CPUs) is 50% of one CPU.
	before := Usage{CPUTicks: 1_000_000, SystemTicks: 10_000_000, OnlineCPUs: 2}
	now.CPUTicks, now.SystemTicks = 1_500_000, 12_000_000
	assert.Equal(t, "50.00%", MakeStatsRow(c, "web", before, now, true).CPUPerc)
}
