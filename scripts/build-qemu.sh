#!/bin/bash
# Build QEMU from build/qemu (Debian's 7.2 with vmm/qemu/patches) into
# build/obj-qemu: qemu-system-x86_64 with KVM only, and QEMU's qtest
# migration-test, to run inside the patched x86_64 kernel.
set -eu
. "$(dirname "$0")/lib.sh"

usage() {
	cat <<USAGE
usage: $0 [-h]
Create or check build/qemu (scripts/qemu-tree.sh), configure it once into
build/obj-qemu and build qemu-system-x86_64 and tests/qtest/migration-test.
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

# Only what the tests need: KVM (no TCG), no docs, no optional libraries;
# the default devices of the PC machines stay. Compiled through ccache.
config="--target-list=x86_64-softmmu --without-default-features --enable-kvm
--disable-tcg --disable-docs --disable-werror --extra-cflags=-g0"
stamp=$QEMU_OBJ/.configured
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$config" ]; then
	msg "configuring QEMU in build/obj-qemu"
	rm -rf "$QEMU_OBJ"
	mkdir -p "$QEMU_OBJ"
	# shellcheck disable=SC2086
	(cd "$QEMU_OBJ" && "$QEMU/configure" $config \
		--cc="ccache gcc" --cxx="ccache g++" >configure.log 2>&1) ||
		{ tail -n 20 "$QEMU_OBJ/configure.log" >&2; die "QEMU configure failed (build/obj-qemu/configure.log)"; }
	echo "$config" >"$stamp"
fi
msg "building QEMU (build/obj-qemu)"
mkdir -p "$BUILD/logs"
ninja -C "$QEMU_OBJ" -j "$JOBS" qemu-system-x86_64 tests/qtest/migration-test \
	>"$BUILD/logs/build-qemu.log" 2>&1 ||
	{ tail -n 30 "$BUILD/logs/build-qemu.log" >&2; die "QEMU build failed (build/logs/build-qemu.log)"; }
msg "built $QEMU_OBJ/qemu-system-x86_64 and tests/qtest/migration-test"
