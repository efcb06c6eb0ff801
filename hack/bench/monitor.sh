# hack/bench/monitor.sh: the resident memory of a detached container's
# monitor, urun's (urun-monitor) and podman's (conmon), each of a container
# that prints a line every 10 ms (start_chatter: exec's containers, when
# exec ran first), after it has done so for a while. Removes the
# containers.

bench_monitor() {
	start_chatter
	local id mon conmon='' cid mon_kib conmon_kib
	id=$("$bin/urun" inspect -f '{{.Id}}' "$CHATTER")
	mon=$(pgrep -u "$(id -u)" -f "^urun-monitor $id " | head -n 1) || true
	if [ -n "$podman_chatter" ] && cid=$("${podman_cmd[@]}" inspect -f '{{.Id}}' "$podman_chatter" 2>/dev/null); then
		conmon=$(pgrep -u "$(id -u)" -f "conmon .*-c $cid" | head -n 1) || true
	fi
	sleep 2
	log "results: monitor resident memory (VmRSS) of a running container printing a line every 10 ms"
	mon_kib=$(rss_kib "$mon")
	conmon_kib=$(rss_kib "$conmon")
	printf '  %-28s %10s   %s\n' "urun-monitor" "${mon_kib:+$((mon_kib)) KiB}" "$(rss_split "$mon")"
	printf '  %-28s %10s   %s\n' "podman's conmon" "${conmon_kib:+$((conmon_kib)) KiB}" "$(rss_split "$conmon")"
	# RssFile is mostly the binary's text, in the page cache and shared by
	# every monitor; how much of it is mapped follows how the file was
	# written (large folios are mapped whole), 2 to 9 MiB for the same
	# urun. RssAnon is the monitor's own.
	local what="urun's monitor at most ${TARGET_MONITOR_KIB} KiB:"
	if [ -n "$mon_kib" ]; then
		target "$what" "$mon_kib" "$mon_kib" '<=' "$TARGET_MONITOR_KIB"
	else
		echo "  urun's monitor: NOT MEASURED (no urun-monitor process for $CHATTER)"
	fi
	stop_chatter
}

# rss_kib PID prints a process's resident memory in KiB, nothing when PID
# is empty or gone.
rss_kib() {
	[ -n "$1" ] || return 0
	awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null || true
}

# rss_split: "anon N KiB, file N KiB" of a process (RssAnon, RssFile).
rss_split() {
	[ -n "$1" ] || return 0
	awk '/^RssAnon:/ { a = $2 } /^RssFile:/ { f = $2 } END { if (a != "") printf "(anon %d KiB, file %d KiB)", a, f }' "/proc/$1/status" 2>/dev/null || true
}
