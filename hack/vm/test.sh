#!/usr/bin/env bash
# hack/vm/test.sh BIN_DIR SUITE_BINARY [SUITE-FLAGS...]: runs the
# integration suite's TestVM* tests inside the VM test bed (issue 7): a
# Debian guest with systemd as PID 1, pure cgroup v2 and a user manager
# for uruntest, which this host lacks. Builds or reuses the cached image
# (hack/vm/image.sh, in $URUN_VM_CACHE or /var/cache/urun-vm), shares
# BIN_DIR's urun, urun-image, urun-init and urun-netholder and the suite binary with the guest over
# 9p, boots it with qemu (TCG) and runs the tests there as uruntest with
# its user manager's bus (and the TestVMAsRoot* ones as root), after starting a single-node Slurm in the guest
# (hack/slurm/setup.sh, with cgroup/v2 limits). The guest's console and
# the tests' output are printed; the exit status is the tests'. Run as root.
set -euo pipefail
cd "$(dirname "$0")/../.."

bin=${1:?usage: $0 BIN_DIR SUITE_BINARY [SUITE-FLAGS...]}
suite=${2:?usage: $0 BIN_DIR SUITE_BINARY [SUITE-FLAGS...]}
shift 2
flags=("$@")
[ ${#flags[@]} -gt 0 ] || flags=(-test.run '^TestVM')
cache=${URUN_VM_CACHE:-/var/cache/urun-vm}
limit=${URUN_VM_TIMEOUT:-1800}

[ "$(id -u)" = 0 ] || {
	echo "hack/vm/test.sh: run as root (it builds a disk image and boots qemu)" >&2
	exit 2
}
for tool in debootstrap qemu-system-x86_64 qemu-img mkfs.ext4; do
	command -v "$tool" >/dev/null || {
		echo "hack/vm/test.sh: $tool is missing: hack/setup-host.sh installs it" >&2
		exit 2
	}
done

bash hack/vm/image.sh "$cache"

share=$(mktemp -d /var/tmp/urun-vm-share.XXXXXX)
trap 'rm -rf --one-file-system "$share"' EXIT
mkdir "$share/bin"
install -m 0755 "$bin/urun" "$bin/urun-image" "$bin/urun-init" "$bin/urun-netholder" "$share/bin/"
install -m 0755 "$suite" "$share/integration.test"
# The guest's single-node Slurm (test/vm_slurm_test.go) is set up at boot:
# its node is the guest's CPUs and memory.
install -m 0755 hack/slurm/setup.sh "$share/slurm-setup.sh"
# The suite runs twice on the first boot: as uruntest, and as root for
# the TestVMAsRoot* tests (root's own cgroups), when the flags' -test.run
# may select some; each pass skips the other's tests.
run_pattern='^TestVM'
for ((i = 0; i < ${#flags[@]}; i++)); do
	case ${flags[i]} in
	-test.run | --test.run) run_pattern=${flags[i + 1]:-} ;;
	-test.run=* | --test.run=*) run_pattern=${flags[i]#*=} ;;
	esac
done
printf '%q ' "${flags[@]}" -test.skip '^TestVMAsRoot' >"$share/flags"
if [ "$run_pattern" = '^TestVM' ] || [[ $run_pattern == *AsRoot* ]]; then
	printf '%q ' "${flags[@]}" -test.skip '^TestVM([^A]|A[^s]|As[^R])' >"$share/root-flags"
fi
cat >"$share/run-in-vm.sh" <<'GUEST'
#!/bin/sh
# Runs in the guest as root (urun-tests.service), after user@1001.service,
# at each boot. The first boot runs the suite. A test that needs a reboot
# (rebootAndRunAgain) writes its name to $requests; then the guest powers
# off, hack/vm/run.sh boots it again, and the second boot runs those tests
# once more, which now check what came back.
share=/mnt/urun
uid=$(id -u uruntest)
requests=/var/lib/urun-vm/after-reboot
boot=$(( $(cat "$share/boots" 2>/dev/null || echo 0) + 1 ))
echo "$boot" >"$share/boots"
echo "== guest boot $boot: $(uname -r), up $(cut -d' ' -f1 /proc/uptime) s; cgroup v2 controllers: $(cat /sys/fs/cgroup/cgroup.controllers)"
work=/var/lib/urun-vm/suite
if [ "$boot" = 1 ]; then
	install -d -o uruntest -g uruntest /var/lib/urun-vm
	rm -rf "$work" "$requests"
	mkdir "$work"
	cp -r "$share/bin" "$share/integration.test" "$work/"
	chown -R uruntest: "$work"
	eval "set -- $(cat "$share/flags")"
	log=$share/suite.log
	# Slurm's daemons and commands look the node's name up; the image has
	# no /etc/hosts and the guest no DNS.
	grep -qw localhost /etc/hosts 2>/dev/null || echo "127.0.0.1 localhost" >>/etc/hosts
	grep -qw "$(hostname)" /etc/hosts || echo "127.0.1.1 $(hostname)" >>/etc/hosts
	# Slurm's daemons resolve their listening address (IPv4) with
	# AI_ADDRCONFIG, which finds none where 127.0.0.1 is the only IPv4
	# address (the guest has no network): one more, of the documentation
	# range, on the loopback.
	ip addr add 192.0.2.1/32 dev lo
	started=$(cut -d' ' -f1 /proc/uptime)
	if bash "$share/slurm-setup.sh" start >"$share/slurm-setup.log" 2>&1; then
		echo "== guest: Slurm is up ($started s to $(cut -d' ' -f1 /proc/uptime) s of uptime)"
	else
		echo "== guest: Slurm's set-up failed (the TestVMSlurm* tests will say so):"
		tail -n 20 "$share/slurm-setup.log"
	fi
else
	set -- -test.run "^($(paste -sd'|' "$requests"))\$"
	log=$share/suite-after-reboot.log
fi
cd "$work"
runuser -u uruntest -- env -i HOME=/home/uruntest USER=uruntest LOGNAME=uruntest \
	PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
	XDG_RUNTIME_DIR=/run/user/$uid DBUS_SESSION_BUS_ADDRESS=unix:path=/run/user/$uid/bus \
	URUN_BIN_DIR="$work/bin" URUN_VM=1 URUN_VM_BOOT="$boot" URUN_VM_REBOOT_REQUESTS="$requests" \
	"$work/integration.test" -test.v -test.count=1 -test.timeout=25m "$@" >"$log" 2>&1
rc=$?
if [ "$boot" = 1 ] && [ -f "$share/root-flags" ]; then
	echo "== guest: the suite as root (TestVMAsRoot*)"
	eval "set -- $(cat "$share/root-flags")"
	env -i HOME=/root USER=root LOGNAME=root \
		PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
		URUN_BIN_DIR="$work/bin" URUN_VM=1 URUN_VM_BOOT="$boot" \
		"$work/integration.test" -test.v -test.count=1 -test.timeout=25m "$@" >"$share/suite-root.log" 2>&1
	root_rc=$?
	[ "$rc" != 0 ] || rc=$root_rc
fi
# Slurm's daemons' logs, for a TestVMSlurm* test that failed.
[ ! -d /var/log/slurm ] || cp /var/log/slurm/*.log "$share/" 2>/dev/null
if [ "$boot" = 1 ] && [ -s "$requests" ]; then
	echo "$rc" >"$share/status-boot-1"
	echo "== guest: $(wc -l <"$requests") test(s) asked for a reboot; powering off to boot again"
	touch "$share/boot-again"
	exit 0
fi
[ "$rc" = 0 ] && [ -f "$share/status-boot-1" ] && rc=$(cat "$share/status-boot-1")
echo "$rc" >"$share/status"
GUEST
chmod 0755 "$share/run-in-vm.sh"

echo "==> VM: boot (qemu TCG) and run the suite's $(cat "$share/flags")in the guest"
rc=0
bash hack/vm/run.sh "$cache" "$share" "$limit" || rc=$?
if [ -f "$share/slurm-setup.log" ]; then
	echo "==> VM: Slurm's set-up in the guest (hack/slurm/setup.sh)"
	cat "$share/slurm-setup.log"
fi
echo "==> VM: the suite's output"
cat "$share/suite.log" 2>/dev/null || echo "(none)"
if [ -f "$share/root-flags" ]; then
	echo "==> VM: the suite's output as root (TestVMAsRoot*)"
	cat "$share/suite-root.log" 2>/dev/null || echo "(none)"
fi
if [ "$rc" != 0 ] && [ -f "$share/slurmd.log" ]; then
	echo "==> VM: the end of the guest's Slurm logs"
	tail -n 40 "$share/slurmctld.log" "$share/slurmd.log"
fi
if [ -f "$share/status-boot-1" ]; then
	echo "==> VM: the suite's output after the reboot"
	cat "$share/suite-after-reboot.log" 2>/dev/null || echo "(none: the guest did not come back)"
fi
exit "$rc"
