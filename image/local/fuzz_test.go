package local

import (
	"strings"
	"testing"
)

// A reference Normalize accepts is fully qualified: a registry host, a
// repository, and a tag or a digest.
func FuzzNormalize(f *testing.F) {
	for _, s := range []string{"busybox", "library/busybox:1.36", "127.0.0.1:5000/a/b@sha256:" + strings.Repeat("a", 64), "UPPER", "a:b:c", "", "::", "localhost/x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, ref string) {
		name, err := Normalize(ref)
		if err != nil {
			return
		}
		host, rest, ok := strings.Cut(name, "/")
		if !ok || host == "" || rest == "" {
			t.Fatalf("%q: normalized to %q, which names no registry and repository", ref, name)
		}
		if !strings.Contains(rest, ":") && !strings.Contains(rest, "@") {
			t.Fatalf("%q: normalized to %q, with no tag or digest", ref, name)
		}
		again, err := Normalize(name)
		if err != nil || again != name {
			t.Fatalf("%q: normalizing %q again gave %q, %v", ref, name, again, err)
		}
	})
}
