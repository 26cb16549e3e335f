#!/bin/bash
# One workflow for every pinned source (a kernel base, QEMU): fetch the
# pinned package, verify it, unpack it into the cache, commit it as 'base'
# of a git tree under build/ and apply the series with 'git am'; check that
# an existing tree matches the series; export the tree's commits back.
#
# A source is a directory with source.conf and patches/ (kernel/7.3,
# kernel/6.12, vmm/qemu); see kernel/7.3/source.conf for the fields.
set -eu
. "$(dirname "$0")/lib.sh"

usage() {
	cat <<USAGE
usage: $0 [-h] fetch|tree|reset|export|path SOURCE-DIR
  fetch   download and verify the pinned source, unpack it into
          \$CACHE/src and print the unpacked directory
  tree    create build/NAME (base committed and tagged 'base', the series
          applied) or check that an existing one matches SOURCE-DIR/patches
  reset   as tree, but re-apply the series on top of 'base' even if the
          tree has other commits (its HEAD is kept as branch backup/DATE)
  export  rewrite SOURCE-DIR/patches from the tree's base..HEAD
  path    print the tree's path
SOURCE-DIR is e.g. kernel/7.3, kernel/6.12 or vmm/qemu.
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
[ $# = 2 ] || usage 2
cmd=$1
case "$2" in /*) SDIR=$2 ;; *) SDIR=$TOP/$2 ;; esac
[ -f "$SDIR/source.conf" ] || die "$2: no source.conf"
SRC_POOL= SRC_COVER=
src_fallback() { :; }
. "$SDIR/source.conf"
SPATCHES=$SDIR/patches
STREE=$BUILD/$SRC_NAME
REL=${SDIR#"$TOP"/}
DL=$CACHE/src/$SRC_NAME

sha_ok() { # SHA256 FILE
	echo "$1  $2" | sha256sum -c --quiet - >/dev/null 2>&1
}

# deb: a binary package that carries the source as a tarball.
deb_name() { # PACKAGE VERSION
	echo "${1}_${2//:/%3a}_all.deb"
}
deb_download() { # PACKAGE VERSION
	local deb
	deb=$(deb_name "$1" "$2")
	[ -f "$deb" ] && return 0
	apt-get download -q "$1=$2" >/dev/null 2>&1 && [ -f "$deb" ] && return 0
	if [ -n "$SRC_POOL" ]; then
		curl -fsS -o "$deb.part" "$SRC_POOL/${1}_${2//\~/%7e}_all.deb" 2>/dev/null &&
			mv "$deb.part" "$deb" && return 0
		rm -f "$deb.part"
	fi
	return 1
}
unpacked_dir() { # DIR: the source tree unpacked in DIR
	local d
	for d in "$1"/*/; do
		[ -f "$d/Makefile" ] && { echo "${d%/}"; return; }
	done
	return 0
}
fetch_deb() {
	local pkg=$SRC_PACKAGE version=$SRC_VERSION deb tarball src
	mkdir -p "$DL"
	cd "$DL"
	if ! deb_download "$pkg" "$version"; then
		apt-get update -qq >/dev/null 2>&1 || true
		deb_download "$pkg" "$version" || {
			pkg= version=
			while read -r p v; do
				deb_download "$p" "$v" || continue
				pkg=$p version=$v
				break
			done < <(src_fallback)
			[ -n "$version" ] ||
				die "neither $SRC_PACKAGE=$SRC_VERSION nor a fallback is served: check the deb-src entries (scripts/install-deps.sh)"
			warn "**************************************************************"
			warn "pinned $SRC_PACKAGE=$SRC_VERSION is no longer served;"
			warn "FALLING BACK to $pkg=$version (unverified: no pinned checksum)."
			warn "Update $REL/source.conf once the series is checked against it."
			warn "**************************************************************"
		}
	fi
	deb=$(deb_name "$pkg" "$version")
	[ "$version" != "$SRC_VERSION" ] || sha_ok "$SRC_DEB_SHA256" "$deb" ||
		die "sha256 of $DL/$deb does not match $REL/source.conf: delete it and retry"
	src=$(unpacked_dir "$DL/$version")
	if [ -z "$src" ] || [ ! -f "$src/.unpacked" ]; then
		msg "unpacking $deb"
		rm -rf "${DL:?}/$version"
		mkdir -p "$DL/$version"
		tarball=${SRC_TARBALL//$SRC_PACKAGE/$pkg}
		dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$DL/$version" "./$tarball"
		[ "$version" != "$SRC_VERSION" ] ||
			sha_ok "$SRC_TARBALL_SHA256" "$DL/$version/$tarball" ||
			die "sha256 of the tarball in $deb does not match $REL/source.conf"
		xz -dc -T0 "$DL/$version/$tarball" | tar -x -C "$DL/$version"
		rm -rf "${DL:?}/$version/usr"
		src=$(unpacked_dir "$DL/$version")
		[ -n "$src" ] || die "unexpected layout in $deb: no Makefile"
		echo "$version" >"$src/.unpacked"
	fi
	echo "$src"
}

# dsc: a Debian source package, fetched with 'apt-get source'.
fetch_dsc() {
	local src=$DL/unpacked
	mkdir -p "$DL"
	cd "$DL"
	if [ ! -f "$SRC_DSC" ] || [ ! -f "$SRC_ORIG" ] || [ ! -f "$SRC_DEBIAN" ]; then
		msg "downloading $SRC_PACKAGE=$SRC_VERSION (apt-get source)"
		apt-get source -qq --download-only "$SRC_PACKAGE=$SRC_VERSION" >/dev/null 2>&1 || {
			apt-get update -qq >/dev/null 2>&1 || true
			apt-get source -qq --download-only "$SRC_PACKAGE=$SRC_VERSION" >/dev/null 2>&1
		} || die "apt-get source $SRC_PACKAGE=$SRC_VERSION failed: is there a deb-src entry for it (scripts/install-deps.sh adds them)?"
	fi
	sha_ok "$SRC_DSC_SHA256" "$SRC_DSC" && sha_ok "$SRC_ORIG_SHA256" "$SRC_ORIG" &&
		sha_ok "$SRC_DEBIAN_SHA256" "$SRC_DEBIAN" ||
		die "sha256 of $DL/$SRC_DSC or its tarballs does not match $REL/source.conf: delete them and retry"
	if [ ! -f "$src/.unpacked" ]; then
		msg "unpacking $SRC_DSC with Debian's patches"
		rm -rf "$src"
		# Integrity comes from the sha256 sums above, not from a keyring.
		dpkg-source -q --no-check -x "$SRC_DSC" "$src" >/dev/null 2>&1 ||
			die "dpkg-source -x $SRC_DSC failed"
		rm -rf "$src/.pc"
		echo "$SRC_VERSION" >"$src/.unpacked"
	fi
	echo "$src"
}

fetch() {
	case "$SRC_KIND" in
	deb) fetch_deb ;;
	dsc) fetch_dsc ;;
	*) die "$REL/source.conf: unknown SRC_KIND '$SRC_KIND'" ;;
	esac
}

