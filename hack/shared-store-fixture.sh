#!/usr/bin/env bash
# hack/shared-store-fixture.sh BIN_DIR USER [DIR]: as root, makes DIR
# (default /var/tmp/urun-test-shared-by-root) hold DIR/store, a shared image
# store of root's as an administrator leaves one, for
# test/sharedstore_test.go: the image shared-by-root (static busybox,
# /etc/profile 0644, /etc/secret 0600, /home/app of uid 1000, /tmp 1777),
# imported by USER with BIN_DIR/urun, its files then given to the ids a
# pull by root gives them (USER's uid becomes 0, subordinate id S+K-1
# becomes K), and the store made readable to all (the command urun's
# error names).
set -euo pipefail

bin=$1 user=$2 dir=${3:-/var/tmp/urun-test-shared-by-root}
[ "$(id -u)" = 0 ] || { echo "$0: run as root" >&2; exit 1; }
busybox=$(command -v busybox)

rm -rf --one-file-system "$dir"
mkdir -p "$dir"
work=$(mktemp -d)
trap 'rm -rf --one-file-system "$work"' EXIT

rootfs=$work/rootfs
mkdir -p "$rootfs"/{bin,etc,tmp,home/app}
cp "$busybox" "$rootfs/bin/busybox"
for applet in sh cat echo tail touch stat test ls id; do ln -s busybox "$rootfs/bin/$applet"; done
printf "export PS1='\\\\h:\\\\w\\\\$ '\n" >"$rootfs/etc/profile"
echo secret >"$rootfs/etc/secret"
printf 'root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000::/home/app:/bin/sh\n' >"$rootfs/etc/passwd"
echo hello >"$rootfs/home/app/hello.txt"
chmod 0644 "$rootfs/etc/profile" "$rootfs/etc/passwd"
chmod 0600 "$rootfs/etc/secret"
chmod 1777 "$rootfs/tmp"
chown -R 1000:1000 "$rootfs/home/app"
tar --numeric-owner -C "$rootfs" -cf "$work/rootfs.tar" .
chmod 0755 "$work"
chmod 0644 "$work/rootfs.tar"

# USER imports it (urun as root is another change's); a home of its own.
home=$work/home
mkdir -p "$home"
chown "$user" "$home" "$dir"
runuser -u "$user" -- env -i HOME="$home" PATH="$bin:/usr/bin:/bin" TMPDIR="$home" \
	"$bin/urun" --root "$dir/store" --runroot "$home/run" import "$work/rootfs.tar" shared-by-root >/dev/null

uid=$(id -u "$user")
read -r sub_start _ < <(awk -F: -v u="$user" -v n="$uid" '$1 == u || $1 == n {print $2, $3; exit}' /etc/subuid)
read -r subg_start _ < <(awk -F: -v u="$user" -v n="$uid" '$1 == u || $1 == n {print $2, $3; exit}' /etc/subgid)
gid=$(id -g "$user")
find "$dir" -printf '%U %G %p\0' | while IFS=' ' read -r -d '' u g path; do
	nu=$u ng=$g
	if [ "$u" = "$uid" ]; then nu=0; elif [ "$u" -ge "$sub_start" ]; then nu=$((u - sub_start + 1)); fi
	if [ "$g" = "$gid" ]; then ng=0; elif [ "$g" -ge "$subg_start" ]; then ng=$((g - subg_start + 1)); fi
	chown -h "$nu:$ng" "$path"
done

s=$dir/store
chmod a+rx "$dir" "$s" "$s/overlay" "$s"/overlay/*/
chmod -R a+rX "$s/urun-images" "$s/overlay-images" "$s/overlay-layers"
chmod a+r "$s/overlay/.has-mount-program"
echo "shared store of root's: $s"
