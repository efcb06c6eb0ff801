#!/usr/bin/env bash
# hack/bench.sh (`make bench`): how long `urun run --rm IMAGE true` takes,
# side by side with bubblewrap on the same root file system (the floor:
# namespaces and mounts, no image store) and rootless podman on the same
# image, in one hyperfine run; what networking adds to that start-up
# (slirp4netns against --network none); and the network's throughput
# (iperf3) from a container to a server on the host's loopback and from
# the host into a published port, for urun and podman with slirp4netns and
# with pasta; and `urun exec CONTAINER true` next to `podman exec`, each in
# a long-running container.
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
# for bwrap, and pushes test/iperf3:latest: that image plus the host's
# iperf3 and its libraries), and temporary XDG_DATA_HOME, XDG_CONFIG_HOME
# and XDG_RUNTIME_DIR. All of it is stopped and removed on exit. The
# throughput servers listen on 127.0.0.1 only.
#
# It is a report, not a test: it exits 0 when it measured, whatever the
# numbers say, and non-zero only when it could not measure the start-up of
# urun --network none and bwrap. A variant that fails (urun before its
# networking lands, podman without pasta support) is reported as FAILED
# with its error, and the rest is measured.
#
# Knobs (environment): BENCH_WARMUP (default 10), BENCH_RUNS (100),
# BENCH_TRACE_RUNS (20), BENCH_JSON=FILE (keep hyperfine's JSON export),
# BENCH_NET_RUNS (3 iperf3 runs per direction and variant, median shown),
# BENCH_NET_SECONDS (3, each run's length), BENCH_NET=0 (skip throughput),
# BENCH_PULL_RUNS (10 pulls of the big image each, after BENCH_PULL_WARMUP,
# 1), BENCH_PULL_TRACE_RUNS (5), BENCH_PULL=0 (skip the pull),
# BENCH_ONLY=pull (only the pull), BENCH_LOGS_MB (1024: the log's size)
# and BENCH_LOGS_RUNS (10) for `urun logs --tail 3`, BENCH_LOGS=0 (skip
# it), BENCH_ONLY=logs (only it), BENCH_STDOUT_RUNS (5 runs of each
# 1 GiB stdout), BENCH_STDOUT=0 (skip it), BENCH_ONLY=stdout (only it).
#
# The pull: urun-testbed also pushes test/big:latest (testbed.BuildBig: the
# busybox fixture plus four generated layers, the same bytes every time:
# many small text files, big text files, big random files, a mix with a
# whiteout and an opaque directory; about 115 MB of files, 90 MB
# compressed), and hyperfine times `urun pull` and rootless `podman pull`
# of it into a cold store: before every run, the stores of both and every
# blob cache are moved out of the way (each tool gets its own --root and
# --runroot), and URUN_TRACE shows where urun's pull spends its time.
set -euo pipefail

BENCH_USER=uruntest
WARMUP=${BENCH_WARMUP:-10}
RUNS=${BENCH_RUNS:-100}
TRACE_RUNS=${BENCH_TRACE_RUNS:-20}
NET_RUNS=${BENCH_NET_RUNS:-3}
NET_SECONDS=${BENCH_NET_SECONDS:-3}
NET=${BENCH_NET:-1}
PULL=${BENCH_PULL:-1}
PULL_RUNS=${BENCH_PULL_RUNS:-10}
PULL_WARMUP=${BENCH_PULL_WARMUP:-1}
PULL_TRACE_RUNS=${BENCH_PULL_TRACE_RUNS:-5}
STDOUT=${BENCH_STDOUT:-1}
STDOUT_RUNS=${BENCH_STDOUT_RUNS:-5}
ONLY=${BENCH_ONLY:-}
LOGS=${BENCH_LOGS:-1}
LOGS_MB=${BENCH_LOGS_MB:-1024}
LOGS_RUNS=${BENCH_LOGS_RUNS:-10}
CLEAN_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
# The issue's targets: urun within this factor of bwrap's median, and
# podman's median at least this many times urun's.
TARGET_VS_BWRAP=1.5
TARGET_VS_PODMAN=8
# The issue's bound on a detached container's monitor (conmon needs about
# 1 MiB).
TARGET_MONITOR_KIB=5120
# Networking's targets: start-up with slirp4netns at most this many ms
# above --network none (medians); iperf3 from a container to the host's
# loopback through slirp4netns at least this many Gbit/s (what slirp4netns
# does at its best, with MTU 65520); from the host into a published port
# at least this many (the builtin port driver, a splice between two
# sockets, does tens of Gbit/s).
TARGET_NET_STARTUP_MS=5
TARGET_C2H_GBITS=8
TARGET_H2C_GBITS=10
# The pull's target: podman's median at least this many times urun's.
TARGET_PULL_VS_PODMAN=1.5
# 1 GiB of a container's stdout through urun's pipes: at most this many
# times as long as through bwrap, which passes its own descriptor on.
TARGET_STDOUT_VS_DIRECT=1.5
# What the default confinement (seccomp, capabilities, masked paths,
# no_new_privs) may add to a start: "urun --network none" against
# "urun unconfined".
TARGET_CONFINEMENT_MS=2
# `urun logs --tail 3` of a big log reads only its end: milliseconds and a
# few MiB whatever the log's size.
TARGET_LOGS_TAIL_MS=100
TARGET_LOGS_TAIL_KIB=32768

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
		"BENCH_WARMUP=$WARMUP" "BENCH_RUNS=$RUNS" "BENCH_TRACE_RUNS=$TRACE_RUNS"
		"BENCH_NET_RUNS=$NET_RUNS" "BENCH_NET_SECONDS=$NET_SECONDS" "BENCH_NET=$NET"
		"BENCH_PULL=$PULL" "BENCH_PULL_RUNS=$PULL_RUNS" "BENCH_PULL_WARMUP=$PULL_WARMUP"
		"BENCH_PULL_TRACE_RUNS=$PULL_TRACE_RUNS" "BENCH_ONLY=$ONLY"
		"BENCH_LOGS=$LOGS" "BENCH_LOGS_MB=$LOGS_MB" "BENCH_LOGS_RUNS=$LOGS_RUNS"
		"BENCH_STDOUT=$STDOUT" "BENCH_STDOUT_RUNS=$STDOUT_RUNS")
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
registry='' image='' rootfs='' iperf3_image='' iperf3_error=''
big_image='' big_layers='' big_sizes='' big_compressed='' big_unpacked=''
names=() commands=() podman_note=''
# Why an optional row was left out, by its name (add_row).
declare -A left_out=()
# podman's command with the flags that work here (add_podman_row).
podman_cmd=()
# What the throughput measurements started: stopped by cleanup.
bg_pids=() podman_containers=()

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
	if [ "$ONLY" = pull ]; then
		measure_pull
		log "measurements took $((SECONDS - started)) s"
		return 0
	fi
	if [ "$ONLY" = logs ]; then
		measure_logs
		log "measurements took $((SECONDS - started)) s"
		return 0
	fi
	if [ "$ONLY" = stdout ]; then
		measure_stdout
		log "measurements took $((SECONDS - started)) s"
		return 0
	fi

	log "pull and check each command once"
	"$bin/urun" pull -q "$image" >/dev/null || die "urun pull $image failed"
	add_row "urun --network none" "$bin/urun run --rm --network none $image true" required
	# Right after it, so that drift between rows counts least: Docker's
	# confinement lifted (no seccomp filter to load, no masked
	# paths, every capability, no_new_privs off): the difference to
	# "urun --network none" is what the defaults cost.
	add_row "urun unconfined" "$bin/urun run --rm --network none --security-opt seccomp=unconfined --security-opt unmask=ALL --security-opt no-new-privileges=false --cap-add ALL $image true" optional
	add_row "bwrap" "$(command -v bwrap) --unshare-all --die-with-parent --bind $rootfs / --proc /proc --dev /dev /bin/true" required
	add_row "urun --network host" "$bin/urun run --rm --network host $image true" optional
	add_row "urun --network slirp4netns" "$bin/urun run --rm --network slirp4netns $image true" optional
	add_row "urun fuse-overlayfs" "$bin/urun --rootfs-driver fuse-overlayfs run --rm --network none $image true" optional
	# Last: `podman run --rm` leaves cleanup processes running after it
	# returns, which would slow whatever is measured next.
	add_podman_row

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
	settle_podman
	print_trace
	measure_exec
	if [ "$STDOUT" = 0 ]; then
		log "stdout: skipped (BENCH_STDOUT=0)"
	else
		measure_stdout
	fi
	if [ "$NET" = 0 ]; then
		log "network throughput: skipped (BENCH_NET=0)"
	else
		measure_throughput
	fi
	if [ "$PULL" = 0 ]; then
		log "pull: skipped (BENCH_PULL=0)"
	else
		measure_pull
	fi
	if [ "$LOGS" = 0 ]; then
		log "logs --tail: skipped (BENCH_LOGS=0)"
	else
		measure_logs
	fi
	log "measurements took $((SECONDS - started)) s"
}

