package inside

import (
	"strings"
	"testing"
)

// Whatever an image's passwd and group files and --user say, resolving
// the user never panics, and a numeric uid is used as given.
func FuzzResolveUser(f *testing.F) {
	f.Add("app", "root:x:0:0::/root:/bin/sh\napp:x:1000:1000::/home/app:/bin/sh\n", "app:x:1000:\nextra:x:1001:app\n")
	f.Add("1000:1001", "", "")
	f.Add("app:extra", "app:x:1000:1000::/home/app:/bin/sh", "extra:x:1001:app")
	f.Add("::", "a:b:c", "::::")
	f.Fuzz(func(t *testing.T, spec, passwd, group string) {
		u, err := ResolveUser(spec, strings.NewReader(passwd), strings.NewReader(group))
		if err != nil {
			return
		}
		if u.Home == "" {
			t.Fatalf("%q: resolved with no home directory", spec)
		}
	})
}
