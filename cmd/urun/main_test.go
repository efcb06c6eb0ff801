package main

import (
	"testing"

	"github.com/spf13/pflag"
	"github.com/stretchr/testify/assert"

	"github.com/urun/urun/systemdunit"
)

func TestCommandNameSkipsGlobalFlags(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"run", "--rm", "busybox"}, "run"},
		{[]string{"--root", "/r", "--runroot", "/rr", "exec", "c", "true"}, "exec"},
		{[]string{"--root=/r", "ps"}, "ps"},
		{[]string{"--rootfs-driver", "native", "--config", "/c", "run", "x"}, "run"},
		{[]string{"--help"}, ""},
		{nil, ""},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, commandName(tt.args), "%q", tt.args)
	}
}

func TestEveryCommandIsBuiltWhenNoHotOneIsNamed(t *testing.T) {
	all := newRootCommand("")
	for name := range hotCommands {
		cmd, _, err := all.Find([]string{name})
		if assert.NoError(t, err) {
			assert.Equal(t, name, cmd.Name())
		}
		assert.Len(t, newRootCommand(name).Commands(), 1, "%s alone", name)
	}
	assert.Greater(t, len(all.Commands()), 20)
}

// A unit made by `urun generate systemd --new` replays run's flags: it
// must know which of them take a value.
func TestGeneratedUnitsKnowWhichRunFlagsTakeAValue(t *testing.T) {
	run := newRunCommand(&globals{})
	run.Flags().VisitAll(func(f *pflag.Flag) {
		wantValue := f.Value.Type() != "bool"
		if got := systemdunit.TakesValue("--" + f.Name); got != wantValue {
			t.Errorf("systemdunit.TakesValue(--%s) = %v, want %v", f.Name, got, wantValue)
		}
		if f.Shorthand != "" {
			if got := systemdunit.TakesValue("-" + f.Shorthand); got != wantValue {
				t.Errorf("systemdunit.TakesValue(-%s) = %v, want %v", f.Shorthand, got, wantValue)
			}
		}
	})
}
