// Package systemdunit writes systemd user units that run urun containers
// (`urun generate systemd`): Type=notify, so that systemd counts the unit
// started when the container's command is (urun sends READY=1), and
// Delegate=yes, so that urun in the unit makes the container's cgroup
// below the unit's own.
package systemdunit

import (
	"fmt"
	"strconv"
	"strings"
)

// Options describe the unit to write.
type Options struct {
	// Urun is the absolute path of urun's binary; GlobalFlags come before
	// every subcommand (--root, --runroot, --config, --rootfs-driver).
	Urun        string
	GlobalFlags []string
	// Name names the container (its name, else its id).
	Name string
	// New makes the unit create the container afresh at each start from
	// CreateCommand (urun run or urun create's arguments after the
	// subcommand) and remove it at each stop; without New the unit starts
	// and stops the existing container.
	New           bool
	CreateCommand []string
	// Restart is systemd's Restart= value (no, on-failure, always).
	Restart string
	// StopTimeout is urun stop's -t, in seconds.
	StopTimeout int
}

// ServiceName is the unit's file name for a container.
func ServiceName(name string) string { return "container-" + name + ".service" }

// Generate returns the unit's text.
func Generate(o Options) (string, error) {
	switch o.Restart {
	case "no", "on-success", "on-failure", "on-abnormal", "on-watchdog", "on-abort", "always":
	default:
		return "", fmt.Errorf("restart policy %q: systemd knows no, on-success, on-failure, on-abnormal, on-watchdog, on-abort and always", o.Restart)
	}
	urun := append([]string{o.Urun}, o.GlobalFlags...)
	line := func(args ...string) string { return quoteLine(append(append([]string{}, urun...), args...)) }
	stop := strconv.Itoa(o.StopTimeout)

	var b strings.Builder
	fmt.Fprintf(&b, "# %s: urun container %s, written by urun generate systemd%s.\n", ServiceName(o.Name), o.Name, map[bool]string{true: " --new"}[o.New])
	b.WriteString("# Install: copy it to ~/.config/systemd/user/, then\n")
	fmt.Fprintf(&b, "#   systemctl --user daemon-reload && systemctl --user enable --now %s\n", ServiceName(o.Name))
	b.WriteString("# (and loginctl enable-linger to start it without a login).\n\n")
	fmt.Fprintf(&b, "[Unit]\nDescription=urun container %s\nWants=network-online.target\nAfter=network-online.target\n\n", o.Name)
	b.WriteString("[Service]\nType=notify\nNotifyAccess=main\nDelegate=yes\n")
	fmt.Fprintf(&b, "Restart=%s\nTimeoutStopSec=%d\n", o.Restart, o.StopTimeout+60)
	if o.New {
		run, err := runArgs(o.CreateCommand, o.Name)
		if err != nil {
			return "", err
		}
		fmt.Fprintf(&b, "ExecStartPre=-%s\n", line("rm", "-f", o.Name))
		fmt.Fprintf(&b, "ExecStart=%s\n", line(run...))
		fmt.Fprintf(&b, "ExecStop=%s\n", line("stop", "-t", stop, o.Name))
		fmt.Fprintf(&b, "ExecStopPost=-%s\n", line("rm", "-f", o.Name))
	} else {
		fmt.Fprintf(&b, "ExecStart=%s\n", line("start", "-a", o.Name))
		fmt.Fprintf(&b, "ExecStop=%s\n", line("stop", "-t", stop, o.Name))
	}
	b.WriteString("\n[Install]\nWantedBy=default.target\n")
	return b.String(), nil
}

