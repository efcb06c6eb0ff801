//go:build urun_mandocs

package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"
	"github.com/spf13/cobra/doc"
)

// `make man` builds urun with this file (tag urun_mandocs) and runs
// `__man-pages DIR`: urun.1 and one page per command (urun-run.1,
// urun-network-create.1, ...) from the commands' own help, so the pages
// cannot drift from the binary.
func init() {
	extraCommands = append(extraCommands, func(*globals) *cobra.Command {
		return &cobra.Command{
			Use:    "__man-pages DIR",
			Hidden: true,
			Args:   cobra.ExactArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				root := cmd.Root()
				// Each page's title is its command's (URUN-RUN); the date is
				// $SOURCE_DATE_EPOCH's (make man: the commit's), else today.
				header := &doc.GenManHeader{Section: "1", Source: "urun " + version, Manual: "urun manual"}
				// No "generated on" line: the pages stay the same from one
				// build of a commit to the next.
				root.DisableAutoGenTag = true
				if err := os.MkdirAll(args[0], 0o755); err != nil {
					return fmt.Errorf("create %s: %w", args[0], err)
				}
				if err := doc.GenManTree(root, header, args[0]); err != nil {
					return fmt.Errorf("write the man pages to %s: %w", args[0], err)
				}
				return nil
			},
		}
	})
}
