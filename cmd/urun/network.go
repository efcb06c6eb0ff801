package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/urun/urun/containers"
	"github.com/urun/urun/exitcode"
	"github.com/urun/urun/image/imagedoc"
	"github.com/urun/urun/launch"
	"github.com/urun/urun/netdef"
)

// Docker's CLI exits 1 when a network command's request fails (rm of a
// network in use, inspect of an unknown one); create's bad values exit
// 125, as urun's other bad values do.
const networkFailed = 1

func newNetworkCommand(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "network COMMAND",
		Short: "Manage networks",
		Long: `Manage networks that containers join with 'urun run --network NAME': a bridge
of their own, where they reach each other by IP and (on networks you
create) by name. The network named bridge always exists (Docker's
docker0). Definitions are kept under the storage root and survive reboots;
nothing runs for a network while no container is on it.`,
		Args: cobra.NoArgs,
	}
	ls := newNetworkLsCommand(g)
	ls.Aliases = []string{"list"}
	rm := newNetworkRmCommand(g)
	rm.Aliases = []string{"remove"}
	cmd.AddCommand(newNetworkCreateCommand(g), ls, newNetworkInspectCommand(g), rm, newNetworkPruneCommand(g),
		newNetworkConnectCommand(g), newNetworkDisconnectCommand(g))
	return cmd
}

func newNetworkConnectCommand(g *globals) *cobra.Command {
	var o launch.ConnectOptions
	cmd := &cobra.Command{
		Use:   "connect [OPTIONS] NETWORK CONTAINER",
		Short: "Connect a container to a network",
		Long: `Connect a container to one more network: a running one at once (a new
interface, and names on that network), a stopped one at its next start.
The container must be on urun's networks already (run with --network
bridge or a network's name).`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := g.load()
			if err != nil {
				return err
			}
			o.Network, o.Container = args[0], args[1]
			if err := launch.Connect(cfg, o); err != nil {
				return exitcode.New(networkFailed, err)
			}
			return nil
		},
	}
	cmd.Flags().StringArrayVar(&o.Aliases, "alias", nil, "another name of the container on this network")
	cmd.Flags().StringVar(&o.IP, "ip", "", "the container's IPv4 address on this network")
	return cmd
}

func newNetworkDisconnectCommand(g *globals) *cobra.Command {
	var o launch.DisconnectOptions
	cmd := &cobra.Command{
		Use:   "disconnect [OPTIONS] NETWORK CONTAINER",
		Short: "Disconnect a container from a network",
		Long: `Disconnect a container from a network: a running one at once (its interface
on that network goes), a stopped one for its next start.`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := g.load()
			if err != nil {
				return err
			}
			o.Network, o.Container = args[0], args[1]
			if err := launch.Disconnect(cfg, o); err != nil {
				return exitcode.New(networkFailed, err)
			}
			return nil
		},
	}
	cmd.Flags().BoolVarP(&o.Force, "force", "f", false, "disconnect even from a network that no longer exists")
	return cmd
}

func newNetworkCreateCommand(g *globals) *cobra.Command {
	var o netdef.CreateOptions
	var labels, opts []string
	cmd := &cobra.Command{
		Use:   "create [OPTIONS] NETWORK",
		Short: "Create a network",
		Long: `Create a network and print its id. Without --subnet it gets the first free
/16 of 172.18.0.0-172.31.0.0, then a /24 of 192.168.0.0/16 (Docker's
pools), past the other networks, the host's routes and slirp4netns's
10.0.2.0/24; the gateway is the subnet's first address.

--gateway and --ip-range (where containers' addresses are handed out) go
with the --subnet that holds them. --ipv6 adds an IPv6 subnet: the one
given with --subnet, else a unique local /64 (fdXX:...). --internal keeps
the network's containers from reaching outside it. -o mtu=N (or
com.docker.network.driver.mtu=N) sets the links' MTU (default 1500).`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.Name = args[0]
			var err error
			if o.Labels, err = netdef.ParseKeyValues("--label", labels, true); err != nil {
				return err
			}
			if o.Options, err = netdef.ParseKeyValues("-o", opts, false); err != nil {
				return err
			}
			cfg, err := g.load()
			if err != nil {
				return err
			}
			n, err := netdef.Create(cfg, o)
			if err != nil {
				return err
			}
			fmt.Println(n.ID)
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&o.Driver, "driver", "d", "bridge", "network driver (only bridge)")
	fl.StringArrayVar(&o.Subnets, "subnet", nil, "subnet in CIDR notation: one IPv4 and, with --ipv6, one IPv6")
	fl.StringArrayVar(&o.Gateways, "gateway", nil, "gateway of the subnet that holds it (default: its first address)")
	fl.StringArrayVar(&o.IPRanges, "ip-range", nil, "hand out containers' addresses from this part of a subnet (CIDR)")
	fl.BoolVar(&o.Internal, "internal", false, "no traffic to or from outside the network")
	fl.BoolVar(&o.IPv6, "ipv6", false, "give the network an IPv6 subnet too")
	fl.StringArrayVar(&labels, "label", nil, "set a label: KEY=VALUE")
	fl.StringArrayVarP(&opts, "opt", "o", nil, "driver option: mtu=N")
	return cmd
}

