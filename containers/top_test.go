package containers

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const psEF = `UID          PID    PPID  C STIME TTY          TIME CMD
root           1       0  0 10:00 ?        00:00:01 /sbin/init
100000      4242    4200  0 10:01 ?        00:00:00 sleep 100
100000      4250    4242  0 10:01 pts/0    00:00:00 sh -c echo  two  spaces
1000        5000       1  0 10:02 ?        00:00:00 bash
`

func TestTopKeepsTheContainersProcessesWithTheirContainerPIDs(t *testing.T) {
	r, err := parsePS(psEF, []Proc{{PID: 4242, NSPID: 1}, {PID: 4250, NSPID: 7}})
	require.NoError(t, err)
	assert.Equal(t, []string{"UID", "PID", "CPID", "PPID", "C", "STIME", "TTY", "TIME", "CMD"}, r.Titles)
	assert.Equal(t, [][]string{
		{"100000", "4242", "1", "4200", "0", "10:01", "?", "00:00:00", "sleep 100"},
		{"100000", "4250", "7", "4242", "0", "10:01", "pts/0", "00:00:00", "sh -c echo  two  spaces"},
	}, r.Processes, "the command keeps its spaces")
	var out bytes.Buffer
	require.NoError(t, r.Print(&out))
	assert.Regexp(t, `^UID +PID +CPID +PPID +C +STIME +TTY +TIME +CMD\n100000 +4242 +1 +4200 .* sleep 100\n`, out.String())
}

func TestTopNeedsThePIDColumn(t *testing.T) {
	_, err := parsePS("COMMAND\nsleep\n", []Proc{{PID: 1}})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "no PID column")
}

func TestTopWithOtherPSOptions(t *testing.T) {
	aux := "USER         PID %CPU %MEM    VSZ   RSS TTY      STAT START   TIME COMMAND\n" +
		"100000      4242  0.0  0.0   1320   512 ?        S    10:01   0:00 sleep 100\n"
	r, err := parsePS(aux, []Proc{{PID: 4242, NSPID: 1}})
	require.NoError(t, err)
	require.Len(t, r.Processes, 1)
	assert.Equal(t, "1", r.Processes[0][2])
	assert.Equal(t, "sleep 100", r.Processes[0][len(r.Processes[0])-1])
}

func TestStatsCPUTimeIsReadPastTheCommandName(t *testing.T) {
	// utime 100, stime 20, cutime 3, cstime 4; the name has a space and
	// a parenthesis.
	stat := "4242 (my (app) x) S 4200 4242 4242 0 -1 4194560 100 0 0 0 100 20 3 4 20 0 1 0 12345 1000 100"
	assert.Equal(t, uint64(127), cpuTicks(stat))
}

func TestStatsRowsAreDockersColumns(t *testing.T) {
	c := Container{State: State{ID: id("ab"), Name: "web"}}
	before := Usage{CPUTicks: 1000, SystemTicks: 100000, OnlineCPUs: 2}
	now := Usage{CPUTicks: 1050, SystemTicks: 100200, OnlineCPUs: 2, Memory: 3 << 20, PIDs: 2,
		NetRx: 1500, NetTx: 648, NetOK: true, BlockRead: 4096, BlockOK: true}
	r := MakeStatsRow(c, "web", before, now, true)
	assert.Equal(t, StatsRow{Container: "web", ID: "ab0000000000", Name: "web", CPUPerc: "50.00%", MemUsage: "3MiB / --",
		MemPerc: "--", NetIO: "1.5kB / 648B", BlockIO: "4.1kB / 0B", PIDs: "2"}, r)

	t.Run("first reading has no CPU figure", func(t *testing.T) {
		assert.Equal(t, "0.00%", MakeStatsRow(c, "web", Usage{}, now, true).CPUPerc)
	})
	t.Run("unreadable figures are --", func(t *testing.T) {
		r := MakeStatsRow(c, "web", before, Usage{PIDs: 1}, true)
		assert.Equal(t, "--", r.NetIO)
		assert.Equal(t, "--", r.BlockIO)
	})
	t.Run("a stopped container shows zeros", func(t *testing.T) {
		r := MakeStatsRow(c, "web", before, Usage{}, false)
		assert.Equal(t, "0", r.PIDs)
		assert.Equal(t, "0B / --", r.MemUsage)
	})
}

func TestStatsFormats(t *testing.T) {
	rows := []StatsRow{{Container: "web", ID: "ab0000000000", Name: "web", CPUPerc: "1.00%", MemUsage: "3MiB / --",
		MemPerc: "--", NetIO: "0B / 0B", BlockIO: "--", PIDs: "2"}}
	tests := []struct{ name, format, want string }{
		{"Docker's table", "", "CONTAINER ID   NAME      CPU %     MEM USAGE / LIMIT   MEM %     NET I/O   BLOCK I/O   PIDS\n" +
			"ab0000000000   web       1.00%     3MiB / --           --        0B / 0B   --          2\n"},
		{"template", "{{.Name}} {{.PIDs}}", "web 2\n"},
		{"json", "json", `{"Container":"web","ID":"ab0000000000","Name":"web","CPUPerc":"1.00%","MemUsage":"3MiB / --","MemPerc":"--","NetIO":"0B / 0B","BlockIO":"--","PIDs":"2"}` + "\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			require.NoError(t, PrintStats(&out, rows, tt.format))
			assert.Equal(t, tt.want, out.String())
		})
	}
}

func TestStatsKeepsANamedContainerThatStopped(t *testing.T) {
	running := Container{State: State{ID: id("a1"), Name: "web"}, Running: true}
	stopped := Container{State: State{ID: id("b1"), Name: "job"}}
	list := []Container{running, stopped}
	t.Run("named: as named, running or not", func(t *testing.T) {
		named := []Container{stopped, running}
		targets, refs := statsTargets([]Container{running}, named, StatsOptions{Refs: []string{"job", "a1"}})
		assert.Equal(t, []string{"job", "a1"}, refs)
		assert.Equal(t, []string{"job", "web"}, namesOf(targets))
		assert.True(t, targets[1].Running)
	})
	t.Run("unnamed: the running ones by short id", func(t *testing.T) {
		targets, refs := statsTargets(list, nil, StatsOptions{})
		assert.Equal(t, []string{"web"}, namesOf(targets))
		assert.Equal(t, []string{"a10000000000"}, refs)
	})
	t.Run("unnamed with --no-trunc: by full id", func(t *testing.T) {
		_, refs := statsTargets(list, nil, StatsOptions{NoTrunc: true})
		assert.Equal(t, []string{list[0].ID}, refs)
	})
	t.Run("unnamed with --all", func(t *testing.T) {
		targets, _ := statsTargets(list, nil, StatsOptions{All: true})
		assert.Equal(t, []string{"web", "job"}, namesOf(targets))
	})
}
