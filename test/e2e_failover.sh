#!/usr/bin/env bash
# Two routers, one failover: peergate's verdicts survive through conntrackd
# (issue #13), with the configuration shipped in contrib/ha.
#
#   client --- segment lan (bridge) ---+--- rA eth0   rA eth1 ---+--- segment wan --- server
#   10.232.1.2      gateway 10.232.1.1 +--- rB eth0   rB eth1 ---+  gateway 10.232.2.1  10.232.2.2
#                                      rA eth2 ====== rB eth2  (dedicated sync link 10.232.3.0/30)
#
# Both routers run peergated with the same policy (BitTorrent blocked),
# conntrackd (contrib/ha/conntrackd.conf, FTFW over eth2) and keepalived
# (contrib/ha/keepalived.conf; its notify script contrib/ha/notify.sh
# commits conntrackd's external cache on takeover).  Where keepalived cannot
# run, the test moves the gateway addresses itself and runs the same notify
# script.  Before the failover: a long allowed TCP transfer runs, a
# BitTorrent connection has been reset, a DHT flow (every datagram a DHT
# query) and a UDP flow that opened with a DHT query (then bytes no
# detector claims) are dropped.  Then rA is cut off from everything, rB
# takes the gateway addresses, and:
#   - the transfer goes on through rB without a reset, and rB does not
#     inspect it (its replicated accept mark settles it in rB's table);
#   - both UDP flows stay blocked: not one datagram reaches the server after
#     the commit (their replicated drop marks);
#   - new flows are decided by rB (a new BitTorrent connection is reset, a
#     new plain one passes), and `peergatectl stats` on rB shows them.
# The same again without conntrackd shows the difference: the transfer goes
# on only because conntrack picks it up mid-stream (nf_conntrack_tcp_loose)
# and rB inspects it again from the middle; the DHT flow is blocked again
# by rB's own classification; the flow that opened with DHT gets through.
# Arguments: BUILD_DIR SRC_DIR.  Skips (77) without root, conntrack(8),
# conntrackd or keepalived.
set -u
. "${2:?usage: e2e_failover.sh BUILD_DIR SRC_DIR}/test/lib/e2e.sh"
pg_e2e_begin e2e_failover "$1" "$2"
for t in conntrack conntrackd keepalived; do
	command -v "$t" >/dev/null 2>&1 ||
		{ echo "SKIP: '$t' is not installed (Debian packages conntrack, conntrackd, keepalived)"; exit 77; }
done

HA_NS=()
# Every process in our namespaces was started by this test.
ha_drop_namespaces() {
	local ns pid
	for ns in "${HA_NS[@]}"; do
		for pid in $(ip netns pids "$ns" 2>/dev/null); do
			kill -KILL "$pid" 2>/dev/null
		done
		ip netns del "$ns" 2>/dev/null
	done
	HA_NS=()
}
# before the work directory goes
PG_CLEANUP_HOOKS=("ha_drop_namespaces" "${PG_CLEANUP_HOOKS[@]}")

run=
fail() { pg_e2e_fail "[$run] $*"; }
ok() { pg_e2e_pass "[$run] $*"; }
json() { "$PG_PY" -c "import json,sys; d=json.load(open(sys.argv[1])); print($1)" "$2"; }
now() { date +%s.%N; }

LAN=10.232.1 WAN=10.232.2 SYNC=10.232.3
CLIENT=$LAN.2 SERVER=$WAN.2
MASK=0x07000000

cat >"$work/policy.ini" <<'INI'
[engine]
fail = open
[bittorrent]
all = block
INI
install -m 0755 "$src/contrib/ha/notify.sh" "$work/notify.sh"

