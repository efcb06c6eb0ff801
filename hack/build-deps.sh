#!/bin/bash
# What `make build` needs besides Go: a C compiler and libseccomp's header
# and static library (package seccomp links libseccomp.a, cgo). As root
# with apt it installs what is missing; otherwise it says in one line
# what to install and fails.
set -u
CC=${CC:-gcc}
GO=${GO:-go}

if ! command -v "$GO" >/dev/null 2>&1; then
	echo "urun: the build needs Go 1.26 or newer: install it in /usr/local/go (https://go.dev/dl) or put go in PATH" >&2
	exit 1
fi

missing=()
if ! command -v "$CC" >/dev/null 2>&1; then
	missing+=(gcc libc6-dev libseccomp-dev)
else
	# The header the cgo preamble includes, and the archive it links.
	echo '#include <seccomp.h>' | "$CC" -E -x c - >/dev/null 2>&1 || missing+=(libseccomp-dev)
	lib=$("$CC" -print-file-name=libseccomp.a 2>/dev/null)
	[ -f "$lib" ] || missing+=(libseccomp-dev)
fi
((${#missing[@]})) || exit 0
# Each package once, in order.
mapfile -t missing < <(printf '%s\n' "${missing[@]}" | awk '!seen[$0]++')

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
	echo "urun's build needs ${missing[*]}: installing with apt-get" >&2
	export DEBIAN_FRONTEND=noninteractive
	# A fresh image has no package lists: fetch them when the first try
	# cannot find the packages.
	apt-get install -y --no-install-recommends "${missing[@]}" </dev/null >/dev/null 2>&1 ||
		{ apt-get update -q </dev/null >/dev/null && apt-get install -y -q --no-install-recommends "${missing[@]}" </dev/null; } ||
		{ echo "urun: installing ${missing[*]} failed; install them and run make again" >&2; exit 1; }
	exit 0
fi
echo "urun: the build needs ${missing[*]} (seccomp.h and libseccomp.a for cgo): as root, apt-get install ${missing[*]}; or run make build as root to install them" >&2
exit 1