# start_testbed starts urun-testbed in the background and waits until it
# says where the registry, the image and the rootfs are.
start_testbed() {
	local ready=$tmp/testbed.env extra=()
	if [ "$NET" != 0 ] && [ -z "$ONLY" ] && command -v iperf3 >/dev/null; then
		extra=(-iperf3 "$(command -v iperf3)")
	fi
	if { [ "$PULL" != 0 ] && [ -z "$ONLY" ]; } || [ "$ONLY" = pull ]; then
		extra+=(-big)
	fi
	"$bin/urun-testbed" -dir "$tmp/testbed" -rootfs "$tmp/rootfs" -ready "$ready" "${extra[@]}" \
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
		IPERF3) iperf3_image=$value ;;
		IPERF3_ERROR) iperf3_error=$value ;;
		BIG) big_image=$value ;;
		BIG_LAYERS) big_layers=$value ;;
		BIG_LAYER_SIZES) big_sizes=$value ;;
		BIG_COMPRESSED) big_compressed=$value ;;
		BIG_UNPACKED) big_unpacked=$value ;;
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
# bench; an optional one is reported, left out (left_out says why) and the
# bench goes on.
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
	left_out[$name]=$(echo "$out" | tail -n 2 | tr '\n' ' ')
	# Not a failure: under set -e a non-zero status would end the bench.
	return 0
}

# settle_podman waits (up to 30 s) until no podman or conmon process of
# this user is left from the measured runs, so they do not slow the trace.
settle_podman() {
	local i
	for i in $(seq 1 300); do
		pgrep -u "$(id -u)" -x 'podman|conmon' >/dev/null || return 0
		sleep 0.1
	done
	echo "note: podman processes were still running after 30 s"
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
		podman_cmd=("${base[@]}")
		podman_note="podman ${base[*]:1} (no systemd: cgroupfs, file events; overlay like urun)"
		return
	fi
	local why=$out
	if command -v runc >/dev/null && out=$("${base[@]}" --runtime=runc "${run[@]}" 2>&1 </dev/null); then
		add_row "podman --network none" "$(command -v podman) ${base[*]:1} --runtime=runc ${run[*]}" optional
		podman_cmd=("${base[@]}" --runtime=runc)
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
		printf '  %-28s %s\n' "${names[$i]}:" "${commands[$i]}"
	done
	[ -z "$podman_note" ] || echo "  podman: $podman_note"
	echo

	local bwrap urun podman
	bwrap=$(median_of bwrap "$json")
	urun=$(median_of "urun --network none" "$json")
	podman=$(median_of "podman --network none" "$json")

	# Columns are padded in bytes: every row and the header have one "±".
	printf '  %-28s %10s %19s %9s %12s\n' command "median ms" "mean ± sd ms" "vs bwrap" "podman/this"
	local name median mean stddev vs_podman
	while IFS=$'\t' read -r name median mean stddev; do
		vs_podman=''
		case $name in urun*) vs_podman=$(ratio "$podman" "$median") ;; esac
		printf '  %-28s %10.2f %19s %9s %12s\n' "$name" "$median" \
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
	local slirp added
	slirp=$(median_of "urun --network slirp4netns" "$json")
	local what="urun --network slirp4netns at most ${TARGET_NET_STARTUP_MS} ms above none:"
	if [ -n "$slirp" ] && [ -n "$urun" ]; then
		added=$(awk -v a="$slirp" -v b="$urun" 'BEGIN { printf "%+.2f", a - b }')
		printf '  %-52s %8s  %s\n' "$what" "${added} ms" "$(verdict "$added" '<=' "$TARGET_NET_STARTUP_MS")"
	else
		printf '  %-52s %8s  %s\n' "$what" "-" "NOT MEASURED (urun --network slirp4netns failed: ${left_out["urun --network slirp4netns"]:-no result})"
	fi
	local unconfined
	unconfined=$(median_of "urun unconfined" "$json")
	what="urun's default confinement at most ${TARGET_CONFINEMENT_MS} ms:"
	if [ -n "$unconfined" ] && [ -n "$urun" ]; then
		added=$(awk -v a="$urun" -v b="$unconfined" 'BEGIN { printf "%+.2f", a - b }')
		printf '  %-52s %8s  %s\n' "$what" "${added} ms" "$(verdict "$added" '<=' "$TARGET_CONFINEMENT_MS")"
	else
		printf '  %-52s %8s  %s\n' "$what" "-" "NOT MEASURED (urun unconfined failed: ${left_out["urun unconfined"]:-no result})"
	fi
}

