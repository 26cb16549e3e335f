#!/bin/bash
# 'make tree' / 'make qemu-tree': create or check the git tree of a pinned
# source (kernel/$BASE by default) with its series applied; the work is
# scripts/source.sh's.
set -eu
. "$(dirname "$0")/lib.sh"

usage() {
	cat <<USAGE
usage: $0 [-f] [-h] [SOURCE-DIR]
Create build/linux-\$BASE (BASE=$BASE) from kernel/\$BASE, or the tree of
SOURCE-DIR (e.g. vmm/qemu), or check that an existing one matches its
patches/.
  -f  re-apply the series on top of 'base' even if the tree has other
      commits; the old HEAD is kept as branch backup/<date>.
USAGE
	exit "${1:-0}"
}

cmd=tree
while getopts fh opt; do
	case $opt in
	f) cmd=reset ;;
	h) usage 0 ;;
	*) usage 2 ;;
	esac
done
shift $((OPTIND - 1))
[ $# -le 1 ] || usage 2
exec "$TOP/scripts/source.sh" "$cmd" "${1:-$KSRC}"
