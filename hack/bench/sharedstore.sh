# hack/bench/sharedstore.sh: what a start costs from a shared read-only
# image store (additionalimagestores) against the user's own store (the
# issue's "starts as fast as from the user's own store"). Three stores
# under the bench's temporary directory, each with its own run root: OWN
# holds the image; SHARED holds it too and is made read-only; EMPTY holds
# nothing and names SHARED in $URUN_ADDITIONAL_IMAGE_STORES, so its runs
# take the image's layers from SHARED in place. A store filled by another
# user (root, say) is shown through fuse-overlayfs (squash_to_root); that
# case is measured where hack/shared-store-fixture.sh left one
# (/var/tmp/urun-test-shared-by-root, made as root by hack/test.sh).
# Knobs: BENCH_SHARED=0 skips it. Target: TARGET_SHARED_MS below.

# A start from a shared store at most this many ms above one from the
# user's own.
TARGET_SHARED_MS=2
ROOTS_SHARED_STORE=/var/tmp/urun-test-shared-by-root/store

bench_sharedstore() {
	local d="$tmp/shared" why_not=''
	mkdir -p "$d"
	local own=("$bin/urun" --root "$d/own" --runroot "$d/own-run")
	local shared=("$bin/urun" --root "$d/shared" --runroot "$d/shared-run")
	local empty=("$bin/urun" --root "$d/empty" --runroot "$d/empty-run")
	log "shared image store: run --rm --network none $image true from the own store and from a read-only shared one ($WARMUP warm-up runs, $RUNS runs each)"
	if ! "${own[@]}" pull -q "$image" >"$d/pull.log" 2>&1 || ! "${shared[@]}" pull -q "$image" >>"$d/pull.log" 2>&1; then
		why_not="urun pull failed: $(why "$d/pull.log")"
	else
		# Read-only where urun would write (records, locks): the store's
		# directories of the user's own; the layers' files belong to
		# subordinate ids.
		find "$d/shared" -maxdepth 2 -user "$(id -u)" -exec chmod a-w {} +
		if ! URUN_ADDITIONAL_IMAGE_STORES="$d/shared" "${empty[@]}" run --rm --network none "$image" true >"$d/try.log" 2>&1; then
			why_not="a run from the shared store failed: $(why "$d/try.log")"
		fi
	fi
	if [ -n "$why_not" ]; then
		echo "NOT MEASURED: $why_not"
		not_measured "from a shared store at most ${TARGET_SHARED_MS} ms above the own store:" "$why_not"
		find "$d" -maxdepth 3 -user "$(id -u)" -exec chmod u+w {} + 2>/dev/null || true
		return 0
	fi
	local hf=(hyperfine -N --warmup "$WARMUP" --runs "$RUNS" --time-unit millisecond --export-json "$tmp/hyperfine-shared.json")
	local cmds=(-n "own store" "${own[*]} run --rm --network none $image true"
		-n "shared store (same user's)" "env URUN_ADDITIONAL_IMAGE_STORES=$d/shared ${empty[*]} run --rm --network none $image true")
	if [ -r "$ROOTS_SHARED_STORE" ]; then
		cmds+=(-n "shared store (root's, fuse-overlayfs)" "env URUN_ADDITIONAL_IMAGE_STORES=$ROOTS_SHARED_STORE ${empty[*]} run --rm --network none shared-by-root /bin/busybox true"
			-n "own store, fuse-overlayfs" "${own[*]} --rootfs-driver fuse-overlayfs run --rm --network none $image true")
	fi
	"${hf[@]}" "${cmds[@]}" </dev/null || {
		echo "  hyperfine failed"
		find "$d" -maxdepth 3 -user "$(id -u)" -exec chmod u+w {} + 2>/dev/null || true
		return 0
	}
	find "$d" -maxdepth 3 -user "$(id -u)" -exec chmod u+w {} + 2>/dev/null || true
	log "results: shared image store, median of $RUNS runs each after $WARMUP warm-up runs"
	printf '  %-40s %10s %19s\n' command "median ms" "mean ± sd ms"
	local row median mean stddev
	while IFS=$'\t' read -r row median mean stddev; do
		printf '  %-40s %10.2f %19s\n' "$row" "$median" "$(printf '%.2f ± %.2f' "$mean" "$stddev")"
	done < <(hyperfine_results "$tmp/hyperfine-shared.json")
	[ -r "$ROOTS_SHARED_STORE" ] || echo "  (no store of root's at $ROOTS_SHARED_STORE: as root, hack/test.sh makes one)"
	echo
	echo "targets (the issue's; medians):"
	target_above "from a shared store at most ${TARGET_SHARED_MS} ms above the own store:" \
		"$(median_of "shared store (same user's)" "$tmp/hyperfine-shared.json")" \
		"$(median_of "own store" "$tmp/hyperfine-shared.json")" "$TARGET_SHARED_MS" "hyperfine failed"
}
