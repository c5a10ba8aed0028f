#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The daemon's log, through the client | router | server namespace router,
# with the daemon's messages on stderr (--log-target stderr):
#   1. a blocked BitTorrent handshake over TCP on a port no port set covers
#      gives exactly one flow line, with its action, class, method,
#      confidence and both endpoints;
#   2. with log-rate = 5, thirty blocked DHT flows in a burst give at most
#      the bucket's lines (5, plus what refilled while they were sent); the
#      others are counted (stats log.flow_suppressed) and a warning says
#      how many were suppressed; log.flow_lines equals the flow lines
#      written;
#   3. the port sets log their drops: every port-set drop rule is preceded
#      by a `limit rate 5/second ... log prefix "peergate port set SET
#      drop: "` rule (nft list), and a SYN to BitTorrent's port 6881 is
#      dropped by the set (its counter moves) and, when the kernel log can
#      be read (dmesg; net.netfilter.nf_log_all_netns set to 1 for the
#      test, then restored), logged with the set's prefix;
#   4. the event file (event-log) holds one JSON object per decided flow
#      (the blocked TCP flow with its action and class), and after it is
#      moved away, SIGHUP makes the daemon write a new one.
# Arguments: BUILD_DIR SRC_DIR.  Skips without root.
set -u
. "${2:?usage: e2e_log.sh BUILD_DIR SRC_DIR}/test/lib/e2e.sh"
pg_e2e_begin e2e_log "$1" "$2" pglog
printf '[engine]\nfail = open\nlog-rate = 5\nevent-log = %s\n[bittorrent]\nall = block\n' \
	"$work/events.json" >"$work/policy.ini"
pg_e2e_daemon_try "$work/daemon.log" --policy "$work/policy.ini" --state '' --log-target stderr ||
	{ fail "the daemon did not start"; pg_e2e_finish; }
stat_log() {
	pg_e2e_ctl stats --json |
		"$PG_PY" -c 'import json,sys; print(json.load(sys.stdin)["log"][sys.argv[1]])' "$1"
}
# flow lines to a server port, in the daemon's log
flow_lines() { grep -c "peergated: flow action=block .* server=$PG_S4:$1\$" "$work/daemon.log"; }

# 1. one blocked TCP flow -> one line (the port is in no port set)
pg_spawn "$S" "$work/server.log" "$PG_PY" -c '
import socket
t = socket.socket(); t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
t.bind(("0.0.0.0", 40001)); t.listen(8)
print("listening", flush=True)
while True:
    c, _ = t.accept()
    try:
        c.recv(4096)
    except OSError:
        pass
    c.close()
'
for _ in $(seq 50); do grep -q listening "$work/server.log" && break; sleep 0.1; done
pg_in "$C" "$PG_PY" -c '
import socket
hs = b"\x13BitTorrent protocol" + bytes(8) + bytes(range(20)) + b"-PG0001-" + bytes(range(12))
s = socket.create_connection(("'"$PG_S4"'", 40001), timeout=3)
s.sendall(hs)
try:
    print("answer", len(s.recv(4096)))
except OSError as e:
    print("stopped", e)
' >"$work/client.log" 2>&1
for _ in $(seq 50); do [ "$(flow_lines 40001)" -ge 1 ] && break; sleep 0.1; done
sleep 0.5   # a second line, if any, would come with the flow's later packets
line=$(grep "server=$PG_S4:40001\$" "$work/daemon.log")
if [ "$(flow_lines 40001)" = 1 ] &&
	[[ $line == *"flow action=block class=bittorrent/download method=payload confidence="*" l4=tcp client=$PG_C4:"*" server=$PG_S4:40001" ]]; then
	pass "one line for the blocked TCP flow: ${line#peergated: }"
else
	fail "blocked TCP flow: $(flow_lines 40001) lines: $line ($(cat "$work/client.log"))"
fi

# 2. a burst of blocked flows against log-rate = 5
sup0=$(stat_log flow_suppressed)
pg_in "$C" "$PG_PY" -c '
import socket
m = b"d1:ad2:id20:" + bytes(range(20)) + b"e1:q4:ping1:t2:aa1:y1:qe"
socks = []
for i in range(30):
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.sendto(m, ("'"$PG_S4"'", 40002))
    socks.append(u)
'
for _ in $(seq 50); do
	n=$(flow_lines 40002)
	sup=$(( $(stat_log flow_suppressed) - sup0 ))
	[ $((n + sup)) -ge 30 ] && grep -q 'flow lines suppressed' "$work/daemon.log" && break
	sleep 0.1
done
if [ "$n" -ge 1 ] && [ "$n" -le 10 ] && [ $((n + sup)) = 30 ]; then
	pass "30 blocked DHT flows at log-rate 5: $n lines written, $sup suppressed and counted"
else
	fail "30 blocked DHT flows at log-rate 5: $n lines, $sup suppressed (want 1..10 and a sum of 30)"
fi
if report=$(grep -m1 'flow lines suppressed' "$work/daemon.log"); then
	pass "suppression reported: ${report#peergated: }"
else
	fail "no 'flow lines suppressed' warning within 5 s"
fi
written=$(grep -c 'peergated: flow action=' "$work/daemon.log")
if [ "$(stat_log flow_lines)" = "$written" ]; then
	pass "stats log.flow_lines = $written, the flow lines on stderr"
else
	fail "stats log.flow_lines $(stat_log flow_lines), but $written lines on stderr"
fi

