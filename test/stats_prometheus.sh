#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# `peergatectl stats --prometheus` and `stats --watch`, against a running
# peergated in a private network namespace (hooks = output, traffic over
# loopback: a BitTorrent handshake that is blocked and a DHT ping that is
# logged, so that counters are non-zero and carry labels):
#   1. A strict parser of the Prometheus text exposition format (written
#      here: metric and label name syntax, HELP and TYPE before a family's
#      samples and at most once, families not split, counters named *_total
#      and never negative, label value escapes, float syntax, no duplicate
#      series) accepts the output; the parser itself rejects a set of
#      broken documents.  The content: peergate_ prefix, flows per
#      system/feature/action as stats --json has them, the table's state,
#      and the policy path label (a directory named with a quote and a
#      backslash) escaped and read back exactly.
#   2. stats --watch 1 into a pipe prints two frames within 5 s, without
#      escape sequences, the second with rates, and exits 0 on SIGINT; a
#      bad SECONDS is a usage error (2).
# Arguments: BUILD_DIR SRC_DIR.  Skips (77) without root.
set -u
if [ "$(id -u)" -ne 0 ] || ! command -v nft >/dev/null 2>&1; then
	echo "SKIP: needs root and nft (peergated in a network namespace)"
	exit 77
fi
. "${2:?usage: stats_prometheus.sh BUILD_DIR SRC_DIR}/test/lib/e2e.sh"
pg_e2e_begin stats_prometheus "$1" "$2"
pg_e2e_ns1 pgprom
ns=$R

# The label escapes get something to do: " and \ in the policy's path.
pdir="$work/we\"ird\\dir"
mkdir -p "$pdir"
policy="$pdir/policy.ini"
printf '[engine]\nhooks = output\nfail = open\n[bittorrent]\ndownload = block\nnetwork = log\nports = no\n' \
	>"$policy"
pg_e2e_daemon "$work/daemon.log" --policy "$policy" --state ''

pg_spawn "$ns" /dev/null "$PG_PY" "$src/test/tools/longflow.py" server 7001
sleep 0.3
ip netns exec "$ns" "$PG_PY" "$src/test/tools/longflow.py" client 127.0.0.1 7001 bittorrent 0.3 2 \
	>"$work/bt.json"
ip netns exec "$ns" "$PG_PY" -c 'import socket
m = b"d1:ad2:id20:" + bytes(range(20)) + b"e1:q4:ping1:t2:aa1:y1:qe"
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.sendto(m, ("127.0.0.1", 40000))'
grep -q '"end": "done"' "$work/bt.json" && fail "the BitTorrent flow was not blocked: $(cat "$work/bt.json")"

pg_e2e_ctl stats --prometheus >"$work/metrics.txt" || fail "stats --prometheus failed"
pg_e2e_ctl stats --json >"$work/stats.json" || fail "stats --json failed"

cat >"$work/prom.py" <<'PY'
import json, re, sys

NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*\Z")
LABEL = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*\Z")
FLOAT = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?\Z|[+-]?Inf\Z|NaN\Z")
TYPES = {"counter", "gauge", "histogram", "summary", "untyped"}


class Bad(Exception):
    pass


