#!/bin/bash
# Boot the built kernel of one arch under QEMU (TCG), run one command in the
# guest as root and pass its exit status back, like virtme-ng's 'vng -- CMD'.
set -eu
. "$(dirname "$0")/lib.sh"

usage() {
	cat <<USAGE
usage: $0 [-A APPEND] [-f FILE] [-i CPIO] [-k IMAGE] [-l LOG] [-q] [-t SECS] [-h] ARCH COMMAND...
Boot build/obj-BASE-ARCH's kernel with build/initramfs-BASE-ARCH.cpio.gz, run COMMAND
with sh in /selftests, print the console and exit with COMMAND's status.
  -A APPEND  extra kernel command line (e.g. kvm_amd.npt=0)
  -f FILE    copy FILE into the guest's / (repeatable)
  -i CPIO    append CPIO (a gzipped newc archive) to the initramfs (repeatable)
  -k IMAGE   boot IMAGE instead of build/obj-BASE-ARCH's kernel
  -l LOG     also write the console to LOG
  -q         do not echo the console (the log still gets it)
  -t SECS    kill the VM after SECS seconds (default 600); status 124
Exit status: COMMAND's, 124 on timeout, 125 if the guest never reported one.
Environment: QEMU_SMP (2), QEMU_MEM (2G), QEMU_ACCEL (tcg,thread=multi),
CLOCK (wall; icount: the guest's clocks count instructions, 1 ns each, with
QEMU's -icount shift=0,sleep=off, which needs single-threaded TCG).
USAGE
	exit "${1:-0}"
}

append= log= quiet= secs=600 files=() image= cpios=()
while getopts A:f:i:k:l:qt:h opt; do
	case $opt in
	A) append="$append $OPTARG" ;;
	f) files+=("$OPTARG") ;;
	i) cpios+=("$OPTARG") ;;
	k) image=$OPTARG ;;
	l) log=$OPTARG ;;
	q) quiet=1 ;;
	t) secs=$OPTARG ;;
	h) usage 0 ;;
	*) usage 2 ;;
	esac
done
shift $((OPTIND - 1))
[ $# -ge 2 ] || usage 2
arch_vars "$1"
shift
[ -z "$image" ] || IMAGE=$image
[ -f "$IMAGE" ] || die "no $1 kernel at $IMAGE: run 'make kernel ARCH=$ARCH_NAME'"
[ -f "$INITRAMFS" ] || die "no $INITRAMFS: run 'make initramfs ARCH=$ARCH_NAME'"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/root"
printf '%s\n' "$*" >"$tmp/root/cmd"
for f in "${files[@]}"; do
	[ -f "$f" ] || die "-f $f: no such file"
	cp "$f" "$tmp/root/"
done
# A second cpio archive appended to the first adds /cmd to the initramfs.
(cd "$tmp/root" && find . | cpio -o -H newc --quiet | gzip -1) >"$tmp/overlay.gz"
for c in "${cpios[@]}"; do
	[ -f "$c" ] || die "-i $c: no such file"
done
cat "$INITRAMFS" "${cpios[@]}" "$tmp/overlay.gz" >"$tmp/initrd.gz"

smp=${QEMU_SMP:-2}
mem=${QEMU_MEM:-2G}
accel=${QEMU_ACCEL:-tcg,thread=multi}
[ -n "$accel" ] || accel=tcg,thread=multi
icount=()
case "${CLOCK:-wall}" in
wall) ;;
icount)
	# The instruction counter is per QEMU, so all vCPUs run in one thread.
	accel=${accel//thread=multi/thread=single}
	case "$accel" in *thread=single*) ;; *) accel="$accel,thread=single" ;; esac
	icount=(-icount shift=0,sleep=off)
	;;
*) die "CLOCK=$CLOCK: use wall or icount" ;;
esac
case "$ARCH_NAME" in
x86_64)
	qemu=(qemu-system-x86_64 -M q35 -cpu max)
	console=ttyS0
	;;
arm64)
	qemu=(qemu-system-aarch64 -M virt,virtualization=on,gic-version=3
		-cpu max,sve=off,pauth=off)
	console=ttyAMA0
	;;
esac
command -v "${qemu[0]}" >/dev/null || die "${qemu[0]} not found: run scripts/install-deps.sh"
qemu+=(-accel "$accel" "${icount[@]}" -smp "$smp" -m "$mem" -display none -monitor none
	-serial stdio -no-reboot -kernel "$IMAGE" -initrd "$tmp/initrd.gz"
	-append "console=$console panic=-1 oops=panic$append")

[ -n "$log" ] || log=$tmp/console.log
mkdir -p "$(dirname "$log")"
set +e
if [ -n "$quiet" ]; then
	timeout -s KILL "$secs" "${qemu[@]}" </dev/null >"$log" 2>&1
	qrc=$?
else
	timeout -s KILL "$secs" "${qemu[@]}" </dev/null 2>&1 | tee "$log"
	qrc=${PIPESTATUS[0]}
fi
set -e
if [ "$qrc" = 137 ]; then
	echo "vm.sh: $ARCH_NAME VM killed after ${secs}s (timeout)" >&2
	exit 124
fi
rc=$(tr -d '\r' <"$log" | sed -n 's/.*@@VM-EXIT \([0-9]*\).*/\1/p' | tail -n1)
if [ -z "$rc" ]; then
	echo "vm.sh: $ARCH_NAME guest ended without reporting an exit status (qemu status $qrc)" >&2
	exit 125
fi
exit "$rc"
