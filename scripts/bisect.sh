#!/bin/bash
# 'make bisect': every patch of the series builds (kernel and KVM selftests)
# for x86_64 and arm64.
set -eu
. "$(dirname "$0")/lib.sh"

usage() {
	cat <<USAGE
usage: $0 [-h] [ARCH...]
Check out each commit of build/linux-\$BASE's series in a separate worktree
(build/bisect/linux-\$BASE) and build the kernel and the KVM selftests for each
ARCH (default: x86_64 arm64) there. Slow: one incremental build per
patch and arch. Exit status 1 names the first patch that does not build.
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
arches=${*:-x86_64 arm64}
for a in $arches; do check_arch "$a"; done

"$TOP/scripts/prepare-tree.sh"
commits=$(git -C "$LINUX" rev-list --reverse base..HEAD)
[ -n "$commits" ] || { msg "no patches in the series"; exit 0; }

export BUILD=$TOP/build/bisect
wt=$BUILD/linux-$BASE
if [ ! -e "$wt/.git" ]; then
	mkdir -p "$BUILD"
	git -C "$LINUX" worktree prune
	git -C "$LINUX" worktree add -q --detach "$wt" base
fi

i=0
total=$(echo "$commits" | wc -l)
for c in $commits; do
	i=$((i + 1))
	subj=$(git -C "$wt" log -1 --format=%s "$c")
	git -C "$wt" checkout -q --detach "$c"
	for a in $arches; do
		msg "[$i/$total] $a: $subj"
		if ! "$TOP/scripts/build-kernel.sh" "$a" >"$BUILD/build.log" 2>&1 ||
			! "$TOP/scripts/build-selftests.sh" "$a" >>"$BUILD/build.log" 2>&1; then
			tail -n 30 "$BUILD/build.log" >&2
			die "patch $i/$total of $BASE does not build for $a: $subj (log: build/bisect/build.log)"
		fi
	done
done
msg "all $total patches of $BASE build for: $arches"
