# Common definitions for the scripts in this directory; sourced, not run.
# shellcheck shell=bash

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD:-$TOP/build}
# Everything that outlives build/ (the base package, ccache) lives here.
CACHE=${KVM_UF_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kvm-uf}
# The kernel base the series is built on: kernel/$BASE holds its pinned
# source (source.conf) and its series (patches/).  7.3 is the upstream tip
# and the default; 6.12 is the LTS backport (BASE=6.12).
BASE=${BASE:-7.3}
KSRC=$TOP/kernel/$BASE
[ -f "$KSRC/source.conf" ] ||
	{ echo "ERROR: BASE=$BASE: no kernel/$BASE/source.conf" >&2; exit 1; }
LINUX=$BUILD/linux-$BASE
PATCHES=$KSRC/patches
CONFIGS=$TOP/kernel/configs
# The QEMU series (vmm/qemu): its pinned source, patches, git tree and build.
QSRC=$TOP/vmm/qemu
QEMU_PATCHES=$QSRC/patches
QEMU=$BUILD/qemu
QEMU_OBJ=$BUILD/obj-qemu

export CCACHE_DIR=${CCACHE_DIR:-$CACHE/ccache}
export CCACHE_MAXSIZE=${CCACHE_MAXSIZE:-6G}
# Paths relative to the checkout, so that another clone (or the bisect
# worktree, whose objects sit at the same relative place) hits the cache.
export CCACHE_BASEDIR=$TOP
export CCACHE_NOHASHDIR=1
# Constant build metadata keeps ccache hits and images reproducible.
export KBUILD_BUILD_TIMESTAMP=${KBUILD_BUILD_TIMESTAMP:-2024-11-17}
export KBUILD_BUILD_USER=kvm-uf
export KBUILD_BUILD_HOST=kvm-uf

# Fixed identity and dates make the base commit and the commits that
# 'git am' creates identical on every machine.
GIT_ID=(-c user.name=kvm-uf -c user.email=kvm-uf@localhost
	-c commit.gpgsign=false -c core.autocrlf=false)
BASE_DATE="2024-11-17T00:00:00Z"

msg() { echo "==> $*" >&2; }
warn() { echo "WARNING: $*" >&2; }
die() { echo "ERROR: $*" >&2; exit 1; }

JOBS=${JOBS:-$(($(nproc) + 1))}

# Step timing for the long jobs: timing_start FILE once, 'step NAME' after
# each step and step_total at the end print "NAME  N s" to stderr and FILE.
timing_start() {
	TIMING_FILE=$1
	TIMING_T0=$(date +%s)
	TIMING_LAST=$TIMING_T0
	mkdir -p "$(dirname "$1")"
	: >"$1"
}
step() {
	local t
	t=$(date +%s)
	printf '%-28s %5d s\n' "$1" $((t - TIMING_LAST)) | tee -a "$TIMING_FILE" >&2
	TIMING_LAST=$t
}
step_total() {
	printf '%-28s %5d s\n' total $(($(date +%s) - TIMING_T0)) | tee -a "$TIMING_FILE" >&2
}

# check_arch ARCH: accept only the architectures this project builds.
check_arch() {
	case "${1:-}" in
	x86_64 | arm64) ;;
	"") die "no ARCH given: use ARCH=x86_64 or ARCH=arm64" ;;
	*) die "unknown ARCH '$1': use ARCH=x86_64 or ARCH=arm64" ;;
	esac
}

