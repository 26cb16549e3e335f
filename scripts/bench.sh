#!/bin/bash
# 'make bench': KVM userfault against userfaultfd, and the patched kernel
# against the unpatched base, as ratios measured within one boot.
set -eu -o pipefail
. "$(dirname "$0")/lib.sh"

ALL_BOOTS="x86_64-tdp x86_64-shadow arm64 x86_64-zero arm64-zero"

usage() {
	cat <<USAGE
usage: $0 [-n] [-h] [BOOT...]
Build kernels without the debug fragments (build/obj-BASE-ARCH-bench, and the
unpatched base in build/base/obj-ARCH-bench), boot each BOOT (default:
$ALL_BOOTS) under QEMU, run the benchmarks in it and write
build/results/bench.json (every sample), build/results/bench.md (the
tables) and build/results/bench-*.png; with CLOCK=icount,
build/results/bench-icount.*, and bench.md and bench-icount.md both get a
summary with the two clocks side by side once both have run.
  -n  skip package installation
Boots: x86_64-tdp (kvm_amd.npt=1), x86_64-shadow (npt=0) and arm64 run
every benchmark on the patched kernel; x86_64-zero and arm64-zero run the
zero-cost set in BENCH_ZERO_REPS boots of the unpatched base kernel and
as many of the patched kernel, interleaved (base, patched, base, ...).
Environment: CLOCK (wall, or icount: the guest's clocks count
instructions; see scripts/vm.sh), BENCH_REPS (3) repeats of each run,
BENCH_ZERO_REPS (5) boots of each kernel for zero cost; BENCH_DP_MEM,
demand-paged memory per vCPU (x86_64: 16M, arm64: 8M; sized so that a
run takes seconds under TCG); BENCH_JOBS, boots at a time (wall: 1, as
concurrent VMs distort each other's wall time; icount: the number of
CPUs); QEMU_SMP, the L1 guest's CPUs (wall: 2; icount: 1, see docs/benchmarks.md).
USAGE
	exit "${1:-0}"
}

nodeps=
while getopts nh opt; do
	case $opt in
	n) nodeps=1 ;;
	h) usage 0 ;;
	*) usage 2 ;;
	esac
done
shift $((OPTIND - 1))
boots=${*:-$ALL_BOOTS}
for b in $boots; do
	case " $ALL_BOOTS " in *" $b "*) ;; *) die "unknown boot '$b' (boots: $ALL_BOOTS)" ;; esac
done

reps=${BENCH_REPS:-3}
zreps=${BENCH_ZERO_REPS:-5}
dp_mem=${BENCH_DP_MEM:-}
clock=${CLOCK:-wall}
case $clock in
wall)
	name=bench
	jobs=${BENCH_JOBS:-1}
	vm_secs=2400
	;;
icount)
	name=bench-icount
	jobs=${BENCH_JOBS:-$(nproc)}
	# One L1 CPU: with two, single-threaded TCG runs each for a time
	# slice in turn, and a vCPU that waits for the other spins through
	# its slice and counts those instructions (docs/benchmarks.md).
	export QEMU_SMP=${QEMU_SMP:-1}
	# The guest's 'timeout' counts instructions; give wall time room.
	vm_secs=4800
	;;
*) die "CLOCK=$clock: use wall or icount" ;;
esac
export CLOCK=$clock
for v in "$reps" "$zreps" "$jobs"; do
	case "$v" in '' | *[!0-9]*) die "BENCH_REPS, BENCH_ZERO_REPS and BENCH_JOBS are numbers" ;; esac
done
[ "$jobs" -ge 1 ] && [ "$zreps" -ge 1 ] || die "BENCH_JOBS and BENCH_ZERO_REPS are at least 1"
case "$dp_mem" in *[!0-9MKG]*) die "BENCH_DP_MEM: a size such as 8M" ;; esac

S=$TOP/scripts
mkdir -p "$BUILD/logs" "$BUILD/results"
timing_start "$BUILD/logs/$name-timing.txt"

[ -n "$nodeps" ] || "$S/install-deps.sh"
"$S/prepare-tree.sh"
step "deps, base, tree"

