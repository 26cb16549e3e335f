#!/bin/bash
# 'make check': the series of kernel/$BASE applies to a fresh base and
# matches build/linux-$BASE, the cover letter is complete, and every patch
# passes checkpatch --strict; the same for the QEMU series.
set -eu
. "$(dirname "$0")/lib.sh"

usage() {
	cat <<USAGE
usage: $0 [-h]
Check kernel/\$BASE/patches (BASE=$BASE): series file consistent with the
patch files, cover letter filled in with the right base-commit, the series
applies to the pinned base and gives build/linux-\$BASE's HEAD,
checkpatch.pl --strict (with codespell) finds nothing in any patch.  Then
vmm/qemu/patches with QEMU's checkpatch.pl.
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

fail=0
bad() { echo "check: $*" >&2; fail=1; }

# series lists exactly the numbered patches, in order.
want=$(cd "$PATCHES" && ls [0-9][0-9][0-9][0-9]-*.patch 2>/dev/null | grep -v '^0000-' || true)
have=$(grep -v '^[[:space:]]*\(#\|$\)' "$PATCHES/series" || true)
[ "$want" = "$have" ] || bad "${PATCHES#"$TOP"/}/series does not list exactly the patch files in order"

# Creates build/linux-$BASE if needed; dies if the series does not apply to
# the base or if the tree's HEAD is not what the series gives.
"$TOP/scripts/prepare-tree.sh"

cover=$PATCHES/0000-cover-letter.patch
if [ ! -f "$cover" ]; then
	bad "no ${PATCHES#"$TOP"/}/0000-cover-letter.patch"
else
	! grep -q '\*\*\* .* HERE \*\*\*' "$cover" ||
		bad "0000-cover-letter.patch still has a *** ... HERE *** placeholder"
	grep -qx "base-commit: $(git -C "$LINUX" rev-parse "base^{commit}")" "$cover" ||
		bad "0000-cover-letter.patch lacks 'base-commit: $(git -C "$LINUX" rev-parse "base^{commit}")'"
	n=$(echo "$want" | grep -c . || true)
	grep -q "^Subject: \[PATCH 0*0/$n\] " "$cover" ||
		bad "0000-cover-letter.patch subject is not [PATCH 0/$n]: re-export"
fi

# Debian's codespell keeps its dictionary where checkpatch does not look.
spell=
dict=$(ls /usr/lib/python3/dist-packages/codespell_lib/data/dictionary.txt \
	/usr/share/codespell/dictionary.txt 2>/dev/null | head -n1 || true)
# Less the entries that are kernel identifiers (iput() is no typo of input).
if [ -n "$dict" ]; then
	mkdir -p "$BUILD"
	grep -v -E '^(iput)->' "$dict" >"$BUILD/codespell-dictionary.txt"
	spell="--codespell --codespellfile=$BUILD/codespell-dictionary.txt"
fi
# checkpatch asks "does MAINTAINERS need updating?" for every new file;
# answer it with get_maintainer.pl instead: each new file must map to a KVM
# entry.
for p in $want; do
	out=$(cd "$LINUX" && PATH=/usr/bin:$PATH perl scripts/checkpatch.pl \
		--strict $spell --ignore FILE_PATH_CHANGES -q --no-summary \
		"$PATCHES/$p" 2>&1) || true
	if [ -n "$out" ]; then
		bad "checkpatch --strict: $p"
		echo "$out" | sed 's/^/    /' >&2
	fi
	for f in $(sed -n 's|^+++ b/||p' "$PATCHES/$p" | sort -u); do
		grep -q "^--- /dev/null" <(awk -v f="$f" '/^diff --git/ { cur = ($4 == "b/" f) } cur' "$PATCHES/$p") ||
			continue
		(cd "$LINUX" && perl scripts/get_maintainer.pl --no-git --no-rolestats \
			--no-email --subsystem -f "$f" 2>/dev/null) |
			grep -q 'KERNEL VIRTUAL MACHINE' ||
			bad "$p: new file $f has no KVM entry in MAINTAINERS"
	done
done

if [ "$fail" = 0 ]; then
	echo "check: $(echo "$want" | grep -c . || true) patches of kernel/$BASE OK (apply to base, match build/linux-$BASE, checkpatch --strict clean)"
fi

# The QEMU series: the same checks with QEMU's own checkpatch.pl.
kfail=$fail
fail=0
qwant=$(cd "$QEMU_PATCHES" && ls [0-9][0-9][0-9][0-9]-*.patch 2>/dev/null || true)
qhave=$(grep -v '^[[:space:]]*\(#\|$\)' "$QEMU_PATCHES/series" || true)
[ "$qwant" = "$qhave" ] || bad "vmm/qemu/patches/series does not list exactly the patch files in order"
"$TOP/scripts/qemu-tree.sh"
for p in $qwant; do
	out=$(cd "$QEMU" && perl scripts/checkpatch.pl --mailback \
		"$QEMU_PATCHES/$p" 2>&1) || true
	if [ -n "$out" ]; then
		bad "QEMU checkpatch: $p"
		echo "$out" | sed 's/^/    /' >&2
	fi
done
if [ "$fail" = 0 ]; then
	echo "check: $(echo "$qwant" | grep -c . || true) QEMU patches OK (apply to base, match build/qemu, QEMU checkpatch clean)"
fi
[ "$kfail" = 0 ] && [ "$fail" = 0 ]
