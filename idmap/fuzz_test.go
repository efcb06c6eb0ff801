package idmap

import (
	"math"
	"strings"
	"testing"
)

// Whatever /etc/subuid holds, the ranges returned are non-empty and do not
// wrap around the 32-bit id space.
func FuzzParseSubIDs(f *testing.F) {
	for _, s := range []string{"alice:100000:65536\n", "1000:100000:65536\n# c\n\nbob:1:2", "alice:4294967295:2", "alice:-1:5", "alice:1", "alice:0:0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, content string) {
		ranges, err := ParseSubIDs(strings.NewReader(content), "alice", 1000)
		if err != nil {
			return
		}
		for _, r := range ranges {
			if r.Count == 0 || uint64(r.Start)+uint64(r.Count) > math.MaxUint32+1 {
				t.Fatalf("accepted the range %+v from %q", r, content)
			}
		}
	})
}
