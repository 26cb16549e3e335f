#!/bin/bash
# Build the KVM selftests of build/linux-$BASE, statically linked, for one arch,
# against the uAPI headers of build/obj-BASE-ARCH.
set -eu
. "$(dirname "$0")/lib.sh"

usage() {
	cat <<USAGE
usage: $0 [-h] ARCH
Build tools/testing/selftests/kvm into build/selftests-BASE-ARCH (static
binaries). Needs the headers from scripts/build-kernel.sh ARCH.
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
arch_vars "$1"
[ -f "$OBJ/usr/include/linux/kvm.h" ] ||
	die "no uAPI headers in $OBJ: run scripts/build-kernel.sh $1 first"

msg "building $1 KVM selftests"
mkdir -p "$SELFTESTS"
make -s -C "$LINUX/tools/testing/selftests/kvm" -j"$JOBS" \
	OUTPUT="$SELFTESTS" ARCH="$SELFTEST_ARCH" CROSS_COMPILE="$CROSS" \
	LDFLAGS=-static KHDR_INCLUDES="-isystem $OBJ/usr/include"
