# hack/bench/network.sh: the network's throughput with iperf3 in the image
# test/iperf3:latest (urun-testbed's busybox fixture plus the host's
# iperf3), NET_RUNS runs of NET_SECONDS s for each variant (urun and
# podman, each with slirp4netns and with pasta) and direction, median in
# Gbit/s, and the targets.
#
#   container → host: `iperf3 -s -B 127.0.0.1` on the host; the container's
#     client connects to the host's loopback through the network's gateway:
#     10.0.2.2 with slirp4netns:allow_host_loopback=true; with
#     pasta:--map-gw (urun and podman pass --no-map-gw unless told so), the
#     container's default gateway, which pasta then maps to the host's
#     loopback.
#   host → published port: `iperf3 -s` in the container, published with
#     -p 127.0.0.1:PORT:5201; the host's client connects to 127.0.0.1:PORT.

# The variants, in the table's order.
net_variants=("urun slirp4netns" "urun pasta" "podman slirp4netns" "podman pasta")
# Results by "VARIANT|DIRECTION" (DIRECTION c2h or h2c): the median, the
# runs, or why there is none.
declare -A net_median=() net_runs=() net_failed=() net_mtu=()

# free_port prints a TCP port of 127.0.0.1 nobody listens on (below the
# usual ephemeral range, so that no client takes it meanwhile).
free_port() {
	local p i
	for ((i = 0; i < 200; i++)); do
		p=$((20000 + RANDOM % 12000))
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
			echo "$p"
			return 0
		fi
	done
	return 1
}

# engine_cmd VARIANT: sets the array cmd to the variant's `… run --rm`
# prefix and net to its --network value for container → host (the part
# before ":" for host → published port).
engine_cmd() {
	case $1 in
	urun*) cmd=("$bin/urun" run --rm) ;;
	podman*) cmd=("${podman_cmd[@]}" run --rm) ;;
	esac
	case $1 in
	*slirp4netns) net=slirp4netns:allow_host_loopback=true ;;
	*pasta) net=pasta:--map-gw ;;
	esac
}

# gbits FILE: the received rate of an iperf3 -J report, in Gbit/s; fails
# when the report has none.
gbits() {
	local bps
	bps=$(jq -r '.end.sum_received.bits_per_second // empty' "$1" 2>/dev/null) || bps=''
	if [ -z "$bps" ] || [ "$bps" = 0 ]; then
		return 1
	fi
	awk -v b="$bps" 'BEGIN { printf "%.2f", b / 1e9 }'
}

# median_list NUMBERS…: the median.
# record VARIANT DIR RATES…: stores the runs and their median.
record() {
	local key="$1|$2"
	shift 2
	net_runs[$key]="$*"
	net_median[$key]=$(median_list "$@")
}

# probe_mtu VARIANT: the MTU of the container's interface other than lo.
probe_mtu() {
	local cmd=() net
	engine_cmd "$1"
	net_mtu[$1]=$(timeout -k 5 60 "${cmd[@]}" --network "$net" "$iperf3_image" sh -c 'ip -o link show' 2>/dev/null </dev/null |
		awk '$2 != "lo:" { for (i = 3; i < NF; i++) if ($i == "mtu") { print $(i + 1); exit } }') || true
}

# container_to_host VARIANT PORT: NET_RUNS runs of the container's iperf3
# client against the host's server on 127.0.0.1:PORT.
container_to_host() {
	local variant=$1 port=$2 cmd=() net i rates=() rate out=$tmp/c2h.json err=$tmp/c2h.err target
	engine_cmd "$variant"
	case $variant in
	*slirp4netns) target=10.0.2.2 ;;
	*pasta) target='$(ip -4 route | awk "/^default/ { print \$3; exit }")' ;;
	esac
	for ((i = 0; i < NET_RUNS; i++)); do
		if ! timeout -k 10 $((NET_SECONDS + 60)) "${cmd[@]}" --network "$net" "$iperf3_image" \
			sh -c "exec iperf3 -c \"$target\" -p $port -t $NET_SECONDS -J" >"$out" 2>"$err" </dev/null ||
			! rate=$(gbits "$out"); then
			net_failed["$variant|c2h"]="${cmd[*]} --network $net … iperf3 -c $target: $(why "$out" "$err")"
			return 1
		fi
		rates+=("$rate")
	done
	record "$variant" c2h "${rates[@]}"
}