# 3. port sets: the log rules (in chain port_blocks), and a drop logged
pg_in "$R" nft list chain inet peergate port_blocks >"$work/chain.txt" 2>/dev/null
sets=$(grep -Ec '^\s*(tcp|udp) dport @[a-z0-9_]+ counter name "[a-z0-9_]+" drop' "$work/chain.txt")
# nft leaves out a burst of 5, its default
logs=$(grep -Ec 'limit rate 5/second( burst 5 packets)? log prefix "peergate port set [a-z0-9_]* drop: "' "$work/chain.txt")
if [ "$sets" -ge 1 ] && [ "$sets" = "$logs" ] &&
	grep -B1 'tcp dport @bittorrent_download_tcp counter name' "$work/chain.txt" |
	grep -Eq 'tcp dport @bittorrent_download_tcp limit rate 5/second( burst 5 packets)? log prefix "peergate port set bittorrent_download_tcp drop: "'; then
	pass "nft list: each of the $sets port-set drop rules has a rate-limited log rule before it"
else
	fail "port-set log rules: $sets drop rules, $logs log rules: $(grep bittorrent_download_tcp "$work/chain.txt")"
fi
old_all_netns=$(sysctl -n net.netfilter.nf_log_all_netns 2>/dev/null || echo)
kernel_log=false
if [ -n "$old_all_netns" ] && dmesg >/dev/null 2>&1; then
	kernel_log=true
	PG_CLEANUP_HOOKS+=("sysctl -qw net.netfilter.nf_log_all_netns=$old_all_netns")
	sysctl -qw net.netfilter.nf_log_all_netns=1
fi
# A source port of this run's own: tests running alongside may log drops
# between the same addresses to 6881, and the ring buffer may drop old
# lines, so a count of lines matching addresses alone can stay level.
sport=$((20000 + RANDOM % 40000))
pattern="peergate port set bittorrent_download_tcp drop: .*SRC=$PG_C4 DST=$PG_S4 .*SPT=$sport DPT=6881"
before=$(dmesg 2>/dev/null | grep -c "$pattern")
counter() {
	pg_e2e_ctl stats --json | "$PG_PY" -c '
import json, sys
for c in json.load(sys.stdin)["kernel"]["counters"]:
    if c["name"] == "bittorrent_download_tcp":
        print(c["packets"])' 
}
c0=$(counter)
pg_in "$C" "$PG_PY" -c '
import socket
try:
    socket.create_connection(("'"$PG_S4"'", 6881), timeout=1, source_address=("", '"$sport"'))
except OSError:
    pass
'
c1=$(counter)
if [ "$c1" -gt "$c0" ]; then
	pass "the SYN to :6881 was dropped by the port set (counter $c0 -> $c1)"
else
	fail "port set counter did not move ($c0 -> $c1)"
fi
if $kernel_log; then
	for _ in $(seq 20); do
		[ "$(dmesg | grep -c "$pattern")" -gt "$before" ] && break
		sleep 0.1
	done
	if [ "$(dmesg | grep -c "$pattern")" -gt "$before" ]; then
		pass "the kernel logged the drop: $(dmesg | grep "$pattern" | tail -1 | cut -c1-150)..."
	else
		fail "no kernel log line matching '$pattern'"
	fi
	sysctl -qw net.netfilter.nf_log_all_netns="$old_all_netns"
else
	echo "note: the kernel log cannot be read here (dmesg or nf_log_all_netns): only the rules are checked"
fi
if ! grep -q "flow action=.*server=$PG_S4:6881" "$work/daemon.log"; then
	pass "the port-set drop never reached the daemon (no flow line for :6881)"
else
	fail "a flow line for :6881: the port set did not drop it first"
fi

# 4. the event file, and its reopening on SIGHUP
events_check() {	# FILE PORT: the objects are JSON; prints the flows to PORT
	"$PG_PY" - "$1" "$PG_S4:$2" <<'PY'
import json, sys
n = 0
for line in open(sys.argv[1]):
    o = json.loads(line)
    if o["server"] == sys.argv[2]:
        n += 1
        last = o
print(n, "%s %s/%s %s" % (last["action"], last["system"], last["feature"], last["method"]) if n else "")
PY
}
got=$(events_check "$work/events.json" 40001 2>&1)
total=$(wc -l <"$work/events.json")
if [ "$got" = "1 block bittorrent/download payload" ] && [ "$total" -ge 31 ]; then
	pass "event file: $total JSON objects (every decided flow, not rate-limited), one for the blocked TCP flow"
else
	fail "event file: '$got', $total lines"
fi
mv "$work/events.json" "$work/events.json.1"
kill -HUP "$daemon"
for _ in $(seq 50); do [ "$(grep -c 'reloaded' "$work/daemon.log")" -ge 1 ] && break; sleep 0.1; done
pg_in "$C" "$PG_PY" -c '
import socket
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.sendto(b"d1:ad2:id20:" + bytes(range(20)) + b"e1:q4:ping1:t2:aa1:y1:qe", ("'"$PG_S4"'", 40003))
'
for _ in $(seq 50); do [ -s "$work/events.json" ] && break; sleep 0.1; done
if [ -s "$work/events.json" ] && [ "$(events_check "$work/events.json" 40003)" = "1 block bittorrent/network payload" ] &&
	[ "$(events_check "$work/events.json.1" 40003)" = "0 " ]; then
	pass "after SIGHUP the event file is written anew (the moved file keeps the older flows)"
else
	fail "no new event file after SIGHUP: $(ls "$work")"
fi
pg_kill "$daemon"
if grep -q 'peergated: stopping' "$work/daemon.log" && ! grep -q 'runtime error\|Sanitizer' "$work/daemon.log"; then
	pass "the daemon stopped cleanly (no sanitizer report)"
else
	fail "daemon exit: $(grep -m3 'runtime error\|Sanitizer\|stopping' "$work/daemon.log")"
fi
pg_e2e_finish
