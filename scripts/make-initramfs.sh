#!/bin/bash
# Pack busybox, the guest init and the built KVM selftests of one arch into
# build/initramfs-BASE-ARCH.cpio.gz.
set -eu
. "$(dirname "$0")/lib.sh"

usage() {
	cat <<USAGE
usage: $0 [-h] ARCH
Make build/initramfs-BASE-ARCH.cpio.gz: busybox-static, scripts/guest/*, and
the (stripped) selftests from build/selftests-BASE-ARCH under /selftests;
for x86_64 also QEMU from build/obj-qemu (scripts/stage-qemu.sh).
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
[ $# = 1 ] || usage 2
arch_vars "$1"

case "$1" in
x86_64) busybox=/bin/busybox ;;
arm64) busybox=$CACHE/busybox/arm64/bin/busybox ;;
esac
[ -x "$busybox" ] || die "no $1 busybox at $busybox: run scripts/install-deps.sh"
[ -d "$SELFTESTS" ] || die "no $SELFTESTS: run scripts/build-selftests.sh $1"

root=$BUILD/initramfs-$BASE-$1.d
rm -rf "$root"
mkdir -p "$root"/{bin,dev,proc,sys,tmp,selftests}
cp "$busybox" "$root/bin/busybox"
cp "$TOP/scripts/guest/init" "$root/init"
cp "$TOP/scripts/guest/run-list" "$root/bin/run-list"
if [ "$1" = x86_64 ]; then
	# QEMU with vmm/qemu/patches, for tests/x86_64.list's migration-test.
	"$TOP/scripts/stage-qemu.sh" "$root"
	cp "$TOP/scripts/guest/qemu-migration-test" "$root/bin/"
fi
# Test programs: every executable the selftests build produced.
find "$SELFTESTS" -type f -perm -u+x ! -name '*.o' ! -name '*.sh' -print0 |
	while IFS= read -r -d '' f; do
		rel=${f#"$SELFTESTS"/}
		# Flatten arch subdirectories (x86_64/foo -> foo) as run_tests does.
		"${CROSS}strip" -o "$root/selftests/$(basename "$rel")" "$f" 2>/dev/null ||
			cp "$f" "$root/selftests/$(basename "$rel")"
	done
(cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc --quiet --reproducible) |
	gzip -1 >"$INITRAMFS.tmp"
mv "$INITRAMFS.tmp" "$INITRAMFS"
msg "$INITRAMFS: $(du -h "$INITRAMFS" | cut -f1), $(ls "$root/selftests" | wc -l) test programs"
