#!/usr/bin/env python3
"""Turn the console of a 'make demo' boot (scripts/guest/qemu-demo's
'@@QD' lines) into a side-by-side table, PREFIX.json with every sample and
PREFIX.png with the guest's throughput over time.

usage: qemu-demo-report.py LOG PREFIX ARCH SETTINGS
Exit status 1 if a run failed, a guest saw a bad page or a run is missing.
"""
import datetime
import json
import os
import re
import statistics
import subprocess
import sys

log, prefix, arch, settings = sys.argv[1:5]
runs, order, cur = {}, [], None
kernel = ""
text = open(log, errors="replace").read().replace("\r", "")
m = re.search(r"@@VM-READY (\S+)", text)
if m:
    kernel = m.group(1)
for line in text.splitlines():
    i = line.find("@@QD ")
    if i < 0:
        continue
    f = line[i + 5:].split(" ")
    kind = f[0]
    if kind == "begin":
        cur = {"config": f[1], "round": int(f[2]), "events": {}, "samples": [],
               "latency_us": [], "notes": [], "qmp": {}, "errors": []}
        key = "%s:%s" % (f[1], f[2])
        runs[key] = cur
        order.append(key)
    elif cur is None:
        continue
    elif kind == "event":
        cur["events"][f[2]] = float(f[1])
    elif kind == "ser" and len(f) >= 4 and f[3] == "WL":
        side, t = f[1], float(f[2])
        kv = dict(x.split("=", 1) for x in f[4:] if "=" in x)
        if "rate" in kv:
            cur["samples"].append({"side": side, "t": t, "guest_ms": int(kv["t"]),
                                   "pages": int(kv["n"]), "mib_s": float(kv["rate"]),
                                   "bad": int(kv["bad"])})
        elif f[4] == "verify":
            cur["verify"] = {k: int(v) for k, v in kv.items()}
        elif f[4] == "BAD":
            cur["errors"].append(" ".join(f[3:]))
    elif kind == "qmp":
        try:
            cur["qmp"][f[1]] = json.loads(" ".join(f[2:])).get("return", {})
        except ValueError:
            cur["errors"].append("unparsable query-migrate from " + f[1])
    elif kind == "count":
        for k, v in zip(f[1::2], f[2::2]):
            cur[k.replace("-", "_")] = int(v)
    elif kind == "lat":
        cur["latency_us"] = [int(x) for x in f[1:] if x]
    elif kind in ("note", "stderr", "qmp-error"):
        if "exceeds the recommended cpus" not in line:
            cur["notes"].append(" ".join(f))
    elif kind == "stack":
        cur.setdefault("stacks", []).append(" ".join(f[1:]))
    elif kind == "end":
        cur["result"] = " ".join(f[3:])


def pct(v, p):
    if not v:
        return None
    v = sorted(v)
    return v[min(len(v) - 1, int(round(p / 100.0 * (len(v) - 1))))]


def mean_rate(s, side, t0, t1):
    v = [x["mib_s"] for x in s if x["side"] == side and t0 <= x["t"] < t1]
    return statistics.mean(v) if v else None


def stall(s, t0, t1):
    """Longest time between two console samples in [t0, t1] (both QEMUs)."""
    ts = sorted(x["t"] for x in s if t0 <= x["t"] <= t1)
    ts = [t0] + ts + [t1]
    return max(b - a for a, b in zip(ts, ts[1:]))


