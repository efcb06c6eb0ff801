package main

import (
	"os"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/urun/urun/prunefilter"
)

// pruneFlags are what every prune command takes: -f and --filter.
type pruneFlags struct {
	force   bool
	filters []string
}

// add defines the flags on cmd; what says what --filter selects.
func (p *pruneFlags) add(cmd *cobra.Command, what string) {
	cmd.Flags().BoolVarP(&p.force, "force", "f", false, "do not ask for confirmation")
	cmd.Flags().StringArrayVar(&p.filters, "filter", nil, "remove only the "+what+" that match: label=, label!=, until=")
}

// parse reads --filter as Docker's prune filters.
func (p *pruneFlags) parse() (prunefilter.Filters, error) {
	return prunefilter.Parse(p.filters, time.Now())
}

// confirmed asks Docker's question on a terminal, unless -f; without a
// terminal (a script) there is nobody to ask, and the prune goes ahead.
func (p *pruneFlags) confirmed(question string) bool {
	return p.force || !term.IsTerminal(int(os.Stdin.Fd())) || confirm(question)
}
