#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# End-to-end: segment evasion, through a client | router | server namespace
# router with peergated inline ([bittorrent] all = block, ports = no, so the
# daemon and not a port set must stop it; fail = closed).
#
#   a. a BitTorrent handshake sent over a real TCP connection in 1-, 2- and
#      5-byte segments never reaches the server whole (the server records
#      every byte it receives; "\x13BitTorrent protocol" must never be among
#      them), while other bytes sent the same way arrive whole, byte-exact
#   b. overlapping segments (a raw-packet client): the handshake sent after
#      other bytes for the same place that the server discards (bad TCP
#      checksum), or that the server replaces (out of order, fully covered:
#      Linux keeps the last bytes), never reaches the server: the gateway
#      drops segments that contradict bytes it has read
#   c. after a flood of 5000 one-segment half-open flows (more than the 4096
#      inspection slots; raw packets from the client), the same as a: the
#      handshakes are still stopped, the other bytes still arrive (the idle
#      flood flows give their slots up, so new flows are not starved for
#      the whole TCP timeout), and `peergatectl stats` shows the flows that
#      found no slot and the slots reclaimed
#   d. one verdict per queued packet, no verdict errors
#
# Needs root (skips with 77 otherwise).  Usage: e2e_segments.sh BUILD_DIR SRC_DIR
set -u
. "${2:?usage: e2e_segments.sh BUILD_DIR SRC_DIR}/test/lib/e2e.sh"
pg_e2e_begin e2e_segments "$1" "$2"
tool="$src/test/tools/segsend.py"

# inspect-idle is short so that the test need not wait long for the flood's
# slots; what is tested is that they are given up at all.
cat >"$work/policy.ini" <<'EOF'
[engine]
fail = closed
inspect-idle = 3
[bittorrent]
all = block
ports = no
EOF
"$build/peergated" --check --policy "$work/policy.ini" >/dev/null 2>"$work/check.err" ||
	{ echo "FAIL: peergated --check refuses the policy:"; cat "$work/check.err"; exit 1; }

# A handshake as a BitTorrent client sends it (BEP 3): the protocol name,
# reserved bytes, info hash, peer id.
handshake=13426974546f7272656e742070726f746f636f6c0000000000100005
handshake+=d2e53fb603652d991991b6ad2357a7a28f8d9bb42d7142343235302d6b7a5f31394e2e7121763c4d
protocol_name=13426974546f7272656e742070726f746f636f6c
# other bytes of the same length: a line of text
other=$(printf 'segmented but harmless text, sixty-eight bytes long, sent in bits.\n' | od -An -tx1 | tr -d ' \n')

pg_e2e_netns pgsg
echo "namespaces: $C | $R | $S"

mkdir "$work/recv"
pg_spawn "$S" "$work/server.log" "$PG_PY" "$tool" server 8000 "$work/recv"
pg_wait_listen "$S" 8000
[ -x "$(command -v conntrack)" ] && pg_in "$R" conntrack -F >/dev/null 2>&1
pg_e2e_daemon "$work/daemon.log" --policy "$work/policy.ini"

# stats_num KEY: one number of the engine's stats
stats_num() {
	pg_e2e_ctl stats --json |
		"$PG_PY" -c 'import json,sys; print(json.load(sys.stdin)["engine"][sys.argv[1]])' "$1"
}

