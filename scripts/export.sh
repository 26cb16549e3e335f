#!/bin/bash
# 'make export' / 'make qemu-export': rewrite a source's patches/ from its
# tree's base..HEAD (scripts/source.sh export).
set -eu
. "$(dirname "$0")/lib.sh"

usage() {
	cat <<USAGE
usage: $0 [-h] [SOURCE-DIR]
Replace SOURCE-DIR/patches (default kernel/\$BASE, BASE=$BASE) with
'git format-patch base..HEAD' of its tree under build/.  A kernel series'
cover letter keeps its subject and text; its shortlog, diffstat and
base-commit are regenerated.
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
[ $# -le 1 ] || usage 2
exec "$TOP/scripts/source.sh" export "${1:-$KSRC}"
