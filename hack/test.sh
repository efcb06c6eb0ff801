#!/usr/bin/env bash
# hack/test.sh [all|integration]: the one command that runs urun's tests.
#
# As root (CI runs `bash .ci/run` as root on a fresh Debian 12): installs
# what is missing, creates the test users, prepares /dev/fuse, /dev/net/tun
# and the user-namespace sysctls, builds, runs the unit tests ("all" only),
# then runs the integration suite as the unprivileged user uruntest and the
# missing-subuid tests as urunnosub (a user with no subordinate ids).
#
# As an ordinary user: changes nothing on the host; says what set-up is
# missing, or builds and runs the suite as that user.
#
# The exit code is the tests' result.
set -euo pipefail

mode=${1:-all}
case $mode in
all | integration) ;;
*)
	echo "usage: $0 [all|integration]" >&2
	exit 2
	;;
esac

cd "$(dirname "$0")/.."

TAGS=containers_image_openpgp,containers_image_docker_daemon_stub,exclude_graphdriver_btrfs,exclude_graphdriver_zfs
TEST_USER=uruntest
NOSUB_USER=urunnosub
SUITE_TIMEOUT=60m
PACKAGES=(
	uidmap fuse-overlayfs fuse3 slirp4netns docker-registry busybox-static
	bubblewrap skopeo ca-certificates util-linux bsdutils procps
	make gcc libc6-dev git
)
CLEAN_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

export DEBIAN_FRONTEND=noninteractive
if [ -x /usr/local/go/bin/go ]; then
	export PATH=/usr/local/go/bin:$PATH
fi

log() { printf '\n==> %s\n' "$*"; }
die() {
	printf 'hack/test.sh: %s\n' "$*" >&2
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

setup_root() {
	log "host packages"
	local missing=() p
	for p in "${PACKAGES[@]}"; do
		installed "$p" || missing+=("$p")
	done
	if ((${#missing[@]})); then
		echo "installing: ${missing[*]}"
		apt-get update
		apt-get install -y --no-install-recommends "${missing[@]}" </dev/null
	else
		echo "all present: ${PACKAGES[*]}"
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
	ensure_user "$NOSUB_USER"
	drop_subids "$NOSUB_USER"
	grep -E "^($TEST_USER|$(id -u "$TEST_USER")):" /etc/subuid /etc/subgid

	log "devices"
	ensure_device /dev/fuse 10 229 fuse
	ensure_device /dev/net/tun 10 200 tun
	ls -l /dev/fuse /dev/net/tun

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

	# A stale run directory (urun's fallback without XDG_RUNTIME_DIR) from an
	# earlier run would carry state into this one.
	local u
	for u in "$TEST_USER" "$NOSUB_USER"; do
		rm -rf --one-file-system "/tmp/urun-$(id -u "$u")" ||
			echo "warning: could not remove /tmp/urun-$(id -u "$u") (a mount left behind?)"
	done
}

# check_user_setup: as an ordinary user, list what is missing (no changes).
check_user_setup() {
	local problems=() c
	for c in go newuidmap newgidmap fuse-overlayfs docker-registry unshare gcc; do
		command -v "$c" >/dev/null || problems+=("command $c is missing (as root: apt-get install uidmap fuse-overlayfs docker-registry util-linux gcc; Go in /usr/local/go)")
	done
	[ -x /bin/busybox ] || problems+=("/bin/busybox is missing (as root: apt-get install busybox-static)")
	local me uid
	me=$(id -un)
	uid=$(id -u)
	grep -qE "^($me|$uid):" /etc/subuid 2>/dev/null || problems+=("no range for $me in /etc/subuid (as root: usermod --add-subuids 100000-165535 $me)")
	grep -qE "^($me|$uid):" /etc/subgid 2>/dev/null || problems+=("no range for $me in /etc/subgid (as root: usermod --add-subgids 100000-165535 $me)")
	[ -r /dev/fuse ] && [ -w /dev/fuse ] || problems+=("/dev/fuse is not readable and writable by you (as root: chmod 0666 /dev/fuse)")
	[ -r /dev/net/tun ] && [ -w /dev/net/tun ] || problems+=("/dev/net/tun is not readable and writable by you (as root: chmod 0666 /dev/net/tun)")
	unshare --user --map-root-user true 2>/dev/null || problems+=("you cannot create a user namespace (as root: sysctl kernel.unprivileged_userns_clone=1 user.max_user_namespaces=15000)")
	if ((${#problems[@]})); then
		echo "hack/test.sh: this host is not set up for urun's tests:" >&2
		printf '  - %s\n' "${problems[@]}" >&2
		echo "Fix these, or run the tests as root (sudo make test), which sets the host up." >&2
		exit 1
	fi
}

# run_suite USER ARGS...: runs the integration suite as USER with a clean
# environment (HOME, PATH, USER, LOGNAME; no XDG_RUNTIME_DIR, so urun's
# fallback run directory is used) and no stdin.
run_suite() {
	local user=$1 home
	shift
	home=$(getent passwd "$user" | cut -d: -f6)
	local envs=(env -i "HOME=$home" "USER=$user" "LOGNAME=$user" "PATH=$CLEAN_PATH" "URUN_BIN_DIR=$work/bin")
	local cmd=("$work/integration.test" -test.v -test.count=1 -test.timeout="$SUITE_TIMEOUT" "$@")
	if [ "$(id -u)" = 0 ]; then
		(cd "$work" && runuser -u "$user" -- "${envs[@]}" "${cmd[@]}" </dev/null)
	else
		(cd "$work" && "${envs[@]}" "${cmd[@]}" </dev/null)
	fi
}

if [ "$(id -u)" = 0 ]; then
	setup_root
else
	check_user_setup
fi

log "build"
make build

rc=0
if [ "$mode" = all ]; then
	log "unit tests"
	make unit || rc=1
fi

log "compile the integration suite"
work=$(mktemp -d /tmp/urun-test.XXXXXX)
trap 'rm -rf --one-file-system "$work"' EXIT
mkdir "$work/bin"
go test -c -tags "$TAGS" -o "$work/integration.test" ./test
install -m 0755 bin/urun bin/urun-image "$work/bin/"
chmod -R a+rX "$work"

if [ "$(id -u)" = 0 ]; then
	log "integration suite as $TEST_USER"
	run_suite "$TEST_USER" -test.skip '^TestNoSubuid' || rc=1
	log "missing-subuid tests as $NOSUB_USER"
	run_suite "$NOSUB_USER" -test.run '^TestNoSubuid' || rc=1
else
	log "integration suite as $(id -un)"
	run_suite "$(id -un)" -test.skip '^TestNoSubuid' || rc=1
	echo "NOT RUN: TestNoSubuid* (they need a user without subordinate ids; as root, hack/test.sh runs them as $NOSUB_USER)"
fi

if [ "$rc" = 0 ]; then
	log "PASS"
else
	log "FAIL"
fi
exit "$rc"