# send LABEL SERVER SIZE HEX TIMEOUT: one connection; sets sent_port, sent_status
send() {
	local out
	out=$(pg_in "$C" "$PG_PY" "$tool" send "$2" 8000 "$3" "$4" --timeout "$5")
	sent_port=${out%% *}
	sent_status=${out##* }
}

# received PORT: what the server got from client port PORT, as hex
received() {
	[ -f "$work/recv/$1.bin" ] && od -An -tx1 -v "$work/recv/$1.bin" | tr -d ' \n'
}

# handshakes LABEL SERVER: the handshake in 1-, 2- and 5-byte segments
handshakes() {
	local size got
	for size in 1 2 5; do
		send "$1" "$2" "$size" "$handshake" 15
		got=$(received "$sent_port")
		if [[ "$got" == *"$protocol_name"* ]]; then
			fail "$1: the handshake in $size-byte segments reached the server (${#got} hex digits, client $sent_status)"
		elif [ -z "$sent_port" ] || [ "$sent_port" = 0 ]; then
			fail "$1: no connection for the $size-byte handshake ($sent_status)"
		else
			pass "$1: handshake in $size-byte segments stopped ($sent_status; the server got $((${#got} / 2)) of 68 bytes)"
		fi
	done
}

# control LABEL SERVER: other bytes in 1-byte segments arrive byte-exact
control() {
	send "$1" "$2" 1 "$other" 30
	if [ "$(received "$sent_port")" = "$other" ]; then
		pass "$1: other bytes in 1-byte segments arrived whole ($sent_status)"
	else
		fail "$1: other bytes in 1-byte segments did not arrive whole ($sent_status, server got '$(received "$sent_port")')"
	fi
}

# --- a -----------------------------------------------------------------------

handshakes "a" 10.231.2.5
control "a" 10.231.2.5
n=$(stats_num starved_packets)
[ "$n" = 0 ] && pass "a: no packet starved before the flood" ||
	fail "a: $n packets starved without a flood"

# --- b -----------------------------------------------------------------------

# the raw-packet client's connections are not the client kernel's: keep it
# from resetting them (in the client namespace only)
pg_in "$C" nft -f - <<'EOF'
table inet pgsg {
	chain out {
		type filter hook output priority 0;
		tcp sport 45000-45009 tcp flags rst drop
	}
}
EOF
sport=45000
for mode in insert replace; do
	out=$(pg_in "$C" "$PG_PY" "$tool" overlap "$PG_C4" 10.231.2.7 8000 "$sport" "$mode" "$handshake" 2>&1)
	got=$(received "$sport")
	if [ "$out" != "$sport sent" ]; then
		fail "b: the $mode connection failed: $out"
	elif [[ "$got" == *"$protocol_name"* ]]; then
		fail "b: the handshake after overlapping other bytes ($mode) reached the server"
	else
		pass "b: handshake after overlapping other bytes ($mode) stopped (the server got $((${#got} / 2)) bytes)"
	fi
	sport=$((sport + 1))
done
n=$(stats_num conflicts_dropped)
[ "$n" -ge 2 ] && pass "b: $n contradicting segments dropped" ||
	fail "b: only $n contradicting segments dropped"

# --- c -----------------------------------------------------------------------

created_before=$(stats_num flows_created)
t0=$(date +%s%N)
pg_in "$C" "$PG_PY" "$tool" flood "$PG_C4" "$PG_S4_ALL" 80 5000 ||
	fail "c: the flood could not be sent"
echo "      flood of 5000 one-segment flows sent in $((($(date +%s%N) - t0) / 1000000)) ms"
# The daemon has read the flood once its 5000 flows are in its table (a
# slow build takes a while; a packet the kernel dropped at a full queue
# never arrives, which the accounting below allows for).
for _ in $(seq 300); do
	[ "$(stats_num flows_created)" -ge $((created_before + 5000)) ] && break
	sleep 0.1
done
# queue_dropped + user_dropped of the router's queues: packets the kernel
# could not hand to the daemon
kernel_dropped=$(pg_in "$R" cat /proc/net/netfilter/nfnetlink_queue 2>/dev/null |
	awk '{ n += $6 + $7 } END { print n + 0 }')
used=$(stats_num inspect_slots_used)
[ "$used" = "$(stats_num inspect_slots)" ] &&
	pass "c: the flood holds every inspection slot ($used)" ||
	fail "c: the flood holds $used of $(stats_num inspect_slots) slots"
handshakes "c" 10.231.2.6
control "c" 10.231.2.6

pg_e2e_ctl stats --json >"$work/stats.json"
pg_e2e_ctl stats >"$work/stats.txt"
"$PG_PY" - "$work/stats.json" "$kernel_dropped" <<'EOF' && pass "c: stats show the slot shortage" || fail "c: stats do not show the slot shortage"
import json, sys
e = json.load(open(sys.argv[1]))["engine"]
kernel_dropped = int(sys.argv[2])
keys = ("inspect_slots", "inspect_slots_used", "slot_reclaims", "starved_flows",
        "starved_packets", "starved_dropped", "starved_accepted")
print("      " + ", ".join("%s %d" % (k, e[k]) for k in keys) +
      ", kernel queue drops %d" % kernel_dropped)
ok = e["inspect_slots"] == 4096
# every flood flow beyond the pool either found no slot or took an idle
# one, unless the kernel never handed its one packet over
ok &= e["starved_flows"] + e["slot_reclaims"] + kernel_dropped >= 5000 - 4096
# and the flows after it could only get through on reclaimed slots
ok &= e["slot_reclaims"] >= 1
# fail = closed: what was starved was dropped, nothing accepted
ok &= e["starved_packets"] >= 1 and e["starved_dropped"] == e["starved_packets"]
ok &= e["starved_accepted"] == 0
sys.exit(0 if ok else 1)
EOF
grep -q '^inspection slots: [0-9]* of 4096 in use, [1-9][0-9]* reclaimed' "$work/stats.txt" &&
	pass "c: the stats table has the inspection line ($(grep '^inspection slots' "$work/stats.txt"))" ||
	{ fail "c: no inspection line in the stats table"; cat "$work/stats.txt"; }

# --- d -----------------------------------------------------------------------

"$PG_PY" - "$work/stats.json" <<'EOF' && pass "d: one verdict per queued packet, no verdict errors" || fail "d: verdicts do not match the queued packets"
import json, sys
e = json.load(open(sys.argv[1]))["engine"]
print("      queued %d, verdicts %d, verdict_errors %d" % (e["queued"], e["verdicts"], e["verdict_errors"]))
sys.exit(0 if e["queued"] == e["verdicts"] and e["verdict_errors"] == 0 else 1)
EOF
bad=$(grep -l "$(printf '\x13BitTorrent protocol')" "$work"/recv/*.bin 2>/dev/null)
[ -z "$bad" ] && pass "no connection delivered the protocol name to the server" ||
	fail "the server received the protocol name on: $bad"

kill -TERM "$daemon" 2>/dev/null
rc=0
wait "$daemon" || rc=$?
[ "$rc" = 0 ] && ! grep -q 'runtime error\|Sanitizer' "$work/daemon.log" &&
	pass "peergated exited 0 on SIGTERM, no sanitizer report" ||
	fail "peergated exited $rc on SIGTERM or reported a sanitizer error"
pg_e2e_finish
