#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# peergatectl classify from standard input and from a live interface:
#   1. `classify -` over a capture piped in prints what `classify FILE`
#      prints for the same capture (text and --json, with a policy);
#   2. `classify -i IFACE --json` (audit mode) on a veth between two private
#      network namespaces reports a real BitTorrent handshake over TCP as
#      bittorrent with the policy's action (block), and a DHT ping over UDP,
#      without stopping them (the handshake reaches the server whole), and
#      ends after --count frames;
#   3. --duration ends a run with no traffic, with the summary printed;
#      SIGINT ends a run with the summary printed.
# Arguments: BUILD_DIR SRC_DIR.  Parts 2-3 skip without root.
set -u
build=$(cd "$1" && pwd)
src=$(cd "$2" && pwd)
ctl=$build/peergatectl
if [ -z "${PG_PY:-}" ]; then
	if [ -x /usr/bin/python3 ]; then PG_PY=/usr/bin/python3; else PG_PY=python3; fi
fi
work=$(mktemp -d /tmp/pgclive.XXXXXX)
na=pgcla$$
nb=pgclb$$
pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	ip netns del "$na" 2>/dev/null
	ip netns del "$nb" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT
passed=0 failed=0
pass() { echo "ok: $*"; passed=$((passed + 1)); }
fail() { echo "FAIL: $*"; failed=$((failed + 1)); }
finish() {
	echo "classify_live: $passed passed, $failed failed"
	[ "$failed" = 0 ]
	exit $?
}

# 1. standard input
cap=$src/test/captures/bittorrent_peer_dht_tracker.pcap
policy=$src/policy/policy.ini
"$ctl" classify --policy "$policy" "$cap" | sed "s|$cap|-|" >"$work/file.txt"
"$ctl" classify --policy "$policy" - <"$cap" >"$work/stdin.txt"
"$ctl" classify --json --policy "$policy" "$cap" | sed "s|\"file\":\"$cap\"|\"file\":\"-\"|" >"$work/file.json"
cat "$cap" | "$ctl" classify --json --policy "$policy" - >"$work/stdin.json"
if [ -s "$work/stdin.json" ] && cmp -s "$work/file.txt" "$work/stdin.txt" &&
	cmp -s "$work/file.json" "$work/stdin.json" &&
	grep -q '"system":"bittorrent"' "$work/stdin.json"; then
	pass "classify - reads the capture from stdin: the same $(wc -l <"$work/stdin.json") flows as from the file (text and --json)"
else
	fail "classify - differs from classify FILE: $(diff "$work/file.txt" "$work/stdin.txt" | head -5)"
fi
if ! "$ctl" classify - </dev/null >/dev/null 2>"$work/empty.err" && [ -s "$work/empty.err" ]; then
	pass "classify - with an empty stdin fails with a message: $(head -1 "$work/empty.err")"
else
	fail "classify - with an empty stdin: no error"
fi

if [ "$(id -u)" -ne 0 ] || ! ip netns add "pgclprobe$$" 2>/dev/null; then
	echo "SKIP: not root or no network namespaces: classify -i not tested"
	finish
fi
ip netns del "pgclprobe$$"

# 2. a veth pair between two namespaces: 10.232.0.1 (a) -- 10.232.0.2 (b)
ip netns add "$na" && ip netns add "$nb" &&
	ip -n "$na" link add va type veth peer name vb netns "$nb" &&
	ip -n "$na" addr add 10.232.0.1/24 dev va && ip -n "$nb" addr add 10.232.0.2/24 dev vb &&
	ip -n "$na" link set va up && ip -n "$nb" link set vb up &&
	ip -n "$na" link set lo up && ip -n "$nb" link set lo up ||
	{ fail "cannot build the namespaces"; finish; }

# the server: takes one TCP connection and writes what it read, and reads
# UDP; BitTorrent's handshake is 68 bytes
ip netns exec "$nb" "$PG_PY" -c '
import socket, sys
t = socket.socket(); t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
t.bind(("10.232.0.2", 40001)); t.listen(1)
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(("10.232.0.2", 40002))
print("listening", flush=True)
c, _ = t.accept(); c.settimeout(5)
got = b""
while len(got) < 68:
    b = c.recv(4096)
    if not b: break
    got += b
