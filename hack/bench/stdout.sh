# hack/bench/stdout.sh: what it costs that a container run in the foreground
# writes to a pipe that urun relays (splice(2) to urun's own stdout,
# launch/stdio.go) rather than to the caller's descriptor itself. hyperfine
# times 1 GiB of `head -c` to /dev/null and to a file, through urun and
# through bwrap on the same root file system, which passes its stdout on
# as urun did before. Both include their start (urun's some 10 ms more).
bench_stdout() {
	local size=1073741824 dest row urun_ms bwrap_ms
	local urun_cmd="$bin/urun run --rm --network none $image head -c $size /dev/zero"
	local bwrap_cmd
	bwrap_cmd="$(command -v bwrap) --unshare-all --die-with-parent --bind $rootfs / --proc /proc --dev /dev /bin/head -c $size /dev/zero"
	log "stdout: 1 GiB written by the container (head -c $size /dev/zero), $STDOUT_RUNS runs of each after 1 warm-up run"
	"$bin/urun" pull -q "$image" >/dev/null || die "urun pull $image failed"
	local rows=()
	for dest in /dev/null "$tmp/stdout.bin"; do
		hyperfine -N --warmup 1 --runs "$STDOUT_RUNS" --time-unit millisecond --output "$dest" \
			--export-json "$tmp/hyperfine-stdout.json" -n urun "$urun_cmd" -n bwrap "$bwrap_cmd" </dev/null ||
			die "hyperfine failed on the stdout benchmark"
		rm -f "$tmp/stdout.bin"
		urun_ms=$(median_of urun "$tmp/hyperfine-stdout.json")
		bwrap_ms=$(median_of bwrap "$tmp/hyperfine-stdout.json")
		row=$(ratio "$urun_ms" "$bwrap_ms")
		rows+=("$(printf '  %-18s urun %8.1f ms (%5.2f GB/s)   bwrap %8.1f ms (%5.2f GB/s)   urun/bwrap %sx (target <= %sx: %s)' \
			"${dest/#$tmp\//a file }" "$urun_ms" "$(awk -v s=$size -v m="$urun_ms" 'BEGIN { print s / m / 1e6 }')" \
			"$bwrap_ms" "$(awk -v s=$size -v m="$bwrap_ms" 'BEGIN { print s / m / 1e6 }')" \
			"$row" "$TARGET_STDOUT_VS_DIRECT" "$(verdict "$row" '<=' "$TARGET_STDOUT_VS_DIRECT")")")
	done
	log "stdout: 1 GiB, median of $STDOUT_RUNS runs; urun relays a pipe, bwrap passes its descriptor on"
	printf '%s\n' "${rows[@]}"
}
