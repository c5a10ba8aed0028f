#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The table survives the firewall, through a client | router | server
# namespace router with peergated blocking BitTorrent:
#   1. `nft flush ruleset` (what Debian's nftables.service does on reload),
#      `nft delete table inet peergate` and `nft flush table inet peergate`
#      in the router: each time the table is back with its rules within
#      2 s, and a new BitTorrent flow (on a port no port set names, so only
#      the queue and the detectors can stop it) is blocked again.
#   2. The daemon logged a warning naming each loss, and `stats` counts the
#      three re-applies (table_reapplied) and names the last; a policy
#      reload (our own batch, which deletes our old rules) is not counted.
#   3. stats reads the table from the kernel: a daemon started with
#      --no-rules reports it missing, then present once `rules apply` put
#      it there, and does not put back a table it does not manage.
# Arguments: BUILD_DIR SRC_DIR.  Skips (77) without root.
set -u
. "${2:?usage: e2e_table_watch.sh BUILD_DIR SRC_DIR}/test/lib/e2e.sh"
pg_e2e_begin e2e_table_watch "$1" "$2" pgtw
json() { "$PG_PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$@"; }

cat >"$work/policy.ini" <<'INI'
[engine]
fail = open
[bittorrent]
all = block
INI
pg_spawn "$PG_NS_SERVER" "$work/server.log" "$PG_PY" "$src/test/tools/longflow.py" server 7001 7002
pg_wait_listen "$PG_NS_SERVER" 7001 7002
pg_e2e_daemon "$work/daemon.log" --policy "$work/policy.ini" --state ''

# One short flow: prints how it ended (done: delivered whole).
flow_end() { # PORT KIND
	pg_in "$PG_NS_CLIENT" "$PG_PY" "$src/test/tools/longflow.py" client "$PG_S4" "$1" "$2" 0.5 2 |
		"$PG_PY" -c 'import json,sys; print(json.load(sys.stdin)["end"])'
}
bt_blocked() { # LABEL
	local end
	end=$(flow_end 7001 bittorrent)
	if [ "$end" = done ]; then
		fail "$1: a BitTorrent flow went through"
	else
		pass "$1: BitTorrent blocked ($end)"
	fi
}
# Whole: the table exists and its forward chain has its rules again (the
# blocked-flow set rule is one of the last the apply adds).
table_whole() { pg_in "$R" nft list chain inet peergate forward 2>/dev/null | grep -q '@blocked4'; }

end=$(flow_end 7002 plain)
[ "$end" = done ] || fail "a plain flow did not get through the router ($end)"
bt_blocked "before any loss"

# 1. three ways to lose the table
for cmd in "flush ruleset" "delete table inet peergate" "flush table inet peergate"; do
	# shellcheck disable=SC2086
	pg_in "$R" nft $cmd || { fail "nft $cmd failed"; continue; }
	back=
	for i in $(seq 20); do
		if table_whole; then back=$i; break; fi
		sleep 0.1
	done
	if [ -z "$back" ]; then
		fail "nft $cmd: the table is not back within 2 s"
		pg_in "$R" nft list tables
		continue
	fi
	pass "nft $cmd: the table is back within $((back * 100)) ms"
	bt_blocked "after nft $cmd"
done

# 2. the warnings and the counters; a reload of our own is not a loss
pg_e2e_ctl reload >/dev/null || fail "reload failed"
pg_e2e_ctl stats --json >"$work/stats.json" || fail "stats --json failed"
n=$(json "$work/stats.json" 'd["kernel"]["table_reapplied"]')
last=$(json "$work/stats.json" 'd["kernel"]["table_last_loss"]')
state=$(json "$work/stats.json" '(d["kernel"]["present"], d["kernel"]["rules"] > 0, d["kernel"]["watched"])')
[ "$n" = 3 ] || fail "table_reapplied is $n after three losses and a reload (want 3)"
[ "$last" = "rules flushed" ] || fail "table_last_loss is '$last' (want 'rules flushed')"
[ "$state" = "(True, True, True)" ] || fail "stats: present, rules > 0, watched: $state"
[ "$n" = 3 ] && [ "$last" = "rules flushed" ] &&
	pass "stats: table_reapplied $n, last loss '$last', table present with rules"
deleted=$(grep -c 'warning: table inet peergate: table deleted by another program' "$work/daemon.log")
flushed=$(grep -c 'warning: table inet peergate: rules flushed by another program' "$work/daemon.log")
if [ "$deleted" = 2 ] && [ "$flushed" = 1 ]; then
	pass "log: $(grep -m1 'table deleted by another program' "$work/daemon.log")"
else
	fail "log: $deleted 'table deleted' and $flushed 'rules flushed' warnings (want 2 and 1)"
	tail -20 "$work/daemon.log"
fi
pg_e2e_ctl stats >"$work/stats.txt" || fail "stats failed"
grep -q 'table inet peergate present' "$work/stats.txt" && grep -q 're-applied 3 times' "$work/stats.txt" ||
	{ fail "stats text lacks the table's state"; grep -A3 '^kernel' "$work/stats.txt"; }
kill -TERM "$daemon"
rc=0
wait "$daemon" || rc=$?
[ "$rc" = 0 ] || fail "peergated exited $rc on SIGTERM"
pg_in "$R" nft list table inet peergate >/dev/null 2>&1 && fail "table left behind after SIGTERM"

# 3. stats tells what the kernel holds
pg_e2e_daemon_try "$work/norules.log" --policy "$work/policy.ini" --state '' --no-rules
pg_e2e_ctl stats --json >"$work/s1.json" || fail "stats --json (--no-rules) failed"
pg_e2e_ctl stats >"$work/s1.txt"
pg_in "$R" "$build/peergatectl" rules apply --policy "$work/policy.ini" >/dev/null ||
	fail "rules apply failed"
pg_e2e_ctl stats --json >"$work/s2.json"
pg_in "$R" nft delete table inet peergate
sleep 0.5
pg_e2e_ctl stats --json >"$work/s3.json"
p1=$(json "$work/s1.json" '(d["kernel"]["present"], d["kernel"]["watched"])')
p2=$(json "$work/s2.json" '(d["kernel"]["present"], d["kernel"]["rules"] > 0)')
p3=$(json "$work/s3.json" '(d["kernel"]["present"], d["kernel"]["table_reapplied"])')
if [ "$p1" = "(False, False)" ] && grep -q 'table inet peergate MISSING' "$work/s1.txt" &&
	[ "$p2" = "(True, True)" ] && [ "$p3" = "(False, 0)" ]; then
	pass "--no-rules: stats says missing, then present after rules apply, then missing after nft delete (not put back)"
else
	fail "--no-rules: (present, watched) $p1, after apply (present, rules) $p2, after delete (present, re-applied) $p3"
	grep '^kernel' "$work/s1.txt"
fi
pg_kill "$daemon"
# an ASan+UBSan build reports into the logs
if grep -l 'Sanitizer\|runtime error' "$work/daemon.log" "$work/norules.log"; then
	fail "sanitizer report"
	grep -h -A5 'Sanitizer\|runtime error' "$work/daemon.log" "$work/norules.log" | head -20
fi

pg_e2e_finish "$work/daemon.log" "$work/norules.log"
