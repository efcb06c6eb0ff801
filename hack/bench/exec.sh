# hack/bench/exec.sh: `urun exec CONTAINER true` next to `podman exec`, each
# in a long-running detached container of its own (start_chatter), in one
# hyperfine run; the target; and where exec's milliseconds go.

bench_exec() {
	local rows=()
	log "exec: a long-running detached container of each, then hyperfine: $WARMUP warm-up runs, $RUNS runs of each"
	start_chatter
	if "$bin/urun" exec "$CHATTER" true >/dev/null 2>&1 </dev/null; then
		rows+=(-n "urun exec" "$bin/urun exec $CHATTER true")
	else
		echo "LEFT OUT: urun exec: $("$bin/urun" exec "$CHATTER" true 2>&1 </dev/null | tail -n 2 | tr '\n' ' ') (container: $(why "$tmp/exec-ctr.log"))"
	fi
	if [ -n "$podman_chatter" ]; then
		rows+=(-n "podman exec" "$(command -v podman) ${podman_cmd[*]:1} exec $podman_chatter true")
	elif ((${#podman_cmd[@]})); then
		echo "LEFT OUT: podman exec: $podman_chatter_why"
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
	local urun podman
	urun=$(median_of "urun exec" "$tmp/hyperfine-exec.json")
	podman=$(median_of "podman exec" "$tmp/hyperfine-exec.json")
	log "results: exec, median of $RUNS runs each after $WARMUP warm-up runs"
	printf '  %-28s %10s %19s\n' command "median ms" "mean ± sd ms"
	local row median mean stddev
	while IFS=$'\t' read -r row median mean stddev; do
		printf '  %-28s %10.2f %19s\n' "$row" "$median" "$(printf '%.2f ± %.2f' "$mean" "$stddev")"
	done < <(hyperfine_results "$tmp/hyperfine-exec.json")
	echo
	echo "targets (the issue's; medians):"
	target_faster "urun exec at least ${TARGET_EXEC_VS_PODMAN}× faster than podman exec:" \
		"$urun" "$podman" "$TARGET_EXEC_VS_PODMAN" "${podman_chatter_why:-urun exec failed}"
	[ -z "$urun" ] || trace_table "urun exec" "$urun" "$bin/urun" exec "$CHATTER" true
}
