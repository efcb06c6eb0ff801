#!/usr/bin/env bash
# hack/setup-host.sh test|bench: the host set-up shared by hack/test.sh
# (`make test`, `make integration`) and hack/bench/ (`make bench`).
#
# As root (CI runs `bash .ci/run` as root on a fresh Debian 12): installs
# what is missing, creates the user uruntest (with subordinate ids; for
# "test" also urunnosub, without), prepares /dev/fuse, /dev/net/tun and the
# user-namespace sysctls, checks that uruntest can create and map user
# namespaces, and for "test" mounts a small tmpfs of uruntest's own on
# /var/lib/urun-test/small-fs, which the full-disk test fills. "bench"
# adds the tools the benchmark compares urun with.
#
# As an ordinary user: changes nothing; lists what is missing and exits 1,
# or exits 0 when the host is ready for that user.
set -euo pipefail

purpose=${1:-}
case $purpose in
test | bench) ;;
*)
	echo "usage: $0 test|bench" >&2
	exit 2
	;;
esac

TEST_USER=uruntest
NOSUB_USER=urunnosub
# slirp4netns and passt (pasta): urun's network modes, which the suite
# tests; libc-bin's ldd: the suite's helper image copies its own binary's
# libraries (test/testbed.Derive); time: GNU time, how the suite reads
# the max RSS of `urun logs`. debootstrap, qemu-system-x86 and
# qemu-utils (qemu-img, for the guest's disk overlay): the VM test bed
# (hack/vm/), where the cgroup v2 tests run; debootstrap also makes the
# build tests' Debian base (ensure_debian_base). podman, runc, catatonit:
# the build tests compare `urun build` with rootless `podman build`
# (why runc and catatonit: see BENCH_PACKAGES).
PACKAGES=(
	uidmap fuse-overlayfs fuse3 slirp4netns passt docker-registry busybox-static
	bubblewrap skopeo ca-certificates util-linux bsdutils procps libc-bin time
	make gcc libc6-dev libseccomp-dev git debootstrap qemu-system-x86 qemu-utils
	podman runc catatonit
)
# What hack/bench/ measures urun against and reads its results with, with
# podman, runc and catatonit of PACKAGES (the build tests use them too).
# runc: Debian 12's crun (podman's default runtime) refuses to start on a
# cgroup v1/v2 hybrid host whose v2 hierarchy holds a controller ("cgroups
# in hybrid mode not supported"); runc does not, so the bench falls back to
# it there. catatonit: rootless podman's pause process (a Recommends).
# iperf3: the network throughput, on the host and (copied with its
# libraries into an image by urun-testbed) in the containers; its package
# asks whether to start a daemon, and the non-interactive answer is no.
BENCH_PACKAGES=(hyperfine jq iperf3)

export DEBIAN_FRONTEND=noninteractive
if [ -x /usr/local/go/bin/go ]; then
	export PATH=/usr/local/go/bin:$PATH
fi

log() { printf '\n==> %s\n' "$*"; }
die() {
	printf 'hack/setup-host.sh: %s\n' "$*" >&2
	exit 1
}

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }

# next_free_id FILE: the first id above every range in FILE (at least 100000).
next_free_id() {
	awk -F: 'NF == 3 { end = $2 + $3; if (end > max) max = end } END { print (max > 100000 ? max : 100000) }' "$1"
}

ensure_user() {
	local user=$1
	if ! id -u "$user" >/dev/null 2>&1; then
		useradd --create-home --shell /bin/bash "$user"
	fi
	local home
	home=$(getent passwd "$user" | cut -d: -f6)
	if [ ! -d "$home" ]; then
		install -d -m 0750 -o "$user" -g "$(id -gn "$user")" "$home"
	fi
}

ensure_subids() {
	local user=$1 uid
	uid=$(id -u "$user")
	local file flag start
	for file in /etc/subuid /etc/subgid; do
		[ -e "$file" ] || install -m 0644 /dev/null "$file"
		if grep -qE "^($user|$uid):[0-9]+:[0-9]+\$" "$file"; then
			continue
		fi
		start=$(next_free_id "$file")
		flag=--add-subuids
		[ "$file" = /etc/subgid ] && flag=--add-subgids
		usermod "$flag" "$start-$((start + 65535))" "$user"
		echo "gave $user the range $start:65536 in $file"
	done
}

