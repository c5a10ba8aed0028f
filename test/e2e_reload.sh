#!/usr/bin/env bash
# Policy reload under traffic, through a client | router | server namespace
# router with peergated in the middle:
#   1. 100 reloads (alternating between two valid policies that both allow
#      BitTorrent and differ in their port sets) while long BitTorrent and
#      plain flows run: every allowed flow is delivered whole, every reload
#      succeeds, no verdict is lost.  Meanwhile numbered UDP datagrams at
#      20,000 a second go through the queue, and not one may be lost: a
#      reload updates the table in place and keeps the base chains, whose
#      hooks hold the queued packets (deleting a hook drops them).
#   2. A reload with an error is refused with FILE:LINE (or naming the
#      [engine] key that needs a restart); the running policy stays in force.
#   3. A reload that blocks bittorrent/download stops the BitTorrent flow
#      that is already open (its conntrack mark is cleared and re-decided),
#      while the plain flow goes on.
# Arguments: BUILD_DIR SRC_DIR.  Skips (77) without root.
set -u
. "${2:?usage: e2e_reload.sh BUILD_DIR SRC_DIR}/test/lib/e2e.sh"
pg_e2e_begin e2e_reload "$1" "$2" pgrl
flow() { pg_in "$PG_NS_CLIENT" "$PG_PY" "$src/test/tools/longflow.py" client "$PG_S4" "$@"; }

# inspect-packets = 255 keeps the flood's flows undecided, so that their
# datagrams keep going through the queue (it cannot change on reload, so
# every policy here has it).  fail = open: what is measured is what a
# reload loses (packets waiting in the queue when a hook goes away are
# dropped whatever the fail policy); a daemon starved of CPU by other jobs
# on the machine fills its queue, and FAIL_OPEN lets those packets pass
# instead of counting them as lost.
cat >"$work/a.ini" <<'INI'
[engine]
fail = open
inspect-packets = 255
[msn]
im = allow
INI
cat >"$work/b.ini" <<'INI'
[engine]
fail = open
inspect-packets = 255
[msn]
im = block
[bittorrent]
network = block
INI
cat >"$work/block.ini" <<'INI'
[engine]
fail = open
inspect-packets = 255
[bittorrent]
download = block
INI
cp "$work/a.ini" "$work/policy.ini"

pg_spawn "$PG_NS_SERVER" "$work/server.log" "$PG_PY" "$src/test/tools/longflow.py" server 6881 7001
pg_wait_listen "$PG_NS_SERVER" 6881 7001
pg_e2e_daemon "$work/daemon.log" --policy "$work/policy.ini"

queued() { pg_e2e_ctl stats --json | "$PG_PY" -c 'import json,sys; print(json.load(sys.stdin)["engine"]["queued"])'; }

# 1. reloads under traffic
# The flood: udpflood numbers its datagrams; 3000 source ports make 3000
# flows of under 255 datagrams each for the first 38 s, all undecided
# (nothing classifies the filler), so every datagram is queued.
pg_spawn "$PG_NS_SERVER" "$work/flood_recv.log" "$build/udpflood" recv "$PG_S4" 47123 1000
flood_recv=$PG_LAST_PID
for _ in $(seq 50); do grep -q listening "$work/flood_recv.log" && break; sleep 0.1; done
grep -q listening "$work/flood_recv.log" || fail "the UDP receiver did not start: $(cat "$work/flood_recv.log")"
queued0=$(queued)
pg_spawn "$PG_NS_CLIENT" "$work/flood_send.log" "$build/udpflood" send "$PG_S4" 47123 20000 3000 120
flood_send=$PG_LAST_PID
flow 6881 bittorrent 12 >"$work/bt1.json" &
bt1=$!
flow 7001 plain 12 >"$work/plain1.json" &
plain1=$!
sleep 1
# One client makes the 100 reload requests over the control socket, the
# request `peergatectl reload` sends (a new process per reload would make
# the loop several times longer, most of all under ASan); parts 2 and 3
# use peergatectl.
read -r ok reload_err < <("$PG_PY" - "$sock" "$work" <<'PY'
import json, shutil, socket, sys, time
sock, work = sys.argv[1], sys.argv[2]
ok, err = 0, ""
for i in range(1, 101):
    shutil.copy("%s/%s.ini" % (work, "a" if i % 2 == 0 else "b"), work + "/policy.ini")
    c = socket.socket(socket.AF_UNIX)
    c.settimeout(10)
    c.connect(sock)
    c.sendall(b"reload\n")
    reply = b""
    while True:
        d = c.recv(65536)
        if not d:
            break
        reply += d
    c.close()
    r = json.loads(reply)
    ok += bool(r["ok"])
    err = err or "; ".join(r["errors"])
    time.sleep(0.05)
print(ok, err)
PY
)
kill -0 "$flood_send" 2>/dev/null || fail "the UDP flood stopped before the reloads did: $(cat "$work/flood_send.log")"
pg_kill "$flood_send"
wait "$flood_recv"
queued1=$(queued)
# queue_dropped (6th field): packets the kernel dropped for a full queue
qdrop=$(pg_in "$R" awk '{d += $6} END {print d + 0}' /proc/net/netfilter/nfnetlink_queue)
wait "$bt1" "$plain1"
[ "$ok" = 100 ] || fail "only ${ok:-0} of 100 reloads succeeded: $reload_err"
"$PG_PY" - "$work/flood_send.log" "$work/flood_recv.log" "$((queued1 - queued0))" "$qdrop" <<'PY' || failures=$((failures + 1))
import json, sys
send = json.loads(open(sys.argv[1]).read().strip().splitlines()[-1])
recv = json.loads(open(sys.argv[2]).read().strip().splitlines()[-1])
queued, qdrop = int(sys.argv[3]), int(sys.argv[4])
lost = send["sent"] - recv["received"]
line = ("UDP at %d/s for %.1f s through 100 reloads: %d sent, %d received, %d lost; "
        "%d packets queued meanwhile" % (send["rate"], send["seconds"], send["sent"],
                                         recv["received"], lost, queued))
