#!/usr/bin/env python3
"""Turn the console log of a scripts/run-tests.sh boot into TAP 13.

One TAP line per test of the list, in list order: exit status 0 is ok, 4 is
skip, anything else (including a timeout or a test that never ran) is not ok.
A kernel WARNING/BUG/Oops/lockdep/panic/KASAN report fails the test that was
running when it was printed, or adds a failing 'boot' line if none was.
"""
import argparse
import re
import sys

# Kernel messages carry a printk timestamp (CONFIG_PRINTK_TIME), which keeps
# test output that merely mentions these words from matching.
KERNEL_REPORT = re.compile(
    r"\[\s*\d+\.\d+\]\s*(?:\[\s*[CT]\d+\]\s*)?"
    r"(WARNING:.*|BUG:.*|Oops.*|Kernel panic.*|.*KASAN.*|"
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


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("log")
    ap.add_argument("listfile")
    ap.add_argument("boot", help="boot name, e.g. x86_64-tdp")
    ap.add_argument("--vm-status", default="",
                    help="set if the VM timed out or crashed")
    args = ap.parse_args()

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
                reports.setdefault(current, m.group(1).strip()[:120])

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
    if 0 in reports:
        out.append("not ok %d - %s: boot # kernel report outside any test: %s"
                   % (len(tests) + 1, args.boot, reports[0]))
    print("\n".join(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
