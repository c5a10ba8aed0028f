#!/usr/bin/env bash
# Start-up re-decides, through a client | router | server namespace router
# with peergated in the middle:
#   (peergated runs two queues, so every restored flow sits in two workers.)
#   1. A clean restart (SIGTERM, state file) with a policy that now blocks
#      BitTorrent: the open BitTorrent flow, accepted and offloaded by the
#      old run, stops within a few seconds of the new start (its flow is
#      restored with its class and its stale accept mark cleared); a plain
#      flow goes on, its mark left alone.
#   2. kill -9 (no state file), then a start: the accept mark the killed run
#      left on an open flow is cleared at start (seen in conntrack while
#      the flow is paused), and the flow is inspected again when it goes on.
# Arguments: BUILD_DIR SRC_DIR.  Skips (77) without root or conntrack(8).
set -u
. "${2:?usage: e2e_restart.sh BUILD_DIR SRC_DIR}/test/lib/e2e.sh"
pg_e2e_begin e2e_restart "$1" "$2"
command -v conntrack >/dev/null 2>&1 || { echo "SKIP: conntrack(8) is not installed"; exit 77; }
pg_e2e_netns pgrs
state=$work/flows.state
json() { "$PG_PY" -c "import json,sys; d=json.load(open(sys.argv[1])); print($1)" "$2"; }

# Two queues: a restored flow goes to both workers, and is listed once.
cat >"$work/allow.ini" <<'INI'
[engine]
fail = closed
queue = 0-1
[bittorrent]
all = allow
INI
cat >"$work/block.ini" <<'INI'
[engine]
fail = closed
queue = 0-1
[bittorrent]
download = block
INI

# ct_mark PORT: the ct mark (decimal) of the TCP connection to server PORT.
ct_mark() {
	pg_in "$R" conntrack -L -p tcp --dport "$1" 2>/dev/null |
		sed -n 's/.* mark=\([0-9]*\).*/\1/p' | head -1
}
code_of() { echo $((($1 & 0x07000000) >> 24)); }
# The ct mark of the connection to PORT once it carries code 1 (accept), or
# what it has after a bounded wait: on a loaded machine the client may take
# a while to start.
accepted_mark() {
	local m=""
	for _ in $(seq 100); do
		m=$(ct_mark "$1")
		[ -n "$m" ] && [ "$(code_of "$m")" = 1 ] && break
		sleep 0.1
	done
	echo "$m"
}

pg_spawn "$PG_NS_SERVER" "$work/server.log" "$PG_PY" "$src/test/tools/longflow.py" server 7001 7002 7003
pg_wait_listen "$PG_NS_SERVER" 7001 7002 7003

# 1. clean restart with a policy that blocks the open BitTorrent flow
pg_e2e_daemon "$work/d1.log" --policy "$work/allow.ini"
pg_in "$PG_NS_CLIENT" "$PG_PY" "$src/test/tools/longflow.py" client "$PG_S4" 7002 bittorrent 20 \
	>"$work/bt1.json" &
bt1=$!
pg_in "$PG_NS_CLIENT" "$PG_PY" "$src/test/tools/longflow.py" client "$PG_S4" 7001 plain 8 \
	>"$work/plain1.json" &
plain1=$!
sleep 1.5
mark=$(accepted_mark 7002)
for _ in $(seq 100); do
	[ -n "$(ct_mark 7001)" ] && break
	sleep 0.1
done
[ -n "$mark" ] && [ "$(code_of "$mark")" = 1 ] ||
	fail "the BitTorrent flow is not offloaded as accepted before the restart (ct mark '${mark}')"
pg_kill "$daemon"
if ! grep -q '^flow tcp .* 7002 bittorrent download ' "$state" 2>/dev/null; then
	fail "no state file with the BitTorrent flow after SIGTERM: $(cat "$state" 2>&1 | head -5)"
fi
pg_e2e_daemon "$work/d2.log" --policy "$work/block.ini"
[ -e "$state" ] && fail "the state file was not removed after start-up"
stopped=no
for i in $(seq 50); do
	kill -0 "$bt1" 2>/dev/null || { stopped=yes; break; }
	sleep 0.1
done
if [ "$stopped" = yes ]; then
	wait "$bt1"
	end=$(json 'd["end"], d["sent"]' "$work/bt1.json")
	case "$end" in
	done*) fail "the BitTorrent flow ended normally, not stopped: $end" ;;
	*) pass "the open BitTorrent flow stopped within $((i / 10)).$((i % 10)) s of the restart ($end)" ;;
	esac
else
	fail "the BitTorrent flow still runs 5 s after a restart with a policy that blocks it"
	kill "$bt1" 2>/dev/null
	wait "$bt1" 2>/dev/null