# host_to_published VARIANT: starts iperf3 -s in a container published on
# a free port of 127.0.0.1, runs the host's client NET_RUNS times (after a
# warm-up run, which also waits for the server), stops the container.
host_to_published() {
	local variant=$1 cmd=() net port pid='' name='' i rates=() rate ok=''
	local out=$tmp/h2c.json err=$tmp/h2c.err log=$tmp/h2c-server.log
	engine_cmd "$variant"
	net=${net%%:*} # no allow_host_loopback needed
	port=$(free_port) || {
		net_failed["$variant|h2c"]="no free port found"
		return 1
	}
	case $variant in
	urun*)
		"${cmd[@]}" --network "$net" -p "127.0.0.1:$port:5201" "$iperf3_image" iperf3 -s -p 5201 >"$log" 2>&1 </dev/null &
		pid=$!
		bg_pids+=("$pid")
		;;
	podman*)
		name=urun-bench-iperf3-$$
		if ! "${podman_cmd[@]}" run -d --name "$name" --network "$net" -p "127.0.0.1:$port:5201" "$iperf3_image" iperf3 -s -p 5201 >"$log" 2>&1 </dev/null; then
			net_failed["$variant|h2c"]="${podman_cmd[*]} run -d --network $net -p 127.0.0.1:$port:5201 …: $(why "$log")"
			"${podman_cmd[@]}" rm -f "$name" >/dev/null 2>&1 || true
			return 1
		fi
		podman_containers+=("$name")
		;;
	esac
	# Warm-up and readiness: the port may accept before iperf3 listens.
	for ((i = 0; i < 30; i++)); do
		if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then
			break
		fi
		if timeout -k 5 20 iperf3 -c 127.0.0.1 -p "$port" -t 1 -J >"$out" 2>"$err" </dev/null && gbits "$out" >/dev/null; then
			ok=1
			break
		fi
		sleep 0.5
	done
	if [ -z "$ok" ]; then
		net_failed["$variant|h2c"]="the published port 127.0.0.1:$port never served iperf3: $(why "$out" "$err"); the server container said: $(why "$log")"
	else
		for ((i = 0; i < NET_RUNS; i++)); do
			if ! timeout -k 5 $((NET_SECONDS + 60)) iperf3 -c 127.0.0.1 -p "$port" -t "$NET_SECONDS" -J >"$out" 2>"$err" </dev/null ||
				! rate=$(gbits "$out"); then
				net_failed["$variant|h2c"]="iperf3 -c 127.0.0.1 -p $port: $(why "$out" "$err")"
				break
			fi
			rates+=("$rate")
		done
	fi
	if [ -n "$pid" ]; then
		# urun forwards SIGTERM to iperf3, which exits.
		kill -TERM "$pid" 2>/dev/null || true
		for ((i = 0; i < 100; i++)); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		if kill -KILL "$pid" 2>/dev/null; then
			echo "    (urun with the iperf3 server did not exit within 10 s of SIGTERM: killed it)"
		fi
		wait "$pid" 2>/dev/null || true
		forget_pid "$pid"
	fi
	if [ -n "$name" ]; then
		"${podman_cmd[@]}" rm -f -t 2 "$name" >/dev/null 2>&1 || true
		podman_containers=()
	fi
	[ -z "${net_failed["$variant|h2c"]:-}" ] && ((${#rates[@]})) || return 1
	record "$variant" h2c "${rates[@]}"
}

bench_network() {
	log "network throughput: iperf3, median of $NET_RUNS runs of $NET_SECONDS s each ($(nproc) CPUs)"
	if ! command -v iperf3 >/dev/null; then
		echo "  skipped: iperf3 is not installed (as root, \`make bench\` installs it)"
		return 0
	fi
	if [ -z "$iperf3_image" ]; then
		echo "  skipped: urun-testbed could not build the iperf3 image: ${iperf3_error:-no reason given}"
		return 0
	fi
	need_podman
	local variant out
	if ! out=$("$bin/urun" pull -q "$iperf3_image" 2>&1 </dev/null); then
		for variant in "urun slirp4netns" "urun pasta"; do
			net_failed["$variant|c2h"]="urun pull $iperf3_image failed: $out"
			net_failed["$variant|h2c"]=${net_failed["$variant|c2h"]}
		done
	fi
	if ((${#podman_cmd[@]})); then
		if ! out=$(CONTAINERS_REGISTRIES_CONF=$XDG_CONFIG_HOME/containers/registries.conf "${podman_cmd[@]}" pull -q "$iperf3_image" 2>&1 </dev/null); then
			for variant in "podman slirp4netns" "podman pasta"; do
				net_failed["$variant|c2h"]="podman pull $iperf3_image failed: $out"
				net_failed["$variant|h2c"]=${net_failed["$variant|c2h"]}
			done
		fi
	else
		for variant in "podman slirp4netns" "podman pasta"; do
			net_failed["$variant|c2h"]="no podman here: $podman_note"
			net_failed["$variant|h2c"]=${net_failed["$variant|c2h"]}
		done
	fi

	local port pid
	port=$(free_port) || {
		echo "  skipped: found no free port on 127.0.0.1 for the host's iperf3 server"
		return 0
	}
	iperf3 -s -B 127.0.0.1 -p "$port" >"$tmp/iperf3-server.log" 2>&1 </dev/null &
	pid=$!
	bg_pids+=("$pid")
	local i
	for ((i = 0; i < 50; i++)); do
		(exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
		sleep 0.1
	done
	echo "  host server: iperf3 -s -B 127.0.0.1 -p $port"

	for variant in "${net_variants[@]}"; do
		if [ -n "${net_failed["$variant|c2h"]:-}" ]; then
			echo "  $variant: not run: ${net_failed["$variant|c2h"]}"
			continue
		fi
		echo "  $variant: container → host…"
		probe_mtu "$variant"
		container_to_host "$variant" "$port" || echo "    FAILED (the reason follows the table)"
		echo "  $variant: host → published port…"
		host_to_published "$variant" || echo "    FAILED (the reason follows the table)"
	done
	kill -TERM "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	forget_pid "$pid"

	print_throughput
}

# cell VARIANT DIR: "MEDIAN (RUN RUN RUN)" or FAILED.
cell() {
	local key="$1|$2"
	if [ -n "${net_median[$key]:-}" ]; then
		printf '%s (%s)' "${net_median[$key]}" "${net_runs[$key]}"
	else
		printf 'FAILED'
	fi
}

print_throughput() {
	log "results: network throughput, Gbit/s, median (each run)"
	printf '  %-20s %-6s %-30s %-30s\n' variant MTU "container → host loopback" "host → published port"
	local variant
	for variant in "${net_variants[@]}"; do
		printf '  %-20s %-6s %-30s %-30s\n' "$variant" "${net_mtu[$variant]:--}" "$(cell "$variant" c2h)" "$(cell "$variant" h2c)"
	done
	local key shown=''
	for variant in "${net_variants[@]}"; do
		for key in "$variant|c2h" "$variant|h2c"; do
			[ -n "${net_failed[$key]:-}" ] || continue
			[ -n "$shown" ] || echo "  failures:"
			shown=1
			printf '    %s, %s: %s\n' "$variant" "$([ "${key#*|}" = c2h ] && echo "container → host" || echo "host → published port")" "${net_failed[$key]}"
		done
	done
	echo "  (MTU: of the container's interface; slirp4netns is at its best with 65520)"

	echo
	echo "targets (medians):"
	net_target "urun slirp4netns" c2h "container → host at least ${TARGET_C2H_GBITS} Gbit/s" "$TARGET_C2H_GBITS"
	net_target "urun slirp4netns" h2c "host → published port at least ${TARGET_H2C_GBITS} Gbit/s" "$TARGET_H2C_GBITS"
	echo "  (the targets are slirp4netns's with the builtin port driver; pasta's numbers are for comparison)"
}

# net_target VARIANT DIR TEXT LIMIT: one PASS/MISS line.
net_target() {
	local v=${net_median["$1|$2"]:-}
	if [ -n "$v" ]; then
		printf '  %-60s %8s  %s\n' "$1, $3:" "$v" "$(verdict "$v" '>=' "$4")"
	else
		printf '  %-60s %8s  %s\n' "$1, $3:" "-" "NOT MEASURED (failed, see above)"
	fi
}
