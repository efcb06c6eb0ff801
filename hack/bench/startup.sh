# hack/bench/startup.sh: how long `urun run --rm IMAGE true` takes, next to
# bwrap on the same root file system and rootless podman on the same image,
# plus urun's variants, in one hyperfine run; the ratios and targets; and,
# from URUN_TRACE, where each of urun's milliseconds goes.

# The rows of the hyperfine run, and why an optional row was left out, by
# its name (add_row).
names=() commands=()
declare -A left_out=()

bench_startup() {
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
	need_podman
	[ -z "$podman_run" ] || add_row "podman --network none" "$podman_run" optional

	log "hyperfine: $WARMUP warm-up runs, then $RUNS runs of each, no shell (-N)"
	local args=() i
	for i in "${!names[@]}"; do
		args+=(-n "${names[$i]}" "${commands[$i]}")
	done
	hyperfine -N --warmup "$WARMUP" --runs "$RUNS" --time-unit millisecond \
		--export-json "$tmp/hyperfine.json" "${args[@]}" </dev/null ||
		die "hyperfine failed"
	# For BENCH_JSON, which stage 1 copies from there.
	cp "$tmp/hyperfine.json" "$work/out/hyperfine.json" 2>/dev/null || true

	startup_table "$tmp/hyperfine.json"
	settle_podman
	trace_table "urun --network none" "$(median_of "urun --network none" "$tmp/hyperfine.json")" \
		"$bin/urun" run --rm --network none "$image" true
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

# startup_table JSON: the commands, each row's median with its ratio to
# bwrap's and podman's, and the targets.
startup_table() {
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
	done < <(hyperfine_results "$json")
	echo "  (vs bwrap: this median / bwrap's median; podman/this: podman's median / this median)"

	echo
	echo "targets (the issue's; medians):"
	local r
	r=$(ratio "$urun" "$bwrap")
	target "urun --network none within ${TARGET_VS_BWRAP}× of bwrap:" "${r}×" "$r" '<=' "$TARGET_VS_BWRAP"
	target_faster "urun --network none at least ${TARGET_VS_PODMAN}× faster than podman:" \
		"$urun" "$podman" "$TARGET_VS_PODMAN" "$podman_note"
	target_above "urun --network slirp4netns at most ${TARGET_NET_STARTUP_MS} ms above none:" \
		"$(median_of "urun --network slirp4netns" "$json")" "$urun" "$TARGET_NET_STARTUP_MS" \
		"urun --network slirp4netns failed: ${left_out["urun --network slirp4netns"]:-no result}"
	target_above "urun's default confinement at most ${TARGET_CONFINEMENT_MS} ms:" \
		"$urun" "$(median_of "urun unconfined" "$json")" "$TARGET_CONFINEMENT_MS" \
		"urun unconfined failed: ${left_out["urun unconfined"]:-no result}"
}
