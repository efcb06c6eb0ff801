package main

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// What a command's argument names, for the shells' completion.
type argKind int

const (
	noArg argKind = iota
	containerArg
	imageArg
	networkArg
	volumeArg
	// objectArg is inspect's: a container or an image.
	objectArg
	// networkMode is --network's value: a network or a mode.
	networkMode
)

// argKinds are what each command's arguments name, by position, by
// commandKey; the last one repeats (nothing after it when it is noArg).
var argKinds = map[string][]argKind{
	"attach":  {containerArg, noArg},
	"commit":  {containerArg, noArg},
	"cp":      {containerArg, containerArg, noArg},
	"diff":    {containerArg, noArg},
	"exec":    {containerArg, noArg},
	"export":  {containerArg, noArg},
	"inspect": {objectArg},
	"kill":    {containerArg},
	"logs":    {containerArg, noArg},
	"pause":   {containerArg},
	"unpause": {containerArg},
	"port":    {containerArg, noArg},
	"rename":  {containerArg, noArg},
	"restart": {containerArg},
	"rm":      {containerArg},
	"start":   {containerArg},
	"stats":   {containerArg},
	"stop":    {containerArg},
	"top":     {containerArg, noArg},
	"wait":    {containerArg},
	"run":     {imageArg, noArg},
	"create":  {imageArg, noArg},

	"history":       {imageArg, noArg},
	"push":          {imageArg, noArg},
	"rmi":           {imageArg},
	"save":          {imageArg},
	"tag":           {imageArg, noArg},
	"image history": {imageArg, noArg},
	"image inspect": {imageArg},
	"image push":    {imageArg, noArg},
	"image rm":      {imageArg},
	"image save":    {imageArg},
	"image tag":     {imageArg, noArg},

	"network connect":    {networkArg, containerArg, noArg},
	"network disconnect": {networkArg, containerArg, noArg},
	"network inspect":    {networkArg},
	"network rm":         {networkArg},

	"volume inspect": {volumeArg},
	"volume rm":      {volumeArg},

	"generate systemd": {containerArg, noArg},
}

// commandKey names command c by its path below urun, with "container "
// dropped: `urun container rm` is `urun rm`, `urun network rm` stays.
func commandKey(c *cobra.Command) string {
	if c == nil || !c.HasParent() {
		return ""
	}
	path := strings.TrimPrefix(c.CommandPath(), c.Root().Name()+" ")
	return strings.TrimPrefix(path, "container ")
}

// flagKinds are flags whose values name objects, on every command that
// has them.
var flagKinds = map[string]argKind{
	"network": networkMode,
	"net":     networkMode,
	"volume":  volumeArg,
}

// setUpCompletion gives each command in the tree the completion of its
// arguments and of flags that name objects: one table here rather than a
// line in every command's file.
func setUpCompletion(root *cobra.Command, g *globals) {
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		if kinds, ok := argKinds[commandKey(c)]; ok && c.ValidArgsFunction == nil {
			c.ValidArgsFunction = completeArgs(g, kinds)
		}
		c.LocalFlags().VisitAll(func(f *pflag.Flag) {
			kind, ok := flagKinds[f.Name]
			if !ok {
				return
			}
			if _, has := c.GetFlagCompletionFunc(f.Name); has {
				return
			}
			_ = c.RegisterFlagCompletionFunc(f.Name, func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
				if kind == volumeArg {
					// -v takes host paths too: offer volumes, then files.
					return listNames(g, kind), cobra.ShellCompDirectiveDefault
				}
				return listNames(g, kind), cobra.ShellCompDirectiveNoFileComp
			})
		})
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
}

func completeArgs(g *globals, kinds []argKind) cobra.CompletionFunc {
	return func(c *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		kind := kinds[len(kinds)-1]
		if len(args) < len(kinds) {
			kind = kinds[len(args)]
		}
		if kind == noArg {
			// A command and its arguments (run, exec) or a path (cp): the
			// shell's own completion.
			return nil, cobra.ShellCompDirectiveDefault
		}
		names := listNames(g, kind)
		if c.Name() == "cp" {
			// cp's container argument is CONTAINER:PATH.
			for i := range names {
				names[i] += ":"
			}
			return names, cobra.ShellCompDirectiveNoSpace | cobra.ShellCompDirectiveDefault
		}
		return names, cobra.ShellCompDirectiveNoFileComp
	}
}

// listNames asks urun's own listing commands (the same binary, the same
// global flags) for the names of one kind of object: they know how to
// read each store, and a store that cannot be read completes nothing.
func listNames(g *globals, kind argKind) []string {
	var lists [][]string
	switch kind {
	case containerArg:
		lists = [][]string{{"ps", "-a", "--format", "{{.Names}}"}}
	case imageArg:
		lists = [][]string{{"images", "--format", "{{.Repository}}:{{.Tag}}"}}
	case objectArg:
		lists = [][]string{{"ps", "-a", "--format", "{{.Names}}"}, {"images", "--format", "{{.Repository}}:{{.Tag}}"}}
	case networkArg, networkMode:
		lists = [][]string{{"network", "ls", "--format", "{{.Name}}"}}
	case volumeArg:
		lists = [][]string{{"volume", "ls", "--format", "{{.Name}}"}}
	}
	self, err := os.Executable()
	if err != nil {
		return nil
	}
	var names []string
	for _, list := range lists {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		out, err := exec.CommandContext(ctx, self, append(g.flagArgs(), list...)...).Output()
		cancel()
		if err != nil {
			continue
		}
		for _, name := range strings.Fields(string(out)) {
			// An image without a name has none to complete.
			if name != "<none>:<none>" && !strings.HasSuffix(name, ":<none>") {
				names = append(names, name)
			}
		}
	}
	if kind == networkMode {
		// bridge is listed already.
		names = append(names, "host", "none", "slirp4netns", "pasta")
	}
	return names
}
