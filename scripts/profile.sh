#!/bin/bash
# Where the time goes: run a command in the x86_64 bench guest under
# 'perf record -a' (the host's perf, from Debian's linux-perf) and print the
# samples grouped into VMM userspace, KVM, host memory management,
# userfaultfd, scheduling and idle.
set -eu -o pipefail
. "$(dirname "$0")/lib.sh"

usage() {
	cat <<USAGE
usage: $0 [-A APPEND] [-F FREQ] [-k IMAGE] [-l LOG] [-n TOP] [-h] COMMAND...
Boot build/obj-BASE-x86_64-bench (make bench builds it; or IMAGE, e.g. the base
kernel's build/base/obj-BASE-x86_64-bench/arch/x86/boot/bzImage) with
kvm_amd.npt=1 (or APPEND), run COMMAND (in /selftests) under 'perf record
-a -F FREQ' (default 499), then print the share of samples per group (of
the samples perf report lists) and the TOP (default 25) symbols.
QEMU has no PMU under TCG: the samples are cpu-clock (timer) samples.
With CLOCK=icount (and QEMU_SMP=1) the clock counts instructions, so a
busy CPU is sampled every 1e9/FREQ instructions; time the idle CPU skips
still lands in the idle group. The console goes to LOG (build/logs/profile.log).
perf runs in the guest kernel (L1) and does not see inside the nested guest.
USAGE
	exit "${1:-0}"
}

append=kvm_amd.npt=1 top=25 freq=499 image= log=
while getopts A:F:k:l:n:h opt; do
	case $opt in
	A) append=$OPTARG ;;
	F) freq=$OPTARG ;;
	k) image=$OPTARG ;;
	l) log=$OPTARG ;;
	n) top=$OPTARG ;;
	h) usage 0 ;;
	*) usage 2 ;;
	esac
done
shift $((OPTIND - 1))
[ $# -ge 1 ] || usage 2
command -v perf >/dev/null || die "no perf: apt-get install linux-perf"
export KVARIANT=bench
arch_vars x86_64
[ -z "$image" ] || IMAGE=$image
case "$freq" in '' | *[!0-9]*) die "-F: a number of samples per second" ;; esac
[ -f "$IMAGE" ] || die "no $IMAGE: run 'make bench' (or KVARIANT=bench scripts/build-kernel.sh -D x86_64)"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
perf=$(command -v perf)
perf=$(readlink -f "$perf")
# perf is a dynamic binary: take its libraries along.
tar czhf "$tmp/perf.tgz" "$perf" $(ldd "$perf" | awk '/=>/ { print $3 } /ld-linux/ { print $1 }') 2>/dev/null
cat >"$tmp/profile" <<EOF
tar xzf /perf.tgz -C /
echo 0 >/proc/sys/kernel/kptr_restrict
echo -1 >/proc/sys/kernel/perf_event_paranoid
echo 64 >/proc/sys/vm/nr_hugepages
cd /selftests
echo $((freq * 4)) >/proc/sys/kernel/perf_event_max_sample_rate
$perf record -q -a -F $freq -o /tmp/perf.data -- $*
echo @@PROFILE-START
$perf report -i /tmp/perf.data --stdio --no-children --sort comm,dso,sym 2>/dev/null | grep -v '^#' | grep -v '^\$'
echo @@PROFILE-END
EOF
[ -n "$log" ] || log=$BUILD/logs/profile.log
QEMU_ACCEL=${QEMU_ACCEL:-$VM_ACCEL} "$TOP/scripts/vm.sh" -q -t 1800 -l "$log" \
	-k "$IMAGE" -A "$append" -f "$tmp/perf.tgz" -f "$tmp/profile" x86_64 'sh /profile'
python3 - "$log" "$top" <<'PY'
import re, sys
log, top = sys.argv[1], int(sys.argv[2])
groups = [
    ("idle", r"^(pv_native_safe_halt|default_idle|cpuidle|do_idle|acpi_idle|native_safe_halt)"),
    ("userfaultfd", r"(userfaultfd|handle_userfault|^mfill_|uffd|^userfault_)"),
    ("scheduling and wakeups", r"(^finish_task_switch|^__?schedule|^try_to_wake_up|wake_up|^ep_|epoll|"
     r"^pick_next|^enqueue|^dequeue|^update_curr|^__sched_text|^switch_mm|^__switch_to|futex|^select_task|"
     r"^ttwu|^set_next_entity|^psi_|^update_load|^reweight|^cpuacct|^prepare_task_switch|^rseq)"),
    ("KVM (fault, exit, entry, guest)", r"^(__)?(kvm|svm|vmx|tdp_|make_spte|handle_changed_spte|fast_page_fault|"
     r"mmu_|fpu_swap_kvm|nested_|x86_emulate|__svm|vcpu_|kvm_|gfn_|__gfn|hva_to_pfn|__kvm|xfd_update|save_fpregs|os_xrstor|"
     r"__get_user_8|is_tdp_mmu|tdp_iter|spte|__direct_map|direct_page_fault|__kvm_faultin|pfn_valid|__kvm_mmu|"
     r"track_pfn|__kvm_do_userfault)"),
    ("host memory management", r"(page_fault|^do_pte_missing|handle_mm_fault|^clear_page|^get_page_from_freelist|"
     r"^__alloc_pages|^alloc_pages|^folio|^lock_vma|^mtree|^shmem|^filemap|^do_anonymous|^gup|^__get_user_pages|"
     r"^follow_page|^__pte|^pte_|^do_fault|^__do_fault|^set_pte|^lru|^mem_cgroup|^rmqueue|^__folio|^vma_|"
     r"^percpu_counter|^first_zones|^__mod_|^mod_|^page_|^xas_|^find_vma|^down_read|^up_read|^_copy_|copy_user|"
     r"^memcg|^__memcg|^zap|^unmap|^tlb|^flush_tlb|^free_|^__free|^release_pages|^do_wp|^wp_page|^count_vm)"),
]
rows, inside = [], False
for line in open(log, errors="replace"):
    line = line.replace("\r", "").rstrip("\n")
    if line.startswith("@@PROFILE-START"):
        inside = True
        continue
    if line.startswith("@@PROFILE-END"):
        break
    m = re.match(r"\s*([\d.]+)%\s+(\S+)\s+(\S+)\s+\[(.)\]\s+(\S+)", line) if inside else None
    if m:
        rows.append((float(m.group(1)), m.group(2), m.group(3), m.group(4), m.group(5)))
if not rows:
    sys.exit("no profile in %s" % log)
tot = {}
for pct, comm, dso, kind, sym in rows:
    if comm == "swapper" or re.search(groups[0][1], sym):
        g = "idle"
    elif kind == ".":
        g = "VMM userspace (%s)" % comm
    else:
        g = "other kernel"
        for name, rx in groups[1:]:
            if re.search(rx, sym):
                g = name
                break
    tot[g] = tot.get(g, 0.0) + pct
# perf's percentages of the entries it lists need not add up to 100.
listed = sum(tot.values())
print("%-40s %6s" % ("group", "%"))
for g, v in sorted(tot.items(), key=lambda x: -x[1]):
    print("%-40s %6.1f" % (g, 100 * v / listed))
print()
print("top symbols:")
for pct, comm, dso, kind, sym in rows[:top]:
    print("%6.2f%%  %-16s %-20s %s" % (pct, comm, dso, sym))
PY
