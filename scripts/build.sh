#!/bin/bash
# Build everything one arch needs to boot and test: kernel, uAPI headers,
# KVM selftests, initramfs.
set -eu
. "$(dirname "$0")/lib.sh"

usage() {
	cat <<USAGE
usage: $0 [-h] ARCH
Build kernel (debug fragment included if ARCH is in \$DEBUG_ARCHES,
default "$DEFAULT_DEBUG_ARCHES"), selftests, QEMU (x86_64) and initramfs
for ARCH.
USAGE
	exit "${1:-0}"
}

while getopts h opt; do
	case $opt in
	h) usage 0 ;;
	*) usage 2 ;;
	esac
done
shift $((OPTIND - 1))
[ $# = 1 ] || usage 2
check_arch "$1"

"$TOP/scripts/build-kernel.sh" "$1"
"$TOP/scripts/build-selftests.sh" "$1"
# The x86_64 guests also run QEMU with vmm/qemu/patches (QEMU's own
# migration-test inside the patched kernel).
[ "$1" != x86_64 ] || "$TOP/scripts/build-qemu.sh"
"$TOP/scripts/make-initramfs.sh" "$1"
