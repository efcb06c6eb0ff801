#!/usr/bin/env bash
# hack/slurm/setup.sh [start|stop|status]: a real single-node Slurm for the
# test bed (test/slurm_test.go) and the bench (hack/bench/slurm.sh):
# Debian's slurm-wlm (slurmctld, slurmd, the client commands) with munge.
#
# As root. start (the default; hack/setup-host.sh calls it): installs what
# is missing, writes /etc/slurm/slurm.conf and cgroup.conf (marked as this
# script's: a configuration of another origin is left alone and the
# set-up fails saying so), makes munge's key, starts munged, slurmctld and
# slurmd (through the packages' units where systemd is PID 1, else as
# background daemons: PID 1 is not systemd in CI's containers) and waits
# until the node is idle. Idempotent and fast
# when all of it already runs. stop: stops the three daemons (what this
# script started; the packages and files stay, harmless while stopped).
# status: says what runs.
#
# One node (this host) with all its CPUs and memory, one partition
# "debug" (the default). Processes are tracked with proctrack/cgroup where
# the host has cgroup v1's freezer (a job's processes, even those that
# left its process tree, are found and killed on scancel, as on most
# clusters), else proctrack/linuxproc. Where cgroups are v2 alone under
# systemd (the VM test bed), Slurm's cgroup/v2 with task/cgroup holds each
# job to its --mem and CPUs (ConstrainRAMSpace, ConstrainCores; memory is
# scheduled as well), as on a cluster with cgroup v2; elsewhere
# TaskPlugin=task/none: no binding or limits (on a hybrid host they would
# be v1 ones, which urun does not use).
set -euo pipefail

action=${1:-start}
MARKER="# Written by urun's hack/slurm/setup.sh: a single-node Slurm for its tests."
CONF_DIR=/etc/slurm
STATE_DIR=/var/lib/slurm
LOG_DIR=/var/log/slurm
PACKAGES=(slurmctld slurmd slurm-client munge)
CTLD_PID=/run/slurmctld.pid
SLURMD_PID=/run/slurmd.pid
MUNGED_PID=/run/munge/munged.pid

log() { printf '%s\n' "$*"; }
die() {
	printf 'hack/slurm/setup.sh: %s\n' "$*" >&2
	exit 1
}

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }

