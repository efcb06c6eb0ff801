# hack/bench/lib.sh: what every section of `make bench` shares: the knobs,
# the targets, the sections' order, the throw-away world they run in
# (registry, stores, podman), and the helpers that run hyperfine and print
# its results, targets and URUN_TRACE tables. Sourced by hack/bench/run.sh,
# the driver, which runs each section as the bench user.
#
# How to add a measurement:
#   1. Write hack/bench/NAME.sh defining one function, bench_NAME, that
#      prints its own "==> ..." headings (log), runs hyperfine with
#      --export-json "$tmp/hyperfine-NAME.json", and prints its results
#      with median_of, hyperfine_results, ratio and a "targets" list
#      (target, target_faster, target_above, not_measured: PASS, MISS or
#      NOT MEASURED). It may use $bin/urun, $image (busybox),
#      $rootfs (its files, for bwrap), $tmp (removed at the end), and
#      podman after need_podman (podman_cmd; podman_note says why not).
#      It returns 0 when something it compares with fails: it prints
#      FAILED, NOT MEASURED or LEFT OUT with the reason, and the bench
#      goes on. Whatever it starts in the background goes into bg_pids or
#      podman_containers, which cleanup stops.
#   2. Add "NAME KNOB TITLE" to SECTIONS below, where it should run:
#      KNOB=0 skips it (- for never skipped), BENCH_ONLY=NAME runs it alone.
#   3. Document its knobs and targets below, with their defaults, and add
#      a sentence to the README's `make bench` paragraph.
#   Try it alone: BENCH_ONLY=NAME make bench.
#
# Knobs (environment; read here and nowhere else, defaults in brackets):
#   BENCH_ONLY=NAME         only the section NAME (one of SECTIONS' names),
#                           even one its knob switches off
#   BENCH_JSON=FILE         keep the start-up run's hyperfine JSON export
#   start-up and exec:
#     BENCH_WARMUP [10]     hyperfine's warm-up runs
#     BENCH_RUNS [100]      hyperfine's runs of each command
#     BENCH_TRACE_RUNS [20] URUN_TRACE=1 runs for "where urun's time goes"
#   stdout:  BENCH_STDOUT=0 skips it; BENCH_STDOUT_RUNS [5] runs of each
#            1 GiB stdout
#   network: BENCH_NET=0 skips it; BENCH_NET_RUNS [3] iperf3 runs per
#            direction and variant (median shown), BENCH_NET_SECONDS [3]
#            each run's length
#   pull:    BENCH_PULL=0 skips it; BENCH_PULL_RUNS [10] pulls of the big
#            image each, after BENCH_PULL_WARMUP [1]; BENCH_PULL_TRACE_RUNS
#            [5] traced pulls
#   logs:    BENCH_LOGS=0 skips it; BENCH_LOGS_MB [1024] the log's size,
#            BENCH_LOGS_RUNS [10] runs of `urun logs --tail 3`
#   usernet: BENCH_USERNET=0 skips it; BENCH_USERNET_FIRST_RUNS [20] runs
#            of the first container of a network, BENCH_USERNET_PODMAN_RUNS
#            [5] runs of podman on a network; iperf3 as for network
#   build:   BENCH_BUILD=0 skips it; BENCH_BUILD_RUNS [5] runs of each
#            build and commit, BENCH_BUILD_FILES [5000] small files and
#            three of BENCH_BUILD_BIG_MB [30] MB in the context,
#            BENCH_BUILD_TRACE_RUNS [3] traced rebuilds
#   slurm:   BENCH_SLURM=0 skips it; BENCH_SLURM_SRUN_RUNS [10] runs of a
#            whole `srun urun run` (see hack/bench/slurm.sh)
#   sharedstore: BENCH_SHARED=0 skips it (see hack/bench/sharedstore.sh)

