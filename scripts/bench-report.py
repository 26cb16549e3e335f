#!/usr/bin/env python3
"""Turn the consoles of 'make bench' boots into bench.json, bench.md, plots.

usage: bench-report.py RESULTS_DIR NAME CONSOLE_LOG...

NAME is bench (wall clock) or bench-icount (the instruction-count clock);
each console is build/logs/NAME-BOOT.log, and zero-cost boots are
NAME-ARCH-zero-KERNEL-rN.log.  Each holds runs between "@@BENCH-START n/N
ID COMMAND" and "@@BENCH-END ID rc=RC secs=S" (scripts/guest/bench-run).
Every run becomes one sample in NAME.json; NAME.md has one table per
benchmark with the median and the spread (min-max) of the repeats, the
ratios and the target, marked PASS or MISS, and, when the other clock's
JSON is there too, a summary of both clocks side by side.  Exit status 1
if a run failed, a boot did not finish, or a console has a kernel warning.
"""
import datetime
import json
import os
import re
import statistics
import subprocess
import sys

TARGETS = {
    "dp_ratio": 1.8,     # KVM userfault / userfaultfd MINOR, 2 vCPUs
    "dp_ceiling": 0.5,   # KVM userfault / no demand paging, 1 vCPU
    "hugetlb": 512.0,    # bytes per fetch, userfaultfd / KVM userfault
    "tracking": 64.0,    # VmPTE / bitmap
    "zero": 2.0,         # % difference, patched vs base (wall clock)
    "zero_icount": 1.0,  # the same, on the instruction-count clock
    "exit": 1.1,         # (userfault - present fault) / plain exit
}
CLOCKS = {"bench": "wall", "bench-icount": "icount"}
DP_MODES = [
    ("none", "no demand paging (ceiling)"),
    ("uffd-missing", "userfaultfd MISSING (anonymous)"),
    ("uffd-minor", "userfaultfd MINOR (shmem)"),
    ("kvm-uf", "KVM userfault (anonymous, the VMM writes the page)"),
    ("kvm-uf-missing", "KVM userfault + MISSING (anonymous, UFFDIO_COPY)"),
    ("kvm-uf-minor", "KVM userfault + MINOR (shmem)"),
    ("gmem-kvm-uf", "KVM userfault (guest_memfd, the VMM writes the page)"),
    ("gmem-kvm-uf-missing", "KVM userfault + MISSING (guest_memfd, UFFDIO_COPY)"),
    ("gmem-kvm-uf-minor", "KVM userfault + MINOR (guest_memfd)"),
]
BAD = re.compile(r"WARNING:|BUG:|Oops|lockdep|possible circular|Call Trace")


def parse(log, name):
    boot = os.path.basename(log)[len(name) + 1:-len(".log")]
    # Zero-cost boots: ARCH-zero-KERNEL-rN, one boot per repeat.
    boot = re.sub(r"^(.*-zero-(base|patched))-r\d+$", r"\1", boot)
    text = open(log, errors="replace").read().replace("\r", "")
    m = re.search(r"@@VM-READY (\S+)", text)
    kernel = m.group(1) if m else ""
    samples, cur, problems = [], None, []
    for line in text.split("\n"):
        if BAD.search(line) and "RCU lockdep checking is enabled" not in line:
            problems.append("%s: console: %s" % (boot, line.strip()))
        if line.startswith("@@BENCH-START "):
            _, _, rid, cmd = line.split(" ", 3)
            cur = {"boot": boot, "kernel": kernel, "id": rid, "cmd": cmd,
                   "lines": []}
        elif line.startswith("@@BENCH-END ") and cur:
            f = dict(kv.split("=") for kv in line.split()[2:])
            cur["rc"] = int(f.get("rc", -1))
            cur["secs"] = int(f.get("secs", 0))
            samples.append(finish(cur))
            if cur["rc"] not in (0, 4):
                problems.append("%s: %s failed (rc %d): %s%s" %
                                (boot, cur["id"], cur["rc"], cur["cmd"],
                                 "".join("\n  " + l for l in cur["failure"])))
            cur = None
        elif cur:
            cur["lines"].append(line)
    if cur:
        problems.append("%s: %s did not finish" % (boot, cur["id"]))
    if not samples and not problems:
        problems.append("%s: no runs (console %s)" % (boot, log))
    if "@@VM-EXIT" not in text:
        problems.append("%s: the VM did not finish (console %s)" % (boot, log))
    return boot, kernel, samples, problems


