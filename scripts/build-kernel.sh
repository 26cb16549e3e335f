#!/bin/bash
# Configure and build the kernel image and the uAPI headers of one arch
# from build/linux-$BASE into build/obj-$BASE-ARCH, through ccache.
set -eu
. "$(dirname "$0")/lib.sh"

usage() {
	cat <<USAGE
usage: $0 [-d|-D] [-f FRAGMENT] [-h] ARCH
Build build/obj-BASE-ARCH (ARCH: x86_64 or arm64): tinyconfig plus
kernel/configs/{common,ARCH}.config, kernel image and 'make headers'.
kernel/configs/debug.config (and debug-ARCH.config) are merged too if ARCH
is in \$DEBUG_ARCHES (default "$DEFAULT_DEBUG_ARCHES").
\$KVARIANT names another build directory, build/obj-BASE-ARCH-\$KVARIANT.
  -d  merge the debug fragments whatever \$DEBUG_ARCHES says
  -D  do not merge them
  -f  merge FRAGMENT last (repeatable)
USAGE
	exit "${1:-0}"
}

debug=default
extra=
while getopts dDf:h opt; do
	case $opt in
	d) debug=1 ;;
	D) debug= ;;
	f) [ -f "$OPTARG" ] || die "-f $OPTARG: no such fragment"
	   extra="$extra $(cd "$(dirname "$OPTARG")" && pwd)/$(basename "$OPTARG")" ;;
	h) usage 0 ;;
	*) usage 2 ;;
	esac
done
shift $((OPTIND - 1))
[ $# = 1 ] || usage 2
arch_vars "$1"
if [ "$debug" = default ]; then
	debug=
	case " ${DEBUG_ARCHES-$DEFAULT_DEBUG_ARCHES} " in *" $1 "*) debug=1 ;; esac
fi
[ -e "$LINUX/.git" ] || die "no $LINUX: run 'make tree' first"
command -v "${CROSS}gcc" >/dev/null || die "${CROSS}gcc not found: run scripts/install-deps.sh"

frags="$CONFIGS/common.config $CONFIGS/$1.config"
if [ -n "$debug" ]; then
	frags="$frags $CONFIGS/debug.config"
	[ ! -f "$CONFIGS/debug-$1.config" ] || frags="$frags $CONFIGS/debug-$1.config"
fi
frags="$frags$extra"

mkdir -p "$OBJ"
stamp=$(cat $frags | sha256sum | cut -c1-16)
if [ ! -f "$OBJ/.config" ] || [ "$(cat "$OBJ/.frags" 2>/dev/null)" != "$stamp" ]; then
	msg "configuring $1: tinyconfig + $(for f in $frags; do basename "$f" .config; done | xargs)"
	kmake -s tinyconfig >/dev/null
	(cd "$OBJ" && "$LINUX/scripts/kconfig/merge_config.sh" -m -O "$OBJ" \
		"$OBJ/.config" $frags >/dev/null)
	kmake -s olddefconfig >/dev/null
	# Every symbol a fragment asks for must survive olddefconfig, except
	# those this base's Kconfig does not have (e.g. PROC_SYSCTL, gone in
	# 7.x): the fragments serve every base.
	known=$(find "$LINUX" -name 'Kconfig*' -not -path '*/Documentation/*' \
		-exec sed -n 's/^[[:space:]]*\(menu\)\?config[[:space:]]\+\([A-Z0-9_]\+\).*/\2/p' {} + |
		sort -u)
	bad= unknown=
	for line in $(grep -h '^CONFIG_' $frags); do
		grep -qx "$line" "$OBJ/.config" && continue
		sym=${line%%=*}
		if echo "$known" | grep -qx "${sym#CONFIG_}"; then
			bad="$bad $line"
		else
			unknown="$unknown ${sym#CONFIG_}"
		fi
	done
	[ -z "$unknown" ] || msg "$1: not in this base's Kconfig, ignored:$unknown"
	[ -z "$bad" ] || die "$1 config lacks (unmet dependencies?):$bad"
	echo "$stamp" >"$OBJ/.frags"
fi

target=bzImage
[ "$1" = x86_64 ] || target=Image
msg "building $1 kernel ($target) with -j$JOBS"
start=$(date +%s)
kmake -s -j"$JOBS" "$target" headers
msg "$1 kernel built in $(($(date +%s) - start)) s: $IMAGE"
