#!/usr/bin/env bash
# hack/bench.sh (`make bench`): how long `urun run --rm IMAGE true` takes,
# side by side with bubblewrap on the same root file system (the floor:
# namespaces and mounts, no image store) and rootless podman on the same
# image, in one hyperfine run.
#
# As root (a fresh Debian 12 is fine): sets the host up with
# hack/setup-host.sh bench (what `make test` sets up, plus hyperfine,
# podman, runc and jq), builds, then measures as the unprivileged user
# uruntest with a clean environment. As an ordinary user: changes nothing,
# checks the set-up, and measures as that user.
#
# Everything measured runs in a throw-away world owned by the bench user: a
# registry on 127.0.0.1 holding the integration suite's busybox fixture
# (started by test/testbed/cmd/urun-testbed, which also unpacks that image
# for bwrap), and temporary XDG_DATA_HOME, XDG_CONFIG_HOME and
# XDG_RUNTIME_DIR. All of it is stopped and removed on exit.
#
# It is a report, not a test: it exits 0 when it measured, whatever the
# numbers say, and non-zero only when it could not measure.
#
# Knobs (environment): BENCH_WARMUP (default 10), BENCH_RUNS (100),
# BENCH_TRACE_RUNS (20), BENCH_JSON=FILE (keep hyperfine's JSON export).
set -euo pipefail

BENCH_USER=uruntest
WARMUP=${BENCH_WARMUP:-10}
RUNS=${BENCH_RUNS:-100}
TRACE_RUNS=${BENCH_TRACE_RUNS:-20}
CLEAN_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
# The issue's targets: urun within this factor of bwrap's median, and
# podman's median at least this many times urun's.
TARGET_VS_BWRAP=1.5
TARGET_VS_PODMAN=8

log() { printf '\n==> %s\n' "$*"; }
die() {
	printf 'hack/bench.sh: %s\n' "$*" >&2
	exit 1
}

# ---------------------------------------------------------------------------
# Stage 1, as whoever ran `make bench`: set-up, build, hand over.

prepare_and_run() {
	local started=$SECONDS
	cd "$(dirname "$0")/.."
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
	install -m 0755 bin/urun bin/urun-image "$work/bin/"
	# A copy of this script for stage 2: the bench user may not be able to
	# read the checkout (a root-only home directory, say).
	install -m 0755 hack/bench.sh "$work/bench.sh"
	chmod -R a+rX "$work"

	local user
	user=$(id -un)
	if [ "$(id -u)" = 0 ]; then
		user=$BENCH_USER
		chown "$user" "$work/out"
	fi
	local home
	home=$(getent passwd "$user" | cut -d: -f6)
	# The same clean environment hack/test.sh gives the suite; no stdin.
	local envs=(env -i "HOME=$home" "USER=$user" "LOGNAME=$user" "PATH=$work/bin:$CLEAN_PATH"
		"BENCH_WARMUP=$WARMUP" "BENCH_RUNS=$RUNS" "BENCH_TRACE_RUNS=$TRACE_RUNS")
	local rc=0
	if [ "$(id -u)" = 0 ]; then
		(cd "$work" && runuser -u "$user" -- "${envs[@]}" bash "$work/bench.sh" --measure "$work" </dev/null) || rc=$?
	else
		(cd "$work" && "${envs[@]}" bash "$work/bench.sh" --measure "$work" </dev/null) || rc=$?
	fi
	if [ -n "${BENCH_JSON:-}" ] && [ -s "$work/out/hyperfine.json" ]; then
		cp "$work/out/hyperfine.json" "$BENCH_JSON"
		echo "hyperfine's JSON export: $BENCH_JSON"
	fi
	log "make bench took $((SECONDS - started)) s in all (set-up and build included)"
	return "$rc"
}

# ---------------------------------------------------------------------------
# Stage 2, as the bench user: the measurements.

# Set by measure and its helpers; read by cleanup.
work='' bin='' tmp='' testbed_pid=''
registry='' image='' rootfs=''
names=() commands=() podman_note=''

