#!/usr/bin/env bash
# hack/bench/run.sh (`make bench`): how long `urun run --rm IMAGE true`
# takes, side by side with bubblewrap on the same root file system (the
# floor: namespaces and mounts, no image store) and rootless podman on the
# same image, in one hyperfine run, with where urun's milliseconds go;
# `urun exec` next to `podman exec`; the resident memory of a detached
# container's monitor; 1 GiB of stdout through urun's relay; the network's
# throughput (iperf3); `urun pull` next to `podman pull`; and `urun logs
# --tail` of a big log; `urun build` and `urun commit` next to podman's.
# Each is a section: hack/bench/NAME.sh. The knobs,
# the targets and how to add a section: hack/bench/lib.sh.
#
# As root (a fresh Debian 12 is fine): sets the host up with
# hack/setup-host.sh bench (what `make test` sets up, plus hyperfine,
# podman, runc, jq and iperf3), builds, then measures as the unprivileged user
# uruntest with a clean environment. As an ordinary user: changes nothing,
# checks the set-up, and measures as that user.
#
# Everything measured runs in a throw-away world owned by the bench user: a
# registry on 127.0.0.1 holding the integration suite's busybox fixture
# (started by test/testbed/cmd/urun-testbed, which also unpacks that image
# for bwrap, and, for the sections that use them, pushes test/iperf3:latest,
# that image plus the host's iperf3 and its libraries, and test/big:latest),
# and temporary XDG_DATA_HOME, XDG_CONFIG_HOME and XDG_RUNTIME_DIR. All of
# it is stopped and removed on exit. The throughput servers listen on
# 127.0.0.1 only.
#
# It is a report, not a test: it exits 0 when it measured, whatever the
# numbers say, and non-zero only when it could not measure the start-up of
# urun --network none and bwrap. A variant that fails (podman without pasta
# support, say) is reported as FAILED with its error, and the rest is
# measured.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=hack/bench/lib.sh
. "$here/lib.sh"
for section in $(section_names); do
	# shellcheck source=/dev/null
	. "$here/$section.sh"
done

# ---------------------------------------------------------------------------
# Stage 1, as whoever ran `make bench`: set-up, build, hand over.

prepare_and_run() {
	local started=$SECONDS
	check_only
	cd "$here/../.."
	if [ -x /usr/local/go/bin/go ]; then
		export PATH=/usr/local/go/bin:$PATH
	fi

	bash hack/setup-host.sh bench

	log "build"
	make build
	work=$(mktemp -d /tmp/urun-bench.XXXXXX)
	trap 'rm -rf --one-file-system "$work"' EXIT
	mkdir "$work/bin" "$work/out"
	go build -trimpath -o "$work/bin/urun-testbed" ./test/testbed/cmd/urun-testbed
	install -m 0755 bin/urun bin/urun-image bin/urun-init bin/urun-netholder "$work/bin/"
	# A copy of these scripts for stage 2: the bench user may not be able
	# to read the checkout (a root-only home directory, say).
	cp -R hack/bench "$work/bench"
	chmod -R a+rX "$work"

	local user
	user=$(id -un)
	if [ "$(id -u)" = 0 ]; then
		user=$BENCH_USER
		chown "$user" "$work/out"
	fi
	local home
	home=$(getent passwd "$user" | cut -d: -f6)
	# The same clean environment hack/test.sh gives the suite, plus the
	# knobs; no stdin.
	local envs=(env -i "HOME=$home" "USER=$user" "LOGNAME=$user" "PATH=$work/bin:$CLEAN_PATH") knob
	for knob in $(compgen -e | grep '^BENCH_' || true); do
		envs+=("$knob=${!knob}")
	done
	local rc=0
	if [ "$(id -u)" = 0 ]; then
		(cd "$work" && runuser -u "$user" -- "${envs[@]}" bash "$work/bench/run.sh" --measure "$work" </dev/null) || rc=$?
	else
		(cd "$work" && "${envs[@]}" bash "$work/bench/run.sh" --measure "$work" </dev/null) || rc=$?
	fi
	if [ -n "${BENCH_JSON:-}" ] && [ -s "$work/out/hyperfine.json" ]; then
		cp "$work/out/hyperfine.json" "$BENCH_JSON"
		echo "hyperfine's JSON export: $BENCH_JSON"
	fi
	log "make bench took $((SECONDS - started)) s in all (set-up and build included)"
	return "$rc"
}

# ---------------------------------------------------------------------------
# Stage 2, as the bench user: the sections, in SECTIONS' order.

measure() {
	work=$1
	bin=$work/bin
	local started=$SECONDS
	tmp=$(mktemp -d "/tmp/urun-bench-$(id -un).XXXXXX")
	trap cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM

	local entry name knob title
	# Every tool keeps its state under tmp: nothing of the user's own
	# images, configuration or running containers is touched or measured.
	export XDG_DATA_HOME=$tmp/data XDG_CONFIG_HOME=$tmp/config XDG_RUNTIME_DIR=$tmp/run
	mkdir -p "$XDG_DATA_HOME" "$XDG_CONFIG_HOME/containers"
	mkdir -m 0700 "$XDG_RUNTIME_DIR"

	log "testbed: registry on 127.0.0.1 with the busybox fixture, and its rootfs for bwrap (as $(id -un))"
	start_testbed
	write_registries_conf
	echo "image $image, rootfs $rootfs"

	for entry in "${SECTIONS[@]}"; do
		read -r name knob title <<<"$entry"
		if wanted "$name"; then
			"bench_$name"
		elif [ -z "$ONLY" ]; then
			log "$title: skipped ($knob=0)"
		fi
	done
	log "measurements took $((SECONDS - started)) s"
}

if [ "${1:-}" = --measure ]; then
	measure "$2"
else
	prepare_and_run
fi
