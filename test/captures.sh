#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Classifies the project's own captures (test/captures/, made by
# test/tools/mkcaptures.sh) with `peergatectl classify --json` and checks
# every flow's system and feature against test/captures/expected.tsv.
# Needs neither root nor ../shared.
# Usage: captures.sh BUILD_DIR SRC_DIR
set -u
build=${1:?usage: captures.sh BUILD_DIR SRC_DIR}
src=${2:?usage: captures.sh BUILD_DIR SRC_DIR}
dir="$src/test/captures"
py=python3
[ -x /usr/bin/python3 ] && py=/usr/bin/python3
exec "$py" - "$build/peergatectl" "$dir" <<'PY'
import json, os, subprocess, sys
ctl, d = sys.argv[1], sys.argv[2]
want = {}
for line in open(os.path.join(d, "expected.tsv")):
    if line.startswith("#") or not line.strip():
        continue
    cap, l4, port, system, feature = line.rstrip("\n").split("\t")
    want.setdefault(cap, []).append((l4, int(port), system, feature))
passed = failed = 0
for cap in sorted(want):
    out = subprocess.run([ctl, "classify", "--json", os.path.join(d, cap)],
                         capture_output=True, text=True)
    if out.returncode != 0:
        print("FAIL %s: peergatectl classify exited %d: %s" % (cap, out.returncode, out.stderr.strip()))
        failed += 1
        continue
    got = [json.loads(l) for l in out.stdout.splitlines() if l.startswith("{")]
    got = [(r["l4"], int(r["server"].rsplit(":", 1)[1]), r["system"], r["feature"]) for r in got]
    for i, w in enumerate(want[cap]):
        g = got[i] if i < len(got) else None
        if g == w:
            passed += 1
        else:
            failed += 1
            print("FAIL %s flow %d: want %s/%s on %s/%d, got %s" % (cap, i, w[2], w[3], w[0], w[1],
                  "%s/%s on %s/%d" % (g[2], g[3], g[0], g[1]) if g else "no flow"))
    if len(got) > len(want[cap]):
        failed += 1
        print("FAIL %s: %d flows, expected %d" % (cap, len(got), len(want[cap])))
print("captures: %d passed, %d failed" % (passed, failed))
sys.exit(1 if failed else 0)
PY
