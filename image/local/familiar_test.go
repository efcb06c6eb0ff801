package local

import "testing"

func TestImagesShowFamiliarNames(t *testing.T) {
	for _, tc := range []struct{ stored, shown string }{
		{"docker.io/library/alpine", "alpine"},
		{"docker.io/library/alpine:latest", "alpine:latest"},
		{"docker.io/library/alpine@sha256:" + sixtyFourZeros, "alpine@sha256:" + sixtyFourZeros},
		{"docker.io/user/app:v1", "user/app:v1"},
		{"docker.io/library/team/app", "library/team/app"},
		{"localhost:5000/foo:v1", "localhost:5000/foo:v1"},
		{"127.0.0.1:5000/library/busybox", "127.0.0.1:5000/library/busybox"},
		{"quay.io/x/y", "quay.io/x/y"},
		{"<none>", "<none>"},
	} {
		if got := Familiar(tc.stored); got != tc.shown {
			t.Errorf("Familiar(%q) = %q, want %q", tc.stored, got, tc.shown)
		}
	}
}

const sixtyFourZeros = "0000000000000000000000000000000000000000000000000000000000000000"
