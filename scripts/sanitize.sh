#!/bin/bash
# 'make sanitize': the series' tests on kernels built with the kernel's own
# sanitizers (KASAN, KCSAN, UBSAN), with every sanitizer report a failure.
set -eu -o pipefail
. "$(dirname "$0")/lib.sh"

usage() {
	cat <<USAGE
usage: $0 [-n] [-h] [ARCH...]
Do what 'make test' does to build ARCH (default: x86_64 arm64), then build
every kernel=VARIANT that tests/sanitize-ARCH.list names, into
build/obj-BASE-ARCH-VARIANT (the test kernel's fragments plus
kernel/configs/VARIANT.config and, if there is one,
VARIANT-ARCH.config), run that list (build/results/BOOT.tap,
build/logs/BOOT.log), print 'N passed, N failed, N skipped' and exit
non-zero on any failure. A KASAN, KCSAN or UBSAN report fails the test it
happened in, unless tests/sanitize-known.txt lists it.
  -n  skip package installation
USAGE
	exit "${1:-0}"
}

nodeps=
while getopts nh opt; do
	case $opt in
	n) nodeps=1 ;;
	h) usage 0 ;;
	*) usage 2 ;;
	esac
done
shift $((OPTIND - 1))
arches=${*:-x86_64 arm64}
for a in $arches; do check_arch "$a"; done

mkdir -p "$BUILD/logs" "$BUILD/results"
timing_start "$BUILD/logs/sanitize-timing.txt"

[ -n "$nodeps" ] || "$TOP/scripts/install-deps.sh"
"$TOP/scripts/prepare-tree.sh"
step "deps, base, tree"

# The test kernel of ARCH, then every kernel=VARIANT its list names.
build_arch() { # ARCH LOG
	local v f
	"$TOP/scripts/build.sh" "$1" >>"$2" 2>&1 || return
	for v in $(sed -n 's/^@boot.*[[:space:]]kernel=\([^[:space:]]*\).*/\1/p' \
		"$TOP/tests/sanitize-$1.list" | sort -u); do
		[ -f "$CONFIGS/$v.config" ] || die "tests/sanitize-$1.list: no kernel/configs/$v.config"
		f=(-f "$CONFIGS/$v.config")
		[ ! -f "$CONFIGS/$v-$1.config" ] || f+=(-f "$CONFIGS/$v-$1.config")
		KVARIANT=$v "$TOP/scripts/build-kernel.sh" -d "${f[@]}" "$1" >>"$2" 2>&1 || return
	done
}
run_lists sanitize- build_arch $arches
