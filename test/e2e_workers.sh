#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# End-to-end: peergated with `queue = 0-3` (four workers) on the namespace
# router, several client addresses (IPv4 and IPv6):
#   a. every queue is served by its own worker: stats --json has four
#      workers, alive, each with packets queued; all connections complete
#   b. both directions of a flow reach one worker (the kernel's flow hash is
#      symmetric): every connection is listed once, on one queue, and the
#      connections of each family spread over all four queues
#   c. a blocked system (BitTorrent) is blocked on whatever queue it lands
#   d. cross-worker DNS: an answer read on one queue names the hosts of
#      flows that land on other queues; those flows are classed by the host
#   e. cross-worker expectations: IRC DCC offers read on one queue class
#      the announced flows on other queues by correlation
#   f. stuck control clients (silent, one byte every 0.9 s, a flows answer
#      never read) while new connections keep completing and other clients
#      get answers; then 25 reloads in a loop with traffic, no connection
#      failing.  Bounded waits only; the worst round trip is printed.
# Needs root (skips with 77 otherwise).  Usage: e2e_workers.sh BUILD_DIR SRC_DIR
set -u
. "${2:?usage: e2e_workers.sh BUILD_DIR SRC_DIR}/test/lib/e2e.sh"
pg_e2e_begin e2e_workers "$1" "$2" pgw
ctl="$build/peergatectl"
tool="$src/test/tools/workers.py"
py() { "$PG_PY" "$@"; }
# More client addresses: the queue is a hash of the address pair.
C4S=$PG_C4 C6S=$PG_C6
for i in 3 4 5 6; do
	ip -n "$C" addr add "10.231.1.$i/24" dev eth0
	ip -n "$C" addr add "fd00:231:1::$i/64" dev eth0 nodad
	C4S="$C4S,10.231.1.$i" C6S="$C6S,fd00:231:1::$i"
done
# The DNS answers and DCC offers name the last eight server addresses; the
# traffic of part f goes to the first eight (the others are blocked then).
LEARN4=$(echo "$PG_S4_ALL" | cut -d, -f9-16) LEARN6=$(echo "$PG_S6_ALL" | cut -d, -f9-16)
PLAIN=$(echo "$PG_S4_ALL" | cut -d, -f1-8),$(echo "$PG_S6_ALL" | cut -d, -f1-8)

cat >"$work/policy.ini" <<'EOF'
[engine]
queue = 0-3
fail = open
[bittorrent]
all = block
[aim]
all = block
[irc]
im = allow
file-transfer = block
EOF

pg_spawn "$S" "$work/server.log" "$PG_PY" "$tool" server "$LEARN4" "$LEARN6"
pg_e2e_daemon "$work/daemon.log" --policy "$work/policy.ini" --state ''
for _ in $(seq 100); do grep -q ready "$work/server.log" && break; sleep 0.1; done

stats() { timeout 10 "$ctl" stats --json --socket "$sock" >"$1" 2>"$work/ctl.err"; }
flows() { timeout 20 "$ctl" flows --json --socket "$sock" >"$1" 2>"$work/ctl.err"; }

# --- a, b: plain connections from every client address to every server one
pg_in "$C" "$PG_PY" "$tool" connect 7000 'hello\n' "$C4S" "$PG_S4_ALL" >"$work/conn4.jsonl"
pg_in "$C" "$PG_PY" "$tool" connect 7000 'hello\n' "$C6S" "$PG_S6_ALL" >"$work/conn6.jsonl"
stats "$work/stats-a.json" && flows "$work/flows-a.jsonl" || fail "stats/flows did not answer"
py - "$work" <<'PY' || failures=$((failures + 1))
import json, sys
w = sys.argv[1]
bad = 0
def check(ok, text):
    global bad
    print(("PASS: " if ok else "FAIL: ") + text)
    bad += 0 if ok else 1
