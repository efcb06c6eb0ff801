# hack/bench/usernet.sh: urun's user-defined networks (package usernet).
#
#   start-up: `urun run --rm --network NET IMAGE true` next to a plain
#     `urun run --rm IMAGE true` (slirp4netns, the default) in one hyperfine
#     run: the first container of a network (no holder runs: each run waits
#     until the previous holder ended, in --prepare) and one with the
#     network up (another container keeps the holder); and rootless
#     podman's run on a network of its own (netavark, aardvark-dns),
#     USERNET_PODMAN_RUNS runs.
#   throughput: iperf3 from one container to another on the same network,
#     NET_RUNS runs of NET_SECONDS s, median in Gbit/s.
#   memory: the holder's and its slirp4netns's resident memory with the
#     containers of this section attached.

bench_usernet() {
	local net=bench-net json=$tmp/hyperfine-usernet.json dir
	log "user networks: start-up on a network, container-to-container iperf3, the holder's memory"
	"$bin/urun" pull -q "$image" >/dev/null || die "urun pull $image failed"
	"$bin/urun" network rm -f "$net" >/dev/null 2>&1 || true
	"$bin/urun" network create "$net" >/dev/null || die "urun network create $net failed"
	dir=$("$bin/urun" info --format json 2>/dev/null | jq -r '.store.run_root // empty' 2>/dev/null || true)
	[ -n "$dir" ] || dir=${XDG_RUNTIME_DIR:-/tmp/urun-$(id -u)}/urun
	local holder_sock=$dir/urun-networks/holder.sock
	# Waits until no holder runs (it ends a second after its last container).
	cat >"$tmp/usernet-no-holder.sh" <<EOF
#!/bin/sh
i=0
while [ -e "$holder_sock" ] && [ \$i -lt 100 ]; do sleep 0.05; i=\$((i + 1)); done
EOF
	chmod +x "$tmp/usernet-no-holder.sh"

	local plain="$bin/urun run --rm $image true" on_net="$bin/urun run --rm --network $net $image true"
	local out
	# shellcheck disable=SC2086 # split like hyperfine -N does
	if ! out=$($on_net 2>&1 </dev/null); then
		echo "  FAILED: $on_net: $(echo "$out" | tail -n 3 | tr '\n' ' ')"
		return 0
	fi
	log "hyperfine: the first container of a network, $USERNET_FIRST_RUNS runs (each after the holder ended)"
	hyperfine -N --runs "$USERNET_FIRST_RUNS" --time-unit millisecond --prepare "$tmp/usernet-no-holder.sh" \
		--export-json "$tmp/hyperfine-usernet-first.json" -n "urun first on network" "$on_net" </dev/null ||
		echo "  hyperfine failed: first container"

	# A container that keeps the holder (and the network) up.
	"$bin/urun" run -d --name bench-net-keeper --network "$net" "$image" sleep 3600 >/dev/null ||
		die "a detached container on $net failed"
	log "hyperfine: $WARMUP warm-up runs, then $RUNS runs of each, no shell (-N)"
	hyperfine -N --warmup "$WARMUP" --runs "$RUNS" --time-unit millisecond --export-json "$json" \
		-n "urun plain (slirp4netns)" "$plain" -n "urun --network none" "$bin/urun run --rm --network none $image true" \
		-n "urun on network (up)" "$on_net" </dev/null || echo "  hyperfine failed: start-up on a network"

	local podman_net='' podman_why=''
	need_podman
	if ((${#podman_cmd[@]})); then
		"${podman_cmd[@]}" network rm -f "$net" >/dev/null 2>&1 || true
		if out=$("${podman_cmd[@]}" network create "$net" 2>&1) &&
			out=$("${podman_cmd[@]}" run --rm --network "$net" "$image" true 2>&1 </dev/null); then
			podman_net="$(command -v podman) ${podman_cmd[*]:1} run --rm --network $net $image true"
			log "hyperfine: podman on a network, $USERNET_PODMAN_RUNS runs"
			hyperfine -N --warmup 1 --runs "$USERNET_PODMAN_RUNS" --time-unit millisecond \
				--export-json "$tmp/hyperfine-usernet-podman.json" -n "podman on network" "$podman_net" </dev/null ||
				echo "  hyperfine failed: podman on a network"
			settle_podman
		else
			podman_why="podman on a network failed: $(echo "$out" | tail -n 2 | tr '\n' ' ')"
			echo "LEFT OUT: $podman_why"
		fi
	else
		podman_why=$podman_note
	fi

	local rates=() gb server_ip
	if [ -n "${iperf3_image:-}" ]; then
		"$bin/urun" run -d --name bench-net-iperf3 --network "$net" "$iperf3_image" iperf3 -s >/dev/null ||
			echo "  FAILED: the iperf3 server on $net"
		sleep 0.3
		server_ip=$("$bin/urun" inspect -f "{{(index .NetworkSettings.Networks \"$net\").IPAddress}}" bench-net-iperf3 2>/dev/null || true)
		local i
		for ((i = 0; i < NET_RUNS; i++)); do
			if "$bin/urun" run --rm --network "$net" "$iperf3_image" iperf3 -c bench-net-iperf3 -t "$NET_SECONDS" -J \
				>"$tmp/usernet-iperf3-$i.json" 2>"$tmp/usernet-iperf3-$i.log" </dev/null &&
				gb=$(gbits "$tmp/usernet-iperf3-$i.json"); then
				rates+=("$gb")
			else
				echo "  FAILED: iperf3 run $i: $(why "$tmp/usernet-iperf3-$i.json" "$tmp/usernet-iperf3-$i.log")"
			fi
		done
	fi
	local holder_pid rss_holder='' rss_slirp=''
	holder_pid=$(jq -r '.holder_pid // empty' "$dir/urun-networks/state.json" 2>/dev/null || true)
	if [ -n "$holder_pid" ]; then
		rss_holder=$(awk '/^VmRSS/ { print $2 }' "/proc/$holder_pid/status" 2>/dev/null || true)
		rss_slirp=$(pgrep -u "$(id -u)" -f "slirp4netns .* $holder_pid tap0" | head -n 1 | xargs -r -I{} awk '/^VmRSS/ { print $2 }' /proc/{}/status 2>/dev/null || true)
	fi
	"$bin/urun" rm -f bench-net-keeper bench-net-iperf3 >/dev/null 2>&1 || true

	log "results: user networks ($(nproc) CPUs)"
	local plain_ms none_ms up_ms first_ms podman_ms
	plain_ms=$(median_of "urun plain (slirp4netns)" "$json" 2>/dev/null)
	none_ms=$(median_of "urun --network none" "$json" 2>/dev/null)
	up_ms=$(median_of "urun on network (up)" "$json" 2>/dev/null)
	first_ms=$(median_of "urun first on network" "$tmp/hyperfine-usernet-first.json" 2>/dev/null)
	podman_ms=$(median_of "podman on network" "$tmp/hyperfine-usernet-podman.json" 2>/dev/null)
	printf '  %-34s %10s\n' "run --rm … true" "median ms"
	printf '  %-34s %10.1f\n' "urun plain (slirp4netns)" "${plain_ms:-0}" "urun --network none" "${none_ms:-0}" \
		"urun --network $net (up)" "${up_ms:-0}" "urun first on $net" "${first_ms:-0}"
	if [ -n "$podman_ms" ]; then
		printf '  %-34s %10.1f   (%s× urun on network)\n' "podman --network $net" "$podman_ms" "$(ratio "$podman_ms" "$up_ms")"
	else
		echo "  (no podman row: $podman_why)"
	fi
	local median_gb=''
	if ((${#rates[@]})); then
		median_gb=$(median_list "${rates[@]}")
		echo "  iperf3 container → container on $net: ${median_gb} Gbit/s (runs: ${rates[*]}; server $server_ip)"
	fi
	echo "  holder resident: ${rss_holder:-?} KiB; its slirp4netns: ${rss_slirp:-?} KiB"
	echo "targets:"
	target_above "run on a network that is up, above a plain run" "$up_ms" "$plain_ms" "$TARGET_USERNET_UP_MS" "a run failed"
	target_above "first container on a network, above a plain run" "$first_ms" "$plain_ms" "$TARGET_USERNET_FIRST_MS" "a run failed"
	if [ -n "$median_gb" ]; then
		target "iperf3 container → container, Gbit/s" "$median_gb" "$median_gb" '>=' "$TARGET_USERNET_GBITS"
	else
		not_measured "iperf3 container → container, Gbit/s" "${iperf3_error:-no iperf3 image or every run failed}"
	fi
	"$bin/urun" network rm -f "$net" >/dev/null 2>&1 || true
}
