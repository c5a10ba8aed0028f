#!/usr/bin/env python3
"""Checks classify results on the shared corpus against test/corpus/*.tsv.

files.tsv: one line per capture: file, expect, also, note
  expect = a system name  -> at least one flow of that system
         = clean          -> no IM/P2P system in any flow
         = gap:REASON     -> a known gap: reported, never fails the test
  also   = comma-separated IM/P2P systems that may appear besides the label
           ('-' for none); any other IM/P2P system in the file is a failure.
flows.tsv: file, l4, server (addr:port as printed), system, feature ('*' = any)
  -> that flow must be classified so.
"""
import json
import subprocess
import sys
from pathlib import Path

POLICED = {"aim", "icq", "msn", "yahoo", "fasttrack", "gnutella", "proxy",
           "bittorrent", "edonkey", "dc", "xmpp", "irc", "telegram",
           "whatsapp", "signal", "teams", "skype", "tor"}
# systems with payload detectors added after the first list (issue 12)
POLICED |= {"qq", "soulseek", "manolito", "ares"}
# systems defined in data files (policy/systems.d)
POLICED |= {"discord", "google_chat", "imo", "kakaotalk", "line", "snapchat",
            "threema", "viber", "wechat"}


def read_tsv(path):
    rows = []
    for line in Path(path).read_text().splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        rows.append(line.split("\t"))
    return rows


def classify(ctl, path):
    p = subprocess.run([ctl, "classify", "--json", str(path)],
                       capture_output=True, text=True)
    flows = []
    for line in p.stdout.splitlines():
        flows.append(json.loads(line))
    return p.returncode, p.stderr.strip(), flows


def main():
    ctl, corpus, expdir = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
    files = {r[0]: r for r in read_tsv(expdir / "files.tsv")}
    flow_rows = read_tsv(expdir / "flows.tsv")
    manifest = [r for r in read_tsv(corpus / "MANIFEST.tsv") if r[0] != "file"]

    failures, gaps = [], []
    labelled_ok = labelled_total = negative_ok = negative_total = 0
    results = {}
    for row in manifest:
        name, label = row[0], row[1]
        rc, err, flows = classify(ctl, corpus / name)
        results[name] = flows
        if rc != 0:
            failures.append(f"{name}: classify exited {rc}: {err}")
            continue
        seen = {f["system"] for f in flows} & POLICED
        exp = files.get(name)
        if exp is None:
            failures.append(f"{name}: not listed in test/corpus/files.tsv "
                            f"(label {label}, saw {sorted(seen) or 'nothing'})")
            continue
        expect, also = exp[1], set(filter(None, exp[2].split(","))) - {"-"}
        if expect.startswith("gap"):
            gaps.append(f"{name} [{label}]: {expect[4:]} (saw {', '.join(sorted(seen)) or 'no IM/P2P'})")
            continue
        if expect == "clean":
            negative_total += 1
            if seen:
                bad = [f"{f['client']}->{f['server']} {f['system']}/{f['feature']} ({f['method']})"
                       for f in flows if f["system"] in POLICED]
                failures.append(f"{name}: negative capture shows {', '.join(bad[:5])}")
            else:
                negative_ok += 1
            continue
        labelled_total += 1
        if expect not in seen:
            failures.append(f"{name}: label {expect} not detected (saw {sorted(seen) or 'nothing'})")
        else:
            labelled_ok += 1
        extra = seen - {expect} - also
        if extra:
            bad = [f"{f['client']}->{f['server']} {f['system']}/{f['feature']} ({f['method']})"
                   for f in flows if f["system"] in extra]
            failures.append(f"{name}: unexpected systems {sorted(extra)}: {', '.join(bad[:5])}")

    flow_ok = 0
    for r in flow_rows:
        name, l4, server, system, feature = r[:5]
        cands = [f for f in results.get(name, []) if f["l4"] == l4 and f["server"] == server]
        good = [f for f in cands if f["system"] == system and feature in ("*", f["feature"])]
        if good:
            flow_ok += 1
        else:
            got = ", ".join(f"{f['system']}/{f['feature']}" for f in cands) or "no such flow"
            failures.append(f"{name}: flow {l4} {server} expected {system}/{feature}, got {got}")

    print("known gaps (not failures):")
    for g in gaps:
        print("  " + g)
    print("failures:")
    for f in failures:
        print("  " + f)
    print(f"labelled files detected {labelled_ok}/{labelled_total}, "
          f"negative files clean {negative_ok}/{negative_total}, "
          f"flow expectations met {flow_ok}/{len(flow_rows)}, known gaps {len(gaps)}")
    total = labelled_total + negative_total + len(flow_rows)
    print(f"corpus: {total - len(failures)} passed, {len(failures)} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