drop_subids() {
	local user=$1 uid
	uid=$(id -u "$user")
	local file
	for file in /etc/subuid /etc/subgid; do
		[ -e "$file" ] || continue
		if grep -qE "^($user|$uid):" "$file"; then
			sed -i -E "/^($user|$uid):/d" "$file"
			echo "removed $user's ranges from $file"
		fi
	done
}

# load_modules loads each module unless the kernel has it already (built
# in, or loaded).
load_modules() {
	local m
	for m in "$@"; do
		if [ -d "/sys/module/$m" ]; then
			continue
		fi
		if modprobe "$m" 2>/dev/null; then
			echo "loaded module $m"
		else
			echo "module $m: not loaded (built in, or missing; urun's networks may fail without it)"
		fi
	done
}

ensure_device() {
	local dev=$1 major=$2 minor=$3 module=$4
	if [ ! -e "$dev" ]; then
		modprobe "$module" 2>/dev/null || true
	fi
	if [ ! -e "$dev" ]; then
		mkdir -p "$(dirname "$dev")"
		mknod -m 0666 "$dev" c "$major" "$minor" || die "cannot create $dev (load the $module module, or give the CI machine the device)"
	fi
	if [ "$(stat -c %a "$dev")" != 666 ]; then
		chmod 0666 "$dev"
		echo "made $dev mode 0666"
	fi
}

# set_sysctl KEY VALUE: sets KEY where the kernel has it and it differs.
set_sysctl() {
	local path=/proc/sys/${1//.//}
	[ -e "$path" ] || return 0
	if [ "$(cat "$path")" != "$2" ]; then
		echo "$2" >"$path" || die "cannot set $1=$2"
		echo "set $1=$2"
	fi
}

# SMALL_FS is a small file system of uruntest's own, for the tests that
# fill a store's file system to the last byte (test/full_disk_test.go):
# the suite's user cannot mount one. A tmpfs (user xattrs, so the kernel's
# overlay works on it from a user namespace), mode 0700, owned by uruntest.
SMALL_FS=/var/lib/urun-test/small-fs
SMALL_FS_SIZE=256m

ensure_small_fs() {
	log "small file system $SMALL_FS"
	mkdir -p "$SMALL_FS"
	if ! mountpoint -q "$SMALL_FS"; then
		mount -t tmpfs -o "size=$SMALL_FS_SIZE,mode=0700,uid=$(id -u "$TEST_USER"),gid=$(id -g "$TEST_USER")" urun-small-fs "$SMALL_FS"
		echo "mounted a $SMALL_FS_SIZE tmpfs on $SMALL_FS"
	fi
	chown "$TEST_USER:" "$SMALL_FS"
	chmod 0700 "$SMALL_FS"
	findmnt -n -o FSTYPE,SIZE,OPTIONS "$SMALL_FS"
}

# DEBIAN_BASE is the root file system of a minimal Debian 12 (debootstrap
# --variant=minbase, apt's lists and downloaded packages removed, /dev
# empty, no /etc/hostname or /etc/resolv.conf) as a gzipped tar, readable by the test user: the build tests'
# `FROM debian` base (test/testbed.DebianBase pushes it to the suite's
# registry). Built once from the host's Debian mirror; DEBIAN_BASE.recipe
# names what it was built from, and a different recipe rebuilds it.
DEBIAN_BASE=/var/cache/urun-test/debian12-base.tar.gz

# host_debian_mirror: the first Debian archive (not the security one) in
# the host's APT sources, else deb.debian.org.
host_debian_mirror() {
	local m
	m=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources 2>/dev/null |
		grep -oE 'https?://[^ ]+/debian/?( |$)' | grep -v security | head -n 1 | tr -d ' ') || true
	echo "${m:-http://deb.debian.org/debian}"
}