def finish(s):
    parts = s["id"].split("/")
    s["section"] = parts[0]
    s["rep"] = int(parts[-1][1:])
    met = {}
    lines = s.pop("lines")
    for line in lines:
        m = re.search(r"Overall demand paging rate:\s*([\d.]+)", line)
        if m:
            met["pages_per_s"] = float(m.group(1))
        # arm64's kvm_page_table_test and dirty_log_perf_test run once per
        # guest mode (page size and IPA size): a figure is their sum.
        m = re.search(r"KVM_(\w+)_MAPPINGS: total execution time: ([\d.]+)s", line)
        if m:
            k = m.group(1).lower() + "_s"
            met[k] = met.get(k, 0.0) + float(m.group(2))
        m = re.search(r"^(Populate memory|Enabling dirty logging|Disabling dirty logging) time: ([\d.]+)s", line)
        if m:
            k = m.group(1).split()[0].lower() + "_s"
            met[k] = met.get(k, 0.0) + float(m.group(2))
        m = re.search(r"^Iteration (\d+) dirty memory time: ([\d.]+)s", line)
        if m and int(m.group(1)) > 1:
            # Iteration 1 also faults the memory in again; 2 on only dirty it.
            met["dirty_s"] = met.get("dirty_s", 0.0) + float(m.group(2))
        m = re.search(r"^(Get|Clear) dirty log over \d+ iterations took ([\d.]+)s", line)
        if m:
            k = m.group(1).lower() + "_log_s"
            met[k] = met.get(k, 0.0) + float(m.group(2))
        if line.startswith("JSON "):
            met.setdefault("json", []).append(json.loads(line[5:]))
    if s["section"] in ("dp", "zero"):
        s["mode"] = parts[1]
        s["vcpus"] = int(parts[2][1:])
    if s["section"] == "postcopy":
        s["mode"] = parts[1]
        s["latency_us"] = int(parts[2][1:])
    s["metrics"] = met
    s["failure"] = [l.strip() for l in lines if "Assertion" in l or "FAIL" in l][:3]
    return s


def med(xs):
    return statistics.median(xs) if xs else None


def spread(xs, fmt="%.0f"):
    if not xs:
        return "-"
    m = med(xs)
    if len(xs) == 1:
        return fmt % m
    return (fmt + " (" + fmt + "-" + fmt + ")") % (m, min(xs), max(xs))


def halfrange(xs):
    """Half the range of xs as a share of their median, in percent."""
    if len(xs) < 2 or not med(xs):
        return None
    return 100.0 * (max(xs) - min(xs)) / 2 / med(xs)


def spread_pct(xs, fmt="%.0f"):
    h = halfrange(xs)
    return spread(xs, fmt) + ("" if h is None else " +-%.1f%%" % h)


def verdict(ok):
    return "PASS" if ok else "MISS"


class Report:
    def __init__(self, samples):
        self.samples = samples
        self.out = []

    def p(self, s=""):
        self.out.append(s)

    def sel(self, boot, section, **kw):
        r = []
        for s in self.samples:
            if s["boot"] != boot or s["section"] != section or s["rc"] != 0:
                continue
            if all(s.get(k) == v for k, v in kw.items()):
                r.append(s)
        return sorted(r, key=lambda s: s["rep"])

    def vals(self, boot, section, key, **kw):
        return [s["metrics"][key] for s in self.sel(boot, section, **kw)
                if key in s["metrics"]]

    def json_vals(self, boot, section, key, **match):
        r = []
        for s in self.sel(boot, section):
            for j in s["metrics"].get("json", []):
                if all(j.get(k) == v for k, v in match.items()) and key in j:
                    r.append(j[key])
        return r

    def by_rep(self, boot, section, key, **kw):
        return {s["rep"]: s["metrics"][key]
                for s in self.sel(boot, section, **kw) if key in s["metrics"]}

    def ratio(self, a, b):
        """Median ratio a/b and the spread of the per-repeat ratios."""
        reps = sorted(set(a) & set(b))
        rs = [a[r] / b[r] for r in reps if b[r]]
        if not rs:
            return None, "-"
        return med(rs), spread(rs, "%.2f")


