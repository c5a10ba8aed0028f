# SPDX-License-Identifier: GPL-2.0-or-later
# A client | router | server topology in three network namespaces, for the
# end-to-end tests, the demo and the inline benchmark.  Sourced, not run.
#
#   client 10.231.1.2/24 fd00:231:1::2/64 --eth0==vc-- router --vs==eth0-- server
#          10.231.2.2/24 fd00:231:2::2/64                 .1 / ::1 on each side
#
# Every address lives only inside these namespaces; nothing here touches the
# root namespace's interfaces or firewall (the veth pairs are created inside
# the namespaces).  Forwarding is on in the router.
#
#   pg_netns_require          exit 77 (skip) unless root with ip/nft/netns
#   pg_netns_setup [PREFIX]   create the namespaces (names PREFIX$$-{c,r,s}),
#                             set PG_NS_CLIENT/ROUTER/SERVER, PG_C4/PG_S4/
#                             PG_C6/PG_S6 (PG_S4_ALL/PG_S6_ALL: all server
#                             addresses) and install the EXIT trap
#   pg_replay_args            the pgreplay.py play options for this topology
#   pg_in NS CMD...           run CMD inside namespace NS
#   pg_spawn NS LOG CMD...    start CMD in NS in the background (output to
#                             LOG); its pid is in PG_LAST_PID and it is
#                             killed at cleanup
#   pg_kill PID [SIGNAL]      stop one process started with pg_spawn
#   pg_wait_same A B SECONDS  wait until file B holds file A's bytes (a
#                             transfer between two clients finished): 0
#                             when it does within SECONDS, else 1
#   pg_wait_listen NS PORT... wait (up to 10 s) until NS has a TCP
#                             listener on each PORT: a server started with
#                             pg_spawn may be slow to bind on a loaded box
#   PG_PY, PG_REPLAY          the Python to use, test/tools/pgreplay.py
#   pg_netns_cleanup          what the trap runs: kill spawned processes,
#                             delete the namespaces, run PG_CLEANUP_HOOKS

# The system Python starts in a tenth of the time of a version-manager shim.
if [ -z "${PG_PY:-}" ]; then
	if [ -x /usr/bin/python3 ]; then PG_PY=/usr/bin/python3; else PG_PY=python3; fi
fi
PG_TOOLS="$(cd "$(dirname "${BASH_SOURCE[0]}")/../tools" && pwd)"
PG_REPLAY="$PG_TOOLS/pgreplay.py"

PG_C4=10.231.1.2
PG_R4C=10.231.1.1
PG_R4S=10.231.2.1
PG_S4=10.231.2.2
PG_C6=fd00:231:1::2
PG_R6C=fd00:231:1::1
PG_R6S=fd00:231:2::1
PG_S6=fd00:231:2::2
# The server also answers on .2-.17 / ::2-::11, so that replays can run
# flows to the same port side by side (comma lists for pgreplay.py).
PG_S4_ALL=$(for i in $(seq 2 17); do printf '10.231.2.%d,' "$i"; done)
PG_S4_ALL=${PG_S4_ALL%,}
PG_S6_ALL=$(for i in $(seq 2 17); do printf 'fd00:231:2::%x,' "$i"; done)
PG_S6_ALL=${PG_S6_ALL%,}

PG_NS_CLIENT=
PG_NS_ROUTER=
PG_NS_SERVER=
PG_SPAWNED=()
PG_CLEANUP_HOOKS=()
PG_NETNS_CLEANED=0

pg_netns_require() {
	if [ "$(id -u)" -ne 0 ]; then
		echo "SKIP: needs root (network namespaces, nftables, NFQUEUE)"
		exit 77
	fi
	local t
	for t in ip nft sysctl; do
		command -v "$t" >/dev/null 2>&1 ||
			{ echo "SKIP: '$t' is not installed"; exit 77; }
	done
	local probe="pgprobe$$"
	if ! ip netns add "$probe" 2>/dev/null; then
		echo "SKIP: cannot create network namespaces here"
		exit 77
	fi
	ip netns del "$probe"
}

pg_in() {
	local ns=$1
	shift
	ip netns exec "$ns" "$@"
}

pg_spawn() {
	local ns=$1 log=$2
	shift 2
	ip netns exec "$ns" "$@" >"$log" 2>&1 &
	PG_LAST_PID=$!
	PG_SPAWNED+=("$PG_LAST_PID")
}

# Stop one spawned process (SIGNAL, default TERM; KILL after 3 s) and reap it.
pg_kill() {
	local pid=$1 sig=${2:-TERM} i
	if kill -0 "$pid" 2>/dev/null; then
		kill -"$sig" "$pid" 2>/dev/null || true
		for i in $(seq 30); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$pid" 2>/dev/null || true
	fi
	wait "$pid" 2>/dev/null || true
	return 0
}

