#!/bin/bash
# The main job: a post-copy live migration in the patched kernel, once with
# KVM userfault and once with userfaultfd alone, side by side.
set -eu
. "$(dirname "$0")/lib.sh"

usage() {
	cat <<USAGE
usage: $0 [-h] ARCH
Build what is missing, boot the patched ARCH kernel under QEMU and run
postcopy_migration_test in it: with KVM userfault, with userfaultfd only
(same settings), and with KVM userfault again with the connection dropped
and recovered halfway. Prints both modes side by side and writes
build/results/demo-ARCH.json and build/results/demo-ARCH.png (the fault
latency histograms).

Environment: DEMO_ARGS, the test's settings (default
"-v 2 -b 64M -l 50 -t 300": 2 vCPUs, 64 MiB, 50 us fetch latency).
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

args=${DEMO_ARGS:--v 2 -b 64M -l 50 -t 300}
case "$args" in
*[!-a-zA-Z0-9\ ]*) die "DEMO_ARGS: only options and numbers, please" ;;
esac

if [ ! -f "$IMAGE" ] || [ ! -f "$INITRAMFS" ] ||
	[ ! -x "$SELFTESTS/postcopy_migration_test" ]; then
	"$S/install-deps.sh"
	"$S/prepare-tree.sh"
	"$S/build.sh" "$1"
fi

mkdir -p "$BUILD/results" "$BUILD/logs"
log=$BUILD/logs/demo-$1.log
json=$BUILD/results/demo-$1.json
png=$BUILD/results/demo-$1.png
test=/selftests/postcopy_migration_test
cmd="cd /; for m in kvm-userfault userfaultfd; do echo @@DEMO-RUN \$m; $test $args -M \$m -j -P || echo @@DEMO-FAIL \$m; done;"
cmd="$cmd echo @@DEMO-RUN recovery; $test $args -r -j -P || echo @@DEMO-FAIL recovery"

msg "booting $1 for the post-copy migration demo ($args)"
rc=0
QEMU_ACCEL=${QEMU_ACCEL:-$VM_ACCEL} "$S/vm.sh" -t 1800 -l "$log" -A "$VM_APPEND" \
	"$1" "$cmd" | python3 -u -c '
import sys
for line in sys.stdin:
    line = line.rstrip("\r\n")
    if line.startswith("@@DEMO-RUN "):
        print("\r\033[K==> running: " + line.split()[1], flush=True)
    elif line.startswith("PROGRESS "):
        print("\r\033[K   " + line[9:], end="", flush=True)
    elif line.startswith("@@DEMO-FAIL "):
        print("\r\033[K==> FAILED: " + line.split()[1], flush=True)
print("\r\033[K", end="")
' || rc=$?

python3 - "$log" "$json" "$png" "$1" "$args" <<'PY' || rc=1
import datetime, json, re, subprocess, sys

log, out, png, arch, args = sys.argv[1:]
runs, name, fails, errors, tail = {}, None, [], [], 0
for line in open(log, errors="replace"):
    line = line.rstrip("\r\n")
    if line.startswith("@@DEMO-RUN "):
        name = line.split()[1]
    elif line.startswith("@@DEMO-FAIL "):
        fails.append(line.split()[1])
    elif line.startswith("JSON ") and name:
        runs[name] = json.loads(line[5:])
    elif "Test Assertion Failure" in line:
        tail = 5
    elif tail:
        tail -= 1
        errors.append("%s: %s" % (name, line.strip()))
kernel = ""
m = re.search(r"@@VM-READY (\S+)", open(log, errors="replace").read())
if m:
    kernel = m.group(1)
doc = {
    "arch": arch,
    "kernel": kernel,
    "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    "settings": args,
    "runs": runs,
    "failed": fails,
}
json.dump(doc, open(out, "w"), indent=1)

for e in errors[:20]:
    print(e)
missing = [r for r in ("kvm-userfault", "userfaultfd", "recovery") if r not in runs]
if fails or missing:
    print("demo FAILED: %s" % ", ".join(fails + ["no result for " + r for r in missing]))
    print("console: " + log)
    sys.exit(1)

a, b = runs["kvm-userfault"], runs["userfaultfd"]
rows = [
    ("total time (ms)", "total_time_ms", "%.0f"),
    ("postcopy time (ms)", "postcopy_time_ms", "%.0f"),
    ("downtime (ms)", "downtime_ms", "%.0f"),
    ("postcopy-requests", "postcopy_requests", "%d"),
    ("pages demand-fetched", "pages_demand", "%d"),
    ("pages pushed", "pages_pushed", "%d"),
    ("redundant fetches", "pages_redundant", "%d"),
    ("vCPU userfault exits", "userfault_exits", "%d"),
    ("userfaultfd faults", "uffd_faults", "%d"),
    ("fault latency avg (us)", "fault_latency_avg_us", "%.0f"),
    ("fault latency p99 (us)", "fault_latency_p99_us", "%.0f"),
    ("blocktime, all vCPUs (ms)", None, "%.0f"),
    ("pages checked", "pages_checked", "%d"),
    ("pages lost", "pages_lost", "%d"),
    ("pages mismatched", "pages_mismatched", "%d"),
]
print()
print("Post-copy migration, %s, kernel %s: %s (%d vCPUs, %d MiB %s, %d us fetch latency)"
      % (arch, kernel, args, a["vcpus"], a["mem_mib"], a["backing"], a["latency_us"]))
print("%-28s %15s %15s" % ("", "kvm-userfault", "userfaultfd"))
for label, key, fmt in rows:
    va = sum(a["blocktime_ms"]) if key is None else a[key]
    vb = sum(b["blocktime_ms"]) if key is None else b[key]
    print("%-28s %15s %15s" % (label, fmt % va, fmt % vb))
r = runs["recovery"]
print("recovery (kvm-userfault, connection dropped halfway): %d pages checked, %d lost, %d mismatched, postcopy %.0f ms"
      % (r["pages_checked"], r["pages_lost"], r["pages_mismatched"], r["postcopy_time_ms"]))
print("results: %s" % out)

# Fault latency histograms, log2 microsecond buckets.
dat = out[:-5] + ".dat"
with open(dat, "w") as f:
    for i, (x, y) in enumerate(zip(a["latency_hist_log2_us"], b["latency_hist_log2_us"])):
        lo = 0 if i == 0 else 1 << i
        f.write("%d \"%s\" %d %d\n" % (i, lo, x, y))
gp = """set terminal pngcairo size 900,500 noenhanced
set output '%s'
set title 'Post-copy fault latency, %s (%s)'
set xlabel 'fault latency, us (log2 buckets, lower bound)'
set ylabel 'faults'
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set xtics rotate by -45
plot '%s' using 3:xtic(2) title 'kvm-userfault', '' using 4 title 'userfaultfd'
""" % (png, arch, args, dat)
try:
    subprocess.run(["gnuplot"], input=gp.encode(), check=True,
                   stderr=subprocess.DEVNULL)
except (OSError, subprocess.CalledProcessError):
    gp = gp.replace("pngcairo", "png").replace(" noenhanced", "")
    try:
        subprocess.run(["gnuplot"], input=gp.encode(), check=True)
    except (OSError, subprocess.CalledProcessError):
        print("gnuplot failed: no %s" % png)
        sys.exit(0)
print("plot: %s" % png)
PY
exit "$rc"
