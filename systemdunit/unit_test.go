package systemdunit

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestGenerateNewRunsTheContainerInTheForegroundWithTheUnitsRules(t *testing.T) {
	for _, c := range []struct {
		name   string
		create []string
		want   string
	}{
		{"run -d with a restart policy", []string{"urun", "run", "-d", "--restart", "always", "--name", "web", "-p", "8080:80", "busybox", "httpd", "-f"},
			`ExecStart=/usr/bin/urun --root /s run --rm --name web -p 8080:80 --cgroup-manager cgroupfs busybox httpd -f`},
		{"create with flags in = form and combined short flags", []string{"urun", "--root", "/x", "container", "create", "--name=web", "-dit", "--restart=on-failure:3", "-e", "A=b c", "busybox", "sh"},
			`ExecStart=/usr/bin/urun --root /s run --rm --name web -it -e "A=b c" --cgroup-manager cgroupfs busybox sh`},
		{"a container without cgroups keeps none", []string{"urun", "run", "--cgroups", "disabled", "--cgroup-manager=systemd", "busybox", "true"},
			`ExecStart=/usr/bin/urun --root /s run --rm --name web --cgroups disabled busybox true`},
		{"the command keeps its own flags", []string{"urun", "run", "--rm", "busybox", "sh", "-c", "echo $HOME 100%"},
			`ExecStart=/usr/bin/urun --root /s run --rm --name web --cgroup-manager cgroupfs busybox sh -c "echo $$HOME 100%%"`},
	} {
		t.Run(c.name, func(t *testing.T) {
			unit, err := Generate(Options{Urun: "/usr/bin/urun", GlobalFlags: []string{"--root", "/s"}, Name: "web", New: true, CreateCommand: c.create, Restart: "on-failure", StopTimeout: 10})
			require.NoError(t, err)
			assert.Contains(t, strings.Split(unit, "\n"), c.want)
			for _, l := range []string{"Type=notify", "NotifyAccess=main", "Delegate=yes", "Restart=on-failure", "TimeoutStopSec=70",
				"ExecStartPre=-/usr/bin/urun --root /s rm -f web", "ExecStop=/usr/bin/urun --root /s stop -t 10 web", "WantedBy=default.target"} {
				assert.Contains(t, strings.Split(unit, "\n"), l)
			}
		})
	}
}

func TestGenerateForAnExistingContainerStartsAndStopsIt(t *testing.T) {
	unit, err := Generate(Options{Urun: "/u/urun", Name: "db", Restart: "always", StopTimeout: 5})
	require.NoError(t, err)
	lines := strings.Split(unit, "\n")
	assert.Contains(t, lines, "ExecStart=/u/urun start -a db")
	assert.Contains(t, lines, "ExecStop=/u/urun stop -t 5 db")
	assert.NotContains(t, unit, "ExecStartPre")
}

func TestGenerateRefusesWhatItCannotWrite(t *testing.T) {
	for _, c := range []struct {
		name string
		o    Options
		msg  string
	}{
		{"unknown restart policy", Options{Name: "x", Restart: "sometimes"}, `restart policy "sometimes"`},
		{"no command line kept", Options{Name: "x", Restart: "no", New: true}, "generate the unit without --new"},
		{"not a run", Options{Name: "x", Restart: "no", New: true, CreateCommand: []string{"urun", "ps"}}, "no urun run or urun create"},
		{"no image", Options{Name: "x", Restart: "no", New: true, CreateCommand: []string{"urun", "run", "-d"}}, "names no image"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := Generate(c.o)
			require.Error(t, err)
			assert.Contains(t, err.Error(), c.msg)
		})
	}
}

func TestTheRestartServiceStartsEveryAlwaysContainerAtBoot(t *testing.T) {
	unit := strings.Split(RestartService("/u/my urun", []string{"--root", "/s"}), "\n")
	for _, l := range []string{"Type=oneshot", "RemainAfterExit=yes", "WantedBy=default.target",
		`ExecStart="/u/my urun" --root /s start --all --filter restart-policy=always`} {
		assert.Contains(t, unit, l)
	}
}
