#!/bin/bash
# Cross-build qemu-system-aarch64 (with KVM; TCG stays in, as QEMU 7.2's
# target/arm does not build without it) from build/qemu into
# build/obj-qemu-arm64, for the arm64 'make demo', and pack it with the
# arm64 shared libraries it loads into build/demo-arm64/qemu.cpio.gz, an
# initramfs overlay.
set -eu
. "$(dirname "$0")/lib.sh"

usage() {
	cat <<USAGE
usage: $0 [-h]
The arm64 libraries QEMU links (glib, pixman, libfdt, zlib and what they
need) are Debian bookworm's arm64 packages, downloaded with apt-get and
unpacked into \$CACHE/qemu-arm64-sysroot (nothing is installed): Debian's
libfdt-dev is not multi-arch, so installing it for arm64 would remove the
amd64 one.
USAGE
	exit "${1:-0}"
}
while getopts h opt; do
	case $opt in
	h) usage 0 ;;
	*) usage 2 ;;
	esac
done

"$TOP/scripts/qemu-tree.sh"

# The arm64 packages QEMU's build needs, with their dependencies, less the
# C library and compiler runtime the cross toolchain brings.
pkgs="libblkid-dev libblkid1 libcom-err2 libfdt-dev libfdt1 libffi-dev libffi8
libglib2.0-0 libglib2.0-dev libgssapi-krb5-2 libk5crypto3 libkeyutils1 libkrb5-3
libkrb5support0 libmount-dev libmount1 libpcre2-16-0 libpcre2-32-0 libpcre2-8-0
libpcre2-dev libpcre2-posix3 libpixman-1-0 libpixman-1-dev libselinux1-dev
libselinux1 libsepol-dev libsepol2 libssl3 libuuid1 uuid-dev zlib1g-dev zlib1g"
sr=$CACHE/qemu-arm64-sysroot
stamp=$(echo $pkgs | sha256sum | cut -c1-16)
if [ "$(cat "$sr/.stamp" 2>/dev/null)" != "$stamp" ]; then
	msg "fetching arm64 libraries for QEMU into $sr"
	rm -rf "$sr" "$sr.debs"
	mkdir -p "$sr" "$sr.debs"
	# shellcheck disable=SC2046
	(cd "$sr.debs" && apt-get download -q $(for p in $pkgs; do echo "$p:arm64"; done) \
		>/dev/null 2>&1) || die "apt-get download of arm64 packages failed (run scripts/install-deps.sh?)"
	for f in "$sr.debs"/*.deb; do dpkg-deb -x "$f" "$sr"; done
	# Absolute symbolic links point into the host: make them relative.
	(cd "$sr" && find . -type l -lname '/*' | while read -r l; do
		ln -sf "$(realpath -m --relative-to="$(dirname "$l")" ".$(readlink "$l")")" "$l"
	done)
	rm -rf "$sr.debs"
	echo "$stamp" >"$sr/.stamp"
fi

obj=$BUILD/obj-qemu-arm64
lib="$sr/usr/lib/aarch64-linux-gnu:$sr/lib/aarch64-linux-gnu"
config="--cross-prefix=aarch64-linux-gnu- --target-list=aarch64-softmmu
--without-default-features --enable-kvm --enable-fdt=system
--disable-docs --disable-werror --extra-cflags=-g0 --extra-cflags=-I$sr/usr/include
--extra-ldflags=-L$sr/usr/lib/aarch64-linux-gnu --extra-ldflags=-L$sr/lib/aarch64-linux-gnu
--extra-ldflags=-Wl,-rpath-link=$lib"
if [ ! -f "$obj/.configured" ] || [ "$(cat "$obj/.configured")" != "$config" ]; then
	msg "configuring QEMU for arm64 in build/obj-qemu-arm64"
	rm -rf "$obj"
	mkdir -p "$obj"
	# shellcheck disable=SC2086
	(cd "$obj" && PKG_CONFIG=pkg-config PKG_CONFIG_SYSROOT_DIR=$sr \
		PKG_CONFIG_LIBDIR=$sr/usr/lib/aarch64-linux-gnu/pkgconfig:$sr/usr/share/pkgconfig \
		"$QEMU/configure" $config --cc="ccache aarch64-linux-gnu-gcc" \
		--cxx="ccache aarch64-linux-gnu-g++" >configure.log 2>&1) ||
		{ tail -n 20 "$obj/configure.log" >&2; die "QEMU configure failed (build/obj-qemu-arm64/configure.log)"; }
	echo "$config" >"$obj/.configured"
fi
msg "building qemu-system-aarch64 (build/obj-qemu-arm64)"
mkdir -p "$BUILD/logs"
ninja -C "$obj" -j "$JOBS" qemu-system-aarch64 >"$BUILD/logs/build-qemu-arm64.log" 2>&1 ||
	{ tail -n 30 "$BUILD/logs/build-qemu-arm64.log" >&2; die "QEMU build failed (build/logs/build-qemu-arm64.log)"; }

# The overlay: the binary, and every shared library it loads (followed
# through DT_NEEDED) from the sysroot or the cross toolchain's C library,
# where the arm64 loader looks for them.
root=$BUILD/demo-arm64/qemu-root
rm -rf "$root"
mkdir -p "$root/qemu/bin" "$root/qemu/share" "$root/lib/aarch64-linux-gnu"
aarch64-linux-gnu-strip -o "$root/qemu/bin/qemu-system-aarch64" "$obj/qemu-system-aarch64"
cp -L /usr/aarch64-linux-gnu/lib/ld-linux-aarch64.so.1 "$root/lib/"
todo=("$root/qemu/bin/qemu-system-aarch64")
while [ ${#todo[@]} -gt 0 ]; do
	f=${todo[0]}
	todo=("${todo[@]:1}")
	for n in $(aarch64-linux-gnu-readelf -d "$f" | sed -n 's/.*Shared library: \[\(.*\)\]/\1/p'); do
		[ ! -e "$root/lib/aarch64-linux-gnu/$n" ] || continue
		found=
		for d in "$sr/lib/aarch64-linux-gnu" "$sr/usr/lib/aarch64-linux-gnu" \
			/usr/aarch64-linux-gnu/lib; do
			[ -e "$d/$n" ] || continue
			cp -L "$d/$n" "$root/lib/aarch64-linux-gnu/$n"
			todo+=("$root/lib/aarch64-linux-gnu/$n")
			found=1
			break
		done
		[ -n "$found" ] || die "qemu-system-aarch64 needs $n, which is in no arm64 library directory"
	done
done
(cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc --quiet --reproducible) |
	gzip -1 >"$BUILD/demo-arm64/qemu.cpio.gz"
msg "built $obj/qemu-system-aarch64; overlay build/demo-arm64/qemu.cpio.gz" \
	"($(du -h "$BUILD/demo-arm64/qemu.cpio.gz" | cut -f1))"
