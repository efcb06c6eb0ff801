package main

import (
	"errors"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/urun/urun/exitcode"
)

func TestExitStatusIsDockers(t *testing.T) {
	root := newRootCommand("")
	failure := errors.New("it failed")
	tests := []struct {
		name       string
		command    string
		err        error
		wantCode   int
		wantReport bool
	}{
		{"run fails", "run", failure, 125, true},
		{"create fails", "create", failure, 125, true},
		{"container create fails", "container create", failure, 125, true},
		{"rm fails", "rm", failure, 1, true},
		{"network create fails", "network create", failure, 1, true},
		{"volume create fails", "volume create", failure, 1, true},
		{"cp's stage fails", "cp", exitcode.New(exitcode.Failed, failure), 1, true},
		{"load's image helper failed and said why", "load", exitcode.New(exitcode.Failed, nil), 1, false},
		{"an unknown flag of rm", "rm", usageError{failure}, 125, true},
		{"an unknown flag of network ls", "network ls", usageError{failure}, 125, true},
		{"run's container exits 3", "run", exitcode.New(3, nil), 3, false},
		{"run's container exits 125", "run", exitcode.New(125, nil), 125, false},
		{"exec's command exits 125", "exec", exitcode.New(125, nil), 125, false},
		{"exec's own failure", "exec", exitcode.New(exitcode.Failed, failure), 1, true},
		{"exec's command is not found", "exec", exitcode.New(exitcode.NotFound, failure), 127, true},
		{"start -a's container exits 125", "start", exitcode.New(125, nil), 125, false},
		{"rm of several fails", "rm", exitcode.New(1, nil), 1, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmd, _, err := root.Find(strings.Fields(tt.command))
			require.NoError(t, err)
			code, report := exitStatus(cmd, tt.err)
			assert.Equal(t, tt.wantCode, code)
			assert.Equal(t, tt.wantReport, report)
		})
	}
}

func TestAnUnknownCommandIsNamedAsDockerDoes(t *testing.T) {
	tests := []struct {
		args []string
		want string // "" for a command urun has
	}{
		{[]string{"nosuch"}, "'nosuch' is not a urun command.\nSee 'urun --help'"},
		{[]string{"--root", "/r", "nosuch", "x"}, "'nosuch' is not a urun command.\nSee 'urun --help'"},
		{[]string{"network", "nosuch"}, "'nosuch' is not a urun network command.\nSee 'urun network --help'"},
		{[]string{"network"}, ""},
		{[]string{"ps", "-a"}, ""},
		{[]string{"container", "rm", "x"}, ""},
		{[]string{"help"}, ""},
		{[]string{"completion", "bash"}, ""},
		{[]string{"__complete", "rm", ""}, ""},
		{[]string{"--version"}, ""},
		{nil, ""},
	}
	for _, tt := range tests {
		err := unknownCommand(newRootCommand(commandName(tt.args)), tt.args)
		if tt.want == "" {
			assert.NoError(t, err, "%q", tt.args)
		} else if assert.Error(t, err, "%q", tt.args) {
			assert.Equal(t, tt.want, err.Error())
		}
	}
}

func TestEveryCommandOfTheCompletionTableExists(t *testing.T) {
	root := newRootCommand("")
	found := map[string]bool{}
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		found[commandKey(c)] = true
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
	for key := range argKinds {
		assert.True(t, found[key], "argKinds names %q, which urun does not have", key)
	}
	cmd, _, err := root.Find([]string{"rm"})
	require.NoError(t, err)
	assert.NotNil(t, cmd.ValidArgsFunction, "rm completes container names")
}
