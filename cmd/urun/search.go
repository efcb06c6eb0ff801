package main

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/urun/urun/image/helper"
	"github.com/urun/urun/image/request"
)

func newSearchCommand(g *globals) *cobra.Command {
	var r request.Search
	var tlsVerify bool
	var filterArgs []string
	cmd := &cobra.Command{
		Use:   "search [OPTIONS] [REGISTRY/]TERM",
		Short: "Search a registry for images",
		Long: `Search for repositories whose name contains TERM, in REGISTRY or else in
registries.conf's unqualified-search-registries (Docker Hub when it lists
none). A registry without the v1 search API is searched through its v2
catalog; one with neither is reported. REGISTRY/ alone lists the catalog.
--format takes table, json or a Go template over .Name, .Description,
.StarCount, .IsOfficial and .IsAutomated.

--filter (repeatable): stars=N (at least N stars: a registry searched
through its catalog has no stars, so N above 0 leaves nothing),
is-official=true|false, is-automated=true|false.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			filters, err := parseSearchFilters(filterArgs)
			if err != nil {
				return err
			}
			r.Filters = filters
			r.Term, r.Access.TLSVerify = args[0], tlsVerifyFlag(cmd, tlsVerify)
			return helper.Run(request.Request{Store: g.store(), Search: &r})
		},
	}
	f := cmd.Flags()
	f.IntVar(&r.Limit, "limit", 25, "at most this many results per registry")
	f.BoolVar(&r.NoTrunc, "no-trunc", false, "do not truncate descriptions")
	f.StringVar(&r.Format, "format", "", "table, json or a Go template")
	f.StringArrayVarP(&filterArgs, "filter", "f", nil, "keep only the results that match: stars=N, is-official=true|false, is-automated=true|false")
	f.BoolVar(&tlsVerify, "tls-verify", true, "require HTTPS and verify certificates")
	f.StringVar(&r.Access.AuthFile, "authfile", "", "credentials `FILE` (default $REGISTRY_AUTH_FILE, else urun login's auth.json)")
	return cmd
}

// parseSearchFilters reads --filter values as Docker's search does.
func parseSearchFilters(args []string) (request.SearchFilters, error) {
	var f request.SearchFilters
	for _, a := range args {
		k, v, ok := strings.Cut(a, "=")
		if !ok {
			return f, fmt.Errorf("invalid filter %q: want stars=N, is-official=true|false or is-automated=true|false", a)
		}
		switch k {
		case "stars":
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 {
				return f, fmt.Errorf("invalid filter %q: stars takes a number of stars (0 or more)", a)
			}
			f.MinStars = n
		case "is-official", "is-automated":
			b, err := strconv.ParseBool(v)
			if err != nil {
				return f, fmt.Errorf("invalid filter %q: %s takes true or false", a, k)
			}
			if k == "is-official" {
				f.Official = &b
			} else {
				f.Automated = &b
			}
		default:
			return f, fmt.Errorf("invalid filter %q: search takes stars, is-official and is-automated", a)
		}
	}
	return f, nil
}
