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

rc=0
for pkg in $("$GO" list -tags "$TAGS" ./... | grep -v '/test$'); do
	dir=$("$GO" list -tags "$TAGS" -f '{{.Dir}}' "$pkg")
	for target in $(grep -ho '^func Fuzz[A-Za-z0-9_]*' "$dir"/*_test.go 2>/dev/null | cut -d' ' -f2); do
		echo "fuzz $pkg $target for $FUZZTIME"
		if ! "$GO" test -tags "$TAGS" -run '^$' -fuzz "^$target\$" -fuzztime "$FUZZTIME" "$pkg" >/tmp/urun-fuzz.$$ 2>&1; then
			cat /tmp/urun-fuzz.$$
			rc=1
		fi
	done
done
rm -f /tmp/urun-fuzz.$$
exit "$rc"
