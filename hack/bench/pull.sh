# hack/bench/pull.sh: `urun pull` and rootless `podman pull` of urun-testbed's
# big image (test/big:latest) from the local registry into a cold store,
# in one hyperfine run; then where urun's pull spends its time, from
# URUN_TRACE.

bench_pull() {
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

	local urun podman
	urun=$(median_of "urun pull" "$tmp/hyperfine-pull.json")
	podman=$(median_of "podman pull" "$tmp/hyperfine-pull.json")
	log "results: pull of $big_image into a cold store, median of $PULL_RUNS runs each ($(nproc) CPUs)"
	printf '  %-28s %10s %19s %12s\n' command "median ms" "mean ± sd ms" "MB/s"
	local row median mean stddev
	while IFS=$'\t' read -r row median mean stddev; do
		printf '  %-28s %10.1f %19s %12s\n' "$row" "$median" "$(printf '%.1f ± %.1f' "$mean" "$stddev")" \
			"$(awk -v b="$big_compressed" -v ms="$median" 'BEGIN { printf "%.0f", b / 1e6 / (ms / 1000) }')"
	done < <(hyperfine_results "$tmp/hyperfine-pull.json")
	[ -z "$podman_pull" ] || echo "  podman: podman --storage-driver=overlay (rootless, cgroupfs, file events), --root/--runroot of its own"
	echo "  (MB/s: compressed megabytes pulled per second of the median)"
	echo
	echo "targets (the issue's; medians):"
	target_faster "urun pull at least ${TARGET_PULL_VS_PODMAN}× faster than podman pull:" \
		"$urun" "$podman" "$TARGET_PULL_VS_PODMAN" "${podman_why:-no result}"
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