conns = {}
for fam in ("4", "6"):
    rows = [json.loads(l) for l in open(f"{w}/conn{fam}.jsonl")]
    conns[fam] = rows
    failed = [r for r in rows if not r["ok"]]
    check(rows and not failed, f"IPv{fam}: {len(rows) - len(failed)}/{len(rows)} connections through four workers completed")
st = json.load(open(f"{w}/stats-a.json"))
ws = st.get("workers", [])
check(sorted(x["queue"] for x in ws) == [0, 1, 2, 3] and all(x["alive"] for x in ws),
      "stats: four workers, queues 0-3, all alive")
check(all(x["queued"] > 0 for x in ws),
      "every worker inspected packets: queued " + " ".join(f"q{x['queue']}={x['queued']}" for x in ws))
check(st["engine"]["queued"] == sum(x["queued"] for x in ws), "engine.queued is the sum of the workers'")
flows = [json.loads(l) for l in open(f"{w}/flows-a.jsonl") if l.strip()]
def key(f):
    a, b = sorted((f["client"], f["server"]))
    return (f["l4"], a, b)
seen = {}
for f in flows:
    if f["l4"] == "tcp" and f["server"].endswith(":7000"):
        seen.setdefault(key(f), []).append(f["queue"])
dups = {k: v for k, v in seen.items() if len(v) > 1}
check(not dups, f"no connection is tracked on two queues ({len(seen)} listed; both directions of each on one worker)")
total = sum(len(r) for r in conns.values())
check(len(seen) == total, f"every connection listed once: {len(seen)} of {total}")
for fam in ("4", "6"):
    qs = sorted({v[0] for k, v in seen.items() if (k[1].startswith("[")) == (fam == "6")})
    check(qs == [0, 1, 2, 3], f"IPv{fam} connections spread over queues {qs}")
sys.exit(1 if bad else 0)
PY

# --- c: BitTorrent handshakes, blocked on every queue
bt='\x13BitTorrent protocol\x00\x00\x00\x00\x00\x10\x00\x05aaaaaaaaaaaaaaaaaaaabbbbbbbbbbbbbbbbbbbb'
pg_in "$C" "$PG_PY" "$tool" connect 8000 "$bt" "$C4S" "$PG_S4_ALL" >"$work/bt.jsonl"
pg_in "$C" "$PG_PY" "$tool" connect 8000 "$bt" "$C6S" "$PG_S6_ALL" >>"$work/bt.jsonl"
flows "$work/flows-c.jsonl" || fail "flows did not answer"
py - "$work" <<'PY' || failures=$((failures + 1))
import json, sys
w = sys.argv[1]
rows = [json.loads(l) for l in open(f"{w}/bt.jsonl")]
through = [r for r in rows if r["ok"]]
flows = [json.loads(l) for l in open(f"{w}/flows-c.jsonl") if l.strip()]
bt = [f for f in flows if f["server"].endswith(":8000")]
qs = sorted({f["queue"] for f in bt if f["system"] == "bittorrent" and f["action"] == "block"})
other = [f for f in bt if f["system"] != "bittorrent" or f["action"] != "block"]
ok = rows and not through and qs == [0, 1, 2, 3] and not other
print(("PASS: " if ok else "FAIL: ") +
      f"BitTorrent: {len(rows) - len(through)}/{len(rows)} handshakes stopped; blocked on queues {qs}; "
      f"{len(other)} flows not classed bittorrent/block")
for f in other[:5]:
    print("   ", f)
sys.exit(0 if ok else 1)
PY

