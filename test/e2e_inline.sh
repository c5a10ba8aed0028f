#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# End-to-end: peergated inline on a client | router | server namespace router,
# real captures replayed through it over real sockets (test/tools/pgreplay.py).
#
#   a. block every IM/P2P system: each replayed IM/P2P flow (offline class an
#      IM/P2P system, decided on evidence, and classifying the same when
#      replayed) is stopped (reset or timeout, never delivered whole); every
#      negative flow (web, mail, ssh, tls, dns ...) arrives whole, byte-exact
#   b. allow everything: every one of those flows arrives whole, byte-exact,
#      and the daemon drops no flow
#   c. per feature (aim im allowed / file-transfer blocked, and the same for
#      the other systems whose captures show both): each flow follows its
#      feature's action; counters: the blocked feature has drops, the
#      allowed one none
#   d. port evasion: the IM/P2P flows moved to 443, 8080 and random high
#      ports are still stopped
#   e. counters: after (a) and (d), each system's flows_dropped is at least
#      the number of its flows the replay saw stopped (that reached the
#      daemon); allowed classes have no drops
#   f. IPv6: blocked and allowed flows over IPv6 in run (a)
#   g. fail-open: peergated is killed (-9) while a flow is still being
#      inspected; that flow and new flows (IM/P2P ones too) keep flowing
#      through the queue's bypass, and the table stays with `bypass`
#   h. after every run: verdict_errors == 0, send_errors == 0 and
#      queued == verdicts
#   i. the shipped policy/policy.ini: every flow (IM/P2P and negative) gets
#      inline the verdict `peergatectl classify --policy` gives it offline
#
# Needs root (skips with 77 otherwise).  Uses ../shared/corpus when it is
# there, and always the project's own captures in test/captures/.
# Usage: e2e_inline.sh BUILD_DIR SRC_DIR
set -u
. "${2:?usage: e2e_inline.sh BUILD_DIR SRC_DIR}/test/lib/e2e.sh"
pg_e2e_begin e2e_inline "$1" "$2"
command -v conntrack >/dev/null 2>&1 || echo "note: conntrack(8) missing; ct entries are not flushed between runs"

ctl="$build/peergatectl"
results="$work/results.jsonl"
py() { "$PG_PY" "$@"; }

# ---------------------------------------------------------------------------
# policies, written here so the test does not depend on the examples

systems="aim icq msn yahoo fasttrack gnutella proxy bittorrent edonkey dc xmpp irc telegram whatsapp signal teams skype tor qq soulseek manolito ares"
write_policy() { # FILE fail(open|closed) action [extra sections...]
	local f=$1 failmode=$2 action=$3 s
	shift 3
	{
		printf '[engine]\nfail = %s\n' "$failmode"
		for s in $systems; do
			case " $* " in *" $s "*) continue ;; esac
			printf '[%s]\nall = %s\n' "$s" "$action"
		done
	} >"$f"
}
# The blocking runs fail closed: should the daemon ever fall behind (a slow
# sanitizer build on a busy machine), packets are dropped and retransmitted,
# not let through unseen, so each flow's verdict stays the classifier's.
# Fail-open itself is run g.
write_policy "$work/block.ini" closed block
write_policy "$work/failopen.ini" open block
write_policy "$work/allow.ini" open allow
# per feature: the kernel port blocks are off for these systems so that the
# daemon, not a port, tells the features apart
write_policy "$work/feature.ini" closed allow aim icq msn yahoo signal whatsapp bittorrent gnutella
cat >>"$work/feature.ini" <<'EOF'
[aim]
ports = no
im = allow
login = allow
file-transfer = block
[icq]
ports = no
im = allow
file-transfer = block
[msn]
ports = no
im = allow
login = allow
file-transfer = block
[yahoo]
ports = no
im = allow
login = allow
file-transfer = block
[signal]
im = allow
file-transfer = block
[whatsapp]
im = allow
file-transfer = block
[bittorrent]
ports = no
network = allow
download = block
[gnutella]
ports = no
network = allow
download = block
EOF
for p in block failopen allow feature; do
	"$build/peergated" --check --policy "$work/$p.ini" >/dev/null 2>"$work/check.err" ||
		{ echo "FAIL: peergated --check refuses $p.ini:"; cat "$work/check.err"; exit 1; }
done

# ---------------------------------------------------------------------------
# the captures

