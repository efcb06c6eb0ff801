# hack/bench/build.sh: `urun build` next to rootless `podman build --layers`
# of one context (BENCH_BUILD_FILES small files, three files of
# BENCH_BUILD_BIG_MB MB, two stages, thirteen steps): a cold build
# (--no-cache), a rebuild with nothing changed, and a rebuild after one of
# the small files changed, each in one hyperfine run; then `urun commit`
# next to `podman commit` of a stopped container with 100 MB of changes;
# the ratios; and, from URUN_TRACE, where the rebuild's time goes.
#
# Knobs: lib.sh (BENCH_BUILD*). There are no targets: it reports.

bench_build() {
	local b=$tmp/build
	local ctx=$b/context tag=localhost/bench-build out
	mkdir -p "$b"
	log "build: a context of $BUILD_FILES small files and 3 × $BUILD_BIG_MB MB, two stages, 13 steps; $BUILD_RUNS runs of each"
	build_context "$ctx"
	echo "  context: $(du -sm "$ctx" | cut -f1) MB in $(find "$ctx" -type f | wc -l) files"
	build_scripts "$b" "$ctx" "$tag"
	"$bin/urun" pull -q "$image" >/dev/null || die "urun pull $image failed"

	local urun_build="$bin/urun build -q -t $tag $ctx" podman_build='' podman_why=''
	if ! out=$($urun_build 2>&1 </dev/null); then
		echo "  FAILED: urun build: $(echo "$out" | tail -n 3 | tr '\n' ' ')"
		return 0
	fi
	need_podman
	if ((${#podman_cmd[@]})); then
		podman_build="$(command -v podman) ${podman_cmd[*]:1} build --layers --format docker -q -t $tag $ctx"
		# shellcheck disable=SC2086 # split like hyperfine -N does
		if ! out=$($podman_build 2>&1 </dev/null); then
			podman_why="podman build failed: $(echo "$out" | tail -n 2 | tr '\n' ' ')"
			echo "LEFT OUT: $podman_why"
			podman_build=''
		fi
	else
		podman_why=$podman_note
	fi

	# Each case: its name, the commands' extra flags, and what hyperfine
	# runs before each of them (the scripts build_scripts wrote).
	local cases=(
		"cold --no-cache clean"
		"unchanged - none"
		"one-file-changed - change"
	)
	local entry name flags prepare args json
	for entry in "${cases[@]}"; do
		read -r name flags prepare <<<"$entry"
		[ "$flags" != - ] || flags=''
		json=$tmp/hyperfine-build-$name.json
		args=(-n "urun $name" --prepare "$b/urun-$prepare.sh" "${urun_build/ build / build $flags }")
		if [ -n "$podman_build" ]; then
			args+=(-n "podman $name" --prepare "$b/podman-$prepare.sh" "${podman_build/ build / build $flags }")
		fi
		log "hyperfine: $name, 1 warm-up run and $BUILD_RUNS runs of each"
		hyperfine -N --warmup 1 --runs "$BUILD_RUNS" --time-unit millisecond \
			--export-json "$json" "${args[@]}" </dev/null || echo "  hyperfine failed: $name"
		settle_podman
	done

	build_commit_bench "$b"

	log "results: build and commit, median of $BUILD_RUNS runs each ($(nproc) CPUs)"
	printf '  %-22s %12s %12s %14s\n' case "urun ms" "podman ms" "podman ÷ urun"
	local u p
	for name in cold unchanged one-file-changed commit; do
		json=$tmp/hyperfine-build-$name.json
		[ -s "$json" ] || continue
		u=$(median_of "urun $name" "$json")
		p=$(median_of "podman $name" "$json")
		printf '  %-22s %12s %12s %14s\n' "$name" "$(printf '%.0f' "${u:-0}")" "${p:+$(printf '%.0f' "$p")}" "$(ratio "$p" "$u")${p:+×}"
	done
	[ -n "$podman_build" ] || echo "  (no podman column: $podman_why)"
	echo "  cold: --no-cache; unchanged: every step cached; one-file-changed: one of the"
	echo "  small files rewritten before each run, so the steps from its COPY on run again;"
	echo "  commit: a stopped container with 100 MB of changes (50 MB in one file, 1000 of 50 KB)"

	build_trace "$b" "$urun_build"
	"$bin/urun" rmi -f "$tag" >/dev/null 2>&1 || true
	"$bin/urun" builder prune -f -a >/dev/null 2>&1 || true
}

# build_context DIR writes the context: files/dNN/fNNNNN (BUILD_FILES
# files of 100 to 2000 bytes, 100 a directory), big1..big3 (BUILD_BIG_MB
# MB of random bytes each) and the Dockerfile.
build_context() {
	local ctx=$1 i d
	mkdir -p "$ctx/files"
	for ((i = 0; i < BUILD_FILES; i++)); do
		d=$ctx/files/d$((i / 100))
		((i % 100)) || mkdir -p "$d"
		printf "file %d %0$((100 + (i * 37) % 1900))d\n" "$i" 0 >"$d/f$i"
	done
	for i in 1 2 3; do
		head -c "$((BUILD_BIG_MB << 20))" /dev/urandom >"$ctx/big$i"
	done
	cat >"$ctx/Dockerfile" <<-EOF
		FROM $image AS build
		RUN mkdir /out && for i in \$(seq 1 200); do echo \$i > /out/f\$i; done
		RUN head -c 10485760 /dev/urandom > /out/blob
		FROM $image
		ENV APP=/app
		COPY big1 big2 big3 /app/big/
		COPY files /app/files
		RUN find /app/files -type f | wc -l > /app/count
		COPY --from=build /out /app/out
		RUN sha256sum /app/big/* /app/out/blob > /app/sums
		WORKDIR /app
		LABEL bench=build
		CMD ["cat", "/app/count"]
	EOF
}

# build_scripts DIR CTX TAG writes what hyperfine runs before each build:
# {urun,podman}-clean.sh remove the image and what the last build left
# (the cold case), *-none.sh nothing, *-change.sh rewrite one small file
# with new content (the same for both tools).
build_scripts() {
	local b=$1 ctx=$2 tag=$3 tool
	local podman_line="true"
	((${#podman_cmd[@]} == 0)) || podman_line="${podman_cmd[*]} rmi -f $tag >/dev/null 2>&1; ${podman_cmd[*]} image prune -f >/dev/null 2>&1"
	cat >"$b/urun-clean.sh" <<-EOF
		#!/bin/bash
		"$bin/urun" rmi -f $tag >/dev/null 2>&1
		"$bin/urun" image prune -f >/dev/null 2>&1
		exit 0
	EOF
	printf '#!/bin/bash\n%s\nexit 0\n' "$podman_line" >"$b/podman-clean.sh"
	cat >"$b/change.sh" <<-EOF
		#!/bin/bash
		echo "changed \$(date +%s%N)" >"$ctx/files/d0/f0"
	EOF
	for tool in urun podman; do
		printf '#!/bin/bash\nexit 0\n' >"$b/$tool-none.sh"
		cp "$b/change.sh" "$b/$tool-change.sh"
	done
	chmod +x "$b"/*.sh
}

# build_commit_bench DIR: `urun commit` and `podman commit` of a stopped
# container each, with 100 MB of changes; the committed image is removed
# before each run.
build_commit_bench() {
	local b=$1 ctr=urun-bench-commit pctr=urun-bench-commit-$$ out
	local fill='head -c 52428800 /dev/urandom > /big; mkdir /many; i=0; while [ $i -lt 1000 ]; do head -c 51200 /dev/urandom > /many/f$i; i=$((i+1)); done'
	log "commit: a stopped container with 100 MB of changes, $BUILD_RUNS runs of each"
	"$bin/urun" rm -f "$ctr" >/dev/null 2>&1 || true
	if ! out=$("$bin/urun" run --name "$ctr" --network none "$image" sh -c "$fill" 2>&1 </dev/null); then
		echo "  FAILED: urun run for the commit: $(echo "$out" | tail -n 2 | tr '\n' ' ')"
		return 0
	fi
	printf '#!/bin/bash\n"%s" rmi -f localhost/bench-commit >/dev/null 2>&1\nexit 0\n' "$bin/urun" >"$b/urun-uncommit.sh"
	local args=(-n "urun commit" --prepare "$b/urun-uncommit.sh" "$bin/urun commit $ctr localhost/bench-commit")
	if ((${#podman_cmd[@]})) && out=$("${podman_cmd[@]}" run --name "$pctr" --network none "$image" sh -c "$fill" 2>&1 </dev/null); then
		podman_containers+=("$pctr")
		printf '#!/bin/bash\n%s rmi -f localhost/bench-commit >/dev/null 2>&1\nexit 0\n' "${podman_cmd[*]}" >"$b/podman-uncommit.sh"
		args+=(-n "podman commit" --prepare "$b/podman-uncommit.sh" "$(command -v podman) ${podman_cmd[*]:1} commit -q $pctr localhost/bench-commit")
	elif ((${#podman_cmd[@]})); then
		echo "LEFT OUT: podman commit: podman run failed: $(echo "$out" | tail -n 2 | tr '\n' ' ')"
	fi
	chmod +x "$b"/*.sh
	hyperfine -N --warmup 1 --runs "$BUILD_RUNS" --time-unit millisecond \
		--export-json "$tmp/hyperfine-build-commit.json" "${args[@]}" </dev/null || echo "  hyperfine failed: commit"
	settle_podman
	"$bin/urun" rm -f "$ctr" >/dev/null 2>&1 || true
	"$bin/urun" rmi -f localhost/bench-commit >/dev/null 2>&1 || true
}

# build_trace DIR COMMAND: where the time of a rebuild after one file
# changed goes, from URUN_TRACE's marks ("urun-trace MICROSECONDS STAGE
# PHASE" on stderr) over BUILD_TRACE_RUNS such rebuilds: each mark's median
# time since the first, in the order of those medians, and the time since
# the mark before. Skipped when urun's build prints no marks.
build_trace() {
	local b=$1 cmd=$2 i traces=$tmp/build-trace
	: >"$traces"
	for ((i = 0; i < BUILD_TRACE_RUNS; i++)); do
		"$b/change.sh"
		# shellcheck disable=SC2086 # split like hyperfine -N does
		URUN_TRACE=1 $cmd 2>&1 >/dev/null </dev/null | grep '^urun-trace ' | sort -n -k2,2 >>"$traces" || true
		echo "--" >>"$traces"
	done
	if ! grep -q '^urun-trace ' "$traces"; then
		log "where urun's build time goes: skipped (this urun prints no URUN_TRACE marks when it builds)"
		return 0
	fi
	log "where urun's build time goes: URUN_TRACE=1, median of $BUILD_TRACE_RUNS rebuilds after one file changed"
	awk '
		function median(k,   n, i, j, t, a) {
			n = count[k]
			for (i = 1; i <= n; i++) a[i] = vals[k, i]
			for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j-1] > a[j]; j--) { t = a[j]; a[j] = a[j-1]; a[j-1] = t }
			return n % 2 ? a[(n+1)/2] : (a[n/2] + a[n/2+1]) / 2
		}
		$1 == "--" { first = ""; delete seen; next }
		{
			key = $3 " " $4
			if (seen[key]++) key = key " #" seen[key]
			if (first == "") first = $2
			if (!(key in count)) keys[++nkeys] = key
			vals[key, ++count[key]] = ($2 - first) / 1000
		}
		END {
			for (i = 1; i <= nkeys; i++) { med[keys[i]] = median(keys[i]); order[i] = keys[i] }
			for (i = 2; i <= nkeys; i++) for (j = i; j > 1 && med[order[j-1]] > med[order[j]]; j--) { t = order[j]; order[j] = order[j-1]; order[j-1] = t }
			printf "  %-44s %14s %10s\n", "mark", "ms since start", "since prev"
			prev = 0
			for (i = 1; i <= nkeys; i++) {
				printf "  %-44s %14.1f %10.1f\n", order[i], med[order[i]], med[order[i]] - prev
				prev = med[order[i]]
			}
		}' "$traces"
}