# ha_topology RUN: the five namespaces (client, rA, rB, server, and x for
# the two segment bridges), addressed and routed through the gateway
# addresses (which nobody holds yet).
ha_topology() {
	local p="pgha$$$1" r
	C=$p-c A=$p-a B=$p-b S=$p-s X=$p-x
	HA_NS+=("$C" "$A" "$B" "$S" "$X")
	for ns in "$C" "$A" "$B" "$S" "$X"; do
		ip netns add "$ns" || return 1
		ip -n "$ns" link set lo up
	done
	ip -n "$X" link add lan type bridge && ip -n "$X" link add wan type bridge || return 1
	ip -n "$X" link add c0 type veth peer name eth0 netns "$C" || return 1
	ip -n "$X" link add s0 type veth peer name eth0 netns "$S" || return 1
	for r in a b; do
		local ns=$A
		[ "$r" = b ] && ns=$B
		ip -n "$X" link add ${r}0 type veth peer name eth0 netns "$ns" || return 1
		ip -n "$X" link add ${r}1 type veth peer name eth1 netns "$ns" || return 1
		ip -n "$X" link set ${r}0 master lan up
		ip -n "$X" link set ${r}1 master wan up
		ip netns exec "$ns" sysctl -qw net.ipv4.ip_forward=1 || return 1
	done
	ip -n "$X" link set c0 master lan up
	ip -n "$X" link set s0 master wan up
	ip -n "$X" link set lan up
	ip -n "$X" link set wan up
	ip -n "$A" link add eth2 type veth peer name eth2 netns "$B" || return 1
	ip -n "$A" addr add $LAN.11/24 dev eth0
	ip -n "$A" addr add $WAN.11/24 dev eth1
	ip -n "$A" addr add $SYNC.1/30 dev eth2
	ip -n "$B" addr add $LAN.12/24 dev eth0
	ip -n "$B" addr add $WAN.12/24 dev eth1
	ip -n "$B" addr add $SYNC.2/30 dev eth2
	for ns in "$A" "$B"; do
		for r in eth0 eth1 eth2; do ip -n "$ns" link set "$r" up; done
	done
	ip -n "$C" addr add $CLIENT/24 dev eth0
	ip -n "$C" link set eth0 up
	ip -n "$C" route add default via $LAN.1
	ip -n "$S" addr add $SERVER/24 dev eth0
	ip -n "$S" link set eth0 up
	ip -n "$S" route add default via $WAN.1
}

# The shipped configurations, with this topology's addresses and paths.
# conntrackd.conf and keepalived.conf are written for router A.
ha_configs() {
	local r=$1 dir=$2
	local addr="s/192\\.0\\.2\\./$LAN./g; s/198\\.51\\.100\\./$WAN./g; s/203\\.0\\.113\\./$SYNC./g"
	local swap=""
	[ "$r" = b ] && swap='s/IPv4_address 203.0.113.1$/IPv4_address 203.0.113.2/;
		s/IPv4_Destination_Address 203.0.113.2$/IPv4_Destination_Address 203.0.113.1/'
	sed -e "$swap" -e "$addr" \
		-e "s|^\\(\\s*LockFile\\) .*|\\1 $dir/ctd-$r.lock|" \
		-e "s|^\\(\\s*Path\\) .*|\\1 $dir/ctd-$r.ctl|" \
		-e "s|^\\(\\s*LogFile\\) .*|\\1 $dir/ctd-$r.log|" \
		-e "s|^\\(\\s*Syslog\\) .*|\\1 off|" \
		"$src/contrib/ha/conntrackd.conf" >"$dir/ctd-$r.conf"
	local prio="" id=""
	[ "$r" = b ] && prio='s/priority 150/priority 100/' id='s/peergate-a/peergate-b/'
	# a shorter advertisement interval: the takeover within two seconds
	# (shorter ones make a loaded machine's backup take over at random)
	sed -e "$addr" -e "$prio" -e "$id" -e 's/advert_int 1$/advert_int 0.5/' \
		-e "s|\"/etc/keepalived/peergate-notify.sh\"|\"$work/notify.sh -C $dir/ctd-$r.conf -L $dir/notify-$r.log\"|" \
		"$src/contrib/ha/keepalived.conf" >"$dir/ka-$r.conf"
}

# ct_line NS PROTO PORT: the conntrack entry with the server's PORT at
# either end of its original tuple (one picked up mid-stream may start
# with the server's packet), or "".
ct_line() {
	pg_in "$1" conntrack -L -p "$2" 2>/dev/null |
		grep -E "(dst=$SERVER sport=[0-9]+ dport=$3|src=$SERVER dst=[0-9.]+ sport=$3) " | head -1
}
code_of_line() {
	local m
	m=$(sed -n 's/.* mark=\([0-9]*\).*/\1/p' <<<"$1")
	[ -n "$m" ] && echo $(((m & MASK) >> 24))
}
# received_after FILE PORT TIME: datagrams the server logged on PORT after TIME.
received_after() {
	awk -v p="$2" -v t="$3" '$3 == p && $1 > t {n++} END {print n + 0}' "$1"
}
wait_for() { # SECONDS CMD...: true once CMD succeeds, polled every 0.1 s
	local n=$(($1 * 10)) i
	shift
	for ((i = 0; i < n; i++)); do
		"$@" && return 0
		sleep 0.1
	done
	return 1
}
has_vip() { ip -n "$1" -4 addr show dev eth0 | grep -q "inet $LAN.1/"; }
# notify_done LOG N: the notify script logged a completed takeover after
# the first N lines of LOG.
notify_done() { tail -n +$(($2 + 1)) "$1" 2>/dev/null | grep -q 'takeover complete'; }
ctl() { local r=$1; shift; pg_in "$r" "$build/peergatectl" "$@"; }