# SECTIONS: what stage 2 measures, in this order. Each line: NAME (the file
# hack/bench/NAME.sh, defining bench_NAME), KNOB (NAME is skipped when it
# is 0; - for never), TITLE (its "skipped" line).
SECTIONS=(
	"startup - start-up"
	"exec - exec"
	# After exec: the monitors of exec's long-running containers.
	"monitor - monitor memory"
	"stdout BENCH_STDOUT stdout"
	"network BENCH_NET network throughput"
	"usernet BENCH_USERNET user networks"
	"pull BENCH_PULL pull"
	"logs BENCH_LOGS logs --tail"
	"build BENCH_BUILD build and commit"
	"slurm BENCH_SLURM start-up inside a Slurm job"
	"sharedstore BENCH_SHARED start-up from a shared image store"
)

ONLY=${BENCH_ONLY:-}
WARMUP=${BENCH_WARMUP:-10}
RUNS=${BENCH_RUNS:-100}
TRACE_RUNS=${BENCH_TRACE_RUNS:-20}
STDOUT_RUNS=${BENCH_STDOUT_RUNS:-5}
NET_RUNS=${BENCH_NET_RUNS:-3}
NET_SECONDS=${BENCH_NET_SECONDS:-3}
PULL_RUNS=${BENCH_PULL_RUNS:-10}
PULL_WARMUP=${BENCH_PULL_WARMUP:-1}
PULL_TRACE_RUNS=${BENCH_PULL_TRACE_RUNS:-5}
LOGS_MB=${BENCH_LOGS_MB:-1024}
LOGS_RUNS=${BENCH_LOGS_RUNS:-10}
USERNET_FIRST_RUNS=${BENCH_USERNET_FIRST_RUNS:-20}
USERNET_PODMAN_RUNS=${BENCH_USERNET_PODMAN_RUNS:-5}
BUILD_RUNS=${BENCH_BUILD_RUNS:-5}
BUILD_FILES=${BENCH_BUILD_FILES:-5000}
BUILD_BIG_MB=${BENCH_BUILD_BIG_MB:-30}
BUILD_TRACE_RUNS=${BENCH_BUILD_TRACE_RUNS:-3}

# Targets (the issue's; all on medians).
# Start-up: urun within this factor of bwrap's median, and podman's median
# at least this many times urun's.
TARGET_VS_BWRAP=2
TARGET_VS_PODMAN=10
# Start-up with slirp4netns (the default network) at most this many ms
# above --network none.
TARGET_NET_STARTUP_MS=3
# What the default confinement (seccomp, capabilities, masked paths,
# no_new_privs) may add to a start: "urun --network none" against
# "urun unconfined".
TARGET_CONFINEMENT_MS=2
# podman exec's median at least this many times urun exec's.
TARGET_EXEC_VS_PODMAN=10
# A detached container's monitor, resident (conmon needs about 1 MiB).
TARGET_MONITOR_KIB=5120
# 1 GiB of a container's stdout through urun's pipes: at most this many
# times as long as through bwrap, which passes its own descriptor on.
TARGET_STDOUT_VS_DIRECT=1.5
# iperf3 from a container to the host's loopback through slirp4netns at
# least this many Gbit/s (what slirp4netns does at its best, with MTU
# 65520); from the host into a published port at least this many (the
# builtin port driver, a splice between two sockets, does tens of Gbit/s).
TARGET_C2H_GBITS=8
TARGET_H2C_GBITS=10
# User networks (issue 16): a run on a network that is up at most this
# many ms above a plain run, the first one (holder, uplink) at most this
# many; container to container over the network's bridge at least this
# many Gbit/s (a veth here: 15-23).
TARGET_USERNET_UP_MS=5
TARGET_USERNET_FIRST_MS=40
TARGET_USERNET_GBITS=15
# The pull: podman's median at least this many times urun's.
TARGET_PULL_VS_PODMAN=1.5
# `urun logs --tail 3` of a big log reads only its end: milliseconds and a
# few MiB whatever the log's size.
TARGET_LOGS_TAIL_MS=100
TARGET_LOGS_TAIL_KIB=32768