measure() {
	work=$1
	bin=$work/bin
	local started=$SECONDS
	tmp=$(mktemp -d "/tmp/urun-bench-$(id -un).XXXXXX")
	trap cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM

	# Every tool keeps its state under tmp: nothing of the user's own
	# images, configuration or running containers is touched or measured.
	export XDG_DATA_HOME=$tmp/data XDG_CONFIG_HOME=$tmp/config XDG_RUNTIME_DIR=$tmp/run
	mkdir -p "$XDG_DATA_HOME" "$XDG_CONFIG_HOME/containers"
	mkdir -m 0700 "$XDG_RUNTIME_DIR"

	log "testbed: registry on 127.0.0.1 with the busybox fixture, and its rootfs for bwrap (as $(id -un))"
	start_testbed
	write_registries_conf
	echo "image $image, rootfs $rootfs"

	log "pull and check each command once"
	"$bin/urun" pull -q "$image" >/dev/null || die "urun pull $image failed"
	add_row "urun --network none" "$bin/urun run --rm --network none $image true" required
	add_row "bwrap" "$(command -v bwrap) --unshare-all --die-with-parent --bind $rootfs / --proc /proc --dev /dev /bin/true" required
	add_podman_row
	add_row "urun --network host" "$bin/urun run --rm --network host $image true" optional
	add_row "urun fuse-overlayfs" "$bin/urun --rootfs-driver fuse-overlayfs run --rm --network none $image true" optional

	log "hyperfine: $WARMUP warm-up runs, then $RUNS runs of each, no shell (-N)"
	local args=() i
	for i in "${!names[@]}"; do
		args+=(-n "${names[$i]}" "${commands[$i]}")
	done
	hyperfine -N --warmup "$WARMUP" --runs "$RUNS" --time-unit millisecond \
		--export-json "$tmp/hyperfine.json" "${args[@]}" </dev/null ||
		die "hyperfine failed"
	cp "$tmp/hyperfine.json" "$work/out/hyperfine.json" 2>/dev/null || true

	print_table "$tmp/hyperfine.json"
	print_trace
	log "measurements took $((SECONDS - started)) s"
}

# start_testbed starts urun-testbed in the background and waits until it
# says where the registry, the image and the rootfs are.
start_testbed() {
	local ready=$tmp/testbed.env
	"$bin/urun-testbed" -dir "$tmp/testbed" -rootfs "$tmp/rootfs" -ready "$ready" \
		>"$tmp/testbed.log" 2>&1 &
	testbed_pid=$!
	local i
	for ((i = 0; i < 600; i++)); do
		[ -e "$ready" ] && break
		if ! kill -0 "$testbed_pid" 2>/dev/null; then
			cat "$tmp/testbed.log" >&2
			testbed_pid=''
			die "urun-testbed exited before it was ready"
		fi
		sleep 0.1
	done
	[ -e "$ready" ] || die "urun-testbed was not ready within 60 s; its log: $(cat "$tmp/testbed.log")"
	local key value
	while IFS='=' read -r key value; do
		case $key in
		REGISTRY) registry=$value ;;
		BUSYBOX) image=$value ;;
		ROOTFS) rootfs=$value ;;
		esac
	done <"$ready"
	[ -n "$registry" ] && [ -n "$image" ] && [ -n "$rootfs" ] || die "urun-testbed's $ready lacks a line: $(cat "$ready")"
	# hyperfine -N splits command lines on white space.
	case $image$rootfs$bin in *[[:space:]]*) die "a path has white space in it: $rootfs $bin" ;; esac
}

# write_registries_conf marks the local registry insecure (it serves plain
# HTTP), where urun (through XDG_CONFIG_HOME) and podman find it.
write_registries_conf() {
	cat >"$XDG_CONFIG_HOME/containers/registries.conf" <<-EOF
		unqualified-search-registries = []

		[[registry]]
		location = "$registry"
		insecure = true
	EOF
}

# add_row NAME COMMAND required|optional: runs COMMAND once; if it works,
# it becomes a row of the hyperfine run. A required row that fails ends the
# bench; an optional one is reported and left out.
add_row() {
	local name=$1 command=$2 need=$3 out
	# shellcheck disable=SC2086 # the command line is split like hyperfine -N does
	if out=$($command 2>&1 </dev/null); then
		names+=("$name")
		commands+=("$command")
		echo "ok: $name"
		return 0
	fi
	if [ "$need" = required ]; then
		die "$name does not work here, so there is nothing to compare: $command: $out"
	fi
	echo "LEFT OUT: $name: $command failed: $out"
	return 1
}