# The benchmarks run on kernels without lockdep and the other debug
# options of the test kernels: those slow some paths more than others.
export KVARIANT=bench
arches=
for b in $boots; do
	a=${b%%-*}
	case " $arches " in *" $a "*) ;; *) arches="$arches $a" ;; esac
done
for a in $arches; do
	"$S/build-kernel.sh" -D "$a"
	"$S/build-selftests.sh" "$a"
	# The x86_64 initramfs carries QEMU too (scripts/build.sh).
	[ "$a" != x86_64 ] || "$S/build-qemu.sh"
	"$S/make-initramfs.sh" "$a"
	step "build $a"
done

# The base kernel: a worktree of build/linux-$BASE at 'base', with its objects at
# the same place relative to the source as the patched ones, so that ccache
# serves every file the series does not touch.
case " $boots " in
*-zero*)
	wt=$BUILD/base/linux-$BASE
	if [ ! -e "$wt/.git" ]; then
		git -C "$LINUX" worktree prune
		git -C "$LINUX" worktree add -q --detach "$wt" base
	fi
	git -C "$wt" checkout -q --detach base
	for b in $boots; do
		case $b in *-zero) BUILD=$BUILD/base "$S/build-kernel.sh" -D "${b%-zero}" ;; esac
	done
	step "build base kernels"
	;;
esac

# full_cmds ARCH: the "ID SECS COMMAND" lines of every benchmark but zero
# cost; zero_cmds ARCH N: those of the zero-cost set, for boot N of a kernel.
sizes() {
	mem=$dp_mem kpt_mem=64M
	[ -n "$mem" ] || case $1 in x86_64) mem=16M ;; *) mem=8M ;; esac
	# kvm_page_table_test is much slower on arm64 under TCG.
	[ "$1" = x86_64 ] || kpt_mem=8M
}
full_cmds() {
	local r v m a lat mem kpt_mem
	sizes "$1"
	# The first run of a boot is slower than the rest (caches, the page
	# allocator's first use of the memory): a warm-up, not reported.
	echo "warmup/r0 180 demand_paging_test -b $mem -v 1"
	for r in $(seq "$reps"); do
		for v in 1 2 4; do
			for m in none uffd-missing uffd-minor kvm-uf kvm-uf-missing kvm-uf-minor \
				gmem-kvm-uf gmem-kvm-uf-missing gmem-kvm-uf-minor; do
				case $m in
				none) a= ;;
				uffd-missing) a="-u MISSING" ;;
				uffd-minor) a="-u MINOR -s shmem" ;;
				kvm-uf) a="-k" ;;
				kvm-uf-missing) a="-k -u MISSING" ;;
				kvm-uf-minor) a="-k -u MINOR -s shmem" ;;
				# guest_memfd: userfaultfd alone never sees vCPU faults.
				gmem-kvm-uf) a="-k -s guest_memfd" ;;
				gmem-kvm-uf-missing) a="-k -u MISSING -s guest_memfd" ;;
				gmem-kvm-uf-minor) a="-k -u MINOR -s guest_memfd" ;;
				esac
				echo "dp/$m/v$v/r$r 180 demand_paging_test -b $mem -v $v $a"
			done
		done
	done
	for r in $(seq "$reps"); do
		# A local copy, then a 10 Gbit/s link with 50 us per fetch.
		echo "hugetlb/local/r$r 180 userfault_perf_test -c hugetlb -j -b 32M -n 64"
		echo "hugetlb/link/r$r 180 userfault_perf_test -c hugetlb -j -b 32M -n 64 -l 50 -B 10000"
		echo "tracking/r$r 120 userfault_perf_test -c tracking -j -b 1G"
		echo "prefault/r$r 180 userfault_perf_test -c prefault -j -b 32M"
		echo "huge/r$r 180 userfault_perf_test -c huge -j -b 32M -n 16384"
		echo "exit/r$r 180 userfault_perf_test -c exit -j -b 8M"
		for lat in 0 50; do
			for m in kvm-userfault userfaultfd; do
				echo "postcopy/$m/l$lat/r$r 300 postcopy_migration_test -v 2 -b 64M -t 300 -l $lat -M $m -j"
			done
		done
	done
}
zero_cmds() {
	local r=$2 v mem kpt_mem
	sizes "$1"
	echo "warmup/r$r 180 demand_paging_test -b $mem -v 1"
	for v in 1 2; do
		echo "zero/dp-none/v$v/r$r 180 demand_paging_test -b $mem -v $v"
		echo "zero/dp-missing/v$v/r$r 180 demand_paging_test -b $mem -v $v -u MISSING"
	done
	echo "zero/kpt/v2/r$r 180 kvm_page_table_test -b $kpt_mem -v 2"
	echo "zero/dirty-log/v2/r$r 180 dirty_log_perf_test -b $mem -v 2 -i 3"
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# The boots to run, in order, one "NAME ARCH KERNEL APPEND" line each
# (KERNEL: patched or base); zero-cost boots alternate base and patched.
for b in $boots; do
	arch=${b%%-*}
	case $b in
	*-zero)
		for r in $(seq "$zreps"); do
			for k in base patched; do
				mkdir "$tmp/$b-$k-r$r"
				zero_cmds "$arch" "$r" >"$tmp/$b-$k-r$r/bench.cmds"
				echo "$b-$k-r$r $arch $k -"
			done
		done
		;;
	*)
		mkdir "$tmp/$b"
		full_cmds "$arch" >"$tmp/$b/bench.cmds"
		case $b in
		x86_64-shadow) echo "$b $arch patched kvm_amd.npt=0" ;;
		*) echo "$b $arch patched -" ;;
		esac
		;;
	esac
