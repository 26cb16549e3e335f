#!/bin/bash
# Export the commits of build/linux (base..HEAD) to kernel/patches: numbered
# git format-patch files, a cover letter and the series file.
set -eu
. "$(dirname "$0")/lib.sh"

usage() {
	cat <<USAGE
usage: $0 [-h]
Replace kernel/patches/NNNN-*.patch and series with 'git format-patch
base..HEAD' of build/linux. The subject and text of the existing
0000-cover-letter.patch are kept; its shortlog, diffstat and base-commit
are regenerated. Edit the cover letter's subject and text in kernel/patches.
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
[ $# = 0 ] || usage 2
[ -d "$LINUX/.git" ] || die "no build/linux: run 'make tree' first"
[ -z "$(git -C "$LINUX" status --porcelain --untracked-files=no)" ] ||
	warn "build/linux has uncommitted changes: they are not exported"

n=$(git -C "$LINUX" rev-list --count base..HEAD)
cover=$PATCHES/0000-cover-letter.patch
subject="KVM: Userfault: per-memslot present bitmap for post-copy migration"
blurb=
if [ -f "$cover" ]; then
	subject=$(sed -n 's/^Subject: \[PATCH[^]]*\] //p' "$cover" | head -n1)
	# The text runs from the first blank line (end of the mail header)
	# up to the shortlog, whose first line is 'Author (N):'.
	blurb=$(awk 'body && /^[^ ].* \([0-9]+\):$/ { exit }
		body { print } /^$/ && !body { body = 1 }' "$cover")
fi
[ -n "$blurb" ] || blurb="*** BLURB HERE ***"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
if [ "$n" -gt 0 ]; then
	git -C "$LINUX" format-patch -q --zero-commit --no-signature \
		--cover-letter --base=base -o "$tmp" base..HEAD
	date=$(git -C "$LINUX" log -1 --format=%aD HEAD)
	python3 - "$tmp/0000-cover-letter.patch" "$subject" "$date" "$blurb" <<'PY'
import sys
path, subject, date, blurb = sys.argv[1:]
s = open(path).read()
s = s.replace("*** SUBJECT HERE ***", subject, 1)
s = s.replace("*** BLURB HERE ***\n", blurb.rstrip("\n") + "\n", 1)
lines = s.split("\n")
lines = ["Date: " + date if l.startswith("Date: ") else l for l in lines]
open(path, "w").write("\n".join(lines))
PY
else
	{
		echo "From 0000000000000000000000000000000000000000 Mon Sep 17 00:00:00 2001"
		echo "Subject: [PATCH 0/0] $subject"
		echo
		echo "$blurb"
		echo
		echo "base-commit: $(git -C "$LINUX" rev-parse "base^{commit}")"
	} >"$tmp/0000-cover-letter.patch"
fi
rm -f "$PATCHES"/[0-9][0-9][0-9][0-9]-*.patch
mv "$tmp"/*.patch "$PATCHES/"
(cd "$PATCHES" && ls [0-9][0-9][0-9][0-9]-*.patch 2>/dev/null | grep -v '^0000-' || true) >"$PATCHES/series"
msg "exported $n patches to kernel/patches (check: make check)"
