#!/usr/bin/env bash
# Hostile packets through a client | router | server namespace router with
# peergated in the middle (the real kernel path: conntrack, the table, the
# queue):
#   1. Segments that conntrack calls INVALID (bad checksum, SYN+FIN, far
#      outside the window) in a flow the daemon already decided, under an
#      allow-all and under a blocking policy: each is queued at most twice
#      (no NF_REPEAT loop), the flow's verdict applies to it, the queue
#      drains, the control socket answers, and SIGTERM stops the daemon.
#   2. The same segments with no flow behind them go by the fail policy
#      (fail = closed: dropped, counted).
#   3. IPv6 with long extension-header chains: a blocked BitTorrent DHT
#      datagram behind 12 destination-options headers is inspected and
#      dropped; behind 40 (past the parser's limit) the fail policy decides
#      (closed: dropped; open: accepted and counted).  The same datagrams
#      reach the server under an allow-all, fail-open policy, so the path
#      itself works.
# Arguments: BUILD_DIR SRC_DIR.  Skips (77) without root or scapy.
set -u
. "${2:?usage: e2e_hostile.sh BUILD_DIR SRC_DIR}/test/lib/e2e.sh"
pg_e2e_begin e2e_hostile "$1" "$2"
"$PG_PY" -c 'import scapy.all' 2>/dev/null || { echo "SKIP: python3-scapy is not installed"; exit 77; }
pg_e2e_netns pghs
hostile="$src/test/tools/hostile.py"
rmac=$(ip -n "$R" -br link show vc | awk '{print $3}')
# stat KEY: one number from `stats --json` (engine counters)
stat() { pg_e2e_ctl stats --json | "$PG_PY" -c 'import json,sys; print(json.load(sys.stdin)["engine"][sys.argv[1]])' "$1"; }

systems="aim icq msn yahoo fasttrack gnutella proxy bittorrent edonkey dc xmpp irc telegram whatsapp signal teams skype tor qq soulseek manolito ares"
{ printf '[engine]\nfail = closed\n'; for s in $systems; do printf '[%s]\nall = allow\n' "$s"; done; } >"$work/allow.ini"
sed 's/^fail = closed/fail = open/' "$work/allow.ini" >"$work/allow-open.ini"
printf '[engine]\nfail = closed\n[bittorrent]\nall = block\nports = no\n' >"$work/block.ini"
printf '[engine]\nfail = open\n[bittorrent]\nall = block\nports = no\n' >"$work/block-open.ini"

# TCP echo on 8000, and a UDP (v6) receiver on 6881 that logs each datagram's source port
pg_spawn "$S" "$work/echo.log" "$PG_PY" "$src/test/tools/longflow.py" server 8000
pg_wait_listen "$S" 8000
pg_spawn "$S" "$work/udp.log" "$PG_PY" -u -c '
import socket
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.bind(("::", 6881))
while True:
    d, a = s.recvfrom(4096)
    print(a[1], flush=True)'

start_daemon() {
	pg_e2e_daemon_try "$work/daemon-$1.log" --policy "$work/$1.ini" && return 0
	fail "peergated did not start with $1.ini"; cat "$work/daemon-$1.log"
	return 1
}
# Stops the daemon with SIGTERM and checks that it went within 3 s.
stop_daemon() {
	kill -TERM "$daemon" 2>/dev/null
	for _ in $(seq 30); do kill -0 "$daemon" 2>/dev/null || break; sleep 0.1; done
	if kill -0 "$daemon" 2>/dev/null; then
		fail "SIGTERM did not stop peergated within 3 s ($1)"
	else
		pass "SIGTERM stopped peergated ($1)"
	fi
	pg_kill "$daemon" KILL
}
queue_waiting() { pg_in "$R" awk '{s += $3} END {print s + 0}' /proc/net/netfilter/nfnetlink_queue; }

