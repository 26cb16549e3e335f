#!/bin/bash
# Create build/linux: a git tree with the base committed and tagged 'base'
# and kernel/patches/series applied on top with 'git am'.
set -eu
. "$(dirname "$0")/lib.sh"

usage() {
	cat <<USAGE
usage: $0 [-f] [-h]
Create build/linux from the pinned base and the series, or check that an
existing build/linux matches kernel/patches.
  -f  rebuild the series on top of 'base' even if build/linux has other
      commits; the old HEAD is kept as branch backup/<date>.
USAGE
	exit "${1:-0}"
}

force=
while getopts fh opt; do
	case $opt in
	f) force=1 ;;
	h) usage 0 ;;
	*) usage 2 ;;
	esac
done

src=$("$TOP/scripts/fetch-base.sh")
version=$(cat "$src/.unpacked")

apply_series() {
	local p n=0
	git -C "$LINUX" checkout -q -B series base
	while read -r p; do
		case "$p" in "" | "#"*) continue ;; esac
		n=$((n + 1))
		if ! git "${GIT_ID[@]}" -C "$LINUX" am -q --keep-cr \
			--committer-date-is-author-date "$PATCHES/$p"; then
			git -C "$LINUX" am --abort || true
			die "kernel/patches/$p does not apply to $version: fix the patch or re-export it"
		fi
	done <"$PATCHES/series"
	msg "applied $n patches on top of base ($version)"
}

if [ ! -d "$LINUX/.git" ]; then
	msg "creating build/linux from $version"
	rm -rf "$LINUX"
	mkdir -p "$LINUX"
	cp -a "$src/." "$LINUX/"
	rm -f "$LINUX/.unpacked"
	git -C "$LINUX" init -q -b series
	git -C "$LINUX" add -A -f .
	GIT_AUTHOR_DATE=$BASE_DATE GIT_COMMITTER_DATE=$BASE_DATE \
		git "${GIT_ID[@]}" -C "$LINUX" commit -q -m "Linux $version (Debian linux-source-6.12)"
	GIT_COMMITTER_DATE=$BASE_DATE \
		git "${GIT_ID[@]}" -C "$LINUX" tag -a -m "$version" base
	apply_series
	exit 0
fi

have=$(git -C "$LINUX" tag -l --format='%(contents:subject)' base)
[ "$have" = "$version" ] ||
	die "build/linux is based on '$have', the base is now $version: remove build/linux and rerun"

want=$(series_tree)
if [ "$want" != "$(git -C "$LINUX" rev-parse 'HEAD^{tree}')" ]; then
	if [ -z "$force" ]; then
		die "build/linux HEAD differs from kernel/patches: 'make export' saves its commits, 'make reset-tree' re-applies kernel/patches"
	fi
	[ -z "$(git -C "$LINUX" status --porcelain --untracked-files=no)" ] ||
		die "build/linux has uncommitted changes: commit or stash them first"
	backup=backup/$(date +%Y%m%d-%H%M%S)
	git -C "$LINUX" branch "$backup" HEAD
	msg "old build/linux HEAD kept as branch $backup"
	apply_series
fi
if [ -n "$(git -C "$LINUX" status --porcelain --untracked-files=no)" ]; then
	warn "build/linux has uncommitted changes: they get built, but are not in the series"
fi
