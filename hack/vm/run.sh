#!/usr/bin/env bash
# hack/vm/run.sh IMAGE_DIR SHARE_DIR [TIMEOUT_SECONDS]: boots the test
# bed's image (hack/vm/image.sh) in qemu with TCG (nested KVM hangs on
# this kind of machine), with SHARE_DIR as the guest's /mnt/urun (9p). The
# guest runs SHARE_DIR/run-in-vm.sh as root once its user manager is up,
# then powers off; the script leaves its exit status in SHARE_DIR/status.
# When it leaves SHARE_DIR/boot-again instead (a test asked for a reboot),
# the guest is booted once more from the disk as the first boot left it:
# a cold reboot. The guest's console (serial) is this script's output.
# Exits with the guest script's status, or 125 when the guest did not say.
set -euo pipefail

img=${1:?usage: $0 IMAGE_DIR SHARE_DIR [TIMEOUT_SECONDS]}
share=${2:?usage: $0 IMAGE_DIR SHARE_DIR [TIMEOUT_SECONDS]}
limit=${3:-1200}
[ -f "$share/run-in-vm.sh" ] || {
	echo "hack/vm/run.sh: $share/run-in-vm.sh is missing" >&2
	exit 125
}
rm -f "$share/status" "$share/boot-again"

# The guest writes to a throw-away overlay, which lives as long as this
# run, so the cached image stays as built and a second boot sees the
# first one's writes.
disk=$(mktemp -d /var/tmp/urun-vm-disk.XXXXXX)
trap 'rm -rf "$disk"' EXIT
qemu-img create -q -f qcow2 -b "$img/rootfs.img" -F raw "$disk/overlay.qcow2"

deadline=$((SECONDS + limit))
for boot in 1 2; do
	rm -f "$share/boot-again"
	left=$((deadline - SECONDS))
	[ "$left" -gt 0 ] || break
	echo "==> VM: boot $boot"
	# -no-reboot: a guest that panics (panic=-1 reboots at once) ends the
	# run instead of looping.
	timeout --kill-after=10 "$left" qemu-system-x86_64 \
		-accel tcg -cpu max -smp 2 -m 2048 \
		-nographic -no-reboot -serial mon:stdio -display none \
		-kernel "$img/vmlinuz" -initrd "$img/initrd.img" \
		-append "root=/dev/vda rw console=ttyS0 systemd.unified_cgroup_hierarchy=1 systemd.show_status=0 quiet loglevel=3 panic=-1" \
		-drive "file=$disk/overlay.qcow2,format=qcow2,if=virtio" \
		-virtfs "local,path=$share,mount_tag=urun,security_model=none,id=urun" \
		-nic none </dev/null || true
	[ -f "$share/boot-again" ] || break
done

if [ -f "$share/status" ]; then
	exit "$(cat "$share/status")"
fi
echo "hack/vm/run.sh: the guest left no status in $share/status (it did not finish within ${limit}s, or did not boot)" >&2
exit 125
