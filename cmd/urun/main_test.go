package main

import (
	"testing"

	"github.com/stretchr/testify/assert"
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
