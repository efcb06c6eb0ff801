package main

import (
	"strconv"

	"github.com/spf13/cobra"

	"github.com/urun/urun/image/helper"
)

func newSearchCommand(g *globals) *cobra.Command {
	var limit int
	var noTrunc, tlsVerify bool
	var format, authFile string
	cmd := &cobra.Command{
		Use:   "search [OPTIONS] [REGISTRY/]TERM",
		Short: "Search a registry for images",
		Long: `Search for repositories whose name contains TERM, in REGISTRY or else in
registries.conf's unqualified-search-registries (Docker Hub when it lists
none). A registry without the v1 search API is searched through its v2
catalog; one with neither is reported. REGISTRY/ alone lists the catalog.
--format takes table, json or a Go template over .Name, .Description,
.StarCount, .IsOfficial and .IsAutomated.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			a := []string{"search", "--limit=" + strconv.Itoa(limit)}
			if noTrunc {
				a = append(a, "--no-trunc")
			}
			if cmd.Flags().Changed("tls-verify") {
				a = append(a, "--tls-verify="+strconv.FormatBool(tlsVerify))
			}
			if format != "" {
				a = append(a, "--format="+format)
			}
			if authFile != "" {
				a = append(a, "--authfile="+authFile)
			}
			return helper.Run(g.helperOptions(), append(a, "--", args[0])...)
		},
	}
	f := cmd.Flags()
	f.IntVar(&limit, "limit", 25, "at most this many results per registry")
	f.BoolVar(&noTrunc, "no-trunc", false, "do not truncate descriptions")
	f.StringVar(&format, "format", "", "table, json or a Go template")
	f.BoolVar(&tlsVerify, "tls-verify", true, "require HTTPS and verify certificates")
	f.StringVar(&authFile, "authfile", "", "credentials `FILE` (default $REGISTRY_AUTH_FILE, else urun login's auth.json)")
	return cmd
}