// runArgs turns the arguments of the urun run or urun create that made a
// container into a `urun run` in the foreground that removes the
// container at its end: systemd keeps it running and restarts it, so -d,
// --rm, --restart and --name give way to the unit's own.
func runArgs(create []string, name string) ([]string, error) {
	create, err := afterSubcommand(create)
	if err != nil {
		return nil, err
	}
	out := []string{"run", "--rm", "--name", name}
	// The unit has Delegate=yes: the container's cgroup goes below the
	// unit's own, not in a scope of its own that systemd would not stop
	// with the unit.
	manager := []string{"--cgroup-manager", "cgroupfs"}
	for i := 0; i < len(create); i++ {
		a := create[i]
		if a == "--" || !strings.HasPrefix(a, "-") {
			// The image and the command: the rest as it is.
			out = append(out, manager...)
			return append(out, create[i:]...), nil
		}
		flag, value, hasValue := strings.Cut(a, "=")
		switch {
		case flag == "--detach" || flag == "-d" || flag == "--rm":
			continue
		// The unit's own name and policy; a --cidfile would exist at the
		// second start; the unit's cgroup is the container's parent.
		case flag == "--name" || flag == "--restart" || flag == "--cgroup-manager" || flag == "--cidfile" || flag == "--cgroup-parent":
			if !hasValue {
				i++
			}
			continue
		case flag == "--cgroups":
			if !hasValue && i+1 < len(create) {
				value = create[i+1]
			}
			if value == "disabled" {
				manager = nil
			}
		case !strings.HasPrefix(a, "--") && len(a) > 2 && !hasValue && strings.Trim(a[1:], "ditP") == "":
			// Short boolean flags together, such as -dit.
			if rest := strings.ReplaceAll(a[1:], "d", ""); rest != "" {
				out = append(out, "-"+rest)
			}
			continue
		}
		out = append(out, a)
		if !hasValue && TakesValue(flag) && i+1 < len(create) {
			i++
			out = append(out, create[i])
		}
	}
	return nil, fmt.Errorf("the container's command line names no image")
}

// afterSubcommand returns what followed `run` or `create` in urun's
// command line (urun [GLOBAL FLAGS] [container] run|create ARGS...).
func afterSubcommand(argv []string) ([]string, error) {
	if len(argv) == 0 {
		return nil, fmt.Errorf("the container keeps no command line it was made with (made by an older urun): generate the unit without --new")
	}
	for i := 1; i < len(argv); i++ {
		switch a := argv[i]; a {
		case "--root", "--runroot", "--config", "--rootfs-driver":
			i++ // its value
		case "run", "create":
			return argv[i+1:], nil
		}
	}
	return nil, fmt.Errorf("%q is no urun run or urun create command line: generate the unit without --new", strings.Join(argv, " "))
}

// TakesValue says whether a flag of urun run takes the next argument as
// its value (--flag VALUE); the boolean ones do not. A test in cmd/urun
// holds it to run's flag set.
func TakesValue(flag string) bool {
	switch flag {
	case "-i", "--interactive", "-t", "--tty", "--init", "-P", "--publish-all", "-q", "--quiet",
		"--privileged", "--read-only", "--tls-verify", "--sig-proxy", "--rm", "-d", "--detach",
		"--help", "--oom-kill-disable", "--no-healthcheck":
		return false
	}
	return true
}

// quoteLine quotes a command line for an Exec*= setting: words with
// spaces or quotes in double quotes, and systemd's specifiers (%) and
// variables ($) doubled so that they stay literal.
func quoteLine(args []string) string {
	words := make([]string, len(args))
	for i, a := range args {
		a = strings.NewReplacer("%", "%%", "$", "$$").Replace(a)
		if a == "" || strings.ContainsAny(a, " \t\n\"'\\;") {
			a = `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`, "\t", `\t`).Replace(a) + `"`
		}
		words[i] = a
	}
	return strings.Join(words, " ")
}

// RestartServiceName is the unit RestartService writes.
const RestartServiceName = "urun-restart.service"

// RestartService returns a user unit that starts, at boot, every
// container whose restart policy is always: what the Docker daemon does
// for them when it starts, for urun, which has no daemon. The containers'
// monitors stay in the unit's cgroup, so stopping the unit ends them.
func RestartService(urun string, globalFlags []string) string {
	start := quoteLine(append(append([]string{urun}, globalFlags...), "start", "--all", "--filter", "restart-policy=always"))
	var b strings.Builder
	fmt.Fprintf(&b, "# %s: starts the urun containers with restart policy always, written by urun generate systemd --restart-service.\n", RestartServiceName)
	b.WriteString("# Install: copy it to ~/.config/systemd/user/, then\n")
	fmt.Fprintf(&b, "#   systemctl --user daemon-reload && systemctl --user enable %s\n", RestartServiceName)
	b.WriteString("# (and loginctl enable-linger to start it at boot without a login).\n\n")
	b.WriteString("[Unit]\nDescription=urun containers with restart policy always\nWants=network-online.target\nAfter=network-online.target\n\n")
	fmt.Fprintf(&b, "[Service]\nType=oneshot\nRemainAfterExit=yes\nExecStart=%s\n", start)
	b.WriteString("\n[Install]\nWantedBy=default.target\n")
	return b.String()
}