bad = []
if lost:
    bad.append("%d datagrams lost (first missing #%d; dropped by a full queue: %d, "
               "by the receiving socket: %d)" % (lost, recv["first_missing"], qdrop,
                                                 recv["rcvbuf_drops"]))
if send["sent"] < 20000:
    bad.append("only %d datagrams sent" % send["sent"])
# Most datagrams must have gone through the queue, or a deleted hook would
# have had nothing to drop and the count proves nothing.
if queued < send["sent"] // 2:
    bad.append("only %d packets queued for %d datagrams" % (queued, send["sent"]))
print(("FAIL: " + line + ": " + ", ".join(bad)) if bad else "ok: " + line)
sys.exit(1 if bad else 0)
PY
for f in bt1 plain1; do
	end=$("$PG_PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["end"], d["sent"], d["echoed"])' "$work/$f.json")
	set -- $end
	if [ "$1" != done ] || [ "$2" != "$3" ] || [ "$2" -lt 100 ]; then
		fail "$f was disturbed by reloads: end=$1 sent=$2 echoed=$3"
	else
		pass "$f delivered whole through 100 reloads ($2 messages)"
	fi
done

# 2. a broken policy is refused; the old one stays
printf '[engine]\nfail = open\n[bittorent]\nall = block\n' >"$work/policy.ini"
if pg_e2e_ctl reload >/dev/null 2>"$work/bad.err"; then
	fail "a policy with an unknown section was accepted"
elif ! grep -q 'policy.ini:3: unknown section \[bittorent\]' "$work/bad.err"; then
	fail "reload error lacks FILE:LINE: $(cat "$work/bad.err")"
else
	pass "broken policy refused: $(head -1 "$work/bad.err")"
fi

# 2b. an [engine] key bound to the running daemon is refused by name
printf '[engine]\nfail = open\ninspect-packets = 255\nmax-flows = 1000\n' >"$work/policy.ini"
if pg_e2e_ctl reload >/dev/null 2>"$work/bad2.err"; then
	fail "a reload changing max-flows was accepted"
elif ! grep -q 'max-flows cannot change on reload' "$work/bad2.err"; then
	fail "max-flows refusal does not name the key: $(cat "$work/bad2.err")"
else
	pass "restart-only key refused: $(head -1 "$work/bad2.err")"
fi

# 3. a newly blocked feature takes effect on an open flow
cp "$work/a.ini" "$work/policy.ini"
pg_e2e_ctl reload >/dev/null || fail "reload back to a.ini failed"
flow 6881 bittorrent 8 >"$work/bt2.json" &
bt2=$!
flow 7001 plain 8 >"$work/plain2.json" &
plain2=$!
sleep 2
cp "$work/block.ini" "$work/policy.ini"
pg_e2e_ctl reload >/dev/null || fail "reload to block.ini failed"
wait "$bt2" "$plain2"
read -r bt_end bt_sent < <("$PG_PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["end"], d["sent"])' "$work/bt2.json")
read -r pl_end pl_sent pl_echo < <("$PG_PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["end"], d["sent"], d["echoed"])' "$work/plain2.json")
if [ "$bt_end" = done ]; then
	fail "the open BitTorrent flow survived a reload that blocks it ($bt_sent messages)"
else
	pass "open BitTorrent flow stopped after the reload ($bt_end after $bt_sent messages)"
fi
[ "$pl_end" = done ] && [ "$pl_sent" = "$pl_echo" ] || fail "plain flow disturbed: $pl_end $pl_sent/$pl_echo"

# counters: every queued packet got exactly one verdict
pg_e2e_ctl stats --json >"$work/stats.json" || fail "stats failed"
"$PG_PY" - "$work/stats.json" <<'PY' || failures=$((failures + 1))
import json, sys
s = json.load(open(sys.argv[1]))
e = s["engine"]
bad = []
if e["verdict_errors"]: bad.append("verdict_errors=%d" % e["verdict_errors"])
if e["queued"] != e["verdicts"]: bad.append("queued %d != verdicts %d" % (e["queued"], e["verdicts"]))
if e["reloads"] < 104: bad.append("reloads=%d" % e["reloads"])
if e["reload_failures"] != 2: bad.append("reload_failures=%d (expected 2)" % e["reload_failures"])
if e["ct_marks_cleared"] < 1: bad.append("no ct mark was cleared")
bt = [v for v in s["verdicts"] if v["system"] == "bittorrent"]
if not any(v["packets_dropped"] for v in bt): bad.append("no bittorrent packet dropped")
print("FAIL: " + ", ".join(bad) if bad else
      "ok: queued=%d verdicts=%d reloads=%d ct_marks_cleared=%d" % (e["queued"], e["verdicts"], e["reloads"], e["ct_marks_cleared"]))
sys.exit(1 if bad else 0)
PY
pg_kill "$daemon"
pg_e2e_finish
