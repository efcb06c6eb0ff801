package main

import (
	"github.com/spf13/cobra"
)

// versionLine is what `urun --version` (and -v) prints, in the form of
// `docker --version`.
func versionLine() string {
	if commit == "" {
		return "urun version " + version + "\n"
	}
	return "urun version " + version + ", build " + commit + "\n"
}

// extraCommands are added to the full command tree by builds with other
// tags: the man page generator (mandocs.go), which bin/urun leaves out.
var extraCommands []func(*globals) *cobra.Command