# add_podman_row adds rootless podman, configured for a host without
# systemd (cgroupfs, events in a file) and with overlay storage like urun's
# (Debian's podman otherwise picks vfs for rootless, which copies the image
# for every container). If podman's default runtime cannot start containers
# here, it retries with runc, and says so; if podman cannot run at all, it
# says why.
add_podman_row() {
	if ! command -v podman >/dev/null; then
		podman_note="podman is not installed (as root, \`make bench\` installs it)"
		echo "LEFT OUT: podman: $podman_note"
		return
	fi
	local base=(podman --cgroup-manager=cgroupfs --events-backend=file --storage-driver=overlay)
	local out
	# Podman 4.3 reads registries.conf from ~/.config, not XDG_CONFIG_HOME:
	# point it at the same file. Only the pull needs it; `run` finds the
	# image in podman's store.
	if ! out=$(CONTAINERS_REGISTRIES_CONF=$XDG_CONFIG_HOME/containers/registries.conf "${base[@]}" pull -q "$image" 2>&1 </dev/null); then
		podman_note="podman pull failed: $out"
		echo "LEFT OUT: podman: $podman_note"
		return
	fi
	local run=(run --rm --network none "$image" true)
	if out=$("${base[@]}" "${run[@]}" 2>&1 </dev/null); then
		add_row "podman --network none" "$(command -v podman) ${base[*]:1} ${run[*]}" optional
		podman_note="podman ${base[*]:1} (no systemd: cgroupfs, file events; overlay like urun)"
		return
	fi
	local why=$out
	if command -v runc >/dev/null && out=$("${base[@]}" --runtime=runc "${run[@]}" 2>&1 </dev/null); then
		add_row "podman --network none" "$(command -v podman) ${base[*]:1} --runtime=runc ${run[*]}" optional
		podman_note="podman ${base[*]:1} --runtime=runc (no systemd: cgroupfs, file events; overlay like urun; runc because the default runtime failed: $(echo "$why" | tail -n 1))"
		return
	fi
	podman_note="podman cannot run containers here: $(echo "$why" | tail -n 3)${out:+; with runc: $(echo "$out" | tail -n 3)}"
	echo "LEFT OUT: podman: $podman_note"
}

# median_of NAME FILE: the median in ms of the hyperfine result NAME.
median_of() {
	jq -r --arg n "$1" '.results[] | select(.command == $n) | .median * 1000' "$2"
}

# ratio A B: A/B to two decimals, or "" when either is missing.
ratio() {
	[ -n "$1" ] && [ -n "$2" ] || return 0
	awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b }'
}

# verdict VALUE OP LIMIT: PASS if VALUE OP LIMIT holds (OP is <= or >=).
verdict() {
	awk -v v="$1" -v l="$3" -v op="$2" 'BEGIN { ok = (op == "<=") ? v <= l : v >= l; print (ok ? "PASS" : "MISS") }'
}

print_table() {
	local json=$1 i
	log "results: median of $RUNS runs each after $WARMUP warm-up runs (hyperfine -N, $(nproc) CPUs, $(uname -r))"
	for i in "${!names[@]}"; do
		printf '  %-24s %s\n' "${names[$i]}:" "${commands[$i]}"
	done
	[ -z "$podman_note" ] || echo "  podman: $podman_note"
	echo

	local bwrap urun podman
	bwrap=$(median_of bwrap "$json")
	urun=$(median_of "urun --network none" "$json")
	podman=$(median_of "podman --network none" "$json")

	# Columns are padded in bytes: every row and the header have one "±".
	printf '  %-24s %10s %19s %9s %12s\n' command "median ms" "mean ± sd ms" "vs bwrap" "podman/this"
	local name median mean stddev vs_podman
	while IFS=$'\t' read -r name median mean stddev; do
		vs_podman=''
		case $name in urun*) vs_podman=$(ratio "$podman" "$median") ;; esac
		printf '  %-24s %10.2f %19s %9s %12s\n' "$name" "$median" \
			"$(printf '%.2f ± %.2f' "$mean" "$stddev")" \
			"$(ratio "$median" "$bwrap")" "${vs_podman:--}"
	done < <(jq -r '.results[] | [.command, .median * 1000, .mean * 1000, .stddev * 1000] | @tsv' "$json")
	echo "  (vs bwrap: this median / bwrap's median; podman/this: podman's median / this median)"

	echo
	echo "targets (the issue's; medians):"
	local r
	r=$(ratio "$urun" "$bwrap")
	printf '  %-52s %8s  %s\n' "urun --network none within ${TARGET_VS_BWRAP}× of bwrap:" "${r}×" "$(verdict "$r" '<=' "$TARGET_VS_BWRAP")"
	if [ -n "$podman" ]; then
		r=$(ratio "$podman" "$urun")
		printf '  %-52s %8s  %s\n' "urun --network none at least ${TARGET_VS_PODMAN}× faster than podman:" "${r}×" "$(verdict "$r" '>=' "$TARGET_VS_PODMAN")"
	else
		printf '  %-52s %8s  %s\n' "urun --network none at least ${TARGET_VS_PODMAN}× faster than podman:" "-" "NOT MEASURED ($podman_note)"
	fi
}