done >"$tmp/boots"

# launch NAME ARCH KERNEL APPEND: boot in the background with NAME/bench.cmds;
# NAME/rc gets the status.
launch() {
	local image append=$4
	arch_vars "$2"
	image=$IMAGE
	[ "$3" = patched ] || image=${IMAGE/#$BUILD/$BUILD/base}
	[ "$append" != - ] || append=$VM_APPEND
	msg "$1 ($CLOCK clock): $(grep -c . "$tmp/$1/bench.cmds") runs"
	(
		set +e
		QEMU_ACCEL=${QEMU_ACCEL:-$VM_ACCEL} "$S/vm.sh" -q -t "$vm_secs" \
			-l "$BUILD/logs/$name-$1.log" -k "$image" -A "$append" \
			-f "$tmp/$1/bench.cmds" -f "$S/guest/bench-run" "$2" 'sh /bench-run'
		echo $? >"$tmp/$1/rc"
	) &
}

logs=
rc=0
running=()
declare -A shown
exec 3<"$tmp/boots"
more=1
while [ -n "$more" ] || [ ${#running[@]} -gt 0 ]; do
	while [ -n "$more" ] && [ ${#running[@]} -lt "$jobs" ]; do
		if read -r n a k ap <&3; then
			rm -f "$BUILD/logs/$name-$n.log"
			logs="$logs $BUILD/logs/$name-$n.log"
			launch "$n" "$a" "$k" "$ap"
			running+=("$n")
		else
			more=
		fi
	done
	sleep 5
	still=()
	for n in "${running[@]}"; do
		# Progress: the run that has started last in each boot.
		line=$(tr -d '\r' <"$BUILD/logs/$name-$n.log" 2>/dev/null |
			grep -a '^@@BENCH-START' | tail -n1 || true)
		if [ -n "$line" ] && [ "$line" != "${shown[$n]:-}" ]; then
			shown[$n]=$line
			if [ -t 2 ] && [ "$jobs" = 1 ]; then
				printf '\r\033[K   %s: %s' "$n" "${line#@@BENCH-START }" >&2
			else
				printf '   %s: %s\n' "$n" "${line#@@BENCH-START }" >&2
			fi
		fi
		if [ -e "$tmp/$n/rc" ]; then
			[ ! -t 2 ] || [ "$jobs" != 1 ] || printf '\r\033[K' >&2
			if [ "$(cat "$tmp/$n/rc")" != 0 ]; then
				warn "$n: some runs failed or the VM did not finish (console: $BUILD/logs/$name-$n.log)"
				rc=1
			fi
			step "bench $n"
		else
			still+=("$n")
		fi
	done
	running=("${still[@]}")
done
exec 3<&-

python3 "$S/bench-report.py" "$BUILD/results" "$name" $logs || rc=1
step "report"
step_total
exit $rc