c.sendall(got[:68])
print("tcp", len(got), flush=True)
' >"$work/server.log" 2>&1 &
pids+=($!)
for _ in $(seq 50); do grep -q listening "$work/server.log" && break; sleep 0.1; done

printf '[bittorrent]\nall = block\n' >"$work/block.ini"
ip netns exec "$na" "$ctl" classify --json --policy "$work/block.ini" -i va --count 200 \
	>"$work/live.json" 2>"$work/live.err" &
live=$!
pids+=($live)
for _ in $(seq 50); do grep -q 'classifying live traffic' "$work/live.err" && break; sleep 0.1; done
# give libpcap's ring a moment after activation
sleep 0.3
ip netns exec "$na" "$PG_PY" -c '
import socket
hs = b"\x13BitTorrent protocol" + bytes(8) + bytes(range(20)) + b"-PG0001-" + bytes(range(12))
s = socket.create_connection(("10.232.0.2", 40001), timeout=5)
s.sendall(hs)
back = b""
while len(back) < 68:
    b = s.recv(4096)
    if not b: break
    back += b
print("echo", len(back))
s.close()
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.sendto(b"d1:ad2:id20:" + bytes(range(20)) + b"e1:q4:ping1:t2:aa1:y1:qe", ("10.232.0.2", 40002))
' >"$work/client.log" 2>&1
# enough frames to end the run: UDP datagrams to a closed port (each
# also brings an ICMP error back)
ip netns exec "$na" "$PG_PY" -c '
import socket
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(400):
    u.sendto(b"x", ("10.232.0.2", 9))
' >/dev/null 2>&1
for _ in $(seq 100); do kill -0 "$live" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$live" 2>/dev/null; then
	fail "classify -i --count 200 still running after 10 s"
	kill -INT "$live"
fi
wait "$live"
rc=$?
if [ "$rc" = 0 ] && grep -q '"interface":"va".*"server":"10.232.0.2:40001".*"system":"bittorrent".*"decided":true.*"action":"block"' "$work/live.json"; then
	pass "classify -i: the TCP handshake is reported live: $(grep -m1 '10.232.0.2:40001' "$work/live.json" | cut -c1-160)..."
else
	fail "classify -i (exit $rc): no decided bittorrent flow to :40001 with action block: $(cat "$work/live.json" "$work/live.err" | head -5)"
fi
if grep -q '"server":"10.232.0.2:40002".*"system":"bittorrent"' "$work/live.json"; then
	pass "classify -i: the UDP DHT ping is reported as bittorrent"
else
	fail "classify -i: no bittorrent flow to :40002"
fi
if grep -q 'echo 68' "$work/client.log"; then
	pass "classify -i enforces nothing: the blocked class's handshake went through whole"
else
	fail "the handshake did not go through: $(cat "$work/client.log" "$work/server.log")"
fi

# 3. --duration with no traffic; SIGINT
ip netns exec "$na" timeout 10 "$ctl" classify -i va --duration 1 >"$work/dur.txt" 2>"$work/dur.err"
rc=$?
if [ "$rc" = 0 ] && grep -q '^va: [0-9]* frames' "$work/dur.txt" && grep -q 'per-system summary' "$work/dur.txt"; then
	pass "classify -i --duration 1 ends by itself with the summary: $(grep '^va:' "$work/dur.txt")"
else
	fail "classify -i --duration 1: exit $rc: $(cat "$work/dur.txt" "$work/dur.err" | head -3)"
fi
ip netns exec "$na" "$ctl" classify -i va >"$work/int.txt" 2>"$work/int.err" &
p=$!
pids+=($p)
for _ in $(seq 50); do grep -q 'classifying live traffic' "$work/int.err" && break; sleep 0.1; done
kill -INT "$p"
for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
wait "$p"
rc=$?
if [ "$rc" = 0 ] && grep -q 'per-system summary' "$work/int.txt"; then
	pass "classify -i ends on SIGINT (exit 0) with the summary"
else
	fail "classify -i on SIGINT: exit $rc: $(cat "$work/int.txt" "$work/int.err" | head -3)"
fi
if ! "$ctl" classify -i va "$cap" >/dev/null 2>&1 && ! "$ctl" classify --count 3 "$cap" >/dev/null 2>&1; then
	pass "-i with a file, and --count without -i, are usage errors"
else
	fail "-i with a file or --count without -i accepted"
fi
finish
