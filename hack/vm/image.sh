#!/usr/bin/env bash
# hack/vm/image.sh OUT_DIR: builds the VM test bed's disk image (issue 7):
# a debootstrapped Debian 12 with systemd as PID 1, a pure cgroup v2
# hierarchy, a user manager for the test user (lingering) and what urun
# needs. Writes OUT_DIR/rootfs.img (ext4), OUT_DIR/vmlinuz and
# OUT_DIR/initrd.img. The image is cached: OUT_DIR/recipe holds the hash
# of this script, and a matching one skips the build. Run as root.
set -euo pipefail

out=${1:?usage: $0 OUT_DIR}
recipe=$(sha256sum "$0" | cut -d' ' -f1)
if [ -f "$out/recipe" ] && [ "$(cat "$out/recipe")" = "$recipe" ] && [ -f "$out/rootfs.img" ]; then
	echo "vm image: cached in $out (recipe ${recipe:0:12})"
	exit 0
fi

TEST_USER=uruntest
# docker-registry and busybox-static: the integration suite's own test
# bed (a registry on the guest's loopback, fixtures built from busybox).
# slurmctld, slurmd, slurm-client and munge: a single-node Slurm with
# cgroup/v2 (test/vm_slurm_test.go), configured at boot by
# hack/slurm/setup.sh, which needs the guest's CPUs and memory.
PACKAGES=systemd,systemd-sysv,dbus,dbus-user-session,libpam-systemd,linux-image-amd64,uidmap,fuse-overlayfs,fuse3,slirp4netns,passt,procps,util-linux,iproute2,kmod,ca-certificates,docker-registry,busybox-static,libc-bin,slurmctld,slurmd,slurm-client,munge
MIRROR=${VM_MIRROR:-http://deb.debian.org/debian}

work=$(mktemp -d /var/tmp/urun-vm-build.XXXXXX)
trap 'umount -R "$work/root/proc" 2>/dev/null || true; rm -rf --one-file-system "$work"' EXIT
root=$work/root

echo "vm image: debootstrap bookworm into $root"
debootstrap --variant=minbase --include="$PACKAGES" bookworm "$root" "$MIRROR" >"$work/debootstrap.log" 2>&1 || {
	tail -30 "$work/debootstrap.log"
	exit 1
}

# The serial console is the test bed's output: a getty on it would take
# the line and its hangup would swallow what follows.
ln -sf /dev/null "$root/etc/systemd/system/serial-getty@ttyS0.service"
# Nothing of the network is needed: the tests use their own registry on
# the guest's loopback.
echo urun-vm >"$root/etc/hostname"
printf '/dev/vda / ext4 rw,relatime 0 1\nurun /mnt/urun 9p trans=virtio,version=9p2000.L,msize=1048576,nofail 0 0\n' >"$root/etc/fstab"
mkdir -p "$root/mnt/urun"
# The 9p modules must be in the initramfs' reach: they are loaded at boot
# for /mnt/urun.
printf '9p\n9pnet_virtio\nvirtio_pci\n' >"$root/etc/modules-load.d/urun-9p.conf"

chroot "$root" /bin/sh -euc "
	useradd --create-home --shell /bin/bash --uid 1001 $TEST_USER
	usermod --add-subuids 100000-165535 --add-subgids 100000-165535 $TEST_USER
	passwd -d root >/dev/null
	mkdir -p /var/lib/systemd/linger
	touch /var/lib/systemd/linger/$TEST_USER
"
# Stock systemd delegates memory and pids to user@.service; the tests
# need cpu, cpuset and io as well, as the README tells users to do.
mkdir -p "$root/etc/systemd/system/user@.service.d"
printf '[Service]\nDelegate=cpu cpuset io memory pids\n' >"$root/etc/systemd/system/user@.service.d/delegate.conf"

# The test run: a unit that runs /mnt/urun/run-in-vm.sh (written by
# hack/vm/run.sh) once the user manager is up, then powers off.
cat >"$root/etc/systemd/system/urun-tests.service" <<'UNIT'
[Unit]
Description=urun's VM tests
After=multi-user.target user@1001.service
Wants=user@1001.service
[Service]
Type=oneshot
StandardOutput=tty
StandardError=tty
TTYPath=/dev/ttyS0
ExecStart=/bin/sh /mnt/urun/run-in-vm.sh
ExecStopPost=/bin/systemctl --no-block poweroff
UNIT
ln -sf /etc/systemd/system/urun-tests.service "$root/etc/systemd/system/multi-user.target.wants/urun-tests.service"

cp "$(readlink -f "$root/vmlinuz")" "$work/vmlinuz"
cp "$(readlink -f "$root/initrd.img")" "$work/initrd.img"
rm -rf "$root/var/cache/apt/archives"/*.deb

echo "vm image: ext4 image"
size=$(($(du -sm "$root" | cut -f1) + 1024))
truncate -s "${size}M" "$work/rootfs.img"
mkfs.ext4 -q -d "$root" -L urun-vm "$work/rootfs.img"

mkdir -p "$out"
mv "$work/rootfs.img" "$work/vmlinuz" "$work/initrd.img" "$out/"
echo "$recipe" >"$out/recipe"
echo "vm image: built in $out"