def parse_labels(s, i, lineno):
    """Parses {a="b",...} from s[i] == '{'; returns (labels, index after '}')."""
    labels = {}
    i += 1
    while True:
        if s.startswith("}", i):
            return labels, i + 1
        m = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*").match(s, i)
        if not m:
            raise Bad("line %d: bad label name at %r" % (lineno, s[i:i + 20]))
        name = m.group(0)
        if name.startswith("__"):
            raise Bad("line %d: reserved label name %s" % (lineno, name))
        if name in labels:
            raise Bad("line %d: label %s twice" % (lineno, name))
        i = m.end()
        if not s.startswith('="', i):
            raise Bad("line %d: label %s without =\"" % (lineno, name))
        i += 2
        val = []
        while True:
            if i >= len(s):
                raise Bad("line %d: unterminated label value" % lineno)
            c = s[i]
            if c == "\\":
                if i + 1 >= len(s) or s[i + 1] not in '\\"n':
                    raise Bad("line %d: bad escape in label value" % lineno)
                val.append({"\\": "\\", '"': '"', "n": "\n"}[s[i + 1]])
                i += 2
            elif c == '"':
                i += 1
                break
            elif c == "\n":
                raise Bad("line %d: raw newline in label value" % lineno)
            else:
                val.append(c)
                i += 1
        labels[name] = "".join(val)
        if s.startswith(",", i):
            i += 1
            if s.startswith("}", i):      # a trailing comma is allowed
                return labels, i + 1
        elif not s.startswith("}", i):
            raise Bad("line %d: expected , or } after label %s" % (lineno, name))


def parse(text):
    """Returns {family: {"type", "help", "samples": [(name, labels, value)]}}."""
    if text and not text.endswith("\n"):
        raise Bad("the last line has no newline")
    fams, order, series = {}, [], set()
    current = None
    for lineno, line in enumerate(text.split("\n")[:-1], 1):
        if line == "":
            raise Bad("line %d: empty line" % lineno)
        if line.startswith("#"):
            parts = line.split(" ", 3)
            if len(parts) >= 3 and parts[1] in ("HELP", "TYPE"):
                kind, name = parts[1], parts[2]
                if not NAME.match(name):
                    raise Bad("line %d: bad metric name %r" % (lineno, name))
                f = fams.setdefault(name, {"type": None, "help": None, "samples": []})
                if f["samples"]:
                    raise Bad("line %d: %s of %s after its samples" % (lineno, kind, name))
                if name != current and name in order:
                    raise Bad("line %d: family %s split" % (lineno, name))
                if name not in order:
                    order.append(name)
                current = name
                if kind == "HELP":
                    if f["help"] is not None:
                        raise Bad("line %d: second HELP for %s" % (lineno, name))
                    help_ = parts[3] if len(parts) > 3 else ""
                    if re.search(r"\\[^\\n]|\\$", help_):
                        raise Bad("line %d: bad escape in HELP" % lineno)
                    f["help"] = help_
                else:
                    if f["type"] is not None:
                        raise Bad("line %d: second TYPE for %s" % (lineno, name))
                    if len(parts) != 4 or parts[3] not in TYPES:
                        raise Bad("line %d: bad TYPE line" % lineno)
                    f["type"] = parts[3]
            continue
        m = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*").match(line)
        if not m:
            raise Bad("line %d: bad metric name" % lineno)
        name, i = m.group(0), m.end()
        labels = {}
        if line.startswith("{", i):
            labels, i = parse_labels(line, i, lineno)
        if not line.startswith(" ", i):
            raise Bad("line %d: no space before the value" % lineno)
        rest = line[i + 1:].split(" ")
        if len(rest) not in (1, 2) or not FLOAT.match(rest[0]):
            raise Bad("line %d: bad value %r" % (lineno, line[i + 1:]))
        if len(rest) == 2 and not re.match(r"-?\d+\Z", rest[1]):
            raise Bad("line %d: bad timestamp" % lineno)
        fam = name
        if fam not in fams:
            raise Bad("line %d: sample of %s without HELP and TYPE before it" % (lineno, name))
        f = fams[fam]
        if fam != current:
            raise Bad("line %d: family %s split" % (lineno, fam))
        if f["type"] is None or f["help"] is None:
            raise Bad("line %d: %s lacks HELP or TYPE" % (lineno, fam))
        value = float(rest[0])
        if f["type"] == "counter":
            if not fam.endswith("_total"):
                raise Bad("line %d: counter %s does not end in _total" % (lineno, fam))
            if value < 0 or value != value:
                raise Bad("line %d: counter %s is %s" % (lineno, fam, rest[0]))
        key = (name, tuple(sorted(labels.items())))
        if key in series:
            raise Bad("line %d: duplicate series %s%s" % (lineno, name, labels))
        series.add(key)
        f["samples"].append((name, labels, value))
    return fams


