package main

import (
	"github.com/spf13/cobra"

	"github.com/urun/urun/image/helper"
	"github.com/urun/urun/image/request"
)

func newSearchCommand(g *globals) *cobra.Command {
	var r request.Search
	var tlsVerify bool
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
			r.Term, r.Access.TLSVerify = args[0], tlsVerifyFlag(cmd, tlsVerify)
			return helper.Run(request.Request{Store: g.store(), Search: &r})
		},
	}
	f := cmd.Flags()
	f.IntVar(&r.Limit, "limit", 25, "at most this many results per registry")
	f.BoolVar(&r.NoTrunc, "no-trunc", false, "do not truncate descriptions")
	f.StringVar(&r.Format, "format", "", "table, json or a Go template")
	f.BoolVar(&tlsVerify, "tls-verify", true, "require HTTPS and verify certificates")
	f.StringVar(&r.Access.AuthFile, "authfile", "", "credentials `FILE` (default $REGISTRY_AUTH_FILE, else urun login's auth.json)")
	return cmd
}