# flow_on NS a|b PORT: that router's peergated's flow (JSON) with the
# server port at either end (a flow picked up mid-stream may have its ends
# the other way round), or "".
flow_on() {
	ctl "$1" flows --json --socket "$dir/pg-$2.sock" 2>/dev/null |
		grep -E "\"(server|client)\":\"$SERVER:$3\"" | head -1
}

# run_once MODE: one failover; MODE conntrackd or none.
run_once() {
	local mode=$1
	run=$mode
	dir=$work/$mode
	mkdir -p "$dir"
	echo "== failover with $([ "$mode" = conntrackd ] && echo "conntrackd replicating rA's table to rB" || echo "conntrackd stopped: no replication")"
	ha_topology "${mode:0:1}" || { fail "cannot build the topology"; return; }
	local r ns
	for r in a b; do
		ns=$A
		[ "$r" = b ] && ns=$B
		ha_configs "$r" "$dir"
		pg_spawn "$ns" "$dir/pg-$r.log" "$build/peergated" --policy "$work/policy.ini" \
			--socket "$dir/pg-$r.sock" --state "$dir/pg-$r.state"
		if [ "$mode" = conntrackd ]; then
			pg_spawn "$ns" "$dir/ctd-$r.out" conntrackd -C "$dir/ctd-$r.conf"
		fi
	done
	for r in a b; do
		ns=$A
		[ "$r" = b ] && ns=$B
		wait_for 5 ctl "$ns" stats --json --socket "$dir/pg-$r.sock" >/dev/null 2>&1 ||
			{ fail "peergated on r${r^^} did not start: $(tail -3 "$dir/pg-$r.log")"; return; }
	done
	# rA starts first, so it wins the first election (and keeps the
	# addresses: nopreempt)
	local movers=keepalived
	if [ "${PG_HA_NO_KEEPALIVED:-}" = 1 ]; then
		movers=manual
	else
		pg_spawn "$A" "$dir/ka-a.out" keepalived -f "$dir/ka-a.conf" -p "$dir/ka-a.pid" \
			-r "$dir/ka-a-vrrp.pid" -c "$dir/ka-a-chk.pid" -P --no-syslog -l -D -n
		if wait_for 8 has_vip "$A"; then
			pg_spawn "$B" "$dir/ka-b.out" keepalived -f "$dir/ka-b.conf" -p "$dir/ka-b.pid" \
				-r "$dir/ka-b-vrrp.pid" -c "$dir/ka-b-chk.pid" -P --no-syslog -l -D -n
			wait_for 5 grep -q 'Entering BACKUP STATE' "$dir/ka-b.out" || movers=manual
		else
			movers=manual
		fi
		if [ "$movers" = manual ]; then
			echo "note: keepalived does not run here ($(tail -2 "$dir/ka-a.out" | tr '\n' ' ')); the test moves the addresses itself"
			ip netns pids "$A" | while read -r p; do grep -q keepalived "/proc/$p/comm" 2>/dev/null && kill "$p"; done
			ip netns pids "$B" | while read -r p; do grep -q keepalived "/proc/$p/comm" 2>/dev/null && kill "$p"; done
		fi
	fi
	if [ "$movers" = manual ]; then
		ip -n "$A" addr add $LAN.1/24 dev eth0
		ip -n "$A" addr add $WAN.1/24 dev eth1
		"$work/notify.sh" -C "$dir/ctd-b.conf" -L "$dir/notify-b.log" GROUP PEERGATE BACKUP 0
	fi
	ok "rA holds the gateway addresses (moved by $movers)"

	pg_spawn "$S" "$dir/server.log" "$PG_PY" "$src/test/tools/longflow.py" server 7001 7002 7003
	pg_wait_listen "$S" 7001 7002 7003
	pg_spawn "$S" "$dir/udp.log" "$PG_PY" "$src/test/tools/udpflows.py" recv 40001 40002
	wait_for 5 pg_in "$S" sh -c 'ss -Hlnt | grep -q ":7003 " && ss -Hlnu | grep -q ":40002 "' ||
		{ fail "the servers did not start"; return; }
	local seconds=7
	pg_in "$C" "$PG_PY" "$src/test/tools/longflow.py" client $SERVER 7001 plain $seconds 10 \
		>"$dir/transfer.json" &
	local transfer=$!
	pg_in "$C" "$PG_PY" "$src/test/tools/longflow.py" client $SERVER 7002 bittorrent 2 \
		>"$dir/bt.json" &
	local bt=$!
	pg_in "$C" "$PG_PY" "$src/test/tools/udpflows.py" send $SERVER $seconds \
		dht:41001:40001 dht-first:41002:40002 &
	local udp=$!

	# ---- before the failover
	wait "$bt"
	local bt_end
	bt_end=$(json 'd["end"]' "$dir/bt.json")
	if [ "$bt_end" = reset ]; then ok "before: the BitTorrent connection was reset by rA"; else
		fail "before: the BitTorrent connection ended '$bt_end', not reset"; fi
	sleep 1.5
	local line code tport
	line=$(ct_line "$A" tcp 7001)
	code=$(code_of_line "$line")
	tport=$(sed -n 's/.*sport=\([0-9]*\) dport=7001 .*/\1/p' <<<"$line")
	if [ "$code" = 1 ]; then ok "before: rA stamped the transfer accepted (port $tport, ct mark code 1)"; else
		fail "before: the transfer carries no accept mark on rA: '$line'"; fi
	for r in 40001 40002; do
		code=$(code_of_line "$(ct_line "$A" udp $r)")
		[ "$code" = 3 ] || fail "before: the UDP flow to $r has no conntrack entry with a drop mark on rA (code '$code')"
	done
	local got
	got=$(received_after "$dir/udp.log" 40001 0)/$(received_after "$dir/udp.log" 40002 0)
	if [ "$got" = 0/0 ]; then ok "before: both UDP flows are dropped by rA (DHT, and opened with DHT: 0/0 datagrams through)"; else
		fail "before: UDP datagrams reached the server through rA: $got"; fi
	if [ "$mode" = conntrackd ]; then
		pg_in "$B" conntrackd -C "$dir/ctd-b.conf" -e >"$dir/external.txt" 2>&1
		local want
		for want in "dport=7001 .*mark=$((1 << 24))" "dport=7002 .*mark=$((2 << 24))" \
			"dport=40001 .*mark=$((3 << 24))" "dport=40002 .*mark=$((3 << 24))"; do
			grep -q "$want" "$dir/external.txt" ||
				fail "before: rB's external cache lacks '$want': $(cat "$dir/external.txt")"
		done
		grep -q "$SYNC\\." "$dir/external.txt" &&
			fail "before: the sync link's own traffic was replicated: $(grep "$SYNC\\." "$dir/external.txt")"
		ok "before: rB's conntrackd holds rA's verdict marks: transfer accept, BitTorrent block, UDP flows drop ($(wc -l <"$dir/external.txt") entries, none of the sync link)"
	fi

	# ---- rA is cut off: both segments and the sync link
	local t_cut t_take t_commit seen
	has_vip "$B" && fail "rB holds the gateway address before the failover"
	seen=$(cat "$dir/notify-b.log" 2>/dev/null | wc -l)
	t_cut=$(now)
	ip -n "$X" link set a0 down
	ip -n "$X" link set a1 down
	ip -n "$A" link set eth2 down
	if [ "$movers" = manual ]; then
		ip -n "$B" addr add $LAN.1/24 dev eth0
		ip -n "$B" addr add $WAN.1/24 dev eth1
		# what keepalived's gratuitous ARPs would tell the neighbours
		ip -n "$C" neigh replace $LAN.1 dev eth0 lladdr "$(ip -n "$B" -br link show eth0 | awk '{print $3}')"
		ip -n "$S" neigh replace $WAN.1 dev eth0 lladdr "$(ip -n "$B" -br link show eth1 | awk '{print $3}')"
		"$work/notify.sh" -C "$dir/ctd-b.conf" -L "$dir/notify-b.log" GROUP PEERGATE MASTER 0
	fi
	if ! wait_for 10 notify_done "$dir/notify-b.log" "$seen"; then
		fail "rB did not take over within 10 s: $(tail -5 "$dir/ka-b.out" 2>/dev/null)"
		return
	fi
	t_take=$(now)
	t_commit=$(tail -n +$((seen + 1)) "$dir/notify-b.log" |
		sed -n 's/^[^ ]* \([0-9:.]*\) peergate-ha: commit.*/\1/p' | tail -1)
	t_commit=$(date -d "$(date +%F) $t_commit" +%s.%N 2>/dev/null || echo "$t_take")
	has_vip "$B" || fail "rB does not hold the gateway address after the takeover"
	ok "rB took over $(awk -v a="$t_cut" -v b="$t_commit" 'BEGIN {printf "%.2f", b - a}') s after the cut (notify: $(grep -c ': done' "$dir/notify-b.log") conntrackd commands done, $(grep -c FAILED "$dir/notify-b.log") failed)"
	if [ "$mode" = conntrackd ]; then
		line=$(ct_line "$B" tcp 7001)
		[ "$(code_of_line "$line")" = 1 ] ||
			fail "after: the committed transfer carries no accept mark on rB: '$line'"
		for r in 40001 40002; do
			code=$(code_of_line "$(ct_line "$B" udp $r)")
			[ "$code" = 3 ] || fail "after: rB's entry of the UDP flow to $r carries code '$code', not 3 (drop)"
		done
		ok "after: rB's kernel holds the replicated marks (transfer accept, UDP flows drop)"
	fi

	# ---- after: the running flows
	wait "$transfer"
	wait "$udp"
	local t_end t_sent t_echo t_gap
	read -r t_end t_sent t_echo t_gap < <(json 'd["end"], d["sent"], d["echoed"], d["gap_ms"]' "$dir/transfer.json")
	TRANSFER[$mode]="$t_end, $t_echo/$t_sent echoed, stalled ${t_gap} ms"
	if [ "$t_end" = "done" ] && [ "$t_sent" = "$t_echo" ]; then
		ok "after: the transfer went on through rB without a reset ($t_sent messages, longest stall $t_gap ms)"
	else
		fail "after: the transfer ended '$t_end' ($t_echo/$t_sent echoed)"
	fi
	local rbflow rbpk rbstate
	rbflow=$(flow_on "$B" b 7001)
	rbpk=$(sed -n 's/.*"packets":\([0-9]*\).*/\1/p' <<<"$rbflow")
	rbstate=$(sed -n 's/.*"state":"\([a-z]*\)".*/\1/p' <<<"$rbflow")
	if [ -z "$rbflow" ]; then
		INSPECTED[$mode]="no packet queued on rB"
	elif [ "$mode" = conntrackd ] && [ "$rbstate" != decided ]; then
		INSPECTED[$mode]="$rbpk packets queued before the commit, no more"
	else
		INSPECTED[$mode]="rB queued $rbpk of its packets, flow $rbstate by rB"
	fi
	if [ "$mode" = conntrackd ]; then
		# Packets that reach rB between the address move and the commit
		# are inspected (no entry yet); after the commit none are.
		if [ -z "$rbflow" ] || [ "$rbstate" != decided ]; then
			ok "after: rB settled the transfer by its replicated mark (${INSPECTED[$mode]})"
		else
			fail "after: rB inspected the transfer although its mark was replicated: $rbflow"
		fi
	else
		if [ -n "$rbflow" ]; then
			ok "after: rB picked the transfer up mid-stream and inspected it again (${INSPECTED[$mode]})"
		else
			fail "after: rB shows no flow for the transfer it forwarded without replication"
		fi
	fi
	local dht opaque
	dht=$(received_after "$dir/udp.log" 40001 "$t_commit")
	opaque=$(received_after "$dir/udp.log" 40002 "$t_commit")
	UDP_DHT[$mode]=$dht
	UDP_FIRST[$mode]=$opaque
	if [ "$dht" = 0 ]; then ok "after: the DHT flow stays blocked (0 datagrams through rB)"; else
		fail "after: $dht DHT datagrams reached the server through rB"; fi
	if [ "$mode" = conntrackd ]; then
		if [ "$opaque" = 0 ]; then ok "after: the flow that opened with DHT stays blocked (0 datagrams through rB)"; else
			fail "after: $opaque datagrams of the flow that opened with DHT got through rB"; fi
	elif [ "$opaque" -gt 0 ]; then
		# the control: the same traffic does get through when nothing
		# tells rB what the flow is
		ok "after: without replication the flow that opened with DHT gets through rB ($opaque datagrams)"
	else
		fail "after: without replication the flow that opened with DHT still got no datagram through: the run with conntrackd proves nothing"
	fi

	# ---- new flows, decided by rB
	pg_in "$C" "$PG_PY" "$src/test/tools/longflow.py" client $SERVER 7002 bittorrent 0.5 >"$dir/bt2.json" &
	local bt2=$!
	pg_in "$C" "$PG_PY" "$src/test/tools/longflow.py" client $SERVER 7003 plain 0.5 >"$dir/plain2.json"
	wait "$bt2"
	local b2 p2
	b2=$(json 'd["end"]' "$dir/bt2.json")
	p2=$(json 'd["end"]' "$dir/plain2.json")
	NEWFLOWS[$mode]="BitTorrent $b2, plain $p2"
	if [ "$b2" = reset ] && [ "$p2" = "done" ] &&
		flow_on "$B" b 7002 | grep -q '"action":"block"' && flow_on "$B" b 7003 | grep -q '"state":"decided"'; then
		ok "after: new flows are decided by rB (a new BitTorrent connection reset, a new plain one passed)"
	else
		fail "after: new flows through rB: BitTorrent '$b2', plain '$p2'; rB's flows: $(ctl "$B" flows --json --socket "$dir/pg-b.sock" 2>&1 | tr '\n' ' ')"
	fi
	ctl "$B" stats --socket "$dir/pg-b.sock" >"$dir/stats-b.txt" 2>&1 ||
		fail "peergatectl stats on rB failed: $(cat "$dir/stats-b.txt")"
	ctl "$B" stats --json --socket "$dir/pg-b.sock" >"$dir/stats-b.json" 2>/dev/null
	grep -q '^bittorrent' "$dir/stats-b.txt" ||
		fail "peergatectl stats on rB shows no BitTorrent verdict: $(cat "$dir/stats-b.txt")"
	echo "-- peergatectl stats on rB (verdicts, and what rB queued):"
	sed -n '1,/^$/p' "$dir/stats-b.txt" | sed '/^$/d; s/^/   /'
	json '"   engine: queued=%d flows_created=%d flows_decided=%d dyn_blocks=%d ct_blocks=%d" % tuple(d["engine"][k] for k in ("queued", "flows_created", "flows_decided", "dyn_blocks", "ct_blocks"))' "$dir/stats-b.json"
	QUEUED[$mode]=$(json 'd["engine"]["queued"]' "$dir/stats-b.json")

	# this run's namespaces go; the next run builds its own
	kill -TERM "${PG_SPAWNED[@]}" 2>/dev/null
	for pid in "${PG_SPAWNED[@]}"; do pg_kill "$pid"; done
	PG_SPAWNED=()
	ha_drop_namespaces
}