# 1. invalid segments in decided flows
N=20
for policy in allow block; do
	start_daemon "$policy" || continue
	for kind in badsum synfin oow; do
		q0=$(stat queued)
		v0=$(stat invalid_flow_verdict)
		out=$(pg_in "$C" "$PG_PY" "$hostile" invalid "$PG_S4" 8000 "$kind" "$N" "$rmac")
		sleep 1
		q1=$(stat queued)
		v1=$(stat invalid_flow_verdict)
		# the connection's own packets (handshake payload, echo, FIN) plus
		# at most one pass each for the N crafted segments
		extra=$((q1 - q0))
		# Out-of-window segments are INVALID to conntrack only outside
		# the range it ignores; the rest keep their entry and its mark.
		if [ "$extra" -gt $((2 * N + 8)) ]; then
			fail "$policy/$kind: $extra packets queued for $N invalid segments (a loop)"
		elif [ "$kind" != oow ] && [ $((v1 - v0)) -lt 1 ]; then
			fail "$policy/$kind: no invalid segment got its flow's verdict (queued $extra; $out)"
		else
			pass "$policy/$kind: $N invalid segments, $extra queue passes in all, $((v1 - v0)) settled by the flow's verdict"
		fi
		case "$policy/$out" in
		allow/*'"echoed": true'*|block/*'"echoed": false'*) ;;
		*) fail "$policy/$kind: first payload went the wrong way: $out" ;;
		esac
	done
	w=$(queue_waiting)
	[ "$w" = 0 ] && pass "$policy: queue drained" || fail "$policy: $w packets still waiting in the queue"
	if [ "$policy" = allow ]; then
		# 2. no flow behind them: fail = closed drops them
		d0=$(stat invalid_dropped)
		pg_in "$C" "$PG_PY" "$hostile" stray "$PG_S4" 8000 badsum 5 "$rmac" >/dev/null
		pg_in "$C" "$PG_PY" "$hostile" stray "$PG_S4" 8000 synfin 5 "$rmac" >/dev/null
		sleep 0.5
		d1=$(stat invalid_dropped)
		[ $((d1 - d0)) -ge 5 ] && pass "stray invalid segments dropped under fail = closed ($((d1 - d0)))" ||
			fail "stray invalid segments: only $((d1 - d0)) dropped"
	fi
	stop_daemon "$policy"
done

# 3. IPv6 extension-header chains
# Each run sends from its own source ports: a flow accepted in one run
# must not carry its conntrack verdict into the next.
run=0
deep6() { pg_in "$C" "$PG_PY" "$hostile" deep6 "$PG_C6" "$PG_S6" 6881 "$1" "$rmac" "$((41000 + 100 * run + $1))" >/dev/null; }
# what the receiver logged since this run started (it never truncates its log)
got() { tail -n +"$((seen + 1))" "$work/udp.log" | grep -qx "$((41000 + 100 * run + $1))"; }
for policy in allow allow-open block block-open; do
	run=$((run + 1))
	seen=$(wc -l <"$work/udp.log")
	start_daemon "$policy" || continue
	deep6 12
	deep6 40
	sleep 1
	case $policy in
	allow)
		got 12 && pass "allow: a datagram behind 12 extension headers arrives" ||
			fail "allow: the datagram behind 12 extension headers did not arrive (the path is broken)"
		! got 40 && pass "allow, fail = closed: 40 extension headers (past the limit) dropped" ||
			fail "allow, fail = closed: 40 extension headers got through" ;;
	allow-open)
		got 12 && got 40 && pass "allow, fail = open: datagrams behind 12 and 40 extension headers arrive" ||
			fail "allow, fail = open: the deep-chain datagrams did not arrive (the path is broken)" ;;
	block)
		! got 12 && pass "block: BitTorrent behind 12 extension headers inspected and dropped" ||
			fail "block: BitTorrent behind 12 extension headers got through"
		! got 40 && pass "block, fail = closed: 40 extension headers (past the limit) dropped" ||
			fail "block, fail = closed: 40 extension headers got through"
		[ "$(stat uninspectable_dropped)" -ge 1 ] || fail "uninspectable_dropped not counted" ;;
	block-open)
		! got 12 && pass "block, fail = open: BitTorrent behind 12 extension headers dropped" ||
			fail "block, fail = open: BitTorrent behind 12 extension headers got through"
		got 40 && [ "$(stat uninspectable_accepted)" -ge 1 ] &&
			pass "block, fail = open: 40 extension headers accepted uninspected and counted" ||
			fail "block, fail = open: past-the-limit datagram not accepted and counted" ;;
	esac
	stop_daemon "$policy"
done

pg_e2e_finish "$work"/daemon-*.log
