package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/pflag"

	"github.com/urun/urun/launch"
	"github.com/urun/urun/logs"
)

// logFlags are `urun run`'s and `urun create`'s log and attach flags.
type logFlags struct {
	driver string
	opts   []string
	// attach are the -a streams; sigProxy and detachKeys are run's alone
	// (addForegroundFlags).
	attach     []string
	sigProxy   bool
	detachKeys string
}

// addLogFlags adds --log-driver, --log-opt and -a.
func addLogFlags(fl *pflag.FlagSet, f *logFlags) {
	fl.StringVar(&f.driver, "log-driver", logs.DriverK8sFile, "where the container's output is kept: "+strings.Join(logs.Drivers, ", ")+" (json-file is Docker's format; journald needs systemd-journald)")
	fl.StringArrayVar(&f.opts, "log-opt", nil, "log driver option: max-size=SIZE (rotate past it), max-file=N (files kept), tag=TEMPLATE (journald), labels=K1,K2, labels-regex=RE, env=K1,K2, env-regex=RE (attributes for the journal and 'logs --details'), mode=blocking")
	fl.StringArrayVarP(&f.attach, "attach", "a", nil, "attach to STDIN, STDOUT or STDERR only (repeat for several)")
}

// addForegroundFlags adds --sig-proxy and --detach-keys, which only `urun
// run` has, as Docker's.
func addForegroundFlags(fl *pflag.FlagSet, f *logFlags) {
	fl.BoolVar(&f.sigProxy, "sig-proxy", true, "pass the signals urun gets on to the container (not with -t, where ctrl-c is a key); false: a signal ends urun and leaves the container running, detached")
	fl.StringVar(&f.detachKeys, "detach-keys", launch.DefaultDetachKeys, "keys that detach from a container run with -i (-it: leaves it running, 'urun attach' goes back)")
}

// options checks the log flags.
func (f *logFlags) options() (logs.Options, error) {
	o, err := logs.ParseOptions(f.driver, f.opts)
	if err != nil {
		return o, err
	}
	if o.DriverName() == logs.DriverJournald {
		if err := logs.CheckJournal(); err != nil {
			return o, err
		}
	}
	return o, nil
}

// attachedStreams reads -a: which of stdin, stdout and stderr a
// foreground run attaches to (all but stdin without -a; -i adds stdin).
type attachedStreams struct {
	given                 bool
	stdin, stdout, stderr bool
}

func (f *logFlags) streams(interactive bool) (attachedStreams, error) {
	a := attachedStreams{given: len(f.attach) > 0}
	if !a.given {
		return attachedStreams{stdin: interactive, stdout: true, stderr: true}, nil
	}
	for _, v := range f.attach {
		for _, s := range strings.Split(v, ",") {
			switch strings.ToLower(strings.TrimSpace(s)) {
			case "stdin":
				a.stdin = true
			case "stdout":
				a.stdout = true
			case "stderr":
				a.stderr = true
			default:
				return a, fmt.Errorf("-a %q: want stdin, stdout or stderr", s)
			}
		}
	}
	a.stdin = a.stdin || interactive
	return a, nil
}

// checkForeground refuses flag combinations Docker refuses, and checks the
// detach keys.
func (f *logFlags) checkForeground(detach bool) error {
	if detach && len(f.attach) > 0 {
		return errors.New("conflicting options: -a and -d: a detached container is attached to nothing")
	}
	if _, err := f.streams(false); err != nil {
		return err
	}
	if _, err := launch.ParseDetachKeys(f.detachKeys); err != nil {
		return fmt.Errorf("--detach-keys: %w", err)
	}
	return nil
}
