#!/bin/bash
# 'make test': from nothing but the repository to TAP results for every boot
# of every arch, and one summary line.
set -eu -o pipefail
. "$(dirname "$0")/lib.sh"

usage() {
	cat <<USAGE
usage: $0 [-n] [-h] [ARCH...]
Install packages, fetch the base, prepare build/linux-\$BASE (BASE=$BASE),
build and run the test lists of ARCH (default: x86_64 arm64), print
'N passed, N failed, N skipped' and exit non-zero on any failure.
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
timing_start "$BUILD/logs/test-timing.txt"

[ -n "$nodeps" ] || "$TOP/scripts/install-deps.sh"
"$TOP/scripts/prepare-tree.sh"
step "deps, base, tree"

build_arch() { # ARCH LOG
	"$TOP/scripts/build.sh" "$1" >>"$2" 2>&1
}
run_lists "" build_arch $arches