func newNetworkLsCommand(g *globals) *cobra.Command {
	var quiet, noTrunc bool
	var format string
	var filterArgs []string
	cmd := &cobra.Command{
		Use:   "ls [OPTIONS]",
		Short: "List networks",
		Long: `List networks by name, the default network bridge among them.

--filter KEY=VALUE (repeatable; values of one key are alternatives, all keys
must match): driver=bridge, id=PREFIX, label=KEY[=VALUE], name=NAME (a
regular expression found in the name), scope=local, type=custom|builtin,
dangling=true|false (networks you made that no container is on, or not).

--format takes table (the default), json (one object a line), or a Go
template of the fields .ID .Name .Driver .Scope .IPv6 .Internal .Labels
.CreatedAt and (.Label "KEY"), with Docker's "table" prefix for a header: --format
'table {{.Name}}\t{{.Driver}}'.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			filters, err := netdef.ParseFilters(filterArgs)
			if err != nil {
				return err
			}
			switch {
			case quiet:
				format = "{{.ID}}"
			case format == "" || format == "table":
				format = netdef.DefaultTable
			case format == "json":
				format = "{{json .}}" // Docker's: one object a line
			}
			f, err := containers.ParseFormat(format)
			if err != nil {
				return err
			}
			cfg, err := g.load()
			if err != nil {
				return err
			}
			list, err := netdef.List(cfg)
			if err != nil {
				return err
			}
			list = filters.Keep(list)
			if filters.WantsDangling() {
				endpoints, err := networkEndpoints(cfg)
				if err != nil {
					return fmt.Errorf("list the containers on the networks: %w", err)
				}
				list = filters.KeepDangling(list, endpoints)
			}
			rows := []any{}
			for _, n := range list {
				rows = append(rows, netdef.Row{N: n, NoTrunc: noTrunc})
			}
			return f.Execute(os.Stdout, netdef.Header, rows)
		},
	}
	fl := cmd.Flags()
	fl.BoolVarP(&quiet, "quiet", "q", false, "show only network ids")
	fl.BoolVar(&noTrunc, "no-trunc", false, "do not truncate ids")
	fl.StringArrayVarP(&filterArgs, "filter", "f", nil, "show only networks that match: KEY=VALUE (see above)")
	fl.StringVar(&format, "format", "", "output format: table, json, or a Go template")
	return cmd
}

func newNetworkInspectCommand(g *globals) *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "inspect [OPTIONS] NETWORK...",
		Short: "Show networks' configuration as JSON",
		Long: `Show networks, named by name, id or unique id prefix, as a JSON array shaped
as 'docker network inspect' shows it (Containers lists the running
containers on each), or with -f a Go template applied to each:
-f '{{range .IPAM.Config}}{{.Subnet}}{{end}}'.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var f *containers.Format
			if format != "" {
				var err error
				if f, err = containers.ParseFormat(format); err != nil {
					return err
				}
			}
			cfg, err := g.load()
			if err != nil {
				return err
			}
			list, err := netdef.List(cfg)
			if err != nil {
				return err
			}
			endpoints, err := networkEndpoints(cfg)
			if err != nil {
				return err
			}
			docs := []any{}
			var errs []error
			for _, ref := range args {
				n, err := netdef.Find(list, ref)
				if err != nil {
					errs = append(errs, exitcode.New(networkFailed, err))
					continue
				}
				docs = append(docs, n.Inspect(endpoints))
			}
			if f == nil {
				if err := imagedoc.WriteJSON(os.Stdout, docs); err != nil {
					return err
				}
				return combineErrors(len(args), errs)
			}
			for _, d := range docs {
				out, err := imagedoc.Render(f, d)
				if err != nil {
					return err
				}
				os.Stdout.Write(append(out, '\n'))
			}
			return combineErrors(len(args), errs)
		},
	}
	cmd.Flags().StringVarP(&format, "format", "f", "", "format each network with a Go template")
	return cmd
}

func newNetworkRmCommand(g *globals) *cobra.Command {
	var force bool
	cmd := &cobra.Command{
		Use:   "rm [OPTIONS] NETWORK...",
		Short: "Remove networks",
		Long: `Remove networks, named by name, id or unique id prefix, and print each as
given. A network that running containers are on is refused, naming them:
stop them or 'urun network disconnect' them first. The network bridge
cannot be removed.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := g.load()
			if err != nil {
				return err
			}
			endpoints := func() ([]netdef.Endpoint, error) { return networkEndpoints(cfg) }
			var errs []error
			for _, ref := range args {
				err := netdef.RemoveUnused(cfg, ref, endpoints)
				switch {
				case err == nil:
					fmt.Println(ref)
				case force && errors.Is(err, netdef.ErrNotFound):
				default:
					errs = append(errs, exitcode.New(networkFailed, err))
				}
			}
			return combineErrors(len(args), errs)
		},
	}
	cmd.Flags().BoolVarP(&force, "force", "f", false, "do not fail when a network does not exist")
	return cmd
}

func newNetworkPruneCommand(g *globals) *cobra.Command {
	var p pruneFlags
	cmd := &cobra.Command{
		Use:   "prune [OPTIONS]",
		Short: "Remove all networks no container is on",
		Long: `Remove every network you created that no running container is on, and print
their names. On a terminal it asks first, unless -f.

--filter (repeatable): label=KEY[=VALUE] and label!=KEY[=VALUE] (networks
with, or without, that label), until=TIME (networks created before TIME: a
duration such as 24h, a Unix time, or 2006-01-02T15:04:05).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			filters, err := p.parse()
			if err != nil {
				return err
			}
			cfg, err := g.load()
			if err != nil {
				return err
			}
			if !p.confirmed("WARNING! This will remove all custom networks not used by at least one container.\nAre you sure you want to continue? [y/N] ") {
				return nil
			}
			removed, err := netdef.PruneUnused(cfg, filters, func() ([]netdef.Endpoint, error) { return networkEndpoints(cfg) })
			if len(removed) > 0 {
				fmt.Println("Deleted Networks:")
				for _, name := range removed {
					fmt.Println(name)
				}
			}
			return err
		},
	}
	p.add(cmd, "networks")
	return cmd
}