# running PIDFILE NAME: whether the process PIDFILE names runs NAME.
running() {
	local pid
	pid=$(cat "$1" 2>/dev/null) || return 1
	[ -n "$pid" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$2" ]
}

ensure_packages() {
	local missing=() p
	for p in "${PACKAGES[@]}"; do
		installed "$p" || missing+=("$p")
	done
	if ((${#missing[@]})); then
		log "installing: ${missing[*]}"
		# Without a slurm.conf the packages' init scripts start nothing.
		apt-get update
		DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}" </dev/null
	fi
}

ensure_munge() {
	if [ ! -s /etc/munge/munge.key ]; then
		mungekey --create --keyfile /etc/munge/munge.key
		log "made munge's key"
	fi
	chown munge: /etc/munge /etc/munge/munge.key
	chmod 0700 /etc/munge
	chmod 0400 /etc/munge/munge.key
	install -d -o munge -g munge -m 0755 /run/munge
	install -d -o munge -g munge -m 0700 /var/lib/munge /var/log/munge
	if ! running "$MUNGED_PID" munged; then
		if under_systemd; then
			systemctl start munge.service
		else
			detached runuser -u munge -- /usr/sbin/munged --pid-file="$MUNGED_PID"
		fi
		log "started munged"
	fi
	munge -n | unmunge >/dev/null || die "munge does not work (see /var/log/munge/munged.log)"
}

# proctrack: cgroup where the host has cgroup v1's freezer hierarchy, or
# pure cgroup v2 under systemd (Slurm's cgroup/v2 wants slurmd in a unit
# with Delegate=yes), else linuxproc.
proctrack() {
	if [ -w /sys/fs/cgroup/freezer ] || { [ "$(stat -f -c %T /sys/fs/cgroup)" = cgroup2fs ] && under_systemd; }; then
		echo cgroup
	else
		echo linuxproc
	fi
}

# cgroup_v2_limits: cgroups are v2 alone and systemd is PID 1, so Slurm's
# cgroup/v2 can hold jobs to their limits.
cgroup_v2_limits() { [ "$(stat -f -c %T /sys/fs/cgroup)" = cgroup2fs ] && under_systemd; }

# write_if_changed FILE: FILE gets stdin unless it has it already; prints
# "changed" when it wrote.
write_if_changed() {
	local file=$1 new
	new=$(cat)
	if [ -e "$file" ] && [ "$(cat "$file")" = "$new" ]; then
		return 0
	fi
	if [ -e "$file" ] && ! grep -qF "$MARKER" "$file"; then
		die "$file exists and is not this script's: this host has a Slurm of its own; the tests need a single-node one (move $file away to let this script write one)"
	fi
	printf '%s\n' "$new" >"$file"
	echo changed
}

write_config() {
	local host node track changed= task=task/none select=CR_Core plugin=autodetect constrain=no
	host=$(hostname -s)
	# slurmd -C: this node's CPUs, sockets, cores, threads and memory.
	node=$(slurmd -C | head -n 1)
	[[ $node == NodeName=* ]] || die "slurmd -C did not describe this node: $node"
	track=$(proctrack)
	if cgroup_v2_limits; then
		task=task/cgroup select=CR_Core_Memory plugin=cgroup/v2 constrain=yes
	fi
	install -d -m 0755 "$CONF_DIR"
	install -d -o slurm -g slurm -m 0755 "$STATE_DIR" "$STATE_DIR/slurmctld" "$STATE_DIR/slurmd" "$LOG_DIR"
	changed+=$(write_if_changed "$CONF_DIR/slurm.conf" <<CONF
$MARKER
ClusterName=urun-test
SlurmctldHost=$host(127.0.0.1)
SlurmUser=slurm
AuthType=auth/munge
CredType=cred/munge
StateSaveLocation=$STATE_DIR/slurmctld
SlurmdSpoolDir=$STATE_DIR/slurmd
SlurmctldPidFile=$CTLD_PID
SlurmdPidFile=$SLURMD_PID
SlurmctldLogFile=$LOG_DIR/slurmctld.log
SlurmdLogFile=$LOG_DIR/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
ProctrackType=proctrack/$track
TaskPlugin=$task
JobAcctGatherType=jobacct_gather/none
SelectType=select/cons_tres
SelectTypeParameters=$select
SchedulerType=sched/backfill
MpiDefault=none
ReturnToService=2
# scancel: SIGTERM to the job's processes, SIGKILL KillWait seconds later.
KillWait=30
InactiveLimit=0
MinJobAge=60
$node NodeAddr=127.0.0.1 State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP OverSubscribe=YES
CONF
)
	changed+=$(write_if_changed "$CONF_DIR/cgroup.conf" <<CONF
$MARKER
CgroupPlugin=$plugin
CgroupMountpoint=/sys/fs/cgroup
ConstrainCores=$constrain
ConstrainRAMSpace=$constrain
ConstrainDevices=no
CONF
)
	[ -z "$changed" ] || echo changed
}

# under_systemd: systemd is PID 1. Its units for the daemons (the
# packages') are then used: Slurm's cgroup/v2 wants slurmd in a unit with
# Delegate=yes, which the package's has. Elsewhere (CI's containers) the
# daemons are started directly, in the background.
under_systemd() { [ -d /run/systemd/system ]; }

# detached CMD...: runs CMD, a daemon, with none of this script's open
# files but stdin, stdout and stderr. A daemon outlives the script: one
# that kept a caller's descriptor open would hold it for as long as it
# runs, such as the lock of a test run (`flock LOCK hack/test.sh`, which
# then never lets the next run in) or the pipe of a log (`| tee` never
# ends). munged keeps the descriptors it was given.
detached() {
	(
		local fd
		for fd in $(ls /proc/$BASHPID/fd); do
			[ "$fd" -le 2 ] || eval "exec $fd>&-"
		done
		exec "$@"
	)
}

# start_daemon PIDFILE NAME: starts NAME (slurmctld or slurmd) unless it
# runs.
start_daemon() {
	running "$1" "$2" && return 0
	if under_systemd; then
		systemctl start "$2.service"
	else
		detached "$2"
	fi
	log "started $2"
}

stop_daemon() {
	local pidfile=$1 name=$2 pid i
	running "$pidfile" "$name" || return 0
	if under_systemd && systemctl -q is-active "$name.service"; then
		systemctl stop "$name.service"
		log "stopped $name"
		return 0
	fi
	pid=$(cat "$pidfile")
	kill "$pid"
	for ((i = 0; i < 100; i++)); do
		[ -d "/proc/$pid" ] || break
		sleep 0.1
	done
	[ ! -d "/proc/$pid" ] || kill -KILL "$pid"
	log "stopped $name (pid $pid)"
}

# wait_idle: until the node takes jobs (idle, or mixed/allocated by a job
# of an earlier run); a node that is down or drained is resumed once.
wait_idle() {
	local host state i resumed=
	host=$(hostname -s)
	for ((i = 0; i < 300; i++)); do
		state=$(sinfo -h -N -n "$host" -o %T 2>/dev/null || true)
		case $state in
		idle | mixed | allocated | completing)
			log "node $host: $state"
			return 0
			;;
		down* | drain* | fail*)
			if [ -z "$resumed" ]; then
				scontrol update NodeName="$host" State=RESUME || true
				resumed=1
			fi
			;;
		esac
		sleep 0.2
	done
	sinfo -N -l >&2 || true
	tail -n 20 "$LOG_DIR/slurmctld.log" "$LOG_DIR/slurmd.log" >&2 || true
	die "node $host did not become idle within 60s (state: ${state:-none})"
}

start() {
	ensure_packages
	ensure_munge
	if [ -n "$(write_config)" ]; then
		log "wrote $CONF_DIR/slurm.conf and cgroup.conf"
		stop_daemon "$SLURMD_PID" slurmd
		stop_daemon "$CTLD_PID" slurmctld
	fi
	start_daemon "$CTLD_PID" slurmctld
	start_daemon "$SLURMD_PID" slurmd
	wait_idle
}

case $action in
start) start ;;
stop)
	stop_daemon "$SLURMD_PID" slurmd
	stop_daemon "$CTLD_PID" slurmctld
	stop_daemon "$MUNGED_PID" munged
	;;
status)
	for d in "$MUNGED_PID munged" "$CTLD_PID slurmctld" "$SLURMD_PID slurmd"; do
		set -- $d
		if running "$1" "$2"; then echo "$2: running (pid $(cat "$1"))"; else echo "$2: not running"; fi
	done
	sinfo -N 2>/dev/null || true
	;;
*)
	echo "usage: $0 [start|stop|status]" >&2
	exit 2
	;;
esac
