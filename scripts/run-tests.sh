#!/bin/bash
# Run tests/ARCH.list in one VM per '@boot' line of the list and write
# build/results/BOOT.tap and build/logs/BOOT.log for each boot.
set -eu
. "$(dirname "$0")/lib.sh"

usage() {
	cat <<USAGE
usage: $0 [-L LIST] [-h] ARCH [BOOT...]
Boot ARCH once per '@boot NAME [kernel=VARIANT] [qemu-accel=ACCEL] [qemu-smp=N] [APPEND...]'
line of the list (default tests/ARCH.list; only the named BOOTs if given), run its tests in
the guest, write build/results/NAME.tap and build/logs/NAME.log. An
'@only BOOT...' line limits the lines after it to those boots, up to the next
'@only' line; a bare '@only' gives them back to every boot. kernel=VARIANT
boots build/obj-BASE-ARCH-VARIANT's kernel (see scripts/sanitize.sh).
Exit status: 0 if every test of every boot passed or skipped.
USAGE
	exit "${1:-0}"
}

list=
while getopts L:h opt; do
	case $opt in
	L) list=$OPTARG ;;
	h) usage 0 ;;
	*) usage 2 ;;
	esac
done
shift $((OPTIND - 1))
[ $# -ge 1 ] || usage 2
arch_vars "$1"
shift
[ -n "$list" ] || list=$TOP/tests/$ARCH_NAME.list
[ -f "$list" ] || die "no test list $list"

mkdir -p "$BUILD/results" "$BUILD/logs"

# boot_list LIST BOOT: the lines of LIST that BOOT runs on $BASE ('@only'
# and '@bases' filtering).
boot_list() {
	awk -v boot="$2" -v base="$BASE" '
	# Does the "@only"/"@bases" line name want?  (A bare one names all.)
	function names(want,	n, w, i) {
		n = split($0, w)
		for (i = 2; i <= n; i++)
			if (w[i] == want)
				return 1
		return n == 1
	}
	BEGIN { mine = bmine = 1 }
	/^@only([[:space:]]|$)/ { mine = names(boot); next }
	/^@bases([[:space:]]|$)/ { bmine = names(base); next }
	/^@/ || (mine && bmine)' "$1"
}

status=0
boots=$(sed -n 's/^@boot[[:space:]]\+//p' "$list")
[ -n "$boots" ] || die "$list has no '@boot NAME [APPEND]' line"
ran=0
while read -r name append; do
	if [ $# -gt 0 ]; then
		case " $* " in *" $name "*) ;; *) continue ;; esac
	fi
	ran=$((ran + 1))
	# "qemu-accel=...", "qemu-smp=..." and "kernel=..." on a boot line are
	# not for the kernel's command line.
	accel=
	smp=
	args=
	image=$IMAGE
	for a in $append; do
		case "$a" in
		qemu-accel=*) accel=${a#qemu-accel=} ;;
		qemu-smp=*) smp=${a#qemu-smp=} ;;
		kernel=*) image=$(KVARIANT=${a#kernel=} && arch_vars "$ARCH_NAME" && echo "$IMAGE") ;;
		*) args="$args $a" ;;
		esac
	done
	append=${args# }
	log=$BUILD/logs/$name.log
	tap=$BUILD/results/$name.tap
	blist=$BUILD/lists/$name/$(basename "$list")
	mkdir -p "$(dirname "$blist")"
	boot_list "$list" "$name" >"$blist"
	# The VM gets the sum of the per-test timeouts plus time to boot.
	budget=$(awk '$1 ~ /^[0-9]+$/ { s += $1 } END { print s + 180 }' "$blist")
	msg "boot $name ($ARCH_NAME${append:+, $append}): $(grep -c '^[0-9]' "$blist") tests, VM timeout ${budget}s, log $log"
	start=$(date +%s)
	set +e
	QEMU_ACCEL=${accel:-${QEMU_ACCEL:-}} QEMU_SMP=${smp:-${QEMU_SMP:-}} \
		"$TOP/scripts/vm.sh" -q -t "$budget" -l "$log" -f "$blist" -k "$image" \
		${append:+-A "$append"} "$ARCH_NAME" "run-list /$(basename "$blist")"
	vrc=$?
	set -e
	case $vrc in
	124) vmstatus="VM timed out after ${budget}s" ;;
	125) vmstatus="VM crashed or rebooted (see $log)" ;;
	*) vmstatus= ;;
	esac
	python3 "$TOP/scripts/console2tap.py" --vm-status "$vmstatus" \
		--known "$TOP/tests/sanitize-known.txt" "$log" "$blist" "$name" >"$tap"
	sed -n '/^\(not \)\?ok /p' "$tap" | sed 's/^/    /' >&2
	grep -q '^not ok' "$tap" && status=1
	msg "boot $name done in $(($(date +%s) - start)) s"
done <<<"$boots"
[ "$ran" -gt 0 ] || die "no boot named '$*' in $list"
exit $status
