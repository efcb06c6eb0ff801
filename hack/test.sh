#!/usr/bin/env bash
# hack/test.sh [all|integration] [SUITE-FLAGS...]: the one command that runs
# urun's tests. SUITE-FLAGS go to the integration suite's binary, e.g.
# `bash hack/test.sh integration -test.run 'TestExec'` runs only those.
#
# As root (CI runs `bash .ci/run` as root on a fresh Debian 12): sets the
# host up with hack/setup-host.sh (packages, the test users, /dev/fuse,
# /dev/net/tun, user-namespace sysctls), builds, runs the unit tests ("all"
# only), then runs the integration suite as the unprivileged user uruntest,
# the missing-subuid tests as urunnosub (a user with no subordinate ids) and
# root's tests (TestAsRoot*) as root.
#
# As an ordinary user: changes nothing on the host; says what set-up is
# missing (hack/setup-host.sh), or builds and runs the suite as that user.
#
# The exit code is the tests' result.
set -euo pipefail

mode=${1:-all}
shift || true
suite_flags=("$@")
case $mode in
all | integration) ;;
*)
	echo "usage: $0 [all|integration]" >&2
	exit 2
	;;
esac

cd "$(dirname "$0")/.."

TEST_USER=uruntest
NOSUB_USER=urunnosub
SUITE_TIMEOUT=60m
CLEAN_PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

if [ -x /usr/local/go/bin/go ]; then
	export PATH=/usr/local/go/bin:$PATH
fi

log() { printf '\n==> %s\n' "$*"; }

# run_suite USER ARGS...: runs the integration suite as USER with a clean
# environment (HOME, PATH, USER, LOGNAME; no XDG_RUNTIME_DIR, so urun's
# fallback run directory is used) and no stdin.
run_suite() {
	local user=$1 home
	shift
	home=$(getent passwd "$user" | cut -d: -f6)
	local envs=(env -i "HOME=$home" "USER=$user" "LOGNAME=$user" "PATH=$CLEAN_PATH" "URUN_BIN_DIR=$work/bin" "URUN_INSTALL_DIR=$work/install")
	local cmd=("$work/integration.test" -test.v -test.count=1 -test.timeout="$SUITE_TIMEOUT" "$@")
	if [ "$(id -u)" = 0 ]; then
		(cd "$work" && runuser -u "$user" -- "${envs[@]}" "${cmd[@]}" </dev/null)
	else
		(cd "$work" && "${envs[@]}" "${cmd[@]}" </dev/null)
	fi
}

bash hack/setup-host.sh test

log "build"
make build

rc=0
if [ "$mode" = all ]; then
	log "unit tests"
	make unit || rc=1
	log "fuzz tests"
	make fuzz || rc=1
fi

log "compile the integration suite"
work=$(mktemp -d /tmp/urun-test.XXXXXX)
trap 'rm -rf --one-file-system "$work"' EXIT
mkdir "$work/bin"
make suite SUITE_BINARY="$work/integration.test"
install -m 0755 bin/urun bin/urun-image bin/urun-init bin/urun-netholder "$work/bin/"
# What `make install` lays out, for the suite's test of it.
make install DESTDIR="$work/install" PREFIX=/usr >/dev/null
chmod -R a+rX "$work"

if [ "$(id -u)" = 0 ]; then
	# A shared image store as root leaves one, for test/sharedstore_test.go.
	bash hack/shared-store-fixture.sh "$work/bin" "$TEST_USER"
	log "integration suite as $TEST_USER"
	run_suite "$TEST_USER" -test.skip '^TestNoSubuid|^TestVM|^TestAsRoot' "${suite_flags[@]}" || rc=1
	if [ ${#suite_flags[@]} = 0 ]; then
		log "missing-subuid tests as $NOSUB_USER"
		run_suite "$NOSUB_USER" -test.run '^TestNoSubuid' || rc=1
		log "root's tests as root"
		run_suite root -test.run '^TestAsRoot' || rc=1
		log "VM test bed: TestVM* as $TEST_USER in a guest with systemd and cgroup v2"
		bash hack/vm/test.sh "$work/bin" "$work/integration.test" || rc=1
	else
		# SUITE-FLAGS that name these tests run them as their users too
		# (give a -test.run that matches only them, or they skip there).
		if [[ "${suite_flags[*]}" == *NoSubuid* ]]; then
			log "missing-subuid tests as $NOSUB_USER"
			run_suite "$NOSUB_USER" "${suite_flags[@]}" || rc=1
		fi
		if [[ "${suite_flags[*]}" == *AsRoot* ]]; then
			log "root's tests as root"
			run_suite root "${suite_flags[@]}" || rc=1
		fi
	fi
else
	log "integration suite as $(id -un)"
	run_suite "$(id -un)" -test.skip '^TestNoSubuid|^TestVM|^TestAsRoot' "${suite_flags[@]}" || rc=1
	echo "NOT RUN: TestNoSubuid* (they need a user without subordinate ids; as root, hack/test.sh runs them as $NOSUB_USER)"
	echo "NOT RUN: TestAsRoot* (they need root; as root, hack/test.sh runs them as root)"
	echo "NOT RUN: TestVM* (they need the VM test bed, which only root can build and boot: hack/vm/test.sh)"
fi

if [ "$rc" = 0 ]; then
	log "PASS"
else
	log "FAIL"
fi
exit "$rc"