# print_trace shows where urun's milliseconds go, from URUN_TRACE's lines
# "urun-trace MICROSECONDS STAGE PHASE" (CLOCK_MONOTONIC, shared by all of
# urun's processes): for each mark, the median over TRACE_RUNS runs of the
# time since the previous mark. Skipped when urun has no tracing.
print_trace() {
	local cmd=("$bin/urun" run --rm --network none "$image" true)
	local probe
	probe=$(URUN_TRACE=1 "${cmd[@]}" 2>&1 >/dev/null </dev/null) || true
	if ! grep -q '^urun-trace ' <<<"$probe"; then
		log "where urun's time goes: skipped (this urun prints no URUN_TRACE lines)"
		return
	fi
	log "where urun's time goes: URUN_TRACE=1, median of $TRACE_RUNS runs of urun --network none"
	local i traces=$tmp/trace
	: >"$traces"
	for ((i = 0; i < TRACE_RUNS; i++)); do
		# One run's marks, in time order, then a separator.
		URUN_TRACE=1 "${cmd[@]}" 2>&1 >/dev/null </dev/null | grep '^urun-trace ' | sort -n -k2,2 >>"$traces" || true
		echo "--" >>"$traces"
	done
	# mawk has no sort: collect each interval's values, insertion-sort them.
	awk '
		$1 == "--" { prev = ""; delete seen; runs++; next }
		{
			key = $3 " " $4
			if (seen[key]++) key = key " #" seen[key]
			if (prev != "") {
				if (!(key in count)) order[++nkeys] = key
				vals[key, ++count[key]] = ($2 - prev) / 1000
				span[runs] = $2 - first
			} else {
				first = $2
				if (firstkey == "") firstkey = key
			}
			prev = $2
		}
		function median(k,   n, i, j, t, a) {
			n = count[k]
			for (i = 1; i <= n; i++) a[i] = vals[k, i]
			for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j-1] > a[j]; j--) { t = a[j]; a[j] = a[j-1]; a[j-1] = t }
			return n % 2 ? a[(n+1)/2] : (a[n/2] + a[n/2+1]) / 2
		}
		END {
			printf "  first mark: %s\n", firstkey
			printf "  %-40s %10s %6s\n", "mark (time since the previous mark)", "median ms", "runs"
			for (i = 1; i <= nkeys; i++) printf "  %-40s %10.3f %6d\n", order[i], median(order[i]), count[order[i]]
			n = 0; for (r in span) { s[++n] = span[r] / 1000 }
			for (i = 2; i <= n; i++) for (j = i; j > 1 && s[j-1] > s[j]; j--) { t = s[j]; s[j] = s[j-1]; s[j-1] = t }
			if (!n) exit
			m = n % 2 ? s[(n+1)/2] : (s[n/2] + s[n/2+1]) / 2
			printf "  %-40s %10.3f\n", "first to last mark", m
			if (total > m) printf "  %-40s %10.3f\n", "rest of the hyperfine median", total - m
		}' total="$(median_of "urun --network none" "$tmp/hyperfine.json")" "$traces"
	echo "  (the rest: exec and Go runtime start before the first mark, exit after the last)"
}

# cleanup stops what stage 2 started and removes its files, also those
# owned by the user's subordinate ids (image layers), from a user namespace
# mapping them.
cleanup() {
	local rc=$?
	local pause=${XDG_RUNTIME_DIR:-/nonexistent}/libpod/tmp/pause.pid
	if [ -s "$pause" ]; then
		# Rootless podman's pause process keeps its user namespace alive.
		kill "$(cat "$pause")" 2>/dev/null || true
	fi
	if [ -n "$testbed_pid" ]; then
		kill -TERM "$testbed_pid" 2>/dev/null || true
		wait "$testbed_pid" 2>/dev/null || true
	fi
	if [ -n "$tmp" ] && [ -d "$tmp" ]; then
		rm -rf --one-file-system "$tmp" 2>/dev/null ||
			unshare --map-root-user --map-auto rm -rf --one-file-system "$tmp" ||
			echo "warning: could not remove $tmp" >&2
	fi
	exit "$rc"
}

if [ "${1:-}" = --measure ]; then
	measure "$2"
else
	prepare_and_run
fi