# --- d: DNS answers on one queue, the named hosts' flows on others
pg_in "$C" "$PG_PY" "$tool" dns "$PG_S4" login.oscar.aol.com A >"$work/dns.txt"
pg_in "$C" "$PG_PY" "$tool" dns "$PG_S6" login.oscar.aol.com AAAA >>"$work/dns.txt"
pg_in "$C" "$PG_PY" "$tool" connect 9000 'x' "$PG_C4" "$LEARN4" >"$work/dnsconn.jsonl"
pg_in "$C" "$PG_PY" "$tool" connect 9000 'x' "$PG_C6" "$LEARN6" >>"$work/dnsconn.jsonl"
# --- e: DCC offers read on the IRC flow's queue, the peer flows on others
pg_in "$C" "$PG_PY" "$tool" irc "$PG_S4" 6667 "$LEARN4" >"$work/irc.txt" 2>&1
pg_in "$C" "$PG_PY" "$tool" connect 47000 'x' "$PG_C4" "$LEARN4" >"$work/dcc.jsonl"
flows "$work/flows-d.jsonl" && stats "$work/stats-d.json" || fail "flows/stats did not answer"
py - "$work" "$PG_S4" "$PG_S6" <<'PY' || failures=$((failures + 1))
import json, sys
w, s4, s6 = sys.argv[1:4]
bad = 0
def check(ok, text):
    global bad
    print(("PASS: " if ok else "FAIL: ") + text)
    bad += 0 if ok else 1
flows = [json.loads(l) for l in open(f"{w}/flows-d.jsonl") if l.strip()]
st = json.load(open(f"{w}/stats-d.json"))
check(st["engine"]["dns_learned"] > 0, f"DNS answers learnt: {st['engine']['dns_learned']}")
for fam, srv in (("4", s4), ("6", "[" + s6 + "]")):
    dq = {f["queue"] for f in flows if f["l4"] == "udp" and f["server"] == f"{srv}:53"}
    peers = [f for f in flows if f["server"].endswith(":9000") and f["server"].startswith("[") == (fam == "6")]
    classed = [f for f in peers if f["system"] == "aim" and f["method"] == "host"]
    cross = [f for f in classed if f["queue"] not in dq]
    check(len(dq) == 1 and len(peers) == 8 and len(classed) == len(peers) and cross,
          f"IPv{fam} DNS: answer on queue {sorted(dq)}; {len(classed)}/{len(peers)} flows to the "
          f"named hosts classed aim by host, {len(cross)} of them on other queues "
          f"({sorted({f['queue'] for f in cross})})")
irc = {f["queue"] for f in flows if f["server"] == f"{s4}:6667"}
dcc = [f for f in flows if f["server"].endswith(":47000")]
corr = [f for f in dcc if f["system"] == "irc" and f["method"] == "correlation"
        and f["feature"] == "file-transfer"]
cross = [f for f in corr if f["queue"] not in irc]
check(len(irc) == 1 and len(dcc) == 8 and len(corr) == len(dcc) and cross,
      f"DCC: offers on queue {sorted(irc)}; {len(corr)}/{len(dcc)} announced flows classed "
      f"irc/file-transfer by correlation, {len(cross)} of them on other queues "
      f"({sorted({f['queue'] for f in cross})})")
rows = [json.loads(l) for l in open(f"{w}/dcc.jsonl")] + [json.loads(l) for l in open(f"{w}/dnsconn.jsonl")]
check(rows and not [r for r in rows if r["ok"]], f"{len(rows)} blocked peer/host flows all stopped")
sys.exit(1 if bad else 0)
PY

# --- f: stuck control clients while traffic flows, then reloads
# Many flows, so that the flows answer is large.
pg_in "$C" "$PG_PY" "$tool" udpflows "$PG_S4" 7000 3000
pg_in "$C" "$PG_PY" "$tool" loop 7000 "$work/stop-stuck" "$C4S,$C6S" "$PLAIN" >"$work/loop-stuck.json" &
loop_pid=$!
"$PG_PY" "$tool" ctl silent "$sock" >"$work/ctl-silent.json" &
s1=$!
"$PG_PY" "$tool" ctl drip "$sock" >"$work/ctl-drip.json" &
s2=$!
"$PG_PY" "$tool" ctl noread "$sock" >"$work/ctl-noread.json" &
s3=$!
sleep 1
answered=0
for _ in $(seq 10); do
	timeout 5 "$ctl" stats --json --socket "$sock" >/dev/null 2>&1 && answered=$((answered + 1))
	sleep 0.5