ensure_debian_base() {
	log "Debian 12 base image for the build tests: $DEBIAN_BASE"
	local mirror recipe work
	mirror=${DEBIAN_MIRROR:-$(host_debian_mirror)}
	recipe="debootstrap --variant=minbase bookworm $mirror; no apt lists, empty /dev, no host files; v2"
	if [ -s "$DEBIAN_BASE" ] && [ "$(cat "$DEBIAN_BASE.recipe" 2>/dev/null)" = "$recipe" ]; then
		echo "cached ($(du -h "$DEBIAN_BASE" | cut -f1))"
		return 0
	fi
	work=$(mktemp -d /var/tmp/urun-debian-base.XXXXXX)
	echo "debootstrap from $mirror (a few minutes, once)"
	if ! debootstrap --variant=minbase bookworm "$work/root" "$mirror" >"$work/debootstrap.log" 2>&1; then
		tail -n 30 "$work/debootstrap.log" >&2
		rm -rf --one-file-system "$work"
		die "debootstrap of the Debian base failed (DEBIAN_MIRROR=URL picks another mirror)"
	fi
	# What an image of Debian leaves out: the package lists (a build's
	# `apt-get update` fetches them), the downloaded packages, device
	# nodes (the container engine gives /dev) and what debootstrap copied
	# from this host (the engine gives a container its own).
	rm -rf "$work/root/var/lib/apt/lists/"* "$work/root/var/cache/apt/"*.bin
	rm -f "$work/root/etc/hostname" "$work/root/etc/resolv.conf"
	find "$work/root/var/cache/apt/archives" -name '*.deb' -delete
	find "$work/root/dev" -mindepth 1 -delete
	mkdir -p "$(dirname "$DEBIAN_BASE")"
	tar --numeric-owner -C "$work/root" -czf "$work/base.tar.gz" .
	chmod 0644 "$work/base.tar.gz"
	mv "$work/base.tar.gz" "$DEBIAN_BASE"
	echo "$recipe" >"$DEBIAN_BASE.recipe"
	rm -rf --one-file-system "$work"
	echo "built ($(du -h "$DEBIAN_BASE" | cut -f1))"
}

# ensure_slurm: a single-node Slurm (slurmctld, slurmd, munge) running on
# this host for the Slurm tests and the bench's Slurm row: see
# hack/slurm/setup.sh (idempotent; `hack/slurm/setup.sh stop` stops it).
ensure_slurm() {
	log "single-node Slurm"
	bash "$(dirname "$0")/slurm/setup.sh" start
}

