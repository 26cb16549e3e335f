#!/bin/bash
# 'make bench': KVM userfault against userfaultfd, and the patched kernel
# against the unpatched base, as ratios measured within one boot.
set -eu -o pipefail
. "$(dirname "$0")/lib.sh"

ALL_BOOTS="x86_64-tdp x86_64-shadow arm64 x86_64-base arm64-base"

usage() {
	cat <<USAGE
usage: $0 [-n] [-h] [BOOT...]
Build kernels without the debug fragments (build/obj-ARCH-bench, and the
unpatched base in build/base/obj-ARCH-bench), boot each BOOT (default:
$ALL_BOOTS) under QEMU, run the benchmarks in it and write
build/results/bench.json (every sample), build/results/bench.md (the
tables) and build/results/bench-*.png.
  -n  skip package installation
Boots: x86_64-tdp (kvm_amd.npt=1), x86_64-shadow (npt=0) and arm64 run
everything; x86_64-base and arm64-base boot the unpatched base kernel and
run only the zero-cost set, which x86_64-tdp and arm64 also run.
Environment: BENCH_REPS (3) repeats of each run, BENCH_ZERO_REPS (5) of
the zero-cost set; BENCH_DP_MEM, demand-paged memory per vCPU (x86_64:
16M, arm64: 8M; sized so that a run takes seconds under TCG).
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
for v in "$reps" "$zreps"; do
	case "$v" in '' | *[!0-9]*) die "BENCH_REPS and BENCH_ZERO_REPS are numbers" ;; esac
done
case "$dp_mem" in *[!0-9MKG]*) die "BENCH_DP_MEM: a size such as 8M" ;; esac

S=$TOP/scripts
mkdir -p "$BUILD/logs" "$BUILD/results"
timing_start "$BUILD/logs/bench-timing.txt"

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
	"$S/make-initramfs.sh" "$a"
	step "build $a"
done

# The base kernel: a worktree of build/linux at 'base', with its objects at
# the same place relative to the source as the patched ones, so that ccache
# serves every file the series does not touch.
case " $boots " in
*-base*)
	wt=$BUILD/base/linux
	if [ ! -e "$wt/.git" ]; then
		git -C "$LINUX" worktree prune
		git -C "$LINUX" worktree add -q --detach "$wt" base
	fi
	git -C "$wt" checkout -q --detach base
	for b in $boots; do
		case $b in *-base) BUILD=$BUILD/base "$S/build-kernel.sh" -D "${b%-base}" ;; esac
	done
	step "build base kernels"
	;;
esac

# cmds ARCH full|zero [zero]: the "ID SECS COMMAND" lines of every
# benchmark, or of the zero-cost set only; a third argument adds the
# zero-cost set.
cmds() {
	local r v m a lat mem=$dp_mem kpt_mem=64M
	[ -n "$mem" ] || case $1 in x86_64) mem=16M ;; *) mem=8M ;; esac
	# kvm_page_table_test is much slower on arm64 under TCG.
	[ "$1" = x86_64 ] || kpt_mem=8M
	shift
	if [ "$1" = full ]; then
		for r in $(seq "$reps"); do
			for v in 1 2 4; do
				for m in none uffd-missing uffd-minor kvm-uf kvm-uf-minor; do
					case $m in
					none) a= ;;
					uffd-missing) a="-u MISSING" ;;
					uffd-minor) a="-u MINOR -s shmem" ;;
					kvm-uf) a="-k" ;;
					kvm-uf-minor) a="-k -u MINOR -s shmem" ;;
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
			for lat in 0 50; do
				for m in kvm-userfault userfaultfd; do
					echo "postcopy/$m/l$lat/r$r 300 postcopy_migration_test -v 2 -b 64M -t 300 -l $lat -M $m -j"
				done
			done
		done
	fi
	[ "$1" = zero ] || [ -n "${2:-}" ] || return 0
	for r in $(seq "$zreps"); do
		echo "zero/dp-none/v2/r$r 180 demand_paging_test -b $mem -v 2"
		echo "zero/dp-missing/v2/r$r 180 demand_paging_test -b $mem -v 2 -u MISSING"
		echo "zero/kpt/v2/r$r 180 kvm_page_table_test -b $kpt_mem -v 2"
	done
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
logs=
rc=0
for b in $boots; do
	arch=${b%%-*}
	arch_vars "$arch"
	image=$IMAGE
	set=full zero= append=$VM_APPEND
	case $b in
	x86_64-tdp | arm64) zero=1 ;;
	esac
	case $b in
	*-base)
		set=zero
		image=${IMAGE/#$BUILD/$BUILD/base}
		;;
	x86_64-shadow) append=kvm_amd.npt=0 ;;
	esac
	cmds "$arch" "$set" $zero >"$tmp/bench.cmds"
	log=$BUILD/logs/bench-$b.log
	logs="$logs $log"
	msg "$b: $(grep -c . "$tmp/bench.cmds") runs"
	QEMU_ACCEL=${QEMU_ACCEL:-$VM_ACCEL} "$S/vm.sh" -q -t 2400 -l "$log" \
		-k "$image" -A "$append" -f "$tmp/bench.cmds" \
		-f "$S/guest/bench-run" "$arch" 'sh /bench-run' &
	vm=$!
	# Progress: the run that has started last, on one line on a terminal.
	shown=
	while kill -0 $vm 2>/dev/null; do
		sleep 5
		line=$(tr -d '\r' <"$log" 2>/dev/null | grep -a '^@@BENCH-START' | tail -n1 || true)
		[ -n "$line" ] && [ "$line" != "$shown" ] || continue
		shown=$line
		if [ -t 2 ]; then
			printf '\r\033[K   %s: %s' "$b" "${line#@@BENCH-START }" >&2
		else
			printf '   %s: %s\n' "$b" "${line#@@BENCH-START }" >&2
		fi
	done
	[ ! -t 2 ] || printf '\r\033[K' >&2
	wait $vm || { warn "$b: some runs failed or the VM did not finish (console: $log)"; rc=1; }
	step "bench $b"
done

python3 "$S/bench-report.py" "$BUILD/results" $logs || rc=1
step "report"
step_total
exit $rc