BENCH_USER=uruntest
CLEAN_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

# Set by run.sh and the helpers below; read by the sections and cleanup.
work='' bin='' tmp='' testbed_pid=''
registry='' image='' rootfs='' iperf3_image='' iperf3_error=''
big_image='' big_layers='' big_sizes='' big_compressed='' big_unpacked=''
# podman's command with the flags that work here, the start-up row's
# command line, and what the results say about podman (need_podman).
podman_checked='' podman_cmd=() podman_run='' podman_note=''
# What the sections started in the background: stopped by cleanup.
bg_pids=() podman_containers=()

log() { printf '\n==> %s\n' "$*"; }
die() {
	printf 'hack/bench: %s\n' "$*" >&2
	exit 1
}

# section_names: the names in SECTIONS, one a line.
section_names() {
	local entry
	for entry in "${SECTIONS[@]}"; do
		echo "${entry%% *}"
	done
}

# check_only fails when BENCH_ONLY names no section.
check_only() {
	[ -z "$ONLY" ] || section_names | grep -qx -- "$ONLY" ||
		die "BENCH_ONLY=$ONLY: no such section; the sections: $(section_names | tr '\n' ' ')"
}

# wanted NAME: whether the section NAME runs in this bench.
wanted() {
	local entry name knob title
	for entry in "${SECTIONS[@]}"; do
		read -r name knob title <<<"$entry"
		[ "$name" = "$1" ] || continue
		if [ -n "$ONLY" ]; then
			[ "$ONLY" = "$name" ]
			return
		fi
		[ "$knob" = - ] || [ "${!knob:-1}" != 0 ]
		return
	done
	return 1
}

# ---------------------------------------------------------------------------
# The throw-away world.