def demand_paging(rep, boot, summary):
    rep.p("### Demand paging, %s (pages/s, median (min-max) of %d, +- half the range as a share of the median)" %
          (boot, len(rep.sel(boot, "dp", mode="none", vcpus=1))))
    rep.p()
    rep.p("| mode | 1 vCPU | 2 vCPUs | 4 vCPUs |")
    rep.p("|---|---|---|---|")
    for m, label in DP_MODES:
        rep.p("| %s | %s |" % (label, " | ".join(
            spread_pct(rep.vals(boot, "dp", "pages_per_s", mode=m, vcpus=v))
            for v in (1, 2, 4))))
    rep.p()
    rep.p("| ratio (per-repeat ratios: median (min-max)) | 1 vCPU | 2 vCPUs | 4 vCPUs |")
    rep.p("|---|---|---|---|")
    pairs = [("KVM userfault / userfaultfd MINOR", "kvm-uf", "uffd-minor"),
             ("KVM userfault + MINOR / userfaultfd MINOR", "kvm-uf-minor", "uffd-minor"),
             ("KVM userfault / userfaultfd MISSING", "kvm-uf", "uffd-missing"),
             ("KVM userfault + MISSING / userfaultfd MISSING", "kvm-uf-missing", "uffd-missing"),
             ("KVM userfault / no demand paging", "kvm-uf", "none"),
             ("KVM userfault, guest_memfd / anonymous", "gmem-kvm-uf", "kvm-uf"),
             ("KVM userfault + MINOR, guest_memfd / shmem", "gmem-kvm-uf-minor", "kvm-uf-minor"),
             ("KVM userfault + MINOR on guest_memfd / userfaultfd MINOR on shmem",
              "gmem-kvm-uf-minor", "uffd-minor")]
    for label, a, b in pairs:
        cells = []
        for v in (1, 2, 4):
            r, sp = rep.ratio(rep.by_rep(boot, "dp", "pages_per_s", mode=a, vcpus=v),
                              rep.by_rep(boot, "dp", "pages_per_s", mode=b, vcpus=v))
            cells.append(sp if r is not None else "-")
        rep.p("| %s | %s |" % (label, " | ".join(cells)))
    rep.p()
    r2, _ = rep.ratio(rep.by_rep(boot, "dp", "pages_per_s", mode="kvm-uf", vcpus=2),
                      rep.by_rep(boot, "dp", "pages_per_s", mode="uffd-minor", vcpus=2))
    r1, _ = rep.ratio(rep.by_rep(boot, "dp", "pages_per_s", mode="kvm-uf", vcpus=1),
                      rep.by_rep(boot, "dp", "pages_per_s", mode="none", vcpus=1))
    if r2 is not None:
        line = "KVM userfault vs userfaultfd MINOR at 2 vCPUs: %.2fx, target %.1fx: %s" % (
            r2, TARGETS["dp_ratio"], verdict(r2 >= TARGETS["dp_ratio"]))
        rep.p("- " + line)
        summary.append((boot, "demand paging, KVM userfault / MINOR, 2 vCPUs",
                        "%.2fx" % r2, ">= %.1fx" % TARGETS["dp_ratio"],
                        verdict(r2 >= TARGETS["dp_ratio"])))
    if r1 is not None:
        line = "KVM userfault at 1 vCPU: %.0f%% of the no-demand-paging ceiling, target %.0f%%: %s" % (
            100 * r1, 100 * TARGETS["dp_ceiling"], verdict(r1 >= TARGETS["dp_ceiling"]))
        rep.p("- " + line)
        summary.append((boot, "demand paging, KVM userfault / ceiling, 1 vCPU",
                        "%.0f%%" % (100 * r1), ">= %.0f%%" % (100 * TARGETS["dp_ceiling"]),
                        verdict(r1 >= TARGETS["dp_ceiling"])))
    rep.p()


def hugetlb(rep, boot, summary):
    links = sorted({(j.get("link_latency_us", 0), j.get("link_mbps", 0))
                    for s in rep.sel(boot, "hugetlb") for j in s["metrics"].get("json", [])})
    for lat, mbps in links:
        hugetlb_link(rep, boot, summary, lat, mbps)


def hugetlb_link(rep, boot, summary, lat, mbps):
    modes = ("kvm-userfault", "userfaultfd")
    link = dict(link_latency_us=lat, link_mbps=mbps)

    def v(key, mode=None):
        kw = dict(link)
        if mode:
            kw["mode"] = mode
        return rep.json_vals(boot, "hugetlb", key, **kw)

    if not v("bytes", "kvm-userfault"):
        return
    reads, mib = v("reads")[0], v("mem_mib")[0]
    where = ("a simulated link of %d us + %d Mbit/s per fetch" % (lat, mbps)
             if lat or mbps else "a local copy per fetch (no link)")
    rep.p("### HugeTLB, %s: the guest reads %d random 4 KiB pages of %d MiB on 2 MiB pages; %s"
          % (boot, reads, mib, where))
    rep.p()
    rep.p("| mode | fetches | KiB moved | KiB per fetch | time until all read (ms) |")
    rep.p("|---|---|---|---|---|")
    for m in modes:
        rep.p("| %s | %s | %s | %s | %s |" % (
            m, spread(v("fetches", m)), spread([b / 1024 for b in v("bytes", m)]),
            spread([b / 1024 for b in v("bytes_per_fetch", m)]), spread(v("time_ms", m))))
    rep.p()
    r = med(v("bytes_per_fetch", "userfaultfd")) / med(v("bytes_per_fetch", "kvm-userfault"))
    tb = [x / y for x, y in zip(v("bytes", "userfaultfd"), v("bytes", "kvm-userfault"))]
    tt = [x / y for x, y in zip(v("time_ms", "userfaultfd"), v("time_ms", "kvm-userfault"))]
    rep.p("- bytes per fetch, userfaultfd / KVM userfault: %.0fx, target %.0fx: %s"
          % (r, TARGETS["hugetlb"], verdict(r >= TARGETS["hugetlb"])))
    rep.p("- bytes moved in all, userfaultfd / KVM userfault: %s" % spread(tb, "%.1fx"))
    rep.p("- time until the guest has read every page, userfaultfd / KVM userfault: %s"
          % spread(tt, "%.2fx"))
    rep.p()
    tag = "link %d us + %d Mbit/s" % (lat, mbps) if lat or mbps else "local copy"
    summary.append((boot, "HugeTLB bytes per fetch, userfaultfd / KVM userfault (%s)" % tag,
                    "%.0fx" % r, ">= %.0fx" % TARGETS["hugetlb"],
                    verdict(r >= TARGETS["hugetlb"])))
    summary.append((boot, "HugeTLB time to read %d random pages, userfaultfd / KVM userfault (%s)"
                    % (reads, tag), spread(tt, "%.2fx"), "-", "-"))


