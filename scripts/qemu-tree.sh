#!/bin/bash
# Create build/qemu: Debian's pinned QEMU source (vmm/qemu/base.conf) with
# Debian's patches applied, committed and tagged 'base', and
# vmm/qemu/patches/series applied on top with 'git am'.
set -eu
. "$(dirname "$0")/lib.sh"

usage() {
	cat <<USAGE
usage: $0 [-f] [-h]
Create build/qemu from the pinned QEMU source and vmm/qemu/patches, or
check that an existing build/qemu matches vmm/qemu/patches.
  -f  re-apply the series on top of 'base' even if build/qemu has other
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

. "$QEMU_CONF"

# Download and verify the source package; unpack it with Debian's patches.
fetch_source() {
	local dir=$CACHE/qemu-src src
	mkdir -p "$dir"
	cd "$dir"
	if [ ! -f "$QEMU_DSC" ] || [ ! -f "$QEMU_ORIG" ] || [ ! -f "$QEMU_DEBIAN" ]; then
		msg "downloading $QEMU_SOURCE=$QEMU_VERSION (apt-get source)"
		apt-get source -qq --download-only "$QEMU_SOURCE=$QEMU_VERSION" >/dev/null 2>&1 || {
			apt-get update -qq >/dev/null 2>&1 || true
			apt-get source -qq --download-only "$QEMU_SOURCE=$QEMU_VERSION" >/dev/null 2>&1
		} || die "apt-get source $QEMU_SOURCE=$QEMU_VERSION failed: is there a deb-src entry for bookworm (scripts/install-deps.sh adds one)?"
	fi
	sha256sum -c --quiet - >/dev/null 2>&1 <<SUMS || die "sha256 of $dir/$QEMU_DSC or its tarballs does not match vmm/qemu/base.conf: delete them and retry"
$QEMU_DSC_SHA256  $QEMU_DSC
$QEMU_ORIG_SHA256  $QEMU_ORIG
$QEMU_DEBIAN_SHA256  $QEMU_DEBIAN
SUMS
	src=$dir/unpacked
	if [ ! -f "$src/.unpacked" ]; then
		msg "unpacking $QEMU_DSC with Debian's patches"
		rm -rf "$src"
		# Integrity comes from the sha256 sums above, not from a keyring.
		dpkg-source -q --no-check -x "$QEMU_DSC" "$src" >/dev/null 2>&1 ||
			die "dpkg-source -x $QEMU_DSC failed"
		rm -rf "$src/.pc"
		echo "$QEMU_VERSION" >"$src/.unpacked"
	fi
	SRC=$src
}

apply_series() {
	local p n=0
	git -C "$QEMU" checkout -q -B series base
	while read -r p; do
		case "$p" in "" | "#"*) continue ;; esac
		n=$((n + 1))
		if ! git "${GIT_ID[@]}" -C "$QEMU" am -q --keep-cr \
			--committer-date-is-author-date "$QEMU_PATCHES/$p"; then
			git -C "$QEMU" am --abort || true
			die "vmm/qemu/patches/$p does not apply: fix the patch or re-export it"
		fi
	done <"$QEMU_PATCHES/series"
	msg "applied $n QEMU patches on top of base ($QEMU_VERSION)"
}

if [ ! -d "$QEMU/.git" ]; then
	fetch_source
	msg "creating build/qemu from $QEMU_VERSION"
	rm -rf "$QEMU"
	mkdir -p "$QEMU"
	cp -a "$SRC/." "$QEMU/"
	rm -f "$QEMU/.unpacked"
	git -C "$QEMU" init -q -b series
	git -C "$QEMU" add -A -f .
	GIT_AUTHOR_DATE=$BASE_DATE GIT_COMMITTER_DATE=$BASE_DATE \
		git "${GIT_ID[@]}" -C "$QEMU" commit -q \
		-m "QEMU $QEMU_VERSION (Debian qemu source, Debian patches applied)"
	GIT_COMMITTER_DATE=$BASE_DATE \
		git "${GIT_ID[@]}" -C "$QEMU" tag -a -m "$QEMU_VERSION" base
	apply_series
	exit 0
fi

have=$(git -C "$QEMU" tag -l --format='%(contents:subject)' base)
[ "$have" = "$QEMU_VERSION" ] ||
	die "build/qemu is based on '$have', the base is now $QEMU_VERSION: remove build/qemu and rerun"

want=$(series_tree "$QEMU" "$QEMU_PATCHES")
if [ "$want" != "$(git -C "$QEMU" rev-parse 'HEAD^{tree}')" ]; then
	if [ -z "$force" ]; then
		die "build/qemu HEAD differs from vmm/qemu/patches: 'scripts/qemu-export.sh' saves its commits, 'scripts/qemu-tree.sh -f' re-applies vmm/qemu/patches"
	fi
	[ -z "$(git -C "$QEMU" status --porcelain --untracked-files=no)" ] ||
		die "build/qemu has uncommitted changes: commit or stash them first"
	backup=backup/$(date +%Y%m%d-%H%M%S)
	git -C "$QEMU" branch "$backup" HEAD
	msg "old build/qemu HEAD kept as branch $backup"
	apply_series
fi
if [ -n "$(git -C "$QEMU" status --porcelain --untracked-files=no)" ]; then
	warn "build/qemu has uncommitted changes: they get built, but are not in the series"
fi