def selftest():
    """The parser refuses what it must: each of these documents is broken."""
    good = '# HELP a_total x\n# TYPE a_total counter\na_total{l="v"} 1\n'
    parse(good)
    broken = {
        "sample before TYPE": "a_total 1\n# HELP a_total x\n# TYPE a_total counter\n",
        "counter without _total": "# HELP a x\n# TYPE a counter\na 1\n",
        "bad escape": '# HELP a_total x\n# TYPE a_total counter\na_total{l="\\q"} 1\n',
        "unescaped quote": '# HELP a_total x\n# TYPE a_total counter\na_total{l="a"b"} 1\n',
        "duplicate series": good + 'a_total{l="v"} 2\n',
        "split family": good + "# HELP b x\n# TYPE b gauge\nb 1\n" + 'a_total{l="w"} 1\n',
        "bad value": "# HELP a x\n# TYPE a gauge\na 1,5\n",
        "bad name": "# HELP 1a x\n# TYPE 1a gauge\n1a 1\n",
        "bad label name": '# HELP a x\n# TYPE a gauge\na{1l="v"} 1\n',
        "negative counter": "# HELP a_total x\n# TYPE a_total counter\na_total -1\n",
        "second TYPE": "# HELP a x\n# TYPE a gauge\n# TYPE a gauge\na 1\n",
        "no newline at end": "# HELP a x\n# TYPE a gauge\na 1",
    }
    bad = []
    for what, doc in broken.items():
        try:
            parse(doc)
            bad.append(what)
        except Bad:
            pass
    return bad


def main():
    metrics, stats, policy = sys.argv[1], sys.argv[2], sys.argv[3]
    errors = ["the parser accepts a document with: " + w for w in selftest()]
    try:
        fams = parse(open(metrics).read())
    except Bad as e:
        print("FAIL: exposition format: %s" % e)
        return 1
    d = json.load(open(stats))
    samples = [s for f in fams.values() for s in f["samples"]]
    for name in fams:
        if not name.startswith("peergate_"):
            errors.append("%s has no peergate_ prefix" % name)
    def get(name, **labels):
        return [v for n, l, v in samples if n == name and all(l.get(k) == x for k, x in labels.items())]
    # flows per class and action, exactly as the taxonomy names them in stats --json
    flows = fams.get("peergate_flows_total", {"samples": []})["samples"]
    if any(set(l) != {"system", "feature", "action"} for _, l, _ in flows):
        errors.append("peergate_flows_total labels are not system, feature, action")
    if {(l["system"], l["feature"]) for _, l, _ in flows} != {(r["system"], r["feature"]) for r in d["verdicts"]}:
        errors.append("peergate_flows_total classes differ from stats --json")
    for r in d["verdicts"]:
        got = {a: get("peergate_flows_total", system=r["system"], feature=r["feature"], action=a)
               for a in ("block", "log", "allow")}
        want = {"block": r["flows_dropped"], "log": r["flows_logged"],
                "allow": r["flows"] - r["flows_dropped"] - r["flows_logged"]}
        if any(got[a] != [want[a]] for a in want):
            errors.append("flows of %s/%s: %s, stats --json says %s" % (r["system"], r["feature"], got, want))
    if get("peergate_flows_total", system="bittorrent", feature="download", action="block") < [1]:
        errors.append("no blocked bittorrent/download flow counted")
    if get("peergate_flows_total", system="bittorrent", feature="network", action="log") < [1]:
        errors.append("no logged bittorrent/network flow counted")
    if get("peergate_packets_total", system="bittorrent", feature="download", verdict="drop") < [1]:
        errors.append("no dropped bittorrent/download packet counted")
    # read just before stats --json: at least one packet, at most as many
    queued = get("peergate_engine_queued_total")
    if len(queued) != 1 or not 1 <= queued[0] <= d["engine"]["queued"]:
        errors.append("peergate_engine_queued_total %s, stats --json then %d" % (queued, d["engine"]["queued"]))
    if fams.get("peergate_engine_flows_tracked", {}).get("type") != "gauge":
        errors.append("peergate_engine_flows_tracked is not a gauge")
    for name in ("peergate_table_present", "peergate_table_reapplied_total",
                 "peergate_kernel_packets_total", "peergate_uptime_seconds"):
        if name not in fams:
            errors.append("%s missing" % name)
    if get("peergate_table_present") != [1]:
        errors.append("peergate_table_present is %s with the table in place" % get("peergate_table_present"))
    counters = {l.get("counter") for n, l, _ in samples if n == "peergate_kernel_packets_total"}
    if "blocked4" not in counters:
        errors.append("kernel counter blocked4 missing: %s" % sorted(counters))
    info = [l for n, l, _ in samples if n == "peergate_info"]
    if not info or info[0].get("policy") != policy:
        errors.append("peergate_info policy label %r, want %r" % (info and info[0].get("policy"), policy))
    for e in errors:
        print("FAIL: " + e)
    if not errors:
        print("ok: exposition format: %d families, %d samples, %d with labels; parser refuses "
              "all 12 broken documents; policy path %r read back exactly" % (
                  len(fams), len(samples), sum(1 for s in samples if s[1]), policy))
    return 1 if errors else 0