corpus=${PEERGATE_CORPUS:-$src/../shared/corpus}
im_caps=()
neg_caps=()
if [ -f "$corpus/MANIFEST.tsv" ]; then
	mapfile -t im_caps < <(find "$corpus" -mindepth 2 -maxdepth 2 -type f \
		\( -name '*.pcap' -o -name '*.pcapng' \) ! -path '*/negative/*' | sort)
	mapfile -t neg_caps < <(find "$corpus/negative" -type f \
		\( -name '*.pcap' -o -name '*.pcapng' \) | sort)
	echo "corpus: $corpus (${#im_caps[@]} IM/P2P captures, ${#neg_caps[@]} negative)"
else
	echo "note: no corpus at $corpus; using the project's own captures only"
fi
own=()
[ -d "$src/test/captures" ] &&
	mapfile -t own < <(find "$src/test/captures" -type f -name '*.pcap' | sort)
echo "own captures: ${#own[@]} in test/captures"
[ ${#im_caps[@]} -gt 0 ] || [ ${#own[@]} -gt 0 ] || { echo "FAIL: no captures at all"; exit 1; }

extract() { # OUT POLICY [extract options] -- CAPTURES...
	local out=$1 pol=$2
	shift 2
	py "$PG_REPLAY" extract --ctl "$ctl" --policy "$pol" --replayable "$@" >"$out" ||
		{ echo "FAIL: extract $*"; exit 1; }
}
count() { py -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["flows"]))' "$1"; }

# IM/P2P: the offline class is an IM/P2P system, decided on evidence (not a
# port, not a weak guess) and the same when the flow is replayed
extract "$work/im.json" "$work/block.ini" --policed --min-confidence 70 \
	--per-class 2 --max-flows 6 "${im_caps[@]}" "${own[@]}"
extract "$work/neg.json" "$work/block.ini" --unpoliced --action allow \
	--per-class 2 --max-flows 4 "${neg_caps[@]}" "${own[@]}"
n_im=$(count "$work/im.json")
n_neg=$(count "$work/neg.json")
echo "selected: $n_im IM/P2P flows, $n_neg negative flows"
# the paper's systems (and BitTorrent) must be among them
missing=$(py - "$work/im.json" <<'EOF'
import json, sys
have = {f["system"] for f in json.load(open(sys.argv[1]))["flows"]}
print(" ".join(s for s in "aim icq msn yahoo gnutella bittorrent".split() if s not in have))
EOF
)
if [ -z "$missing" ]; then
	pass "selection holds AIM, ICQ, MSN, Yahoo, Gnutella and BitTorrent flows"
else
	fail "no replayable flow of: $missing (offline classification of the captures)"
fi
[ "$n_neg" -ge 3 ] && pass "selection holds $n_neg negative flows" ||
	fail "only $n_neg negative flows selected"

# ---------------------------------------------------------------------------
# the router

pg_e2e_netns pge
echo "namespaces: $PG_NS_CLIENT | $R | $PG_NS_SERVER"

start_daemon() { # POLICY LOG
	rm -f "$sock"
	[ -x "$(command -v conntrack)" ] && pg_in "$R" conntrack -F >/dev/null 2>&1
	pg_e2e_daemon "$2" --policy "$1"
}

stop_daemon() { # LOG: SIGTERM, exit 0, table removed
	kill -TERM "$daemon" 2>/dev/null
	local rc=0
	wait "$daemon" || rc=$?
	if [ "$rc" -ne 0 ]; then
		fail "peergated exited $rc on SIGTERM"
		tail -20 "$1"
	fi
	if pg_in "$R" nft list table inet peergate >/dev/null 2>&1; then
		fail "table inet peergate left behind after SIGTERM"
		pg_in "$R" nft delete table inet peergate 2>/dev/null
	fi
	daemon=
}

# h. one verdict per packet; e. counters; writes the stats to $1
check_stats() { # LABEL STATS_OUT [check-stats options]
	local label=$1 out=$2
	shift 2
	pg_e2e_ctl stats --json >"$out" 2>"$work/stats.err" ||
		{ fail "$label: peergatectl stats: $(cat "$work/stats.err")"; return; }
	if py "$PG_REPLAY" check-stats --stats "$out" --results "$results" --run "$label" "$@" \
		>"$work/cs.out"; then
		pass "$label: counters (verdict_errors 0, queued == verdicts, drops per system)"
		sed 's/^/      /' "$work/cs.out"
	else
		sed 's/^/      /' "$work/cs.out"
		fail "$label: counters do not match the replay"
	fi
}

play() { # LABEL EXPECT [play options] FLOWS...
	local label=$1 expect=$2
	shift 2
	# shellcheck disable=SC2046
	if py "$PG_REPLAY" play $(pg_replay_args) --jobs 16 --timeout 1.5 --connect-timeout 1.5 \
		--quiet --label "$label" --results "$results" --expect "$expect" "$@" >"$work/play.out"; then
		pass "$(tail -1 "$work/play.out")"
	else
		cat "$work/play.out"
		fail "$label: flows not as expected"
	fi
}

# ---------------------------------------------------------------------------
# a + f + e + h: block everything

start_daemon "$work/block.ini" "$work/block.log"
play block4 verdict "$work/im.json" "$work/neg.json"
# f. IPv6: a few of each, both L4s where there are
py - "$work/im.json" "$work/neg.json" "$work/v6.json" <<'EOF'
import json, sys
out = []
for path in sys.argv[1:3]:
    flows = json.load(open(path))["flows"]
    tcp = [f for f in flows if f["l4"] == "tcp"][:3]
    udp = [f for f in flows if f["l4"] == "udp"][:2]
    out += tcp + udp
json.dump({"flows": out}, open(sys.argv[3], "w"))
EOF
play block6 verdict --family 6 "$work/v6.json"
py - "$results" <<'EOF' && pass "IPv6: blocked and allowed flows both seen" || fail "IPv6: want at least one stopped and one whole flow over IPv6"
import json, sys
rs = [json.loads(l) for l in open(sys.argv[1]) if '"block6"' in l]
st = {r["status"] for r in rs if r["ok"]}
sys.exit(0 if "whole" in st and st & {"reset", "timeout"} else 1)
EOF
check_stats block4 "$work/stats-block.json" --run block4,block6
# the kernel's port blocks did their part: a flow stopped at connect means
# its SYN was dropped by a port set, whose counter then moved
py - "$results" "$work/stats-block.json" <<'EOF'
import json, sys
rs = [json.loads(l) for l in open(sys.argv[1]) if '"block4"' in l]
at_connect = [r for r in rs if r["stage"] == "connect" and r["status"] == "timeout"]
st = json.load(open(sys.argv[2]))
ports = sum(c["packets"] for c in st["kernel"]["counters"])
print("      %d flows stopped at connect (kernel port sets), port-set counters %d packets"
      % (len(at_connect), ports))
sys.exit(0 if not at_connect or ports >= len(at_connect) else 1)
EOF
[ $? -eq 0 ] && pass "kernel port sets counted the flows they stopped" ||
	fail "port-set counters below the flows stopped at connect"
stop_daemon "$work/block.log"

# ---------------------------------------------------------------------------
# b: allow everything

start_daemon "$work/allow.ini" "$work/allow.log"
play allow whole "$work/im.json" "$work/neg.json"
play allow6 whole --family 6 "$work/v6.json"
check_stats allow "$work/stats-allow.json" --run allow,allow6 --total-dropped-max 0 --min-queued 1
stop_daemon "$work/allow.log"

# ---------------------------------------------------------------------------
# c: per feature

extract "$work/feat.json" "$work/feature.ini" --system aim,icq,msn,yahoo,signal,whatsapp,bittorrent,gnutella \
	--min-confidence 70 --per-class 3 --max-flows 8 "${im_caps[@]}" "${own[@]}"
feat_spec=$(py - "$work/feat.json" <<'EOF'
import json, sys
flows = json.load(open(sys.argv[1]))["flows"]
feats = {}
for f in flows:
    feats.setdefault(f["system"], {}).setdefault(f["action"], set()).add(f["feature"])
allowed, dropped = [], []
for s, v in sorted(feats.items()):
    if "block" in v and "allow" in v:   # a system whose captures show both
        allowed += ["%s/%s" % (s, x) for x in sorted(v["allow"])]
        dropped += ["%s/%s>=1" % (s, x) for x in sorted(v["block"])]
print(",".join(allowed), ",".join(dropped))
EOF
)
read -r feat_allowed feat_dropped <<<"$feat_spec"
if [ -n "${feat_dropped:-}" ]; then
	pass "per-feature selection: allowed ${feat_allowed}; blocked ${feat_dropped//>=1/}"
	start_daemon "$work/feature.ini" "$work/feature.log"
	play feature verdict "$work/feat.json"
	check_stats feature "$work/stats-feature.json" --allowed "$feat_allowed" --dropped "$feat_dropped"
	stop_daemon "$work/feature.log"
	# the same per-feature verdicts with every server moved off its port
	start_daemon "$work/feature.ini" "$work/feature-moved.log"
	play feature-moved verdict --remap-ports 443,8080,40000-49999 --seed 11 "$work/feat.json"
	check_stats feature-moved "$work/stats-feature-moved.json" --allowed "$feat_allowed" --dropped "$feat_dropped"
	stop_daemon "$work/feature-moved.log"
else
	fail "no system with both an allowed and a blocked feature among the captures"
fi

# ---------------------------------------------------------------------------
# i: the shipped policy/policy.ini: inline, every flow gets the verdict the
# offline classifier gives it (the kernel port blocks must not cut features
# the policy allows, e.g. AIM/ICQ login and IM on 5190 beside AIM's blocked
# file transfer)

extract "$work/default.json" "$src/policy/policy.ini" --min-confidence 70 \
	--per-class 2 --max-flows 6 "${im_caps[@]}" "${own[@]}"
start_daemon "$src/policy/policy.ini" "$work/default.log"
play default verdict --jobs 8 "$work/default.json" "$work/neg.json"
check_stats default "$work/stats-default.json"
stop_daemon "$work/default.log"

# ---------------------------------------------------------------------------
# d + e: port evasion

start_daemon "$work/block.ini" "$work/evasion.log"
play evasion stopped --remap-ports 443,8080,40000-49999 --seed 7 "$work/im.json"
check_stats evasion "$work/stats-evasion.json" --count-udp
stop_daemon "$work/evasion.log"

# ---------------------------------------------------------------------------
# g: fail open

start_daemon "$work/failopen.ini" "$work/failopen.log"
py "$PG_REPLAY" synth --kind slowhttp --chunks 8 --size 64 --port 7000 >"$work/stream.json"
# shellcheck disable=SC2046
py "$PG_REPLAY" play $(pg_replay_args) --pace 0.25 --timeout 4 --expect whole --label stream \
	--results "$results" "$work/stream.json" >"$work/stream.out" 2>&1 &
stream_pid=$!
sleep 1
pg_e2e_ctl flows --json >"$work/flows-before.json" 2>/dev/null
grep -q '"server":"[^"]*:7000".*"state":"inspecting"' "$work/flows-before.json" &&
	pass "fail-open: the long flow is still being inspected when the daemon dies" ||
	fail "fail-open: the long flow was not under inspection at kill time: $(grep ':7000' "$work/flows-before.json")"
kill -KILL "$daemon"
wait "$daemon" 2>/dev/null
daemon=
wait "$stream_pid" && pass "fail-open: the flow under inspection kept flowing after kill -9 ($(tail -1 "$work/stream.out"))" ||
	{ cat "$work/stream.out"; fail "fail-open: the flow under inspection broke when the daemon died"; }
play failopen whole --remap-ports 443,8080,40000-49999 --seed 11 "$work/im.json" "$work/neg.json"
# nft shows the table; this nft cannot print the xt NFQUEUE target's flags
# (libxtables: "unhandled NFPROTO"), so the bypass flag is read back from
# the kernel by `peergatectl rules show` (nft's syntax, the xt target from
# its own dump), run in the router
if pg_in "$R" nft list table inet peergate >"$work/table.txt" 2>/dev/null; then
	pg_in "$R" "$ctl" rules show >"$work/rules.txt" 2>&1
	if grep -q 'queue.*bypass' "$work/rules.txt" "$work/table.txt"; then
		pass "fail-open: table inet peergate still there, queue rule with bypass ($(grep -h -m1 -o 'queue flags bypass to [0-9-]*' "$work/rules.txt" "$work/table.txt" | head -1))"
	else
		fail "fail-open: the queue rule has no bypass"
		grep -n queue "$work/rules.txt" "$work/table.txt"
	fi
else
	fail "fail-open: table inet peergate gone after kill -9"
fi
pg_in "$R" nft delete table inet peergate 2>/dev/null

# ---------------------------------------------------------------------------

pg_e2e_finish "$work"/{block,allow,feature,default,evasion,failopen}.log
