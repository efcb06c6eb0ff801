# hack/bench/logs.sh: bench_logs times `urun logs --tail 3` of a stopped
# container whose log (ctr.log) is BENCH_LOGS_MB of k8s-file lines followed by its own three
# (median of BENCH_LOGS_RUNS hyperfine runs), and reads its max RSS with GNU
# time: both must stay small whatever the log's size, as it reads from the
# end.
bench_logs() {
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
	target "median ms, at most $TARGET_LOGS_TAIL_MS:" "$(printf %.1f "$median")" "$median" '<=' "$TARGET_LOGS_TAIL_MS"
	target "max RSS KiB (GNU time), at most $TARGET_LOGS_TAIL_KIB:" "$max_rss" "$max_rss" '<=' "$TARGET_LOGS_TAIL_KIB"
	"$bin/urun" rm -f "$name" >/dev/null
}