# Per-arch build settings: kernel ARCH, cross compiler prefix, image path.
arch_vars() {
	check_arch "$1"
	ARCH_NAME=$1
	# KVARIANT names a second build of the same tree (e.g. 'bench', without
	# the debug fragments) in build/obj-BASE-ARCH-VARIANT.
	OBJ=$BUILD/obj-$BASE-$1${KVARIANT:+-$KVARIANT}
	SELFTESTS=$BUILD/selftests-$BASE-$1
	INITRAMFS=$BUILD/initramfs-$BASE-$1.cpio.gz
	case "$1" in
	x86_64)
		KARCH=x86
		CROSS=
		IMAGE=$OBJ/arch/x86/boot/bzImage
		SELFTEST_ARCH=x86_64
		# How the demo, bench and profile boots run, as tests/x86_64.list
		# does: TDP, and single-threaded TCG (nested SVM is unreliable
		# under multi-threaded TCG, see there).
		VM_APPEND=kvm_amd.npt=1
		VM_ACCEL=tcg,thread=single
		;;
	arm64)
		KARCH=arm64
		CROSS=aarch64-linux-gnu-
		IMAGE=$OBJ/arch/arm64/boot/Image
		SELFTEST_ARCH=arm64
		VM_APPEND=
		VM_ACCEL=
		;;
	esac
}

kmake() {
	make -C "$LINUX" O="$OBJ" ARCH="$KARCH" CROSS_COMPILE="$CROSS" \
		CC="ccache ${CROSS}gcc" HOSTCC="ccache gcc" "$@"
}

# series_tree [TREE PATCHES]: apply PATCHES/series (default: kernel/$BASE/patches)
# to the 'base' tag of TREE (default: build/linux-$BASE) in a scratch index and
# print the resulting tree id; fail naming the first patch that does not
# apply.
series_tree() {
	local tree=${1:-$LINUX} pdir=${2:-$PATCHES} idx p out
	idx=$(mktemp)
	GIT_INDEX_FILE=$idx git -C "$tree" read-tree base
	while read -r p; do
		case "$p" in "" | "#"*) continue ;; esac
		[ -f "$pdir/$p" ] || { rm -f "$idx"; die "${pdir#"$TOP"/}/series names missing patch $p"; }
		if ! out=$(GIT_INDEX_FILE=$idx git -C "$tree" apply --cached \
			"$pdir/$p" 2>&1); then
			rm -f "$idx"
			echo "$out" | sed 's/^/    /' >&2
			die "${pdir#"$TOP"/}/$p does not apply to the base: fix or drop it (see above)"
		fi
	done <"$pdir/series"
	GIT_INDEX_FILE=$idx git -C "$tree" write-tree
	rm -f "$idx"
}

# Arches whose test kernels include kernel/configs/debug*.config.
DEFAULT_DEBUG_ARCHES="x86_64 arm64"

# run_lists PREFIX BUILD-FUNCTION ARCH...: the per-arch loop of 'make test'
# and 'make sanitize'.  For each ARCH, build with 'BUILD-FUNCTION ARCH LOG'
# (a failed build fails every boot of the arch), run tests/PREFIXARCH.list
# (scripts/run-tests.sh), then print the summary over every boot's TAP file
# and return its status.
run_lists() {
	local prefix=$1 build=$2 a b list log taps=
	shift 2
	for a in "$@"; do
		list=$TOP/tests/$prefix$a.list
		[ -f "$list" ] || die "no $list"
		for b in $(sed -n 's/^@boot[[:space:]]\+\([^[:space:]]*\).*/\1/p' "$list"); do
			rm -f "$BUILD/results/$b.tap"
			taps="$taps $BUILD/results/$b.tap"
		done
		log=$BUILD/logs/build-$prefix$a.log
		: >"$log"
		if ! "$build" "$a" "$log"; then
			tail -n 20 "$log" >&2
			warn "$a build failed ($log): its boots count as failed"
			step "build $a (FAILED)"
			continue
		fi
		grep -h 'kernel built in' "$log" | sed 's/^==> /    /' >&2 || true
		step "build $a"
		"$TOP/scripts/run-tests.sh" -L "$list" "$a" || true
		step "tests $a"
	done
	step_total
	# shellcheck disable=SC2086
	"$TOP/scripts/summary.sh" $taps
}
