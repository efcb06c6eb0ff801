package netdef

import (
	"fmt"
	"strconv"
)

func parseDangling(v string) (bool, error) {
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, fmt.Errorf("invalid filter 'dangling=%s': want true or false", v)
	}
	return b, nil
}

// WantsDangling reports whether a dangling filter was given: the caller
// then lists the containers' endpoints for KeepDangling.
func (f Filters) WantsDangling() bool { return len(f["dangling"]) > 0 }

// KeepDangling applies the dangling filter, as Docker's: true keeps the
// networks you made that no container is on, false the others (the
// built-in ones among them).
func (f Filters) KeepDangling(list []Network, endpoints []Endpoint) []Network {
	var kept []Network
	for _, n := range list {
		dangling := !n.Builtin() && len(n.Endpoints(endpoints)) == 0
		for _, v := range f["dangling"] {
			if want, _ := parseDangling(v); want == dangling {
				kept = append(kept, n)
				break
			}
		}
	}
	return kept
}