# print_trace shows where the milliseconds of `urun run` go.
print_trace() {
	trace_table "urun --network none" "$(median_of "urun --network none" "$tmp/hyperfine.json")" \
		"$bin/urun" run --rm --network none "$image" true
}

# trace_table WHAT TOTAL_MS COMMAND...: where urun's milliseconds go in
# COMMAND, from URUN_TRACE's lines "urun-trace MICROSECONDS STAGE PHASE"
# (CLOCK_MONOTONIC, shared by all of urun's processes): for each mark, the
# median over TRACE_RUNS runs of the time since the previous mark; TOTAL_MS
# is its hyperfine median. Skipped when urun has no tracing.
trace_table() {
	local what=$1 total=$2
	shift 2
	local cmd=("$@")
	local probe
	probe=$(URUN_TRACE=1 "${cmd[@]}" 2>&1 >/dev/null </dev/null) || true
	if ! grep -q '^urun-trace ' <<<"$probe"; then
		log "where urun's time goes: skipped (this urun prints no URUN_TRACE lines)"
		return
	fi
	log "where urun's time goes: URUN_TRACE=1, median of $TRACE_RUNS runs of $what"
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
		}' total="$total" "$traces"
	echo "  (the rest: exec and Go runtime start before the first mark, exit after the last)"
}

# rss_kib PID prints a process's resident memory in KiB.
rss_kib() {
	awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null
}