fi
pg_e2e_ctl flows --json >"$work/flows2.json" || fail "flows failed"
grep -q '"server":"10.231.2.2:7002","system":"bittorrent","feature":"download".*"state":"decided","action":"block"' \
	"$work/flows2.json" || fail "the restored BitTorrent flow is not listed as blocked: $(cat "$work/flows2.json")"
listed=$(grep -c '"server":"10.231.2.2:7002"' "$work/flows2.json")
[ "$listed" = 1 ] || fail "the restored BitTorrent flow is listed $listed times, not once (two workers)"
wait "$plain1"
read -r pl_end pl_sent pl_echo < <(json 'd["end"], d["sent"], d["echoed"]' "$work/plain1.json")
if [ "$pl_end" = done ] && [ "$pl_sent" = "$pl_echo" ] && [ "$pl_sent" -gt 100 ]; then
	pass "the plain flow went on through the restart ($pl_sent messages)"
else
	fail "plain flow disturbed by the restart: $pl_end $pl_sent/$pl_echo"
fi
pg_e2e_ctl stats --json >"$work/stats2.json" || fail "stats failed"
r=$(json '"%d %d %d %d %d" % tuple(d["restart"][k] for k in ("state_flows", "marked", "restored", "redecided", "cleared"))' "$work/stats2.json")
read -r st_flows st_marked st_restored st_redecided st_cleared <<<"$r"
if [ "$st_flows" -ge 2 ] && [ "$st_restored" -ge 2 ] && [ "$st_redecided" = 1 ] && [ "$st_cleared" = 0 ]; then
	pass "start-up restored $st_restored of $st_flows saved flows, re-decided $st_redecided"
else
	fail "restart counters: state_flows=$st_flows marked=$st_marked restored=$st_restored redecided=$st_redecided cleared=$st_cleared"
fi
grep -q 'start-up: .* flows in ' "$work/d2.log" || fail "no start-up summary line: $(cat "$work/d2.log")"

# 2. kill -9: no state file; the stale accept mark is cleared at start
pg_kill "$daemon"
pg_e2e_daemon "$work/d3.log" --policy "$work/allow.ini"
# Not through the pg_in function: $! would be the subshell that runs it,
# and stopping that subshell would leave the client sending.
ip netns exec "$PG_NS_CLIENT" "$PG_PY" "$src/test/tools/longflow.py" client "$PG_S4" 7003 \
	bittorrent 8 >"$work/bt2.json" &
bt2=$!
sleep 1.5
mark=$(accepted_mark 7003)
[ -n "$mark" ] && [ "$(code_of "$mark")" = 1 ] ||
	fail "the second BitTorrent flow is not offloaded as accepted (ct mark '${mark}')"
# Paused, the flow sends nothing, so no new verdict can hide the clearing.
kill -STOP "$bt2"
sleep 0.2
pg_kill "$daemon" KILL
[ -e "$state" ] && fail "a state file exists after kill -9"
pg_e2e_daemon "$work/d4.log" --policy "$work/block.ini"
mark=$(ct_mark 7003)
if [ -n "$mark" ] && [ "$(code_of "$mark")" = 0 ]; then
	pass "the killed run's accept mark was cleared at start (ct mark $(printf 0x%08x "$mark"))"
elif pg_e2e_ctl flows --json 2>/dev/null | grep -q '"server":"10.231.2.2:7003".*"state":"decided"'; then
	# A late packet of the flow (the kernel still sends what the paused
	# client had written) reached the new run after the clearing, and the
	# new run decided the flow itself; the counters below show the
	# clearing.
	pass "the killed run's accept mark was cleared at start and the new run has decided the flow since"
else
	fail "the accept mark of the killed run was not cleared at start (ct mark '${mark}')"
fi
pg_e2e_ctl stats --json >"$work/stats4.json" || fail "stats failed"
read -r st_restored st_cleared < <(json 'd["restart"]["restored"], d["restart"]["cleared"]' "$work/stats4.json")
[ "$st_restored" = 0 ] && [ "$st_cleared" -ge 1 ] ||
	fail "restart counters after kill -9: restored=$st_restored cleared=$st_cleared"
grep -q 'no state file' "$work/d4.log" || fail "the start after kill -9 does not say it had no state file"
kill -CONT "$bt2"
seen=no
for i in $(seq 50); do
	mark=$(ct_mark 7003)
	if pg_e2e_ctl flows --json 2>/dev/null | grep -q '"server":"10.231.2.2:7003".*"state":"decided"' &&
		[ -n "$mark" ] && [ "$(code_of "$mark")" != 0 ]; then
		seen=yes
		break
	fi
	sleep 0.1
done
if [ "$seen" = yes ]; then
	pass "the flow was inspected again and stamped by the new run (ct mark $(printf 0x%08x "$mark"))"
else
	fail "the cleared flow was not inspected again: $(pg_e2e_ctl flows --json 2>&1 | grep 7003)"
fi
wait "$bt2"
pg_kill "$daemon"
pg_e2e_finish "$work"/d[1-4].log
