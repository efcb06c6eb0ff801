#!/usr/bin/env bash
# hack/fuzz.sh: runs every fuzz test (func FuzzX in any package) for
# FUZZTIME each (default 5s), one at a time, as `go test -fuzz` requires.
# The seed corpora and any failing inputs kept in testdata/fuzz also run
# with the ordinary unit tests. Exits 1 if any target finds a failure; the
# failing input is written to that package's testdata/fuzz/ for `go test`.
set -euo pipefail
cd "$(dirname "$0")/.."
GO=${GO:-$(command -v go || echo /usr/local/go/bin/go)}
TAGS=${TAGS:-containers_image_openpgp,containers_image_docker_daemon_stub,exclude_graphdriver_btrfs,exclude_graphdriver_zfs,osusergo}
FUZZTIME=${FUZZTIME:-5s}

# fuzz_once PKG TARGET: one fuzzing run, its output in /tmp/urun-fuzz.$$.
fuzz_once() {
	"$GO" test -tags "$TAGS" -run '^$' -fuzz "^$2\$" -fuzztime "$FUZZTIME" "$1" >/tmp/urun-fuzz.$$ 2>&1
}

rc=0
for pkg in $("$GO" list -tags "$TAGS" ./... | grep -v '/test$'); do
	dir=$("$GO" list -tags "$TAGS" -f '{{.Dir}}' "$pkg")
	for target in $(grep -ho '^func Fuzz[A-Za-z0-9_]*' "$dir"/*_test.go 2>/dev/null | cut -d' ' -f2); do
		echo "fuzz $pkg $target for $FUZZTIME"
		if fuzz_once "$pkg" "$target"; then
			continue
		fi
		# Go's fuzzing coordinator sometimes loses a worker on a loaded
		# machine and fails with "context deadline exceeded" without a
		# failing input: that is no finding, so the target runs again once.
		if grep -q 'context deadline exceeded' /tmp/urun-fuzz.$$ && ! grep -q 'Failing input written' /tmp/urun-fuzz.$$; then
			echo "fuzz $pkg $target: the fuzzing engine timed out without a finding; running it again"
			if fuzz_once "$pkg" "$target"; then
				continue
			fi
		fi
		cat /tmp/urun-fuzz.$$
		rc=1
	done
done
rm -f /tmp/urun-fuzz.$$
exit "$rc"
