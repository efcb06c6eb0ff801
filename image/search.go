//go:build containers_image_openpgp && exclude_graphdriver_btrfs

package image

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/docker/distribution/registry/api/errcode"
	"go.podman.io/image/v5/docker"
	"go.podman.io/image/v5/pkg/sysregistriesv2"

	"github.com/urun/urun/containers"
	"github.com/urun/urun/image/local"
	"github.com/urun/urun/image/request"
)

// SearchOptions are `urun search`'s request: what Search asks (Access,
// Limit) and how WriteSearch prints (NoTrunc, Format over SearchResult's
// fields); Search takes the registries and term SearchRegistries made of
// its Term.
type SearchOptions = request.Search

// DefaultSearchLimit is Docker's.
const DefaultSearchLimit = 25

// SearchResult is one repository found, with Docker's field names for
// --format.
type SearchResult struct {
	Name        string // as `urun pull` takes it: REGISTRY/REPOSITORY, or Docker Hub's short form
	Description string
	StarCount   int
	IsOfficial  bool
	IsAutomated bool
}

// ErrNoSearch means a registry answers neither search API.
var ErrNoSearch = errors.New("no search API")

// SearchRegistries are where Search looks for term: the registry named in
// it (REGISTRY/TERM), else registries.conf's unqualified-search-registries,
// else Docker Hub, as with Docker. The term is what remains.
func SearchRegistries(arg string, o AccessOptions) (registries []string, term string, err error) {
	if first, rest, ok := strings.Cut(arg, "/"); ok && (strings.ContainsAny(first, ".:") || first == "localhost") {
		return []string{first}, rest, nil
	}
	regs, err := sysregistriesv2.UnqualifiedSearchRegistries(accessSystemContext(o))
	if err != nil {
		return nil, "", fmt.Errorf("read registries.conf: %w", err)
	}
	if len(regs) == 0 {
		regs = []string{local.DefaultRegistry}
	}
	return regs, arg, nil
}

// Search asks each registry for repositories matching term: its v1 search
// API where it has one (Docker Hub, Quay), else its v2 catalog filtered by
// the term (the distribution registry, Harbor). The results of the
// registries that answered come back; an error only when none did.
func Search(ctx context.Context, registries []string, term string, o SearchOptions) ([]SearchResult, error) {
	if o.Limit <= 0 {
		o.Limit = DefaultSearchLimit
	}
	sys := accessSystemContext(o.Access)
	var out []SearchResult
	var errs []error
	for _, reg := range registries {
		regSys := *sys
		trustLoopback(&regSys, reg, o.Access.TLSVerify)
		found, err := docker.SearchRegistry(ctx, &regSys, reg, term, o.Limit)
		if err != nil {
			errs = append(errs, explainSearchError(reg, err))
			continue
		}
		for _, r := range found {
			if !keepSearchResult(o.Filters, r.StarCount, r.IsOfficial, r.IsAutomated) {
				continue
			}
			name := r.Name
			if reg != local.DefaultRegistry {
				name = reg + "/" + name
			}
			out = append(out, SearchResult{
				Name: name, Description: r.Description, StarCount: r.StarCount,
				IsOfficial: r.IsOfficial, IsAutomated: r.IsAutomated,
			})
		}
	}
	if len(errs) == len(registries) {
		return nil, errors.Join(errs...)
	}
	return out, nil
}

// keepSearchResult applies --filter as Docker's: the registry's limit
// applies first, so fewer results than --limit may be left.
func keepSearchResult(f request.SearchFilters, stars int, official, automated bool) bool {
	return stars >= f.MinStars &&
		(f.Official == nil || *f.Official == official) &&
		(f.Automated == nil || *f.Automated == automated)
}

// explainSearchError says why reg could not be searched. The image
// library falls back to the catalog when the v1 API fails, so its error is
// the catalog's: a 404 there means neither API exists.
func explainSearchError(reg string, err error) error {
	if noSearchAPI(err) {
		return fmt.Errorf("search %s: %w: the registry has neither the v1 search API nor the v2 catalog (/v2/_catalog); browse it with its own web interface, or pull by exact name (%v)", reg, ErrNoSearch, err)
	}
	return explainRegistryError("search "+reg, reg, err)
}

// noSearchAPI reports whether err is a registry's "no such endpoint":
// UNSUPPORTED, or a 404, 405 or 501 without a registry error (which the
// image library reports only as "StatusCode: N, BODY").
func noSearchAPI(err error) bool {
	var coder errcode.ErrorCoder
	if errors.As(err, &coder) && coder.ErrorCode() == errcode.ErrorCodeUnsupported {
		return true
	}
	msg := err.Error()
	for _, code := range []string{"404", "405", "501"} {
		if strings.Contains(msg, "StatusCode: "+code+",") {
			return true
		}
	}
	return false
}

// searchHeader is the table's header row, Docker's columns.
var searchHeader = map[string]string{
	"Name": "NAME", "Description": "DESCRIPTION", "StarCount": "STARS", "IsOfficial": "OFFICIAL", "IsAutomated": "AUTOMATED",
}

const defaultSearchFormat = "table {{.Name}}\t{{.Description}}\t{{.StarCount}}\t{{.IsOfficial}}"

// WriteSearch prints results as `docker search` does.
func WriteSearch(w io.Writer, results []SearchResult, o SearchOptions) error {
	if o.Format == "json" {
		enc := json.NewEncoder(w)
		enc.SetEscapeHTML(false)
		for _, r := range results {
			if err := enc.Encode(r); err != nil {
				return err
			}
		}
		return nil
	}
	format := o.Format
	if format == "" || format == "table" {
		format = defaultSearchFormat
	}
	f, err := containers.ParseFormat(format)
	if err != nil {
		return err
	}
	rows := make([]any, 0, len(results))
	for _, r := range results {
		rows = append(rows, searchRow{r: r, noTrunc: o.NoTrunc})
	}
	return f.Execute(w, searchHeader, rows)
}

// searchRow is a result as the table shows it: the description cut to
// 45 characters, OFFICIAL as [OK], as Docker prints them.
type searchRow struct {
	r       SearchResult
	noTrunc bool
}

func (s searchRow) Name() string { return s.r.Name }
func (s searchRow) Description() string {
	d := strings.Join(strings.Fields(s.r.Description), " ")
	if r := []rune(d); !s.noTrunc && len(r) > 45 {
		return string(r[:44]) + "…"
	}
	return d
}
func (s searchRow) StarCount() string { return strconv.Itoa(s.r.StarCount) }
func (s searchRow) IsOfficial() string {
	if s.r.IsOfficial {
		return "[OK]"
	}
	return ""
}
func (s searchRow) IsAutomated() string {
	if s.r.IsAutomated {
		return "[OK]"
	}
	return ""
}
