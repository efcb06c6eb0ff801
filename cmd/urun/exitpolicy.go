package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/urun/urun/exitcode"
)

// The exit statuses of urun's own failures follow Docker's CLI: 125 for
// run and create (the container's command has every other status), 125
// for a malformed command line whatever the command, 1 for every other
// command's failure and for an unknown command.

// generalFailure is the status of a failed command other than run and
// create, as the Docker CLI's.
const generalFailure = 1

// usageError is a malformed command line: an unknown flag or a bad flag
// value.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

// failsWith125 are the commands whose own failures exit 125 (by
// commandKey: not network create or volume create). healthcheck run is
// podman's: 1 means unhealthy there.
var failsWith125 = map[string]bool{"run": true, "create": true, "healthcheck run": true}

// passesStatus are the commands whose silent exitcode.Error is the
// status of a process they ran or attached to, given back as it is.
var passesStatus = map[string]bool{"run": true, "exec": true, "start": true, "attach": true}

// exitStatus is the status urun ends with when command c (the one cobra
// ran; the root for an unknown command) failed with err, and whether err
// still has to be printed.
func exitStatus(c *cobra.Command, err error) (code int, report bool) {
	var usage usageError
	if errors.As(err, &usage) {
		return exitcode.Failed, true
	}
	name := commandKey(c)
	var exitErr *exitcode.Error
	if errors.As(err, &exitErr) {
		code, report = exitErr.Code, !exitErr.Silent()
		if code == exitcode.Failed && !failsWith125[name] && (report || !passesStatus[name]) {
			// urun's own failure (a stage's, the image helper's), not a
			// status the container's process ended with.
			code = generalFailure
		}
		return code, report
	}
	if failsWith125[name] {
		return exitcode.Failed, true
	}
	return generalFailure, true
}

// unknownCommand is Docker's error for a command line that names no
// command (`urun nosuch`, `urun network nosuch`); cobra would print the
// help and succeed for a group, and fail with 125 at the root.
func unknownCommand(root *cobra.Command, args []string) error {
	if name := commandName(args); name == cobra.ShellCompRequestCmd || name == cobra.ShellCompNoDescRequestCmd {
		// The shells' hidden completion request, which cobra adds itself.
		return nil
	}
	// The commands cobra adds when it executes, known to Find only now.
	root.InitDefaultHelpCmd()
	root.InitDefaultCompletionCmd(args...)
	c, rest, err := root.Find(args)
	switch {
	case err != nil && strings.HasPrefix(err.Error(), "unknown command "):
		return fmt.Errorf("'%s' is not a %s command.\nSee '%s --help'", commandName(args), root.Name(), root.Name())
	case err != nil || c == root || !c.HasSubCommands() || c.Runnable():
		return nil
	}
	if name := commandName(rest); name != "" {
		return fmt.Errorf("'%s' is not a %s command.\nSee '%s --help'", name, c.CommandPath(), c.CommandPath())
	}
	return nil
}