sys.exit(main())
PY
"$PG_PY" "$work/prom.py" "$work/metrics.txt" "$work/stats.json" "$policy" || {
	failures=$((failures + 1))
	head -40 "$work/metrics.txt"
}

# 2. --watch into a pipe: two frames, rates, no escapes, SIGINT ends it
ip netns exec "$ns" "$build/peergatectl" stats --watch 1 --socket "$sock" >"$work/watch.out" 2>&1 &
watch=$!
for _ in $(seq 50); do
	[ "$(grep -c '^peergate stats at' "$work/watch.out")" -ge 2 ] && break
	sleep 0.1
done
kill -INT "$watch"
rc=0
wait "$watch" || rc=$?
frames=$(grep -c '^peergate stats at' "$work/watch.out")
if [ "$frames" -lt 2 ]; then
	fail "--watch 1: $frames frame(s) within 5 s"
elif [ "$rc" != 0 ]; then
	fail "--watch: exit $rc on SIGINT"
elif grep -q $'\033' "$work/watch.out"; then
	fail "--watch into a pipe wrote escape sequences"
elif ! grep -q '^bittorrent *download .*/s' "$work/watch.out"; then
	fail "--watch: no rates in the second frame"
	cat "$work/watch.out"
else
	pass "--watch 1: $frames frames within 5 s, rates, no escapes, exit 0 on SIGINT"
fi
rc=0
pg_e2e_ctl stats --watch 0 >/dev/null 2>&1 || rc=$?
[ "$rc" = 2 ] || fail "stats --watch 0: exit $rc (want 2)"
rc=0
pg_e2e_ctl stats --prometheus --json >/dev/null 2>&1 || rc=$?
[ "$rc" = 2 ] || fail "stats --prometheus --json: exit $rc (want 2)"

kill -TERM "$daemon"
rc=0
wait "$daemon" || rc=$?
daemon=
[ "$rc" = 0 ] || fail "peergated exited $rc on SIGTERM"
# an ASan+UBSan build reports into the logs
if grep -l 'Sanitizer\|runtime error' "$work/daemon.log" "$work/watch.out"; then
	fail "sanitizer report"
	grep -h -A5 'Sanitizer\|runtime error' "$work/daemon.log" "$work/watch.out" | head -20
fi

pg_e2e_finish
