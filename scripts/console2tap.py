#!/usr/bin/env python3
"""Turn the console log of a scripts/run-tests.sh boot into TAP 13.

One TAP line per test of the list, in list order: exit status 0 is ok, 4 is
skip, anything else (including a timeout or a test that never ran) is not ok.
A kernel WARNING/BUG/Oops/lockdep/panic report, or a KASAN, KCSAN or UBSAN
one, fails the test that was running when it was printed, or adds a failing
'boot' line if none was. A report whose first line is listed in the --known
file (tests/sanitize-known.txt) only adds a TAP comment under the test.
"""
import argparse
import re
import sys

# Kernel messages carry a printk timestamp (CONFIG_PRINTK_TIME), which keeps
# test output that merely mentions these words from matching.
KERNEL_REPORT = re.compile(
    r"\[\s*\d+\.\d+\]\s*(?:\[\s*[CT]\d+\]\s*)?"
    r"(WARNING:.*|BUG:.*|Oops.*|Kernel panic.*|.*KASAN.*|UBSAN:.*|"
    r"Unable to handle kernel.*|general protection fault.*|"
    r"Internal error:.*)")
START = re.compile(r"@@TEST-START (\d+) (.*)")
END = re.compile(r"@@TEST-END (\d+) rc=(\S+) secs=(\d+)")


def list_tests(path):
    tests = []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line or line[0] in "#@!":
                continue
            secs, _, cmd = line.partition(" ")
            tests.append(cmd.strip())
    return tests


def known_reports(path):
    """First lines of known reports: the unindented, uncommented lines."""
    known = set()
    if path:
        with open(path) as f:
            for line in f:
                if line.strip() and line[0] not in "# \t":
                    known.add(line.strip())
    return known


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("log")
    ap.add_argument("listfile")
    ap.add_argument("boot", help="boot name, e.g. x86_64-tdp")
    ap.add_argument("--vm-status", default="",
                    help="set if the VM timed out or crashed")
    ap.add_argument("--known", default="",
                    help="file of known reports (tests/sanitize-known.txt)")
    args = ap.parse_args()
    known = known_reports(args.known)
    seen_known = {}

    tests = list_tests(args.listfile)
    rc = {}
    secs = {}
    reports = {}
    current = 0
    with open(args.log, errors="replace") as f:
        for raw in f:
            line = raw.rstrip("\r\n")
            m = START.search(line)
            if m:
                current = int(m.group(1))
                continue
            m = END.search(line)
            if m:
                n = int(m.group(1))
                rc[n] = m.group(2)
                secs[n] = m.group(3)
                current = 0
                continue
            m = KERNEL_REPORT.search(line)
            if m:
                report = m.group(1).strip()
                if report in known:
                    seen_known.setdefault(current, []).append(report)
                else:
                    reports.setdefault(current, report[:120])

    out = ["TAP version 13", "1..%d" % (len(tests) + (1 if 0 in reports else 0))]
    for i, cmd in enumerate(tests, 1):
        name = "%s: %s" % (args.boot, cmd)
        r = rc.get(i)
        if i in reports:
            out.append("not ok %d - %s # kernel report: %s" %
                       (i, name, reports[i]))
        elif r is None:
            why = args.vm_status or "VM ended before it"
            out.append("not ok %d - %s # not run: %s" % (i, name, why))
        elif r == "0":
            out.append("ok %d - %s # %ss" % (i, name, secs[i]))
        elif r == "4":
            out.append("ok %d - %s # SKIP" % (i, name))
        elif r == "timeout":
            out.append("not ok %d - %s # timeout after %ss" %
                       (i, name, secs[i]))
        else:
            out.append("not ok %d - %s # exit status %s" % (i, name, r))
        for report in sorted(set(seen_known.get(i, []))):
            out.append("  # known kernel report: %s" % report)
    for report in sorted(set(seen_known.get(0, []))):
        out.append("# known kernel report outside any test: %s" % report)
    if 0 in reports:
        out.append("not ok %d - %s: boot # kernel report outside any test: %s"
                   % (len(tests) + 1, args.boot, reports[0]))
    print("\n".join(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