pg_wait_listen() {
	local ns=$1 port _
	shift
	for port in "$@"; do
		for _ in $(seq 100); do
			ip netns exec "$ns" ss -Hltn "sport = :$port" 2>/dev/null | grep -q . && break
			sleep 0.1
		done
	done
	return 0
}

pg_wait_same() {
	local _
	for _ in $(seq $(($3 * 2))); do
		cmp -s "$1" "$2" && return 0
		sleep 0.5
	done
	return 1
}

pg_replay_args() {
	echo "--client-ns $PG_NS_CLIENT --server-ns $PG_NS_SERVER --client4 $PG_C4" \
		"--server4 $PG_S4_ALL --client6 $PG_C6 --server6 $PG_S6_ALL"
}

pg_netns_cleanup() {
	[ "$PG_NETNS_CLEANED" = 1 ] && return 0
	PG_NETNS_CLEANED=1
	local pid ns h
	for pid in "${PG_SPAWNED[@]}"; do
		pg_kill "$pid"
	done
	# anything still running inside our namespaces was started by us
	for ns in "$PG_NS_CLIENT" "$PG_NS_ROUTER" "$PG_NS_SERVER"; do
		[ -n "$ns" ] || continue
		for pid in $(ip netns pids "$ns" 2>/dev/null); do
			kill -KILL "$pid" 2>/dev/null
		done
		ip netns del "$ns" 2>/dev/null
	done
	for h in "${PG_CLEANUP_HOOKS[@]}"; do
		eval "$h"
	done
	return 0
}

pg_netns_setup() {
	local prefix=${1:-pg}
	PG_NS_CLIENT="${prefix}$$-c"
	PG_NS_ROUTER="${prefix}$$-r"
	PG_NS_SERVER="${prefix}$$-s"
	trap 'pg_netns_cleanup' EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	local C=$PG_NS_CLIENT R=$PG_NS_ROUTER S=$PG_NS_SERVER
	ip netns add "$C" && ip netns add "$R" && ip netns add "$S" || return 1
	# veth pairs created inside the router, their peers inside client/server
	ip -n "$R" link add vc type veth peer name eth0 netns "$C" || return 1
	ip -n "$R" link add vs type veth peer name eth0 netns "$S" || return 1
	local ns
	for ns in "$C" "$R" "$S"; do
		ip -n "$ns" link set lo up
	done
	ip netns exec "$R" sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1 \
		net.ipv6.conf.default.accept_dad=0 >/dev/null
	ip -n "$C" addr add "$PG_C4/24" dev eth0
	ip -n "$C" addr add "$PG_C6/64" dev eth0 nodad
	local a
	for a in ${PG_S4_ALL//,/ }; do
		ip -n "$S" addr add "$a/24" dev eth0
	done
	for a in ${PG_S6_ALL//,/ }; do
		ip -n "$S" addr add "$a/64" dev eth0 nodad
	done
	ip -n "$R" addr add "$PG_R4C/24" dev vc
	ip -n "$R" addr add "$PG_R6C/64" dev vc nodad
	ip -n "$R" addr add "$PG_R4S/24" dev vs
	ip -n "$R" addr add "$PG_R6S/64" dev vs nodad
	for ns in "$C" "$S"; do
		ip -n "$ns" link set eth0 up
	done
	ip -n "$R" link set vc up
	ip -n "$R" link set vs up
	ip -n "$C" route add default via "$PG_R4C"
	ip -n "$C" -6 route add default via "$PG_R6C"
	ip -n "$S" route add default via "$PG_R4S"
	ip -n "$S" -6 route add default via "$PG_R6S"
	# both directions reachable through the router, v4 and v6: one small
	# echo exchange each (retried while the links come up)
	local i f fam flows
	flows=$(mktemp)
	"$PG_PY" "$PG_REPLAY" synth --chunks 2 --size 16 --port 9 >"$flows"
	for i in $(seq 20); do
		fam=0
		for f in 4 6; do
			"$PG_PY" "$PG_REPLAY" play --quiet --client-ns "$C" --server-ns "$S" \
				--client4 "$PG_C4" --server4 "$PG_S4" --client6 "$PG_C6" \
				--server6 "$PG_S6" --family "$f" --timeout 1 --connect-timeout 1 \
				--expect whole "$flows" >/dev/null 2>&1 && fam=$((fam + 1))
		done
		if [ "$fam" = 2 ]; then
			rm -f "$flows"
			return 0
		fi
		sleep 0.2
	done
	rm -f "$flows"
	echo "netns: $C cannot reach $S through $R" >&2
	return 1
}
