#!/bin/bash
# Copy the built QEMU (build/obj-qemu) into an initramfs root: the system
# emulator and QEMU's migration-test under /qemu/bin, the shared libraries
# they load at their usual paths, and the firmware they need under
# /qemu/share. Called by make-initramfs.sh for x86_64.
set -eu
. "$(dirname "$0")/lib.sh"

[ $# = 1 ] || die "usage: $0 ROOT"
root=$1
obj=$QEMU_OBJ
bins=("$obj/qemu-system-x86_64" "$obj/tests/qtest/migration-test")
for b in "${bins[@]}"; do
	[ -x "$b" ] || die "no $b: run scripts/build-qemu.sh"
done

mkdir -p "$root/qemu/bin" "$root/qemu/share"
for b in "${bins[@]}"; do
	strip -o "$root/qemu/bin/$(basename "$b")" "$b"
done
# The dynamic loader and every library the binaries link, at the paths
# ldd reports, so that they run unchanged in the guest.
ldd "${bins[@]}" | awk '/=> \// { print $3 } /^\t\/lib/ { print $1 }' |
	sort -u | while read -r lib; do
		mkdir -p "$root$(dirname "$lib")"
		cp -L "$lib" "$root$lib"
	done
# SeaBIOS and the option ROMs of the default PC machine (VGA, e1000 NIC).
for f in /usr/share/seabios/bios-256k.bin /usr/share/seabios/vgabios-stdvga.bin \
	/usr/lib/ipxe/qemu/efi-e1000.rom /usr/share/qemu/kvmvapic.bin \
	/usr/share/qemu/linuxboot_dma.bin; do
	[ -f "$f" ] || die "no $f: run scripts/install-deps.sh"
	cp -L "$f" "$root/qemu/share/"
done
# migration-test's guest, a boot sector that writes to every page of
# 1..100 MiB in a loop, for the QEMU-to-QEMU post-copy of
# scripts/guest/qemu-postcopy-bench.
python3 - "$QEMU/tests/migration/i386/a-b-bootblock.h" "$root/qemu/share/bootsect" <<'PY'
import re, sys
src = open(sys.argv[1]).read()
body = src[src.index("{") + 1:src.index("}")]
data = bytes(int(b, 16) for b in re.findall(r"0x([0-9a-fA-F]{2})", body))
assert len(data) == 512, len(data)
open(sys.argv[2], "wb").write(data)
PY
