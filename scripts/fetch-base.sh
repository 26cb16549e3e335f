#!/bin/bash
# Download the pinned base (kernel/base.conf), verify it and unpack it into
# the cache. Prints the path of the unpacked source tree on stdout.
set -eu
. "$(dirname "$0")/lib.sh"

usage() {
	cat <<USAGE
usage: $0 [-h]
Fetch $(. "$TOP/kernel/base.conf"; echo "$BASE_PACKAGE=$BASE_VERSION"), check
its sha256 sums, unpack it under $CACHE/base and print the source directory.
If that version is no longer served, fall back to the newest
linux-source-6.12 with a warning.
USAGE
	exit "${1:-0}"
}

while getopts h opt; do
	case $opt in
	h) usage 0 ;;
	*) usage 2 ;;
	esac
done

. "$TOP/kernel/base.conf"
mkdir -p "$CACHE/base"
cd "$CACHE/base"

version=$BASE_VERSION
deb="${BASE_PACKAGE}_${version//:/%3a}_all.deb"
if [ ! -f "$deb" ]; then
	msg "downloading $BASE_PACKAGE=$version"
	if ! apt-get download -q "$BASE_PACKAGE=$version" >/dev/null 2>&1; then
		apt-get update -qq >/dev/null 2>&1 || true
		apt-get download -q "$BASE_PACKAGE=$version" >/dev/null 2>&1 || true
	fi
fi
if [ ! -f "$deb" ]; then
	version=$(apt-cache madison "$BASE_PACKAGE" | awk '{print $3}' |
		sort -V | tail -n1)
	[ -n "$version" ] || die "$BASE_PACKAGE is not served by apt: check /etc/apt/sources.list"
	warn "**************************************************************"
	warn "pinned $BASE_PACKAGE=$BASE_VERSION is no longer served;"
	warn "FALLING BACK to $version (unverified: no pinned checksum)."
	warn "Update kernel/base.conf once the series is checked against it."
	warn "**************************************************************"
	deb="${BASE_PACKAGE}_${version//:/%3a}_all.deb"
	[ -f "$deb" ] || apt-get download -q "$BASE_PACKAGE=$version" >/dev/null 2>&1 ||
		die "apt-get download $BASE_PACKAGE=$version failed"
fi

verify() {
	echo "$1  $2" | sha256sum -c --quiet - >/dev/null 2>&1 ||
		die "sha256 of $CACHE/base/$2 does not match kernel/base.conf: delete it and retry"
}

[ "$version" != "$BASE_VERSION" ] || verify "$BASE_DEB_SHA256" "$deb"

src=$CACHE/base/$version/linux-source-6.12
if [ ! -f "$src/.unpacked" ]; then
	msg "unpacking $deb"
	rm -rf "$CACHE/base/$version"
	mkdir -p "$CACHE/base/$version"
	dpkg-deb --fsys-tarfile "$deb" |
		tar -x -C "$CACHE/base/$version" "./$BASE_TARBALL"
	tarball=$CACHE/base/$version/$BASE_TARBALL
	[ "$version" != "$BASE_VERSION" ] ||
		verify "$BASE_TARBALL_SHA256" "$tarball"
	tar -xJf "$tarball" -C "$CACHE/base/$version"
	rm -f "$tarball"
	[ -f "$src/Makefile" ] || die "unexpected layout in $deb: no $src/Makefile"
	echo "$version" >"$src/.unpacked"
fi
echo "$src"