for key in order:
    r = runs[key]
    ev, s = r["events"], r["samples"]
    src, dst = r["qmp"].get("src", {}), r["qmp"].get("dst", {})
    ram = src.get("ram", {})
    st = {}
    if {"boot", "migrate", "postcopy", "completed", "verify"} <= set(ev):
        st["wl_before_mib_s"] = mean_rate(s, "src", ev["boot"], ev["migrate"])
        st["wl_precopy_mib_s"] = mean_rate(s, "src", ev["migrate"], ev["postcopy"])
        st["wl_postcopy_mib_s"] = mean_rate(s, "dst", ev["postcopy"], ev["completed"])
        st["wl_after_mib_s"] = mean_rate(s, "dst", ev["completed"], ev["verify"])
        st["wl_longest_stall_s"] = stall(s, ev["postcopy"], ev["completed"])
        st["postcopy_s"] = ev["completed"] - ev["postcopy"]
    for k in ("total-time", "downtime", "setup-time"):
        st[k] = src.get(k)
    for k in ("postcopy-requests", "precopy-bytes", "postcopy-bytes", "page-size",
              "transferred"):
        st[k] = ram.get(k)
    st["postcopy-blocktime"] = dst.get("postcopy-blocktime")
    st["postcopy-vcpu-blocktime"] = dst.get("postcopy-vcpu-blocktime")
    for k in ("kernel_userfault_exits", "qemu_userfault_exits", "userfaultfd_requests"):
        st[k] = r.get(k)
    lat = r["latency_us"]
    st["vcpu_waits"] = len(lat)
    st["wait_p50_ms"] = pct(lat, 50) / 1000.0 if lat else None
    st["wait_p99_ms"] = pct(lat, 99) / 1000.0 if lat else None
    st["wait_max_ms"] = max(lat) / 1000.0 if lat else None
    r["stats"] = st

bad = []
for key in order:
    r = runs[key]
    if r.get("result") != "ok":
        bad.append("%s: %s" % (key, r.get("result", "did not finish")))
    elif r["errors"]:
        bad.append("%s: %s" % (key, r["errors"][0]))
configs = ["stock", "stock+preempt", "uf", "uf+preempt"]
recov = ["stock+recovery", "uf+recovery"]
for c in configs + recov:
    if not any(runs[k]["config"] == c for k in order):
        bad.append("no run of " + c)

doc = {
    "arch": arch, "kernel": kernel, "settings": settings.strip(),
    "clock": os.environ.get("CLOCK", "wall"),
    "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    "runs": [runs[k] for k in order], "failed": bad,
}
json.dump(doc, open(prefix + ".json", "w"), indent=1)


def cell(c, key, fmt, scale=1.0):
    v = [runs[k]["stats"].get(key) for k in order
         if runs[k]["config"] == c and runs[k].get("result") == "ok"]
    v = [x * scale for x in v if isinstance(x, (int, float))]
    if not v:
        return "-"
    med = statistics.median(v)
    if len(v) == 1:
        return fmt % med
    return (fmt % med) + " (" + (fmt % min(v)).strip() + "-" + (fmt % max(v)).strip() + ")"


rows = [
    ("total-time (ms)", "total-time", "%.0f", 1),
    ("downtime (ms)", "downtime", "%.0f", 1),
    ("post-copy phase (s)", "postcopy_s", "%.1f", 1),
    ("postcopy-blocktime (ms)", "postcopy-blocktime", "%.0f", 1),
    ("postcopy-requests", "postcopy-requests", "%.0f", 1),
    ("precopy-bytes (MiB)", "precopy-bytes", "%.0f", 1.0 / 2**20),
    ("postcopy-bytes (MiB)", "postcopy-bytes", "%.0f", 1.0 / 2**20),
    ("page-size", "page-size", "%.0f", 1),
    ("vCPU userfault exits", "kernel_userfault_exits", "%.0f", 1),
    ("userfaultfd requests", "userfaultfd_requests", "%.0f", 1),
    ("vCPU waits", "vcpu_waits", "%.0f", 1),
    ("vCPU wait p50 (ms)", "wait_p50_ms", "%.0f", 1),
    ("vCPU wait p99 (ms)", "wait_p99_ms", "%.0f", 1),
    ("workload before (MiB/s)", "wl_before_mib_s", "%.0f", 1),
    ("workload pre-copy (MiB/s)", "wl_precopy_mib_s", "%.0f", 1),
    ("workload post-copy (MiB/s)", "wl_postcopy_mib_s", "%.0f", 1),
    ("workload after (MiB/s)", "wl_after_mib_s", "%.0f", 1),
    ("longest stall in post-copy (s)", "wl_longest_stall_s", "%.1f", 1),
]
w = 22
print()
print("QEMU post-copy of a Linux guest, %s, kernel %s (%s)%s" % (
    arch, kernel, settings.strip() or "defaults",
    "; clock: instructions (icount), 1 ms = 1M instructions"
    if os.environ.get("CLOCK", "wall") == "icount" else ""))
