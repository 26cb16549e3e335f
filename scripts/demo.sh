#!/bin/bash
# The main job: QEMU post-copy live migration of a small Linux guest inside
# the patched kernel, stock post-copy (userfaultfd alone) against post-copy
# on KVM userfault, with and without postcopy-preempt, side by side.
set -eu
. "$(dirname "$0")/lib.sh"

usage() {
	cat <<USAGE
usage: $0 [-h] ARCH
Build what is missing, boot the patched ARCH kernel under QEMU and run
scripts/guest/qemu-demo in it: our QEMU (vmm/qemu/patches) migrates a
Linux guest (the non-debug kernel build, build/obj-BASE-ARCH-bench, with
vmm/demo/workload.c as its /init) between two QEMUs over loopback through
vmm/demo/delayproxy.c, in the four configurations stock, stock+preempt,
uf, uf+preempt (DEMO_ROUNDS rounds, interleaved) and once per mode with
the connection dropped and recovered. Prints the table, writes
build/results/qemu-demo-ARCH.json (every sample) and
build/results/qemu-demo-ARCH.png (the guest's throughput over time); with
CLOCK=icount, build/results/qemu-demo-icount-ARCH.*.

Environment: DEMO_ROUNDS (3); QD_MEM (192M), QD_WL_MB (64), QD_DELAY_US
(1000), QD_BW (0), QD_RECOVERY_BW (8), QD_BEFORE, QD_PRECOPY, QD_AFTER (3 s each): see
scripts/guest/qemu-demo. The selftest demo is scripts/demo-selftest.sh
(make demo-selftest).
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
S=$TOP/scripts
rounds=${DEMO_ROUNDS:-3}
case "$rounds" in '' | *[!0-9]* | 0) die "DEMO_ROUNDS: a number >= 1, please" ;; esac
case "$1" in
x86_64) qemu_bin=qemu-system-x86_64 ;;
arm64) qemu_bin=qemu-system-aarch64 ;;
esac

# CLOCK=icount (scripts/vm.sh): its own logs and results.
case "${CLOCK:-wall}" in
icount) name=qemu-demo-icount ;;
*) name=qemu-demo ;;
esac
timing_start "$BUILD/logs/$name-$1-timing.txt"
if [ ! -f "$IMAGE" ] || [ ! -f "$INITRAMFS" ]; then
	"$S/install-deps.sh"
	"$S/prepare-tree.sh"
	"$S/build.sh" "$1"
fi
# QEMU with vmm/qemu/patches: in the x86_64 test initramfs already; for
# arm64 cross-built, in an overlay archive.
overlay=()
if [ "$1" = arm64 ]; then
	"$S/build-qemu-arm64.sh"
	overlay=(-i "$BUILD/demo-arm64/qemu.cpio.gz")
fi
[ "$1" = arm64 ] || zcat "$INITRAMFS" | cpio -it --quiet 2>/dev/null | grep -qx "qemu/bin/$qemu_bin" ||
	die "$INITRAMFS has no QEMU ($qemu_bin): run scripts/build.sh $1"
step "test kernel, QEMU"

# The guest's kernel: the patched tree without the debug options.
l2obj=$BUILD/obj-$BASE-$1-bench
(KVARIANT=bench "$S/build-kernel.sh" -D "$1")
d=$BUILD/demo-$1
mkdir -p "$d"
case "$1" in
x86_64) cp "$l2obj/arch/x86/boot/bzImage" "$d/l2-kernel" ;;
arm64) cp "$l2obj/arch/arm64/boot/Image" "$d/l2-kernel" ;;
esac
"${CROSS}gcc" -O2 -Wall -static -pthread -o "$d/workload" "$TOP/vmm/demo/workload.c"
"${CROSS}gcc" -O2 -Wall -static -o "$d/delayproxy" "$TOP/vmm/demo/delayproxy.c"
"${CROSS}strip" "$d/workload" "$d/delayproxy"
cat >"$d/l2-initramfs.list" <<LIST
dir /dev 755 0 0
nod /dev/console 600 0 0 c 5 1
file /init $d/workload 755 0 0
LIST
"$l2obj/usr/gen_init_cpio" "$d/l2-initramfs.list" | gzip -9 >"$d/l2-initramfs.gz"
step "guest kernel, workload"

runs=
for r in $(seq "$rounds"); do
	runs="$runs stock:$r stock+preempt:$r uf:$r uf+preempt:$r"
done
runs="$runs stock+recovery:1 uf+recovery:1"
env=
for v in QD_MEM QD_WL_MB QD_DELAY_US QD_BW QD_RECOVERY_BW QD_BEFORE QD_PRECOPY QD_AFTER; do
	val=${!v:-}
	[ -z "$val" ] || env="$env $v=$val"
	case "$val" in *[!0-9A-Za-z]*) die "$v: letters and digits only" ;; esac
done

mkdir -p "$BUILD/results" "$BUILD/logs"
log=$BUILD/logs/$name-$1.log
msg "booting $1: $(echo $runs | wc -w) migrations of a Linux guest between two QEMUs"
# x86_64: nested SVM needs single-threaded TCG, and a Linux guest only
# gets its timer interrupts in time with one L1 vCPU (with two, its RCU
# stalls).
smp=2
[ "$1" != x86_64 ] || smp=1
rc=0
: >"$log"
QEMU_SMP=${QEMU_SMP:-$smp} QEMU_ACCEL=${QEMU_ACCEL:-$VM_ACCEL} "$S/vm.sh" -q -t 5400 \
	-l "$log" -A "$VM_APPEND loglevel=4" "${overlay[@]}" -f "$d/l2-kernel" -f "$d/l2-initramfs.gz" \
	-f "$d/delayproxy" -f "$S/guest/qemu-demo" "$1" "$env sh /qemu-demo $runs" &
vpid=$!
# Follow the log: one line per migration.
(tail -n +1 -F "$log" 2>/dev/null | while IFS= read -r l; do
	l=${l%$'\r'}
	case "$l" in
	"@@QD begin "*) printf '%s' "==> ${l#@@QD begin }:" ;;
	"@@QD progress "*) printf ' %s' "${l#@@QD progress }" ;;
	"@@QD end "*) echo " -> ${l#@@QD end * * }" ;;
	esac
done) &
fpid=$!
wait $vpid || rc=$?
sleep 1
pkill -P $fpid 2>/dev/null || true
kill $fpid 2>/dev/null || true
step "migrations"

python3 "$S/qemu-demo-report.py" "$log" "$BUILD/results/$name-$1" "$1" "$env" || rc=1
step_total
exit "$rc"