apply_series() {
	local p n=0 version=$1
	git -C "$STREE" checkout -q -B series base
	while read -r p; do
		case "$p" in "" | "#"*) continue ;; esac
		n=$((n + 1))
		if ! git "${GIT_ID[@]}" -C "$STREE" am -q --keep-cr \
			--committer-date-is-author-date "$SPATCHES/$p"; then
			git -C "$STREE" am --abort || true
			die "$REL/patches/$p does not apply to $version: fix the patch or re-export it"
		fi
	done <"$SPATCHES/series"
	msg "applied $n patches of $REL on top of base ($version)"
}

tree() { # FORCE
	local src version have want backup
	if [ ! -d "$STREE/.git" ]; then
		src=$(fetch)
		version=$(cat "$src/.unpacked")
		msg "creating build/$SRC_NAME from $version"
		rm -rf "$STREE"
		mkdir -p "$STREE"
		cp -a "$src/." "$STREE/"
		rm -f "$STREE/.unpacked"
		git -C "$STREE" init -q -b series
		git -C "$STREE" add -A -f .
		# shellcheck disable=SC2059
		GIT_AUTHOR_DATE=$BASE_DATE GIT_COMMITTER_DATE=$BASE_DATE \
			git "${GIT_ID[@]}" -C "$STREE" commit -q \
			-m "$(printf "$SRC_COMMIT" "$version")"
		GIT_COMMITTER_DATE=$BASE_DATE \
			git "${GIT_ID[@]}" -C "$STREE" tag -a -m "$version" base
		apply_series "$version"
		return
	fi

	version=$(git -C "$STREE" tag -l --format='%(contents:subject)' base)
	have=$SRC_VERSION
	if [ "$version" != "$have" ]; then
		# A fallback base is kept as long as the pinned one is not served.
		src=$(fetch)
		have=$(cat "$src/.unpacked")
	fi
	[ "$version" = "$have" ] ||
		die "build/$SRC_NAME is based on '$version', the base is now $have: remove build/$SRC_NAME and rerun"

	want=$(series_tree "$STREE" "$SPATCHES")
	if [ "$want" != "$(git -C "$STREE" rev-parse 'HEAD^{tree}')" ]; then
		[ -n "$1" ] ||
			die "build/$SRC_NAME HEAD differs from $REL/patches: 'make export' saves its commits, 'make reset-tree' re-applies $REL/patches"
		[ -z "$(git -C "$STREE" status --porcelain --untracked-files=no)" ] ||
			die "build/$SRC_NAME has uncommitted changes: commit or stash them first"
		backup=backup/$(date +%Y%m%d-%H%M%S)
		git -C "$STREE" branch "$backup" HEAD
		msg "old build/$SRC_NAME HEAD kept as branch $backup"
		apply_series "$version"
	fi
	[ -z "$(git -C "$STREE" status --porcelain --untracked-files=no)" ] ||
		warn "build/$SRC_NAME has uncommitted changes: they get built, but are not in the series"
}

