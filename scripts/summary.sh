#!/bin/bash
# Print 'N passed, N failed, N skipped' over TAP files; fail on any failure.
set -eu
. "$(dirname "$0")/lib.sh"

usage() {
	cat <<USAGE
usage: $0 [-h] TAP...
Count the results of the given TAP files (a missing file counts as one
failure) and print one line 'N passed, N failed, N skipped'.
Exit status: 1 if anything failed, else 0.
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
[ $# -ge 1 ] || usage 2

pass=0 fail=0 skip=0
for tap in "$@"; do
	if [ ! -f "$tap" ]; then
		echo "missing results: $tap" >&2
		fail=$((fail + 1))
		continue
	fi
	p=$(grep -c '^ok .*# SKIP' "$tap" || true)
	skip=$((skip + p))
	p=$(grep '^ok ' "$tap" | grep -vc '# SKIP' || true)
	pass=$((pass + p))
	p=$(grep -c '^not ok ' "$tap" || true)
	fail=$((fail + p))
	grep '^not ok ' "$tap" >&2 || true
done
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" = 0 ]
