#!/bin/bash
# Install the Debian 12 packages the build and the test VMs need, only those
# that are missing, and fetch an arm64 busybox-static for the arm64 initramfs.
set -eu
. "$(dirname "$0")/lib.sh"

usage() {
	cat <<USAGE
usage: $0 [-h]
Install missing build/test packages with apt-get (root or sudo needed) and
put busybox-static for arm64 into $CACHE/busybox.
USAGE
	exit "${1:-0}"
}

while getopts h opt; do
	case $opt in
	h) usage 0 ;;
	*) usage 2 ;;
	esac
done

PKGS="build-essential curl gcc-aarch64-linux-gnu libc6-dev-arm64-cross flex bison
bc libelf-dev libssl-dev cpio busybox-static ccache codespell xz-utils git
python3 python3-ply python3-git perl rsync kmod qemu-system-x86 qemu-system-arm gnuplot-nox
dpkg-dev meson ninja-build libglib2.0-dev libpixman-1-dev libfdt-dev seabios
ipxe-qemu"

SUDO=
if [ "$(id -u)" != 0 ]; then
	command -v sudo >/dev/null || die "not root and no sudo: install $PKGS"
	SUDO=sudo
fi

missing=
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing="$missing $p"
done

# vmm/qemu pins Debian's QEMU source package: 'apt-get source' needs a
# deb-src entry for bookworm.
srclist=/etc/apt/sources.list.d/kvm-uf-debian-src.sources
updated=
if ! grep -rqs '^Types:.*deb-src\|^deb-src ' /etc/apt/sources.list /etc/apt/sources.list.d/; then
	msg "adding deb-src entries for bookworm ($srclist)"
	$SUDO tee "$srclist" >/dev/null <<SRC
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb-src
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
	$SUDO apt-get update -qq
	updated=1
fi
# kernel/7.3 falls back to the newest 7.x of trixie-backports or sid when
# its pinned package is gone: it lists them from these deb-src entries.
newsrc=/etc/apt/sources.list.d/kvm-uf-debian-src-new.sources
if [ ! -f "$newsrc" ]; then
	msg "adding deb-src entries for trixie-backports and sid ($newsrc)"
	$SUDO tee "$newsrc" >/dev/null <<SRC
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: trixie-backports sid
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
	$SUDO apt-get update -qq
	updated=1
fi
if [ -n "$missing" ]; then
	msg "installing:$missing"
	[ -n "$updated" ] || $SUDO apt-get update -qq
	updated=1
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq \
		--no-install-recommends $missing >/dev/null
fi

# The arm64 initramfs needs an arm64 busybox; Debian ships it only as the
# arm64 build of busybox-static, so download that .deb and unpack it.
bb=$CACHE/busybox/arm64/bin/busybox
if [ ! -x "$bb" ]; then
	msg "fetching busybox-static:arm64"
	if ! dpkg --print-foreign-architectures | grep -qx arm64; then
		$SUDO dpkg --add-architecture arm64
		updated=
	fi
	[ -n "$updated" ] || $SUDO apt-get update -qq
	tmp=$(mktemp -d)
	(cd "$tmp" && apt-get download -q busybox-static:arm64 >/dev/null 2>&1) ||
		die "apt-get download busybox-static:arm64 failed"
	mkdir -p "$CACHE/busybox/arm64"
	dpkg -x "$tmp"/busybox-static_*_arm64.deb "$CACHE/busybox/arm64.tmp"
	mkdir -p "$(dirname "$bb")"
	cp "$CACHE/busybox/arm64.tmp/bin/busybox" "$bb"
	rm -rf "$tmp" "$CACHE/busybox/arm64.tmp"
fi