# start_testbed starts urun-testbed in the background and waits until it
# says where the registry, the image and the rootfs are; it builds the
# iperf3 image and the big image only for the sections that use them.
start_testbed() {
	local ready=$tmp/testbed.env extra=()
	if { wanted network || wanted usernet; } && command -v iperf3 >/dev/null; then
		extra=(-iperf3 "$(command -v iperf3)")
	fi
	if wanted pull; then
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

# need_podman finds, once, how rootless podman runs containers here:
# configured for a host without systemd (cgroupfs, events in a file) and
# with overlay storage like urun's (Debian's podman otherwise picks vfs for
# rootless, which copies the image for every container). If podman's
# default runtime cannot start containers here, it tries runc, and says
# so. Sets podman_cmd (empty when podman cannot run: podman_note says why),
# podman_run (the start-up row) and podman_note.
need_podman() {
	[ -z "$podman_checked" ] || return 0
	podman_checked=1
	if ! command -v podman >/dev/null; then
		podman_note="podman is not installed (as root, \`make bench\` installs it)"
		echo "LEFT OUT: podman: $podman_note"
		return 0
	fi
	local base=(podman --cgroup-manager=cgroupfs --events-backend=file --storage-driver=overlay)
	local out
	# Podman 4.3 reads registries.conf from ~/.config, not XDG_CONFIG_HOME:
	# point it at the same file. Only the pull needs it; `run` finds the
	# image in podman's store.
	if ! out=$(CONTAINERS_REGISTRIES_CONF=$XDG_CONFIG_HOME/containers/registries.conf "${base[@]}" pull -q "$image" 2>&1 </dev/null); then
		podman_note="podman pull failed: $out"
		echo "LEFT OUT: podman: $podman_note"
		return 0
	fi
	local run=(run --rm --network none "$image" true)
	if out=$("${base[@]}" "${run[@]}" 2>&1 </dev/null); then
		podman_cmd=("${base[@]}")
		podman_run="$(command -v podman) ${base[*]:1} ${run[*]}"
		podman_note="podman ${base[*]:1} (no systemd: cgroupfs, file events; overlay like urun)"
		return 0
	fi
	local why=$out
	if command -v runc >/dev/null && out=$("${base[@]}" --runtime=runc "${run[@]}" 2>&1 </dev/null); then
		podman_cmd=("${base[@]}" --runtime=runc)
		podman_run="$(command -v podman) ${base[*]:1} --runtime=runc ${run[*]}"
		podman_note="podman ${base[*]:1} --runtime=runc (no systemd: cgroupfs, file events; overlay like urun; runc because the default runtime failed: $(echo "$why" | tail -n 1))"
		return 0
	fi
	podman_note="podman cannot run containers here: $(echo "$why" | tail -n 3)${out:+; with runc: $(echo "$out" | tail -n 3)}"
	echo "LEFT OUT: podman: $podman_note"
}

# settle_podman waits (up to 30 s) until no podman or conmon process of
# this user is left from the measured runs, so they do not slow what is
# measured next.
settle_podman() {
	local i
	for i in $(seq 1 300); do
		pgrep -u "$(id -u)" -x 'podman|conmon' >/dev/null || return 0
		sleep 0.1
	done
	echo "note: podman processes were still running after 30 s"
}

# The long-running detached containers exec is timed in and whose monitors'
# memory is read: one of urun's (CHATTER) and one of podman's
# (podman_chatter, when podman runs here; podman_chatter_why says why not),
# each printing a line every 10 ms, so that its monitor relays and logs.
CHATTER=urun-bench-exec
podman_chatter='' podman_chatter_why='' chatter_started=''

# start_chatter starts both containers, once, and waits until urun exec
# works in urun's.
start_chatter() {
	[ -z "$chatter_started" ] || return 0
	chatter_started=1
	local chatter='while :; do echo tick; usleep 10000; done' i
	"$bin/urun" run -d --name "$CHATTER" --network none "$image" sh -c "$chatter" >"$tmp/exec-ctr.log" 2>&1 </dev/null ||
		echo "LEFT OUT: urun run -d: $(why "$tmp/exec-ctr.log")"
	for ((i = 0; i < 200; i++)); do
		"$bin/urun" exec "$CHATTER" true >/dev/null 2>&1 </dev/null && break
		sleep 0.05
	done
	need_podman
	if ((${#podman_cmd[@]} == 0)); then
		podman_chatter_why=$podman_note
		return 0
	fi
	local name=urun-bench-exec-$$ out
	if out=$("${podman_cmd[@]}" run -d --name "$name" --network none "$image" sh -c "$chatter" 2>&1 </dev/null); then
		podman_containers+=("$name")
		podman_chatter=$name
	else
		podman_chatter_why="podman run -d failed: $(echo "$out" | tail -n 2 | tr '\n' ' ')"
	fi
}

# stop_chatter removes both containers: their output would slow what is
# measured next.
stop_chatter() {
	"$bin/urun" rm -f "$CHATTER" >/dev/null 2>&1 || true
	if [ -n "$podman_chatter" ]; then
		"${podman_cmd[@]}" rm -f -t 0 "$podman_chatter" >/dev/null 2>&1 || true
		podman_containers=()
	fi
	podman_chatter='' chatter_started=''
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
	[ -z "$bin" ] || "$bin/urun" rm -f "$CHATTER" urun-bench-logs >/dev/null 2>&1 || true
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

# forget_pid PID: PID was waited for; cleanup must not signal it (the
# number may belong to another process by then).
forget_pid() {
	local p kept=()
	for p in "${bg_pids[@]}"; do
		[ "$p" = "$1" ] || kept+=("$p")
	done
	bg_pids=("${kept[@]}")
}

# ---------------------------------------------------------------------------
# Results.

# median_of NAME FILE: the median in ms of the hyperfine result NAME.
median_of() {
	jq -r --arg n "$1" '.results[] | select(.command == $n) | .median * 1000' "$2"
}

# hyperfine_results FILE: each result of a hyperfine JSON export, one a
# line: NAME, median, mean and standard deviation in ms (0 after one
# run), tab-separated.
hyperfine_results() {
	jq -r '.results[] | [.command, .median * 1000, .mean * 1000, (.stddev // 0) * 1000] | @tsv' "$1"
}

# median_list NUMBERS…: the median.
median_list() {
	printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) printf "%.2f", v[(NR + 1) / 2]; else printf "%.2f", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
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

# target TEXT SHOWN VALUE OP LIMIT: one line of a targets list: TEXT, SHOWN
# (VALUE as it reads best), PASS when VALUE OP LIMIT holds, else MISS.
target() {
	printf '  %-52s %8s  %s\n' "$1" "$2" "$(verdict "$3" "$4" "$5")"
}

# not_measured TEXT WHY: the line of a target that has no value.
not_measured() {
	printf '  %-52s %8s  %s\n' "$1" "-" "NOT MEASURED ($2)"
}

# target_faster TEXT MS OTHER_MS LIMIT WHY: the target "OTHER_MS is at
# least LIMIT times MS", or NOT MEASURED (WHY) when either is missing.
target_faster() {
	if [ -n "$2" ] && [ -n "$3" ]; then
		local r
		r=$(ratio "$3" "$2")
		target "$1" "${r}×" "$r" '>=' "$4"
	else
		not_measured "$1" "$5"
	fi
}

# target_above TEXT MS BASE_MS LIMIT WHY: the target "MS is at most LIMIT
# ms above BASE_MS", or NOT MEASURED (WHY) when either is missing.
target_above() {
	if [ -n "$2" ] && [ -n "$3" ]; then
		local added
		added=$(awk -v a="$2" -v b="$3" 'BEGIN { printf "%+.2f", a - b }')
		target "$1" "${added} ms" "$added" '<=' "$4"
	else
		not_measured "$1" "$5"
	fi
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

# trace_table WHAT TOTAL_MS COMMAND...: where urun's milliseconds go in
# COMMAND, in one table, from URUN_TRACE's lines "urun-trace MICROSECONDS
# STAGE PHASE" (CLOCK_MONOTONIC, shared by all of urun's processes): for
# each mark, the median over TRACE_RUNS runs of the time since the
# previous mark, and its share of TOTAL_MS, COMMAND's hyperfine median;
# then what the marks do not cover. Skipped when urun has no tracing.
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
		function share(ms) { return total > 0 ? sprintf("%5.1f%%", 100 * ms / total) : "" }
		END {
			printf "  first mark: %s\n", firstkey
			printf "  %-40s %10s %6s %7s\n", "mark (time since the previous mark)", "median ms", "runs", "share"
			for (i = 1; i <= nkeys; i++) {
				m = median(order[i])
				printf "  %-40s %10.3f %6d %7s\n", order[i], m, count[order[i]], share(m)
			}
			n = 0; for (r in span) { s[++n] = span[r] / 1000 }
			for (i = 2; i <= n; i++) for (j = i; j > 1 && s[j-1] > s[j]; j--) { t = s[j]; s[j] = s[j-1]; s[j-1] = t }
			if (!n) exit
			m = n % 2 ? s[(n+1)/2] : (s[n/2] + s[n/2+1]) / 2
			printf "  %-40s %10.3f %6s %7s\n", "first to last mark", m, "", share(m)
			if (total <= 0) exit
			printf "  %-40s %10.3f %6s %7s\n", "rest of the hyperfine median", total - m, "", share(total - m)
			printf "  %-40s %10.3f %6s %7s\n", "hyperfine median (all of it)", total, "", share(total)
		}' total="$total" "$traces"
	echo "  (the rest: exec and Go runtime start before the first mark, exit after the last;"
	echo "   below 0 when the traced runs were slower than hyperfine's; share: of the"
	echo "   hyperfine median; the marks' medians need not add up to their span's)"
}