print("median (min-max) of %d rounds; recovery: one run each" %
      max([runs[k]["round"] for k in order] or [0]))
cols = configs + recov
print("%-31s" % "" + "".join("%*s" % (w, c) for c in cols))
for label, key, fmt, scale in rows:
    print("%-31s" % label + "".join("%*s" % (w, cell(c, key, fmt, scale)) for c in cols))
def verified(c):
    v = [runs[k].get("verify", {}) for k in order if runs[k]["config"] == c]
    if not v:
        return "-"
    return "%d, %d bad" % (sum(x.get("pages", 0) for x in v),
                           sum(x.get("bad", 0) for x in v) +
                           sum(1 for x in v if "bad" not in x))


def vcpu_bt(c):
    v = [runs[k]["stats"].get("postcopy-vcpu-blocktime") for k in order
         if runs[k]["config"] == c and runs[k].get("result") == "ok"]
    v = [x for x in v if x]
    if not v:
        return "-"
    # Per vCPU, the median over the rounds.
    return "/".join("%d" % statistics.median(x[i] for x in v)
                    for i in range(min(len(x) for x in v)))


print("%-31s" % "postcopy-vcpu-blocktime (ms)" + "".join("%*s" % (w, vcpu_bt(c)) for c in cols))
print("%-31s" % "pages verified after, all runs" + "".join("%*s" % (w, verified(c)) for c in cols))
print("results: %s.json" % prefix)

# The guest's throughput over time, round 1 of each configuration, with
# t = 0 at migrate-start-postcopy.
dat = prefix + ".dat"
blocks = []
with open(dat, "w") as fo:
    for c in configs:
        k = "%s:1" % c
        if k not in runs or "postcopy" not in runs[k]["events"]:
            continue
        t0 = runs[k]["events"]["postcopy"]
        fo.write("# %s\n" % c)
        for x in runs[k]["samples"]:
            fo.write("%.2f %.1f\n" % (x["t"] - t0, x["mib_s"]))
        fo.write("\n\n")
        blocks.append(c)
if blocks:
    plots = ", ".join("'%s' index %d using 1:2 with lines lw 2 title '%s'" % (dat, i, c)
                      for i, c in enumerate(blocks))
    gp = """set terminal pngcairo size 1000,500 noenhanced
set output '%s.png'
set title 'Guest workload during QEMU post-copy, %s (t = 0: migrate-start-postcopy)'
set xlabel 'seconds'
set ylabel 'MiB/s of pages updated'
set grid
plot %s
""" % (prefix, arch, plots)
    for term in (gp, gp.replace("pngcairo", "png").replace(" noenhanced", "")):
        try:
            subprocess.run(["gnuplot"], input=term.encode(), check=True,
                           stderr=subprocess.DEVNULL)
            print("plot: %s.png" % prefix)
            break
        except (OSError, subprocess.CalledProcessError):
            continue
    else:
        print("gnuplot failed: no %s.png" % prefix)

for key in order:
    for n in runs[key]["notes"][:3]:
        print("%s: %s" % (key, n))
    # A failed run's QEMU threads: name, wchan, kernel stack.
    for n in runs[key].get("stacks", []):
        print("%s: thread %s" % (key, n))
if bad:
    print("demo FAILED: " + "; ".join(bad))
    print("console: " + log)
    sys.exit(1)
