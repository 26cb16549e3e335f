#!/bin/bash
# 'make test': from nothing but the repository to TAP results for every boot
# of every arch, and one summary line.
set -eu -o pipefail
. "$(dirname "$0")/lib.sh"

usage() {
	cat <<USAGE
usage: $0 [-n] [-h] [ARCH...]
Install packages, fetch the base, prepare build/linux, build and run the
test lists of ARCH (default: x86_64 arm64), print
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

taps=
for a in $arches; do
	list=$TOP/tests/$a.list
	for b in $(sed -n 's/^@boot[[:space:]]\+\([^[:space:]]*\).*/\1/p' "$list"); do
		rm -f "$BUILD/results/$b.tap"
		taps="$taps $BUILD/results/$b.tap"
	done
	if ! "$TOP/scripts/build.sh" "$a" 2>&1 | tee "$BUILD/logs/build-$a.log"; then
		warn "$a build failed (build/logs/build-$a.log): its boots count as failed"
		step "build $a (FAILED)"
		continue
	fi
	step "build $a"
	"$TOP/scripts/run-tests.sh" "$a" || true
	step "tests $a"
done
step_total
"$TOP/scripts/summary.sh" $taps