def tracking(rep, boot, summary):
    bm = rep.json_vals(boot, "tracking", "bitmap_bytes")
    pte = rep.json_vals(boot, "tracking", "vmpte_bytes")
    if not bm:
        return
    mib = rep.json_vals(boot, "tracking", "mem_mib")[0]
    r = med(pte) / med(bm)
    rep.p("### Tracking memory, %s: %d MiB of guest memory" % (boot, mib))
    rep.p()
    rep.p("| | KiB |")
    rep.p("|---|---|")
    rep.p("| KVM userfault: present bitmap | %s |" % spread([x / 1024 for x in bm]))
    rep.p("| userfaultfd: page tables mapping it at 4 KiB (VmPTE growth) | %s |"
          % spread([x / 1024 for x in pte]))
    rep.p()
    rep.p("- VmPTE / bitmap: %.1fx, target %.0fx: %s" % (
        r, TARGETS["tracking"], verdict(r >= TARGETS["tracking"])))
    rep.p()
    summary.append((boot, "tracking memory for 1 GiB, VmPTE / bitmap", "%.1fx" % r,
                    ">= %.0fx" % TARGETS["tracking"], verdict(r >= TARGETS["tracking"])))


def prefault(rep, boot, summary):
    modes = [("first-touch", "guest touches each page, KVM faults it in"),
             ("pre-fault", "KVM_PRE_FAULT_MEMORY, then the guest touches"),
             ("userfault-demand", "post-copy: each page fetched on a userfault exit"),
             ("userfault-arrived", "post-copy: every page arrived before the touch"),
             ("userfault-prefault", "post-copy: pre-faulted in batches of 64 as it arrived")]
    if not rep.json_vals(boot, "prefault", "total_ms"):
        sk = [s for s in rep.samples if s["boot"] == boot and s["section"] == "prefault"]
        if sk and all(s["rc"] == 4 for s in sk):
            rep.p("### KVM_PRE_FAULT_MEMORY, %s: skipped (no KVM_PRE_FAULT_MEMORY)" % boot)
            rep.p()
        return
    pages = rep.json_vals(boot, "prefault", "pages")[0]
    rep.p("### KVM_PRE_FAULT_MEMORY, %s: %d pages (%d MiB)" % (boot, pages, pages * 4 // 1024))
    rep.p()
    rep.p("| mode | pre-fault (ms) | guest (ms) | total (ms) | us per page | exits |")
    rep.p("|---|---|---|---|---|---|")
    for m, label in modes:
        rep.p("| %s: %s | %s | %s | %s | %s | %s |" % (
            m, label,
            spread(rep.json_vals(boot, "prefault", "prefault_ms", mode=m), "%.1f"),
            spread(rep.json_vals(boot, "prefault", "guest_ms", mode=m), "%.1f"),
            spread(rep.json_vals(boot, "prefault", "total_ms", mode=m), "%.1f"),
            spread(rep.json_vals(boot, "prefault", "us_per_page", mode=m), "%.1f"),
            spread(rep.json_vals(boot, "prefault", "exits", mode=m))))
    rep.p()
    for a, b, label in (("first-touch", "pre-fault", "first touch / pre-fault"),
                        ("userfault-demand", "userfault-prefault",
                         "post-copy demand faults / pre-faulted on arrival"),
                        ("userfault-arrived", "userfault-prefault",
                         "post-copy arrived, faulted by the guest / pre-faulted on arrival")):
        rs = [x / y for x, y in zip(rep.json_vals(boot, "prefault", "total_ms", mode=a),
                                   rep.json_vals(boot, "prefault", "total_ms", mode=b))]
        rep.p("- total time, %s: %s" % (label, spread(rs, "%.2fx")))
        summary.append((boot, "pre-fault: " + label, spread(rs, "%.2fx"), "-", "-"))
    rep.p()


def huge(rep, boot, summary):
    share = rep.json_vals(boot, "huge", "share_pct", mode="share")
    if not share:
        return
    ranges = rep.json_vals(boot, "huge", "ranges", mode="share")[0]
    pushed = rep.json_vals(boot, "huge", "pushed_pct", mode="share")[0]
    ratio = rep.json_vals(boot, "huge", "ratio", mode="reads")
    rep.p("### Huge mappings while KVM_MEM_USERFAULT is on, %s: %d 2 MiB ranges" % (boot, ranges))
    rep.p()
    rep.p("| | |")
    rep.p("|---|---|")
    rep.p("| ranges mapped huge while on, %d%% pushed before the touch (%%) | %s |"
          % (pushed, spread(share, "%.1f")))
    rep.p("| random reads, 4 KiB while on / huge while on | %s |" % spread(ratio, "%.2fx"))
    rep.p()
    summary.append((boot, "huge mappings while on (%% of ranges, %d%% pushed)" % pushed,
                    spread(share, "%.1f"), "-", "-"))


def exit_floor(rep, boot, summary):
    def v(key):
        return rep.json_vals(boot, "exit", key, mode="floor")

    ratio = v("ratio")
    if not ratio:
        return
    n = rep.json_vals(boot, "exit", "count", mode="io")[0]
    rep.p("### The floor under a userfault exit, %s: %d pages, us per page" % (boot, n))
    rep.p()
    rep.p("| (a) plain exit round trip | (b) fault on a present page | (c) userfault exit, bit set, re-entry, fault | (c - b) / a |")
    rep.p("|---|---|---|---|")
    rep.p("| %s | %s | %s | %s |" % (spread(v("io_us"), "%.2f"), spread(v("present_us"), "%.2f"),
                                    spread(v("userfault_us"), "%.2f"), spread(ratio, "%.2fx")))
    rep.p()
    r = med(ratio)
    ok = r <= TARGETS["exit"]
    rep.p("- userfault above a fault, against a plain exit: %.2fx, goal <= %.1fx: %s"
          % (r, TARGETS["exit"], verdict(ok)))
    rep.p()
    summary.append((boot, "userfault exit above a fault / plain exit round trip, (c - b) / a",
                    spread(ratio, "%.2fx"), "<= %.1fx" % TARGETS["exit"], verdict(ok)))


PC_ROWS = [("postcopy time (ms)", "postcopy_time_ms", "%.0f"),
           ("total time (ms)", "total_time_ms", "%.0f"),
           ("fault latency avg (us)", "fault_latency_avg_us", "%.0f"),
           ("fault latency p99 (us)", "fault_latency_p99_us", "%.0f"),
           ("blocktime, all vCPUs (ms)", "blocktime", "%.0f"),
           ("postcopy-requests", "postcopy_requests", "%.0f"),
           ("pages lost / mismatched", "lost", "%.0f")]


def pc_vals(rep, boot, mode, lat, key):
    r = []
    for s in rep.sel(boot, "postcopy", mode=mode, latency_us=lat):
        for j in s["metrics"].get("json", []):
            if key == "blocktime":
                r.append(sum(j["blocktime_ms"]))
            elif key == "lost":
                r.append(j["pages_lost"] + j["pages_mismatched"])
            else:
                r.append(j[key])
    return r


def postcopy(rep, boot, summary):
    if not rep.sel(boot, "postcopy"):
        return
    s0 = rep.sel(boot, "postcopy")[0]["metrics"].get("json", [{}])[0]
    rep.p("### Post-copy migration, %s: %s vCPUs, %s MiB %s" % (
        boot, s0.get("vcpus"), s0.get("mem_mib"), s0.get("backing")))
    rep.p()
    cols = [(m, l) for l in (0, 50) for m in ("kvm-userfault", "userfaultfd")]
    rep.p("| | " + " | ".join("%s, %d us" % (m, l) for m, l in cols) + " |")
    rep.p("|---|" + "---|" * len(cols))
    for label, key, fmt in PC_ROWS:
        rep.p("| %s | %s |" % (label, " | ".join(
            spread(pc_vals(rep, boot, m, l, key), fmt) for m, l in cols)))
    rep.p()
    for lat in (0, 50):
        for label, key in (("postcopy time", "postcopy_time_ms"), ("blocktime", "blocktime")):
            a = pc_vals(rep, boot, "userfaultfd", lat, key)
            b = pc_vals(rep, boot, "kvm-userfault", lat, key)
            rs = [x / y for x, y in zip(a, b) if y]
            rep.p("- %d us: %s, userfaultfd / KVM userfault: %s" % (lat, label, spread(rs, "%.2fx")))
            summary.append((boot, "post-copy %s at %d us, userfaultfd / KVM userfault" % (label, lat),
                            spread(rs, "%.2fx"), "-", "-"))
    rep.p()


# dirty_log_perf_test times its populate and dirty phases from its main
# thread, which spins until every vCPU thread is done.  With one L1 CPU (the
# icount boots) the spinning thread runs until the scheduler tick preempts
# it, so these phases last a whole number of ticks more or less: a few
# instructions more or less in a vCPU can move one by a tick (4 ms at
# HZ=250).  Under icount they get no verdict; kvm_page_table_test's create
# and update rows time the same faults without a spinning thread.
# Enabling dirty logging is tick-bound the same way: the main thread's
# memslot update competes with the vCPU threads, which spin in userspace
# until the next iteration, and takes either some 25-40 us or a few ms
# (2.8-4.0 ms on x86_64), on the base and on the patched kernel alike,
# run after run within one boot.
TICK_BOUND = {"populate_s", "enabling_s", "dirty_s"}
ZERO_ROWS = [("demand_paging_test -v 1, pages/s", "dp-none", 1, "pages_per_s", True),
             ("demand_paging_test -v 1 -u MISSING, pages/s", "dp-missing", 1, "pages_per_s", True),
             ("demand_paging_test -v 2, pages/s", "dp-none", 2, "pages_per_s", True),
             ("demand_paging_test -v 2 -u MISSING, pages/s", "dp-missing", 2, "pages_per_s", True),
             ("kvm_page_table_test -v 2: create mappings (s)", "kpt", 2, "create_s", False),
             ("kvm_page_table_test -v 2: update mappings (s)", "kpt", 2, "update_s", False),
             ("kvm_page_table_test -v 2: adjust mappings (s)", "kpt", 2, "adjust_s", False),
             ("dirty_log_perf_test -v 2: populate memory (s)", "dirty-log", 2, "populate_s", False),
             ("dirty_log_perf_test -v 2: enable dirty logging (s)", "dirty-log", 2, "enabling_s", False),
             ("dirty_log_perf_test -v 2: dirty memory, iterations 2-3 (s)", "dirty-log", 2, "dirty_s", False),
             ("dirty_log_perf_test -v 2: get dirty log (s)", "dirty-log", 2, "get_log_s", False),
             ("dirty_log_perf_test -v 2: clear dirty log (s)", "dirty-log", 2, "clear_log_s", False)]


def iqr(xs):
    """The interquartile range (all of it below four samples): one outlier
    among five runs does not set the noise."""
    xs = sorted(xs)
    if len(xs) < 4:
        return xs[-1] - xs[0]
    q = statistics.quantiles(xs, n=4, method="inclusive")
    return q[2] - q[0]


def zero(rep, patched, base, summary, clock):
    if not rep.sel(base, "zero") or not rep.sel(patched, "zero"):
        return
    nb = len({s["rep"] for s in rep.sel(base, "zero")})
    np_ = len({s["rep"] for s in rep.sel(patched, "zero")})
    rep.p("### Zero cost when unused: %s vs %s, %d boots of the base and %d of the patched kernel"
          % (patched, base, nb, np_))
    rep.p()
    rep.p("The boots alternate (base, patched, base, ...), each after a warm-up run;")
    rep.p("a cell is the median (min-max) of one run per boot. The patched kernel's")
    rep.p("memslots do not use KVM_MEM_USERFAULT.")
    if clock == "icount":
        t = TARGETS["zero_icount"]
        rep.p("Noise is half the larger interquartile range of the two sets, as a share")
        rep.p("of the base's median. PASS: the patched kernel's median is at most %.0f%% slower" % t)
        rep.p("(fewer pages/s, more seconds) and the noise is at most %.0f%%, so that the" % t)
        rep.p("measurement resolves %.0f%%; MISS" % t)
        rep.p("otherwise. Instruction counts repeat so closely that ranges which do not")
        rep.p("overlap are common: 'disjoint' marks a difference that is real, however small.")
        rep.p("dirty_log_perf_test's populate and dirty-memory phases are timed by a thread that")
        rep.p("spins until the vCPUs are done; on one CPU they last whole scheduler ticks, and")
        rep.p("get no verdict (tick-bound): kvm_page_table_test times the same faults.")
        rep.p("Enabling dirty logging competes with the vCPU threads, which spin between")
        rep.p("iterations, and takes either tens of microseconds or a few milliseconds on either")
        rep.p("kernel: no verdict either (tick-bound).")
    else:
        t = TARGETS["zero"]
        rep.p("Noise is half the larger interquartile range of the two sets, as a share of")
        rep.p("the base's median. PASS: the patched kernel is at most %.0f%% slower and the noise is" % t)
        rep.p("at most %.0f%%. MISS: it is slower by more, and the two sets do not overlap." % t)
        rep.p("NOISE: neither; wall time under TCG varies more than the target resolves.")
    rep.p()
    rep.p("| run | base | patched | patched vs base | noise | ranges | verdict |")
    rep.p("|---|---|---|---|---|---|---|")
    for label, mode, vcpus, key, higher_better in ZERO_ROWS:
        b = rep.vals(base, "zero", key, mode=mode, vcpus=vcpus)
        p = rep.vals(patched, "zero", key, mode=mode, vcpus=vcpus)
        if not b or not p or not med(b):
            continue
        fmt = "%.0f" if higher_better else "%.6f" if med(b) < 0.01 else "%.4f"
        d = 100.0 * (med(p) - med(b)) / med(b)
        noise = 100.0 * max(iqr(b), iqr(p)) / 2 / med(b)
        overlap = min(p) <= max(b) and min(b) <= max(p)
        # Slower is what matters: fewer pages/s or more seconds.
        cost = -d if higher_better else d
        if clock == "icount" and key in TICK_BOUND:
            v = "- (tick-bound)"
        elif clock == "icount":
            v = "PASS" if cost <= t and noise <= t else "MISS"
        else:
            if cost > t and not overlap:
                v = "MISS"
            elif cost <= t and noise <= t:
                v = "PASS"
            else:
                v = "NOISE"
        rep.p("| %s | %s | %s | %+.2f%% | +-%.2f%% | %s | %s |" % (
            label, spread(b, fmt), spread(p, fmt), d, noise,
            "overlap" if overlap else "disjoint", v))
        summary.append((patched[:-len("-patched")], "zero cost: " + label,
                        "%+.2f%% (noise +-%.2f%%%s)" % (d, noise, "" if overlap else ", disjoint"),
                        "slower by <= %.0f%%" % t, v))
    rep.p()


def gnuplot(script):
    for term in ("pngcairo", "png"):
        s = script if term == "pngcairo" else script.replace("pngcairo", "png").replace(" noenhanced", "")
        try:
            subprocess.run(["gnuplot"], input=s.encode(), check=True,
                           stderr=subprocess.DEVNULL)
            return True
        except (OSError, subprocess.CalledProcessError):
            continue
    return False


def multiplot(png, boots, title, settings, plot):
    """One clustered-histogram panel per boot; plot(i) is panel i's plot command."""
    gp = ["set terminal pngcairo size %d,560 noenhanced" % (520 * len(boots)),
          "set output '%s'" % png,
          "set multiplot layout 1,%d title '%s'" % (len(boots), title),
          "set style data histograms", "set style histogram clustered gap 1",
          "set style fill solid 0.8 border -1"] + settings
    for i, b in enumerate(boots):
        gp += ["set title '%s'" % b, plot(i)]
    gp.append("unset multiplot")
    return gnuplot("\n".join(gp) + "\n")


def plots(rep, full, outdir, name):
    made = []
    # Demand paging: pages/s per mode, clustered by vCPU count, one panel per boot.
    if full:
        dat = os.path.join(outdir, name + "-demand-paging.dat")
        with open(dat, "w") as f:
            for i, b in enumerate(full):
                f.write("# %s\n" % b)
                for v in (1, 2, 4):
                    f.write("\"%d vCPU%s\" %s\n" % (v, "" if v == 1 else "s", " ".join(
                        "%.0f" % (med(rep.vals(b, "dp", "pages_per_s", mode=m, vcpus=v)) or 0)
                        for m, _ in DP_MODES)))
                f.write("\n\n")
        png = os.path.join(outdir, name + "-demand-paging.png")
        plot = ", ".join("'%s' index %%d using %d%s title '%s'" % (
            dat, k + 2, ":xtic(1)" if k == 0 else "", label)
            for k, (_, label) in enumerate(DP_MODES))
        if multiplot(png, full, "Demand paging rate (median pages/s; TCG, compare within a panel)",
                     ["set key below font ',9' maxrows 3", "set ylabel 'pages/s'", "set yrange [0:*]"],
                     lambda i: "plot " + plot.replace("%d", str(i))):
            made.append(png)
    # Post-copy fault latency histograms at 50 us, summed over the repeats.
    pcb = [b for b in full if rep.sel(b, "postcopy")]
    if pcb:
        dat = os.path.join(outdir, name + "-postcopy-latency.dat")
        with open(dat, "w") as f:
            for b in pcb:
                f.write("# %s\n" % b)
                h = {}
                for m in ("kvm-userfault", "userfaultfd"):
                    acc = []
                    for s in rep.sel(b, "postcopy", mode=m, latency_us=50):
                        for j in s["metrics"].get("json", []):
                            hist = j.get("latency_hist_log2_us", [])
                            acc = [x + y for x, y in zip(acc + [0] * (len(hist) - len(acc)),
                                                         hist + [0] * (len(acc) - len(hist)))]
                    h[m] = acc
                n = max(len(h["kvm-userfault"]), len(h["userfaultfd"]))
                for i in range(n):
                    a = h["kvm-userfault"][i] if i < len(h["kvm-userfault"]) else 0
                    c = h["userfaultfd"][i] if i < len(h["userfaultfd"]) else 0
                    f.write("%d \"%d\" %d %d\n" % (i, 0 if i == 0 else 1 << i, a, c))
                f.write("\n\n")
        png = os.path.join(outdir, name + "-postcopy-latency.png")
        if multiplot(png, pcb, "Post-copy fault latency at 50 us fetch latency (all repeats)",
                     ["set xtics rotate by -45 font ',8'", "set xlabel 'us (log2 buckets, lower bound)'",
                      "set ylabel 'faults'", "set logscale y", "set yrange [0.5:*]"],
                     lambda i: "plot '%s' index %d using 3:xtic(2) title 'kvm-userfault', "
                               "'' index %d using 4 title 'userfaultfd'" % (dat, i, i)):
            made.append(png)
    return made


SECTIONS = (
    ("1. Demand paging rate (demand_paging_test)", demand_paging),
    ("2. HugeTLB fetch granularity (userfault_perf_test -c hugetlb)", hugetlb),
    ("3. Tracking memory (userfault_perf_test -c tracking)", tracking),
    ("4. KVM_PRE_FAULT_MEMORY (userfault_perf_test -c prefault)", prefault),
    ("5. Post-copy migration end to end (postcopy_migration_test)", postcopy),
    ("5b. Huge mappings while on (userfault_perf_test -c huge)", huge),
    ("5c. The floor under a userfault exit (userfault_perf_test -c exit)", exit_floor))


def report(samples, boots, clock):
    """Every section's tables for one clock: the Report and its summary rows."""
    rep = Report(samples)
    full = [b for b in boots if rep.sel(b, "dp") or rep.sel(b, "exit")]
    summary = []
    for title, section in SECTIONS:
        rep.p("## " + title)
        rep.p()
        for b in full:
            section(rep, b, summary)
    rep.p("## 6. Zero cost when unused (patched kernel vs unpatched base)")
    rep.p()
    for b in boots:
        if b.endswith("-zero-base"):
            zero(rep, b[:-len("-base")] + "-patched", b, summary, clock)
    return rep, full, summary


def both_clocks(this, other):
    """The summary rows of both clocks, side by side: wall first."""
    wall, icount = (this, other) if this["clock"] == "wall" else (other, this)
    rows, seen = [], set()
    idx = {}
    for clock, d in (("wall", wall), ("icount", icount)):
        for r in d["summary"]:
            key = (r[0], r[1])
            if key not in seen:
                seen.add(key)
                rows.append(key)
            idx[(clock,) + key] = r
    out = ["## Both clocks", "",
           "Wall clock: `make bench` of %s; instruction count: `make bench CLOCK=icount` of %s."
           % (wall["date"], icount["date"]),
           "Each cell: the result and its verdict; the spreads are in each clock's tables.", "",
           "| boot | measure | wall | instructions (icount) | target |",
           "|---|---|---|---|---|"]
    for key in rows:
        w, i = idx.get(("wall",) + key), idx.get(("icount",) + key)
        cell = lambda r: "-" if r is None else (r[2] + ("" if r[4] == "-" else " " + r[4]))
        tgt = (i or w)[3]
        out.append("| %s | %s | %s | %s | %s |" % (key[0], key[1], cell(w), cell(i), tgt))
    return out + [""]


def load(outdir, name):
    """Boots, samples and summary rows of a previous run's NAME.json."""
    path = os.path.join(outdir, name + ".json")
    if not os.path.exists(path):
        return None
    d = json.load(open(path))
    clock = d.get("clock", CLOCKS[name])
    boots = []
    for s in d["samples"]:
        if s["boot"] not in boots:
            boots.append(s["boot"])
    _, _, summary = report(d["samples"], boots, clock)
    return {"clock": clock, "date": d["date"], "summary": summary}


def main():
    outdir, name, logs = sys.argv[1], sys.argv[2], sys.argv[3:]
    if name not in CLOCKS:
        sys.exit("bench-report.py: NAME is one of " + ", ".join(CLOCKS))
    clock = CLOCKS[name]
    boots, samples, problems, kernels = [], [], [], {}
    for log in logs:
        if not os.path.exists(log):
            problems.append("no console log %s" % log)
            continue
        boot, kernel, s, p = parse(log, name)
        if boot not in boots:
            boots.append(boot)
        kernels[boot] = kernel
        samples += s
        problems += p
    # The date of the runs: when the last console was written.
    stamp = max([os.path.getmtime(l) for l in logs if os.path.exists(l)] or [0])
    now = datetime.datetime.fromtimestamp(stamp, datetime.timezone.utc).isoformat(timespec="seconds")
    doc = {"date": now, "command": "make bench" + (" CLOCK=icount" if clock == "icount" else ""),
           "kernels": kernels, "clock": clock,
           "env": {k: os.environ[k] for k in ("BENCH_REPS", "BENCH_ZERO_REPS", "BENCH_DP_MEM",
                                               "QEMU_SMP") if k in os.environ},
           "samples": samples, "problems": problems}
    json.dump(doc, open(os.path.join(outdir, name + ".json"), "w"), indent=1)

    rep, full, summary = report(samples, boots, clock)
    made = plots(rep, full, outdir, name)
    head = ["# KVM userfault benchmarks", "",
            "`%s`, %s. Kernels: %s." % (doc["command"], now, ", ".join(
                "%s %s" % (b, kernels[b]) for b in boots))]
    if clock == "icount":
        head += ["Clock: QEMU icount (-icount shift=0,sleep=off), one L1 CPU: guest time",
                 "counts instructions, 1 ns each; it measures path length, not hardware costs."]
    else:
        head += ["Clock: wall time."]
    head += ["Every run is in a nested guest under QEMU TCG: absolute figures are not",
             "hardware figures; compare modes within one boot (ratios).", ""]
    head += ["## Summary", "", "| boot | measure | result | target | |", "|---|---|---|---|---|"]
    head += ["| %s |" % " | ".join(r) for r in summary]
    head += [""]
    if made:
        head += ["Plots: " + ", ".join(os.path.basename(m) for m in made), ""]
    other = load(outdir, [n for n in CLOCKS if n != name][0])
    if other:
        head += both_clocks({"clock": clock, "date": now, "summary": summary}, other)
    tail = []
    if problems:
        tail += ["## Problems", ""] + ["- " + p for p in problems] + [""]
    md = "\n".join(head + rep.out + tail) + "\n"
    open(os.path.join(outdir, name + ".md"), "w").write(md)
    print(md)
    print("results: %s/%s.{json,md}%s" % (outdir, name, "".join(" " + m for m in made)))
    if problems:
        for p in problems:
            print("PROBLEM: " + p, file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
