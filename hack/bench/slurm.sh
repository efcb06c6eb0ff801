# hack/bench/slurm.sh: what a container's start costs inside a Slurm job
# (the issue's "no more than outside it"): `urun run --rm --network none
# IMAGE true` measured by hyperfine on the host, then by the same hyperfine
# run as one job step (srun) on the single-node Slurm hack/setup-host.sh
# starts (hack/slurm/setup.sh), then on the host again; and, for scale, a whole `srun urun run`,
# a job of its own each time (Slurm's scheduling, not urun's, is most of
# it). Knobs: BENCH_SLURM=0 skips it; BENCH_SLURM_SRUN_RUNS [10] runs of
# the whole srun. Its target: TARGET_SLURM_MS below.

# A start inside a job step at most this many ms above one outside.
TARGET_SLURM_MS=2
SLURM_SRUN_RUNS=${BENCH_SLURM_SRUN_RUNS:-10}

bench_slurm() {
	local run="$bin/urun run --rm --network none $image true" why_not=''
	log "Slurm: $run outside a job and inside one (a job step running hyperfine: $WARMUP warm-up runs, $RUNS runs each)"
	if ! command -v srun >/dev/null; then
		why_not="Slurm is not installed (as root, hack/setup-host.sh installs and starts it)"
	elif ! sinfo -h -N -o %T 2>/dev/null | grep -qE '^(idle|mixed|allocated)'; then
		why_not="Slurm's node is not up (sinfo: $(sinfo -h -N -o %T 2>&1 | head -n 1); as root: bash hack/slurm/setup.sh)"
	elif ! "$bin/urun" pull -q "$image" >"$tmp/slurm-pull.log" 2>&1; then
		why_not="urun pull failed: $(why "$tmp/slurm-pull.log")"
	fi
	if [ -n "$why_not" ]; then
		echo "NOT MEASURED: $why_not"
		not_measured "inside a job at most ${TARGET_SLURM_MS} ms above outside:" "$why_not"
		return 0
	fi
	local hf=(hyperfine -N --warmup "$WARMUP" --runs "$RUNS" --time-unit millisecond)
	# Outside, inside, outside again: the host's load drifts over a
	# bench, and the inside run is compared with both outside ones.
	"${hf[@]}" --export-json "$tmp/hyperfine-slurm-outside.json" -n "outside a job" "$run" </dev/null || {
		echo "  hyperfine failed outside a job"
		return 0
	}
	# srun passes the environment on (XDG_* of the bench's world). One
	# step: the allocation and the step's set-up are paid once, before
	# hyperfine's first run.
	srun --quiet "${hf[@]}" --export-json "$tmp/hyperfine-slurm-inside.json" -n "inside a job step" "$run" </dev/null || {
		echo "  hyperfine failed inside a job step"
		return 0
	}
	"${hf[@]}" --export-json "$tmp/hyperfine-slurm-outside2.json" -n "outside a job, again" "$run" </dev/null || {
		echo "  hyperfine failed outside a job"
		return 0
	}
	local whole=(hyperfine -N --warmup 1 --runs "$SLURM_SRUN_RUNS" --time-unit millisecond)
	"${whole[@]}" --export-json "$tmp/hyperfine-slurm-srun.json" -n "srun urun run (a job each)" "srun --quiet $run" </dev/null ||
		echo "  hyperfine failed for srun urun run"

	local outside inside
	outside=$(median_list "$(median_of "outside a job" "$tmp/hyperfine-slurm-outside.json")" \
		"$(median_of "outside a job, again" "$tmp/hyperfine-slurm-outside2.json")")
	inside=$(median_of "inside a job step" "$tmp/hyperfine-slurm-inside.json")
	log "results: Slurm, median of $RUNS runs each after $WARMUP warm-up runs ($SLURM_SRUN_RUNS of the whole srun)"
	printf '  %-30s %10s %19s\n' command "median ms" "mean ± sd ms"
	local f row median mean stddev
	for f in outside inside outside2 srun; do
		[ -s "$tmp/hyperfine-slurm-$f.json" ] || continue
		while IFS=$'\t' read -r row median mean stddev; do
			printf '  %-30s %10.2f %19s\n' "$row" "$median" "$(printf '%.2f ± %.2f' "$mean" "$stddev")"
		done < <(hyperfine_results "$tmp/hyperfine-slurm-$f.json")
	done
	echo
	echo "targets (the issue's; medians):"
	echo "  (outside: the mean of its two medians, $outside ms)"
	target_above "inside a job at most ${TARGET_SLURM_MS} ms above outside:" "$inside" "$outside" "$TARGET_SLURM_MS" "hyperfine failed"
}