done
wait "$s1" "$s2" "$s3"
touch "$work/stop-stuck"
wait "$loop_pid"
[ "$answered" = 10 ] && pass "stuck control clients: 10/10 other requests answered (each within 5 s)" ||
	fail "stuck control clients: only $answered/10 other requests answered within 5 s"
py - "$work" <<'PY' || failures=$((failures + 1))
import json, sys
for mode in ("silent", "drip"):
    d = json.load(open(f"{sys.argv[1]}/ctl-{mode}.json"))
    ok = d["closed_after_s"] is not None and "incomplete request" in d["reply"]
    print(("PASS: " if ok else "FAIL: ") + f"{mode} control client: closed by the daemon after "
          f"{d['closed_after_s']} s with: {d['reply'].strip()}")
    if not ok:
        sys.exit(1)
PY
py - "$work/loop-stuck.json" "with three stuck control clients" <<'PY' || failures=$((failures + 1))
import json, sys
d = json.load(open(sys.argv[1]))
ok = d["connections"] > 0 and d["failed"] == 0
print(("PASS: " if ok else "FAIL: ") + f"{sys.argv[2]}: {d['connections']} new connections, "
      f"{d['failed']} failed (each bounded by 5 s); worst round trip {d['worst_ms']} ms")
sys.exit(0 if ok else 1)
PY

pg_in "$C" "$PG_PY" "$tool" loop 7000 "$work/stop-reload" "$C4S,$C6S" "$PLAIN" >"$work/loop-reload.json" &
loop_pid=$!
reloads=0
for i in $(seq 25); do
	# alternate two policies, so that every reload changes something
	if [ $((i % 2)) = 0 ]; then sed -i 's/^im = allow/im = log/' "$work/policy.ini"
	else sed -i 's/^im = log/im = allow/' "$work/policy.ini"; fi
	timeout 10 "$ctl" reload --socket "$sock" >"$work/reload.out" 2>&1 && reloads=$((reloads + 1))
done
touch "$work/stop-reload"
wait "$loop_pid"
[ "$reloads" = 25 ] && pass "25 reloads during traffic all succeeded" ||
	{ fail "only $reloads/25 reloads succeeded"; cat "$work/reload.out"; }
py - "$work/loop-reload.json" "during 25 reloads" <<'PY' || failures=$((failures + 1))
import json, sys
d = json.load(open(sys.argv[1]))
ok = d["connections"] > 0 and d["failed"] == 0
print(("PASS: " if ok else "FAIL: ") + f"{sys.argv[2]}: {d['connections']} new connections, "
      f"{d['failed']} failed (each bounded by 5 s); worst round trip {d['worst_ms']} ms")
sys.exit(0 if ok else 1)
PY
stats "$work/stats-f.json" || fail "stats did not answer at the end"
py - "$work/stats-f.json" <<'PY' || failures=$((failures + 1))
import json, sys
e = json.load(open(sys.argv[1]))["engine"]
ok = e["verdict_errors"] == 0 and e["send_errors"] == 0 and e["queued"] == e["verdicts"] and e["reloads"] >= 25
print(("PASS: " if ok else "FAIL: ") + f"counters: queued {e['queued']} == verdicts {e['verdicts']}, "
      f"verdict_errors {e['verdict_errors']}, send_errors {e['send_errors']}, reloads {e['reloads']}")
sys.exit(0 if ok else 1)
PY

pg_kill "$daemon"
if grep -q "Sanitizer\|runtime error:" "$work/daemon.log"; then
	fail "sanitizer report in the daemon log"
	grep -A20 "Sanitizer\|runtime error:" "$work/daemon.log" | head -60
fi
pg_e2e_finish