declare -A TRANSFER INSPECTED UDP_DHT UDP_FIRST QUEUED NEWFLOWS
run_once conntrackd
run_once none

echo "== what survived the failover (rA cut off, rB took over)"
row() { printf '   %-30s | %-44s | %s\n' "$@"; }
row "" "with conntrackd" "without (conntrackd stopped)"
row "allowed TCP transfer" "${TRANSFER[conntrackd]:-?}" "${TRANSFER[none]:-?}"
row "  inspected again by rB?" "${INSPECTED[conntrackd]:-?}" "${INSPECTED[none]:-?}"
row "DHT flow: datagrams through" "${UDP_DHT[conntrackd]:-?} (its replicated drop mark)" "${UDP_DHT[none]:-?} (rB classified it again)"
row "flow opened with DHT: through" "${UDP_FIRST[conntrackd]:-?} (its replicated drop mark)" "${UDP_FIRST[none]:-?} (rB cannot tell what it is)"
row "new connections through rB" "${NEWFLOWS[conntrackd]:-?}" "${NEWFLOWS[none]:-?}"
row "packets rB queued in all" "${QUEUED[conntrackd]:-?}" "${QUEUED[none]:-?}"
pg_e2e_finish "$work"/{conntrackd,none}/{pg-*,notify-*,ctd-*}.log
