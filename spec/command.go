package spec

import "github.com/urun/urun/image/local"

// SplitCommand is the command Build runs, as Docker's container config
// keeps it: the entrypoint, and the arguments given to it. --entrypoint
// replaces the image's Entrypoint and drops its Cmd; arguments after the
// image replace Cmd.
func SplitCommand(ic local.RunConfig, o Options) (entrypoint, cmd []string) {
	entrypoint, cmd = ic.Entrypoint, ic.Cmd
	if o.Entrypoint != nil {
		entrypoint, cmd = nil, nil
		if *o.Entrypoint != "" {
			entrypoint = []string{*o.Entrypoint}
		}
	}
	if len(o.Command) > 0 {
		cmd = o.Command
	}
	return entrypoint, cmd
}
