#!/bin/bash
# Export the commits of build/qemu (base..HEAD) to vmm/qemu/patches as
# numbered git format-patch files with a series file.
set -eu
. "$(dirname "$0")/lib.sh"

[ $# = 0 ] || die "usage: $0"
[ -d "$QEMU/.git" ] || die "no build/qemu: run scripts/qemu-tree.sh first"
[ -z "$(git -C "$QEMU" status --porcelain --untracked-files=no)" ] ||
	warn "build/qemu has uncommitted changes: they are not exported"

n=$(git -C "$QEMU" rev-list --count base..HEAD)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
git -C "$QEMU" format-patch -q --zero-commit --no-signature -o "$tmp" base..HEAD
mkdir -p "$QEMU_PATCHES"
rm -f "$QEMU_PATCHES"/[0-9][0-9][0-9][0-9]-*.patch
[ "$n" = 0 ] || mv "$tmp"/*.patch "$QEMU_PATCHES/"
(cd "$QEMU_PATCHES" && ls [0-9][0-9][0-9][0-9]-*.patch 2>/dev/null || true) >"$QEMU_PATCHES/series"
msg "exported $n patches to vmm/qemu/patches"