# monitor_memory URUN-CONTAINER PODMAN-CONTAINER prints the resident memory
# of urun's monitor of the first (urun-monitor ID) and of podman's conmon
# of the second, each after its container has written output for a while.
monitor_memory() {
	local id mon conmon="" cid mon_kib conmon_kib
	id=$("$bin/urun" ps -a --format json | jq -r --arg n "$1" '.[] | select(.Names[0] == $n) | .Id')
	mon=$(pgrep -u "$(id -u)" -f "^urun-monitor $id " | head -n 1)
	if ((${#podman_cmd[@]})) && cid=$("${podman_cmd[@]}" inspect -f '{{.Id}}' "$2" 2>/dev/null); then
		conmon=$(pgrep -u "$(id -u)" -f "conmon .*-c $cid" | head -n 1)
	fi
	sleep 2
	log "results: monitor resident memory (VmRSS) of a running container printing a line every 10 ms"
	mon_kib=$(rss_kib "$mon")
	conmon_kib=$([ -n "$conmon" ] && rss_kib "$conmon")
	printf '  %-28s %10s\n' "urun-monitor" "${mon_kib:+$((mon_kib)) KiB}"
	printf '  %-28s %10s\n' "podman's conmon" "${conmon_kib:+$((conmon_kib)) KiB}"
	if [ -n "$mon_kib" ]; then
		printf '  %-52s %8s  %s\n' "urun's monitor at most ${TARGET_MONITOR_KIB} KiB:" "$mon_kib" "$(verdict "$TARGET_MONITOR_KIB" '>=' "$mon_kib")"
	else
		echo "  urun's monitor: NOT MEASURED (no urun-monitor process for $1)"
	fi
}

# measure_exec times `urun exec CONTAINER true` next to `podman exec`, each
# in a long-running detached container of its own started here, in one
# hyperfine run, shows where exec's milliseconds go, and measures the
# resident memory of each container's monitor (urun's, and podman's
# conmon) while its container writes output.
measure_exec() {
	local name=urun-bench-exec i rows=()
	log "exec: a long-running detached container of each, then hyperfine: $WARMUP warm-up runs, $RUNS runs of each"
	# The container prints a line every 10 ms: the monitor relays and logs
	# while it is measured.
	local chatter='while :; do echo tick; usleep 10000; done'
	"$bin/urun" run -d --name "$name" --network none "$image" sh -c "$chatter" >"$tmp/exec-ctr.log" 2>&1 </dev/null ||
		echo "LEFT OUT: urun run -d: $(why "$tmp/exec-ctr.log")"
	for ((i = 0; i < 200; i++)); do
		"$bin/urun" exec "$name" true >/dev/null 2>&1 </dev/null && break
		sleep 0.05
	done
	if "$bin/urun" exec "$name" true >/dev/null 2>&1 </dev/null; then
		rows+=(-n "urun exec" "$bin/urun exec $name true")
	else
		echo "LEFT OUT: urun exec: $("$bin/urun" exec "$name" true 2>&1 </dev/null | tail -n 2 | tr '\n' ' ') (container: $(why "$tmp/exec-ctr.log"))"
	fi
	local podman_name=urun-bench-exec-$$ podman_why=''
	if ((${#podman_cmd[@]})); then
		if podman_why=$("${podman_cmd[@]}" run -d --name "$podman_name" --network none "$image" sh -c "$chatter" 2>&1 </dev/null); then
			podman_containers+=("$podman_name")
			rows+=(-n "podman exec" "$(command -v podman) ${podman_cmd[*]:1} exec $podman_name true")
		else
			podman_why="podman run -d failed: $(echo "$podman_why" | tail -n 2 | tr '\n' ' ')"
			echo "LEFT OUT: podman exec: $podman_why"
		fi
	else
		podman_why=$podman_note
	fi
	if ((${#rows[@]} == 0)); then
		echo "  nothing to measure"
		return 0
	fi
	hyperfine -N --warmup "$WARMUP" --runs "$RUNS" --time-unit millisecond \
		--export-json "$tmp/hyperfine-exec.json" "${rows[@]}" </dev/null || {
		echo "  hyperfine failed"
		return 0
	}
	local urun podman r
	urun=$(median_of "urun exec" "$tmp/hyperfine-exec.json")
	podman=$(median_of "podman exec" "$tmp/hyperfine-exec.json")
	log "results: exec, median of $RUNS runs each after $WARMUP warm-up runs"
	printf '  %-28s %10s %19s\n' command "median ms" "mean ± sd ms"
	local row median mean stddev
	while IFS=$'\t' read -r row median mean stddev; do
		printf '  %-28s %10.2f %19s\n' "$row" "$median" "$(printf '%.2f ± %.2f' "$mean" "$stddev")"
	done < <(jq -r '.results[] | [.command, .median * 1000, .mean * 1000, .stddev * 1000] | @tsv' "$tmp/hyperfine-exec.json")
	echo
	echo "targets (the issue's; medians):"
	if [ -n "$urun" ] && [ -n "$podman" ]; then
		r=$(ratio "$podman" "$urun")
		printf '  %-52s %8s  %s\n' "urun exec at least ${TARGET_VS_PODMAN}× faster than podman exec:" "${r}×" "$(verdict "$r" '>=' "$TARGET_VS_PODMAN")"
	else
		printf '  %-52s %8s  %s\n' "urun exec at least ${TARGET_VS_PODMAN}× faster than podman exec:" "-" "NOT MEASURED (${podman_why:-urun exec failed})"
	fi
	[ -z "$urun" ] || trace_table "urun exec" "$urun" "$bin/urun" exec "$name" true
	monitor_memory "$name" "$podman_name"
	"$bin/urun" rm -f "$name" >/dev/null 2>&1 || true
	if ((${#podman_containers[@]})); then
		"${podman_cmd[@]}" rm -f -t 0 "$podman_name" >/dev/null 2>&1 || true
		podman_containers=()
	fi
}

# ---------------------------------------------------------------------------
# Network throughput: iperf3 in the image test/iperf3:latest (urun-testbed's
# busybox fixture plus the host's iperf3), NET_RUNS runs of NET_SECONDS s
# for each variant and direction, median in Gbit/s.
#
#   container → host: `iperf3 -s -B 127.0.0.1` on the host; the container's
#     client connects to the host's loopback through the network's gateway:
#     10.0.2.2 with slirp4netns:allow_host_loopback=true; with
#     pasta:--map-gw (urun and podman pass --no-map-gw unless told so), the
#     container's default gateway, which pasta then maps to the host's
#     loopback.
#   host → published port: `iperf3 -s` in the container, published with
#     -p 127.0.0.1:PORT:5201; the host's client connects to 127.0.0.1:PORT.

# The variants, in the table's order.
net_variants=("urun slirp4netns" "urun pasta" "podman slirp4netns" "podman pasta")
# Results by "VARIANT|DIRECTION" (DIRECTION c2h or h2c): the median, the
# runs, or why there is none.
declare -A net_median=() net_runs=() net_failed=() net_mtu=()

# free_port prints a TCP port of 127.0.0.1 nobody listens on (below the
# usual ephemeral range, so that no client takes it meanwhile).
free_port() {
	local p i
	for ((i = 0; i < 200; i++)); do
		p=$((20000 + RANDOM % 12000))
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
			echo "$p"
			return 0
		fi
	done
	return 1
}

# engine_cmd VARIANT: sets the array cmd to the variant's `… run --rm`
# prefix and net to its --network value for container → host (the part
# before ":" for host → published port).
engine_cmd() {
	case $1 in
	urun*) cmd=("$bin/urun" run --rm) ;;
	podman*) cmd=("${podman_cmd[@]}" run --rm) ;;
	esac
	case $1 in
	*slirp4netns) net=slirp4netns:allow_host_loopback=true ;;
	*pasta) net=pasta:--map-gw ;;
	esac
}

# gbits FILE: the received rate of an iperf3 -J report, in Gbit/s; fails
# when the report has none.
gbits() {
	local bps
	bps=$(jq -r '.end.sum_received.bits_per_second // empty' "$1" 2>/dev/null) || bps=''
	if [ -z "$bps" ] || [ "$bps" = 0 ]; then
		return 1
	fi
	awk -v b="$bps" 'BEGIN { printf "%.2f", b / 1e9 }'
}

# median_list NUMBERS…: the median.
median_list() {
	printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) printf "%.2f", v[(NR + 1) / 2]; else printf "%.2f", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# why [JSON] LOG: a short reason from a failed command's files: iperf3's
# error from its -J report, then the last lines of the log.
why() {
	local e='' log
	if [ $# = 2 ]; then
		e=$(jq -r '.error // empty' "$1" 2>/dev/null) || e=''
		[ -z "$e" ] || e="iperf3: $e"
		shift
	fi
	log=$(grep -v '^[[:space:]]*$' "$1" 2>/dev/null | tail -n 3 | tr '\n' ' ' | cut -c1-400) || log=''
	if [ -n "$e" ] && [ -n "$log" ]; then
		echo "$e; $log"
	else
		echo "$e$log"
	fi
}

# forget_pid PID: PID was waited for; cleanup must not signal it (the
# number may belong to another process by then).
forget_pid() {
	local p kept=()
	for p in "${bg_pids[@]}"; do
		[ "$p" = "$1" ] || kept+=("$p")
	done
	bg_pids=("${kept[@]}")
}

# record VARIANT DIR RATES…: stores the runs and their median.
record() {
	local key="$1|$2"
	shift 2
	net_runs[$key]="$*"
	net_median[$key]=$(median_list "$@")
}

# probe_mtu VARIANT: the MTU of the container's interface other than lo.
probe_mtu() {
	local cmd=() net
	engine_cmd "$1"
	net_mtu[$1]=$(timeout -k 5 60 "${cmd[@]}" --network "$net" "$iperf3_image" sh -c 'ip -o link show' 2>/dev/null </dev/null |
		awk '$2 != "lo:" { for (i = 3; i < NF; i++) if ($i == "mtu") { print $(i + 1); exit } }') || true
}

# container_to_host VARIANT PORT: NET_RUNS runs of the container's iperf3
# client against the host's server on 127.0.0.1:PORT.
container_to_host() {
	local variant=$1 port=$2 cmd=() net i rates=() rate out=$tmp/c2h.json err=$tmp/c2h.err target
	engine_cmd "$variant"
	case $variant in
	*slirp4netns) target=10.0.2.2 ;;
	*pasta) target='$(ip -4 route | awk "/^default/ { print \$3; exit }")' ;;
	esac
	for ((i = 0; i < NET_RUNS; i++)); do
		if ! timeout -k 10 $((NET_SECONDS + 60)) "${cmd[@]}" --network "$net" "$iperf3_image" \
			sh -c "exec iperf3 -c \"$target\" -p $port -t $NET_SECONDS -J" >"$out" 2>"$err" </dev/null ||
			! rate=$(gbits "$out"); then
			net_failed["$variant|c2h"]="${cmd[*]} --network $net … iperf3 -c $target: $(why "$out" "$err")"
			return 1
		fi
		rates+=("$rate")
	done
	record "$variant" c2h "${rates[@]}"
}

# host_to_published VARIANT: starts iperf3 -s in a container published on
# a free port of 127.0.0.1, runs the host's client NET_RUNS times (after a
# warm-up run, which also waits for the server), stops the container.
host_to_published() {
	local variant=$1 cmd=() net port pid='' name='' i rates=() rate ok=''
	local out=$tmp/h2c.json err=$tmp/h2c.err log=$tmp/h2c-server.log
	engine_cmd "$variant"
	net=${net%%:*} # no allow_host_loopback needed
	port=$(free_port) || {
		net_failed["$variant|h2c"]="no free port found"
		return 1
	}
	case $variant in
	urun*)
		"${cmd[@]}" --network "$net" -p "127.0.0.1:$port:5201" "$iperf3_image" iperf3 -s -p 5201 >"$log" 2>&1 </dev/null &
		pid=$!
		bg_pids+=("$pid")
		;;
	podman*)
		name=urun-bench-iperf3-$$
		if ! "${podman_cmd[@]}" run -d --name "$name" --network "$net" -p "127.0.0.1:$port:5201" "$iperf3_image" iperf3 -s -p 5201 >"$log" 2>&1 </dev/null; then
			net_failed["$variant|h2c"]="${podman_cmd[*]} run -d --network $net -p 127.0.0.1:$port:5201 …: $(why "$log")"
			"${podman_cmd[@]}" rm -f "$name" >/dev/null 2>&1 || true
			return 1
		fi
		podman_containers+=("$name")
		;;
	esac
	# Warm-up and readiness: the port may accept before iperf3 listens.
	for ((i = 0; i < 30; i++)); do
		if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then
			break
		fi
		if timeout -k 5 20 iperf3 -c 127.0.0.1 -p "$port" -t 1 -J >"$out" 2>"$err" </dev/null && gbits "$out" >/dev/null; then
			ok=1
			break
		fi
		sleep 0.5
	done
	if [ -z "$ok" ]; then
		net_failed["$variant|h2c"]="the published port 127.0.0.1:$port never served iperf3: $(why "$out" "$err"); the server container said: $(why "$log")"
	else
		for ((i = 0; i < NET_RUNS; i++)); do
			if ! timeout -k 5 $((NET_SECONDS + 60)) iperf3 -c 127.0.0.1 -p "$port" -t "$NET_SECONDS" -J >"$out" 2>"$err" </dev/null ||
				! rate=$(gbits "$out"); then
				net_failed["$variant|h2c"]="iperf3 -c 127.0.0.1 -p $port: $(why "$out" "$err")"
				break
			fi
			rates+=("$rate")
		done
	fi
	if [ -n "$pid" ]; then
		# urun forwards SIGTERM to iperf3, which exits.
		kill -TERM "$pid" 2>/dev/null || true
		for ((i = 0; i < 100; i++)); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		if kill -KILL "$pid" 2>/dev/null; then
			echo "    (urun with the iperf3 server did not exit within 10 s of SIGTERM: killed it)"
		fi
		wait "$pid" 2>/dev/null || true
		forget_pid "$pid"
	fi
	if [ -n "$name" ]; then
		"${podman_cmd[@]}" rm -f -t 2 "$name" >/dev/null 2>&1 || true
		podman_containers=()
	fi
	[ -z "${net_failed["$variant|h2c"]:-}" ] && ((${#rates[@]})) || return 1
	record "$variant" h2c "${rates[@]}"
}

measure_throughput() {
	log "network throughput: iperf3, median of $NET_RUNS runs of $NET_SECONDS s each ($(nproc) CPUs)"
	if ! command -v iperf3 >/dev/null; then
		echo "  skipped: iperf3 is not installed (as root, \`make bench\` installs it)"
		return 0
	fi
	if [ -z "$iperf3_image" ]; then
		echo "  skipped: urun-testbed could not build the iperf3 image: ${iperf3_error:-no reason given}"
		return 0
	fi
	local variant out
	if ! out=$("$bin/urun" pull -q "$iperf3_image" 2>&1 </dev/null); then
		for variant in "urun slirp4netns" "urun pasta"; do
			net_failed["$variant|c2h"]="urun pull $iperf3_image failed: $out"
			net_failed["$variant|h2c"]=${net_failed["$variant|c2h"]}
		done
	fi
	if ((${#podman_cmd[@]})); then
		if ! out=$(CONTAINERS_REGISTRIES_CONF=$XDG_CONFIG_HOME/containers/registries.conf "${podman_cmd[@]}" pull -q "$iperf3_image" 2>&1 </dev/null); then
			for variant in "podman slirp4netns" "podman pasta"; do
				net_failed["$variant|c2h"]="podman pull $iperf3_image failed: $out"
				net_failed["$variant|h2c"]=${net_failed["$variant|c2h"]}
			done
		fi
	else
		for variant in "podman slirp4netns" "podman pasta"; do
			net_failed["$variant|c2h"]="no podman here: $podman_note"
			net_failed["$variant|h2c"]=${net_failed["$variant|c2h"]}
		done
	fi

	local port pid
	port=$(free_port) || {
		echo "  skipped: found no free port on 127.0.0.1 for the host's iperf3 server"
		return 0
	}
	iperf3 -s -B 127.0.0.1 -p "$port" >"$tmp/iperf3-server.log" 2>&1 </dev/null &
	pid=$!
	bg_pids+=("$pid")
	local i
	for ((i = 0; i < 50; i++)); do
		(exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
		sleep 0.1
	done
	echo "  host server: iperf3 -s -B 127.0.0.1 -p $port"

	for variant in "${net_variants[@]}"; do
		if [ -n "${net_failed["$variant|c2h"]:-}" ]; then
			echo "  $variant: not run: ${net_failed["$variant|c2h"]}"
			continue
		fi
		echo "  $variant: container → host…"
		probe_mtu "$variant"
		container_to_host "$variant" "$port" || echo "    FAILED (the reason follows the table)"
		echo "  $variant: host → published port…"
		host_to_published "$variant" || echo "    FAILED (the reason follows the table)"
	done
	kill -TERM "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	forget_pid "$pid"

	print_throughput
}

# cell VARIANT DIR: "MEDIAN (RUN RUN RUN)" or FAILED.
cell() {
	local key="$1|$2"
	if [ -n "${net_median[$key]:-}" ]; then
		printf '%s (%s)' "${net_median[$key]}" "${net_runs[$key]}"
	else
		printf 'FAILED'
	fi
}

print_throughput() {
	log "results: network throughput, Gbit/s, median (each run)"
	printf '  %-20s %-6s %-30s %-30s\n' variant MTU "container → host loopback" "host → published port"
	local variant
	for variant in "${net_variants[@]}"; do
		printf '  %-20s %-6s %-30s %-30s\n' "$variant" "${net_mtu[$variant]:--}" "$(cell "$variant" c2h)" "$(cell "$variant" h2c)"
	done
	local key shown=''
	for variant in "${net_variants[@]}"; do
		for key in "$variant|c2h" "$variant|h2c"; do
			[ -n "${net_failed[$key]:-}" ] || continue
			[ -n "$shown" ] || echo "  failures:"
			shown=1
			printf '    %s, %s: %s\n' "$variant" "$([ "${key#*|}" = c2h ] && echo "container → host" || echo "host → published port")" "${net_failed[$key]}"
		done
	done
	echo "  (MTU: of the container's interface; slirp4netns is at its best with 65520)"

	echo
	echo "targets (medians):"
	net_target "urun slirp4netns" c2h "container → host at least ${TARGET_C2H_GBITS} Gbit/s" "$TARGET_C2H_GBITS"
	net_target "urun slirp4netns" h2c "host → published port at least ${TARGET_H2C_GBITS} Gbit/s" "$TARGET_H2C_GBITS"
	echo "  (the targets are slirp4netns's with the builtin port driver; pasta's numbers are for comparison)"
}

# net_target VARIANT DIR TEXT LIMIT: one PASS/MISS line.
net_target() {
	local v=${net_median["$1|$2"]:-}
	if [ -n "$v" ]; then
		printf '  %-60s %8s  %s\n' "$1, $3:" "$v" "$(verdict "$v" '>=' "$4")"
	else
		printf '  %-60s %8s  %s\n' "$1, $3:" "-" "NOT MEASURED (failed, see above)"
	fi
}

# ---------------------------------------------------------------------------
# Pull: `urun pull` and rootless `podman pull` of urun-testbed's big image
# (test/big:latest) from the local registry into a cold store, in one
# hyperfine run; then where urun's pull spends its time, from URUN_TRACE.

# pull_wipe_script FILE: writes the script hyperfine runs before every
# pull: it takes both tools' stores and blob caches out of the way, moved
# into $tmp/pull/old, which cleanup removes. Moved, not removed: ext4
# allocates inodes slowly for a while after thousands were freed (it skips
# recently deleted ones), which would slow the next pull by seconds on
# this bench alone.
pull_wipe_script() {
	cat >"$1" <<-EOF
		#!/bin/bash
		mkdir -p "$tmp/pull/old" || exit 1
		for d in "$tmp/pull/urun" "$tmp/pull/podman" "$XDG_DATA_HOME/containers/cache"; do
			[ -e "\$d" ] || continue
			mv "\$d" "\$(mktemp -d "$tmp/pull/old/XXXXXX")/" || exit 1
		done
		exit 0
	EOF
	chmod +x "$1"
}

# mb BYTES: megabytes, one decimal.
mb() { awk -v b="$1" 'BEGIN { printf "%.1f", b / 1e6 }'; }

# measure_stdout: what it costs that a container run in the foreground
# writes to a pipe that urun relays (splice(2) to urun's own stdout,
# launch/stdio.go) rather than to the caller's descriptor itself. hyperfine
# times 1 GiB of `head -c` to /dev/null and to a file, through urun and
# through bwrap on the same root file system, which passes its stdout on
# as urun did before. Both include their start (urun's some 10 ms more).
measure_stdout() {
	local size=1073741824 target row urun_ms bwrap_ms
	local urun_cmd="$bin/urun run --rm --network none $image head -c $size /dev/zero"
	local bwrap_cmd
	bwrap_cmd="$(command -v bwrap) --unshare-all --die-with-parent --bind $rootfs / --proc /proc --dev /dev /bin/head -c $size /dev/zero"
	log "stdout: 1 GiB written by the container (head -c $size /dev/zero), $STDOUT_RUNS runs of each after 1 warm-up run"
	"$bin/urun" pull -q "$image" >/dev/null || die "urun pull $image failed"
	local rows=()
	for target in /dev/null "$tmp/stdout.bin"; do
		hyperfine -N --warmup 1 --runs "$STDOUT_RUNS" --time-unit millisecond --output "$target" \
			--export-json "$tmp/hyperfine-stdout.json" -n urun "$urun_cmd" -n bwrap "$bwrap_cmd" </dev/null ||
			die "hyperfine failed on the stdout benchmark"
		rm -f "$tmp/stdout.bin"
		urun_ms=$(median_of urun "$tmp/hyperfine-stdout.json")
		bwrap_ms=$(median_of bwrap "$tmp/hyperfine-stdout.json")
		row=$(ratio "$urun_ms" "$bwrap_ms")
		rows+=("$(printf '  %-18s urun %8.1f ms (%5.2f GB/s)   bwrap %8.1f ms (%5.2f GB/s)   urun/bwrap %sx (target <= %sx: %s)' \
			"${target/#$tmp\//a file }" "$urun_ms" "$(awk -v s=$size -v m="$urun_ms" 'BEGIN { print s / m / 1e6 }')" \
			"$bwrap_ms" "$(awk -v s=$size -v m="$bwrap_ms" 'BEGIN { print s / m / 1e6 }')" \
			"$row" "$TARGET_STDOUT_VS_DIRECT" "$(verdict "$row" '<=' "$TARGET_STDOUT_VS_DIRECT")")")
	done
	log "stdout: 1 GiB, median of $STDOUT_RUNS runs; urun relays a pipe, bwrap passes its descriptor on"
	printf '%s\n' "${rows[@]}"
}

measure_pull() {
	log "pull: $big_layers layers, $(mb "${big_compressed:-0}") MB compressed, $(mb "${big_unpacked:-0}") MB of generated files; cold store every run"
	if [ -z "$big_image" ]; then
		echo "  skipped: urun-testbed pushed no big image (see $tmp/testbed.log)"
		return 0
	fi
	local p=$tmp/pull wipe=$tmp/pull/wipe.sh
	mkdir -p "$p"
	pull_wipe_script "$wipe"
	local urun_pull="$bin/urun --root $p/urun/root --runroot $p/urun/run pull -q $big_image"
	local podman_pull='' podman_why='' out
	# podman 4.3 reads registries.conf from ~/.config, not XDG_CONFIG_HOME.
	export CONTAINERS_REGISTRIES_CONF=$XDG_CONFIG_HOME/containers/registries.conf
	"$wipe" || die "could not remove the pull benchmark's stores in $p"
	# shellcheck disable=SC2086 # split like hyperfine -N does
	out=$($urun_pull 2>&1 </dev/null) || die "urun pull of the big image failed: $out"
	if command -v podman >/dev/null; then
		podman_pull="$(command -v podman) --root $p/podman/root --runroot $p/podman/run --storage-driver=overlay --cgroup-manager=cgroupfs --events-backend=file pull -q $big_image"
		# shellcheck disable=SC2086
		if ! out=$($podman_pull 2>&1 </dev/null); then
			podman_why="podman pull failed: $(echo "$out" | tail -n 2 | tr '\n' ' ')"
			podman_pull=''
		fi
	else
		podman_why="podman is not installed (as root, \`make bench\` installs it)"
	fi
	local args=(-n "urun pull" "$urun_pull")
	[ -z "$podman_pull" ] || args+=(-n "podman pull" "$podman_pull")
	log "hyperfine: $PULL_WARMUP warm-up runs, then $PULL_RUNS pulls of each; before each, both stores and blob caches are moved away"
	if ! hyperfine -N --warmup "$PULL_WARMUP" --runs "$PULL_RUNS" --time-unit millisecond \
		--prepare "$wipe" --export-json "$tmp/hyperfine-pull.json" "${args[@]}" </dev/null; then
		echo "  hyperfine failed"
		unset CONTAINERS_REGISTRIES_CONF
		return 0
	fi
	unset CONTAINERS_REGISTRIES_CONF
	settle_podman

	local urun podman r
	urun=$(median_of "urun pull" "$tmp/hyperfine-pull.json")
	podman=$(median_of "podman pull" "$tmp/hyperfine-pull.json")
	log "results: pull of $big_image into a cold store, median of $PULL_RUNS runs each ($(nproc) CPUs)"
	printf '  %-28s %10s %19s %12s\n' command "median ms" "mean ± sd ms" "MB/s"
	local row median mean stddev
	while IFS=$'\t' read -r row median mean stddev; do
		printf '  %-28s %10.1f %19s %12s\n' "$row" "$median" "$(printf '%.1f ± %.1f' "$mean" "$stddev")" \
			"$(awk -v b="$big_compressed" -v ms="$median" 'BEGIN { printf "%.0f", b / 1e6 / (ms / 1000) }')"
	done < <(jq -r '.results[] | [.command, .median * 1000, .mean * 1000, .stddev * 1000] | @tsv' "$tmp/hyperfine-pull.json")
	[ -z "$podman_pull" ] || echo "  podman: podman --storage-driver=overlay (rootless, cgroupfs, file events), --root/--runroot of its own"
	echo "  (MB/s: compressed megabytes pulled per second of the median)"
	echo
	echo "targets (the issue's; medians):"
	local what="urun pull at least ${TARGET_PULL_VS_PODMAN}× faster than podman pull:"
	if [ -n "$urun" ] && [ -n "$podman" ]; then
		r=$(ratio "$podman" "$urun")
		printf '  %-52s %8s  %s\n' "$what" "${r}×" "$(verdict "$r" '>=' "$TARGET_PULL_VS_PODMAN")"
	else
		printf '  %-52s %8s  %s\n' "$what" "-" "NOT MEASURED (${podman_why:-no result})"
	fi
	[ -z "$urun" ] || pull_trace "$urun" "$wipe" "$urun_pull"
	"$wipe" || true
}

# pull_trace TOTAL_MS WIPE COMMAND: where the time of urun's pull goes, from
# URUN_TRACE's marks over PULL_TRACE_RUNS cold pulls: the median time of
# each mark since urun started (its first mark), in time order, and for
# each layer when it started downloading, finished downloading (it is
# unpacked as it arrives), was unpacked and verified, and committed.
pull_trace() {
	local total=$1 wipe=$2 cmd=$3 i traces=$tmp/pull-trace
	: >"$traces"
	for ((i = 0; i < PULL_TRACE_RUNS; i++)); do
		"$wipe" || return 0
		# shellcheck disable=SC2086
		URUN_TRACE=1 $cmd 2>&1 >/dev/null </dev/null | grep '^urun-trace ' | sort -n -k2,2 >>"$traces" || true
		echo "--" >>"$traces"
	done
	if ! grep -q ' pull ' "$traces"; then
		log "where urun's pull time goes: skipped (this urun prints no pull marks with URUN_TRACE)"
		return 0
	fi
	log "where urun's pull time goes: URUN_TRACE=1, median of $PULL_TRACE_RUNS cold pulls"
	awk -v total="$total" -v sizes="$big_sizes" '
		function median(k,   n, i, j, t, a) {
			n = count[k]
			for (i = 1; i <= n; i++) a[i] = vals[k, i]
			for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j-1] > a[j]; j--) { t = a[j]; a[j] = a[j-1]; a[j-1] = t }
			return n % 2 ? a[(n+1)/2] : (a[n/2] + a[n/2+1]) / 2
		}
		$1 == "--" { first = ""; next }
		{
			key = $3 " " $4
			if (first == "") first = $2
			if (!(key in count)) keys[++nkeys] = key
			vals[key, ++count[key]] = ($2 - first) / 1000
		}
		END {
			for (i = 1; i <= nkeys; i++) med[keys[i]] = median(keys[i])
			# Marks in the order of their medians.
			for (i = 1; i <= nkeys; i++) order[i] = keys[i]
			for (i = 2; i <= nkeys; i++) for (j = i; j > 1 && med[order[j-1]] > med[order[j]]; j--) { t = order[j]; order[j] = order[j-1]; order[j-1] = t }
			printf "  %-36s %12s %8s\n", "mark", "ms since start", "since prev"
			prev = 0; inlayers = 0
			for (i = 1; i <= nkeys; i++) {
				k = order[i]
				if (k ~ / layer[0-9]+-/) {
					# Shown in the layer table: here, their span as one row.
					inlayers = 1; last = med[k]
					continue
				}
				if (inlayers) {
					printf "  %-36s %12.1f %8.1f\n", "(the layers: see below)", last, last - prev
					prev = last; inlayers = 0
				}
				printf "  %-36s %12.1f %8.1f\n", k, med[k], med[k] - prev
				prev = med[k]
			}
			if (total > prev) printf "  %-36s %12.1f %8.1f\n", "(exit: the hyperfine median)", total, total - prev
			n = split(sizes, size, ",")
			printf "\n  %-6s %8s %9s %11s %10s %10s %14s\n", "layer", "MB", "started", "downloaded", "unpacked", "committed", "start→unpacked"
			for (l = 1; l <= n; l++) {
				s = "pull layer" l "-"
				if (!((s "started") in med)) { printf "  %-6s %8.1f %9s  (stored already, or left to the image library)\n", l, size[l] / 1e6, "-"; continue }
				printf "  %-6s %8.1f %9.1f %11.1f %10.1f %10.1f %14.1f\n", l, size[l] / 1e6, med[s "started"], med[s "downloaded"], med[s "unpacked"], med[s "committed"], med[s "unpacked"] - med[s "started"]
			}
			printf "  (ms since start; a layer is unpacked while it downloads: downloaded is when its last byte arrived)\n"
		}' "$traces"
}

# measure_logs times `urun logs --tail 3` of a stopped container whose log
# (ctr.log) is BENCH_LOGS_MB of k8s-file lines followed by its own three
# (median of BENCH_LOGS_RUNS hyperfine runs), and reads its max RSS with GNU
# time: both must stay small whatever the log's size, as it reads from the
# end.
measure_logs() {
	local name=urun-bench-logs log_path filler line lines rss max_rss=0 i median out
	log "logs: \`urun logs --tail 3\` of a ${LOGS_MB} MB log, $LOGS_RUNS runs"
	"$bin/urun" rm -f "$name" >/dev/null 2>&1 || true
	"$bin/urun" run -d -q --name "$name" --network none "$image" sh -c 'echo one; echo two; echo three' >/dev/null || {
		echo "  urun logs --tail 3: NOT MEASURED (urun run -d failed)"
		return 0
	}
	"$bin/urun" wait "$name" >/dev/null
	log_path=$("$bin/urun" inspect -f '{{.LogPath}}' "$name")
	filler=$log_path.filler
	line="2026-12-02T09:00:00.000000000Z stdout F $(printf 'filler %.0s' {1..10})"
	lines=$(((LOGS_MB << 20) / (${#line} + 1)))
	# yes ends with SIGPIPE once head has its lines.
	{ yes "$line" || true; } | head -n "$lines" >"$filler"
	cat "$log_path" >>"$filler"
	mv "$filler" "$log_path"
	out=$("$bin/urun" logs --tail 3 "$name")
	if [ "$out" != "$(printf 'one\ntwo\nthree')" ] ||
		! hyperfine -N --warmup 1 --runs "$LOGS_RUNS" --time-unit millisecond \
			--export-json "$tmp/hyperfine-logs.json" -n "urun logs --tail 3" "$bin/urun logs --tail 3 $name" \
			</dev/null >/dev/null; then
		echo "  urun logs --tail 3: FAILED (it printed $(printf %q "$out"))"
		"$bin/urun" rm -f "$name" >/dev/null
		return 0
	fi
	median=$(median_of "urun logs --tail 3" "$tmp/hyperfine-logs.json")
	for ((i = 0; i < 3; i++)); do
		rss=$(/usr/bin/time -f %M "$bin/urun" logs --tail 3 "$name" 2>&1 >/dev/null | tail -n 1)
		if ((rss > max_rss)); then max_rss=$rss; fi
	done
	log "results: urun logs --tail 3 of a $(($(stat -c %s "$log_path") >> 20)) MiB log"
	printf '  %-52s %8.1f  %s\n' "median ms, at most $TARGET_LOGS_TAIL_MS:" "$median" "$(verdict "$median" '<=' "$TARGET_LOGS_TAIL_MS")"
	printf '  %-52s %8s  %s\n' "max RSS KiB (GNU time), at most $TARGET_LOGS_TAIL_KIB:" "$max_rss" "$(verdict "$max_rss" '<=' "$TARGET_LOGS_TAIL_KIB")"
	"$bin/urun" rm -f "$name" >/dev/null
}

# cleanup stops what stage 2 started and removes its files, also those
# owned by the user's subordinate ids (image layers), from a user namespace
# mapping them.
cleanup() {
	local rc=$?
	local p
	for p in "${podman_containers[@]}"; do
		"${podman_cmd[@]}" rm -f -t 0 "$p" >/dev/null 2>&1 || true
	done
	for p in "${bg_pids[@]}"; do
		kill -KILL "$p" 2>/dev/null || true
	done
	# A detached container's monitor is nobody's child here.
	[ -z "$bin" ] || "$bin/urun" rm -f urun-bench-exec urun-bench-logs >/dev/null 2>&1 || true
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