export_series() {
	local n tmp cover subject blurb date
	[ -d "$STREE/.git" ] || die "no build/$SRC_NAME: run '$0 tree $REL' first"
	[ -z "$(git -C "$STREE" status --porcelain --untracked-files=no)" ] ||
		warn "build/$SRC_NAME has uncommitted changes: they are not exported"
	n=$(git -C "$STREE" rev-list --count base..HEAD)
	tmp=$(mktemp -d)
	# shellcheck disable=SC2064
	trap "rm -rf '$tmp'" EXIT
	mkdir -p "$SPATCHES"
	if [ -z "$SRC_COVER" ]; then
		git -C "$STREE" format-patch -q --zero-commit --no-signature \
			-o "$tmp" base..HEAD
	else
		# The cover letter keeps its subject and text; its shortlog,
		# diffstat and base-commit are regenerated.
		cover=$SPATCHES/0000-cover-letter.patch
		subject="KVM: Userfault: per-memslot present bitmap for post-copy migration"
		blurb=
		if [ -f "$cover" ]; then
			subject=$(sed -n 's/^Subject: \[PATCH[^]]*\] //p' "$cover" | head -n1)
			# The text runs from the first blank line (end of the mail
			# header) up to the shortlog, whose first line is
			# 'Author (N):'.
			blurb=$(awk 'body && /^[^ ].* \([0-9]+\):$/ { exit }
				body { print } /^$/ && !body { body = 1 }' "$cover")
		fi
		[ -n "$blurb" ] || blurb="*** BLURB HERE ***"
		if [ "$n" -gt 0 ]; then
			# The cover letter is from the series' author, not from
			# whoever exports it.
			git -C "$STREE" -c user.name="$(git -C "$STREE" log -1 --format=%an)" \
				-c user.email="$(git -C "$STREE" log -1 --format=%ae)" \
				format-patch -q --zero-commit --no-signature \
				--cover-letter --base=base -o "$tmp" base..HEAD
			date=$(git -C "$STREE" log -1 --format=%aD HEAD)
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
				echo "base-commit: $(git -C "$STREE" rev-parse "base^{commit}")"
			} >"$tmp/0000-cover-letter.patch"
		fi
	fi
	rm -f "$SPATCHES"/[0-9][0-9][0-9][0-9]-*.patch
	if ls "$tmp"/*.patch >/dev/null 2>&1; then mv "$tmp"/*.patch "$SPATCHES/"; fi
	(cd "$SPATCHES" && ls [0-9][0-9][0-9][0-9]-*.patch 2>/dev/null | grep -v '^0000-' || true) >"$SPATCHES/series"
	msg "exported $n patches to $REL/patches (check: make check)"
}

case "$cmd" in
fetch) fetch ;;
tree) tree "" ;;
reset) tree 1 ;;
export) export_series ;;
path) echo "$STREE" ;;
*) usage 2 ;;
esac