setup_root() {
	log "host packages"
	local wanted=("${PACKAGES[@]}") missing=() p
	[ "$purpose" = bench ] && wanted+=("${BENCH_PACKAGES[@]}")
	for p in "${wanted[@]}"; do
		installed "$p" || missing+=("$p")
	done
	if ((${#missing[@]})); then
		echo "installing: ${missing[*]}"
		apt-get update
		apt-get install -y --no-install-recommends "${missing[@]}" </dev/null
	else
		echo "all present: ${wanted[*]}"
	fi
	command -v go >/dev/null || die "Go not found: install Go 1.26 in /usr/local/go (go.dev/dl)"
	go version

	log "newuidmap/newgidmap"
	for p in /usr/bin/newuidmap /usr/bin/newgidmap; do
		if [ ! -u "$p" ] && ! getcap "$p" 2>/dev/null | grep -q cap_set; then
			chmod u+s "$p"
			echo "made $p setuid root (it had neither setuid nor file capabilities)"
		fi
	done

	log "test users"
	ensure_user "$TEST_USER"
	ensure_subids "$TEST_USER"
	if [ "$purpose" = test ]; then
		ensure_user "$NOSUB_USER"
		drop_subids "$NOSUB_USER"
	fi
	grep -E "^($TEST_USER|$(id -u "$TEST_USER")):" /etc/subuid /etc/subgid

	log "devices"
	ensure_device /dev/fuse 10 229 fuse
	ensure_device /dev/net/tun 10 200 tun
	ls -l /dev/fuse /dev/net/tun

	log "kernel modules of urun's networks"
	# A user namespace cannot load modules: the networks' bridges, veths
	# and nftables rules need them loaded (built in here, or modprobe'd).
	load_modules bridge veth nf_tables nft_masq nft_nat nft_chain_nat

	log "unprivileged user namespaces"
	set_sysctl kernel.unprivileged_userns_clone 1
	set_sysctl kernel.apparmor_restrict_unprivileged_userns 0
	if [ "$(cat /proc/sys/user/max_user_namespaces)" -lt 1000 ]; then
		set_sysctl user.max_user_namespaces 15000
	fi
	runuser -u "$TEST_USER" -- unshare --user --map-root-user true ||
		die "$TEST_USER cannot create a user namespace: check kernel.unprivileged_userns_clone, user.max_user_namespaces, AppArmor and seccomp"
	runuser -u "$TEST_USER" -- unshare --map-root-user --map-auto true ||
		die "$TEST_USER cannot map its subordinate ids with newuidmap/newgidmap"
	echo "ok"

	if [ "$purpose" = test ]; then
		ensure_small_fs
		ensure_debian_base
	fi
	ensure_slurm

	# A stale run directory (urun's fallback without XDG_RUNTIME_DIR) from an
	# earlier run would carry state into this one.
	local u users=("$TEST_USER")
	[ "$purpose" = test ] && users+=("$NOSUB_USER")
	for u in "${users[@]}"; do
		rm -rf --one-file-system "/tmp/urun-$(id -u "$u")" ||
			echo "warning: could not remove /tmp/urun-$(id -u "$u") (a mount left behind?)"
	done
}

# check_user_setup: as an ordinary user, list what is missing (no changes).
check_user_setup() {
	local problems=() c
	for c in go newuidmap newgidmap fuse-overlayfs docker-registry unshare gcc slirp4netns pasta ldd; do
		command -v "$c" >/dev/null || problems+=("command $c is missing (as root: apt-get install uidmap fuse-overlayfs docker-registry util-linux gcc slirp4netns passt libc-bin; Go in /usr/local/go)")
	done
	if [ "$purpose" = bench ]; then
		# podman and iperf3 are optional: the bench says why it has no
		# podman row or no throughput.
		for c in hyperfine bwrap jq; do
			command -v "$c" >/dev/null || problems+=("command $c is missing (as root: apt-get install hyperfine bubblewrap jq, or run \`sudo make bench\`)")
		done
	fi
	[ -x /bin/busybox ] || problems+=("/bin/busybox is missing (as root: apt-get install busybox-static)")
	if [ "$purpose" = test ]; then
		command -v podman >/dev/null || problems+=("command podman is missing: the build tests compare urun build with it (as root: apt-get install podman runc catatonit)")
		sinfo -h >/dev/null 2>&1 || problems+=("no Slurm answers sinfo: the Slurm tests need a single-node one (as root: bash hack/slurm/setup.sh)")
		[ -r "$DEBIAN_BASE" ] || problems+=("$DEBIAN_BASE is missing: the build tests' Debian base (as root, hack/setup-host.sh test makes it with debootstrap)")
	fi
	local me uid
	me=$(id -un)
	uid=$(id -u)
	grep -qE "^($me|$uid):" /etc/subuid 2>/dev/null || problems+=("no range for $me in /etc/subuid (as root: usermod --add-subuids 100000-165535 $me)")
	grep -qE "^($me|$uid):" /etc/subgid 2>/dev/null || problems+=("no range for $me in /etc/subgid (as root: usermod --add-subgids 100000-165535 $me)")
	[ -r /dev/fuse ] && [ -w /dev/fuse ] || problems+=("/dev/fuse is not readable and writable by you (as root: chmod 0666 /dev/fuse)")
	[ -r /dev/net/tun ] && [ -w /dev/net/tun ] || problems+=("/dev/net/tun is not readable and writable by you (as root: chmod 0666 /dev/net/tun)")
	unshare --user --map-root-user true 2>/dev/null || problems+=("you cannot create a user namespace (as root: sysctl kernel.unprivileged_userns_clone=1 user.max_user_namespaces=15000)")
	if ((${#problems[@]})); then
		echo "hack/setup-host.sh: this host is not set up for urun's $purpose as $me:" >&2
		printf '  - %s\n' "${problems[@]}" >&2
		echo "Fix these, or run as root (sudo make $purpose), which sets the host up." >&2
		exit 1
	fi
	echo "host set-up for $purpose as $me: ok (nothing changed; as root, hack/setup-host.sh would set it up)"
}

if [ "$(id -u)" = 0 ]; then
	setup_root
else
	check_user_setup
fi
