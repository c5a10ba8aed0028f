#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# End-to-end: new connections' SYNs are logged (NFLOG), not queued, through
# a client | router | server namespace router with peergated inline
# ([bittorrent] all = log and [gnutella] all = block, ports = no, so the
# daemon decides both on the first payload).
#
#   a. with the SYN log: BitTorrent handshakes over IPv4 and IPv6 arrive
#      whole (action log), Gnutella connects are reset; `stats` shows every
#      connection's SYN read from the log group and handed to the engine
#      before its first payload (syn_log.taken, engine.syns_replayed), and
#      the daemon queued about one packet per connection (the payload that
#      decided it), not two
#   c. (after a) a flood of 20,000 SYNs from many ports: the daemon stays
#      up, the SYN table stays within its slots (replaced, never grown), and
#      connections made after the flood are still decided from their SYN
#   d. (after c) the same client port reused for a new connection after a
#      reset (conntrack starts a new entry): the first connection is
#      BitTorrent (log, stamped accept), the second Gnutella, which must be
#      blocked, not let through under the old flow's verdict
#   b. the group is taken by another program: the daemon says so, the
#      table queues SYNs instead (stats has no syn_log), and the same
#      connections are decided the same, with two packets queued each
#
# Needs root (skips with 77 otherwise).  Usage: e2e_synlog.sh BUILD_DIR SRC_DIR
set -u
. "${2:?usage: e2e_synlog.sh BUILD_DIR SRC_DIR}/test/lib/e2e.sh"
pg_e2e_begin e2e_synlog "$1" "$2"
tool="$src/test/tools/segsend.py"

cat >"$work/policy.ini" <<'EOF2'
[engine]
queue = 0
[bittorrent]
all = log
ports = no
[gnutella]
all = block
ports = no
EOF2
"$build/peergated" --check --policy "$work/policy.ini" >/dev/null 2>"$work/check.err" ||
	{ echo "FAIL: peergated --check refuses the policy:"; cat "$work/check.err"; exit 1; }
# The group the daemon on queue 0 logs SYNs to (PG_NFT_SYN_LOG_GROUP_BASE).
group=$((0x7067))

bt=13426974546f7272656e742070726f746f636f6c0000000000100005
bt+=d2e53fb603652d991991b6ad2357a7a28f8d9bb42d7142343235302d6b7a5f31394e2e7121763c4d
gnutella=$(printf 'GNUTELLA CONNECT/0.6\r\nUser-Agent: test\r\n\r\n' | od -An -tx1 | tr -d ' \n')

pg_e2e_netns pgsl
echo "namespaces: $C | $R | $S"
mkdir "$work/recv"
pg_spawn "$S" "$work/server.log" "$PG_PY" "$tool" server 8000 "$work/recv"
pg_wait_listen "$S" 8000

start_daemon() { # LOG
	[ -x "$(command -v conntrack)" ] && pg_in "$R" conntrack -F >/dev/null 2>&1
	pg_e2e_daemon "$1" --policy "$work/policy.ini"
}
stop_daemon() {
	kill "$daemon" 2>/dev/null
	wait "$daemon" 2>/dev/null
}
stats() { timeout 10 "$PG_E2E_CTL" stats --json --socket "$sock" >"$1" 2>"$work/ctl.err"; }

# Runs N connections of HEX to HOST, one at a time; prints their statuses.
connections() { # N HOST HEX
	local out
	for _ in $(seq "$1"); do
		out=$(pg_in "$C" timeout 10 "$PG_PY" "$tool" send "$2" 8000 1000 "$3" --timeout 3 \
			2>/dev/null | awk '{print $2}')
		echo "${out:-error}"
	done
}

# Checks the statuses: all must be WANT ("!whole": anything but whole, a
# blocked connection ends in a reset or an error).
expect_all() { # WHAT WANT FILE N
	local got
	if [ "$2" = '!whole' ]; then
		got=$(grep -vc '^whole$' "$3")
	else
		got=$(grep -c "^$2\$" "$3")
	fi
	if [ "$got" -eq "$4" ]; then
		pass "$1: $got/$4 $2"
	else
		fail "$1: $got/$4 $2 ($(sort "$3" | uniq -c | tr '\n' ' '))"
	fi
}

# ---- a. the SYN log ---------------------------------------------------------
start_daemon "$work/daemon-a.log"
connections 6 "$PG_S4" "$bt" >"$work/a-bt4"
connections 4 "$PG_S6" "$bt" >"$work/a-bt6"
connections 4 "$PG_S4" "$gnutella" >"$work/a-gn"
sleep 0.5
stats "$work/a.json" || fail "a: stats"
expect_all "a: BitTorrent over IPv4 (log)" whole "$work/a-bt4" 6
expect_all "a: BitTorrent over IPv6 (log)" whole "$work/a-bt6" 4
expect_all "a: Gnutella (block)" '!whole' "$work/a-gn" 4
"$PG_PY" - "$work/a.json" "$group" 14 <<'PY' || failures=$((failures + 1))
import json, sys
s = json.load(open(sys.argv[1]))
group, conns = int(sys.argv[2]), int(sys.argv[3])
e, sl = s["engine"], s.get("syn_log")
ok = True
def check(cond, what):
    global ok
    print(("PASS: a: " if cond else "FAIL: a: ") + what)
    ok = ok and cond
check(sl is not None and sl["group"] == group, "stats has the SYN log on group %d (%s)" % (group, sl))
if sl:
    check(sl["taken"] >= conns and e["syns_replayed"] == sl["taken"],
          "each connection's SYN handed to the engine: taken %d, replayed %d, for %d connections"
          % (sl["taken"], e["syns_replayed"], conns))
    check(sl["socket_overruns"] == 0 and sl["read_failures"] == 0, "no SYN lost")
# The payload that decided each connection, and a retransmission at most
# here and there on a loaded machine: well under two a connection.
check(conns <= e["queued"] <= conns * 3 // 2,
      "packets queued: %d for %d connections (SYNs not queued)" % (e["queued"], conns))
v = s["verdicts"]
flows = {}
for row in (v if isinstance(v, list) else v.get("classes", [])):
    flows[row.get("system")] = flows.get(row.get("system"), 0) + row.get("flows", 0)
check(flows.get("bittorrent", 0) == 10 and flows.get("gnutella", 0) == 4,
      "flows decided: bittorrent %s, gnutella %s" % (flows.get("bittorrent"), flows.get("gnutella")))
sys.exit(0 if ok else 1)
PY

# ---- c. a SYN flood --------------------------------------------------------
cat >"$work/synflood.py" <<'PY'
# COUNT SYNs (no handshake follows) from SRC, ports 20000 up, to DST:PORT.
import socket, struct, sys
src, dst, port, count = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
def csum(b):
    if len(b) % 2:
        b += b"\0"
    t = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while t >> 16:
        t = (t & 0xffff) + (t >> 16)
    return ~t & 0xffff
raw = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
s_b, d_b = socket.inet_aton(src), socket.inet_aton(dst)
for i in range(count):
    tcp = struct.pack("!HHIIBBHHH", 20000 + i % 40000, port, 7 * i, 0, 5 << 4, 0x02, 65535, 0, 0)
    pseudo = s_b + d_b + struct.pack("!BBH", 0, 6, len(tcp))
    tcp = tcp[:16] + struct.pack("!H", csum(pseudo + tcp)) + tcp[18:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 40, 0, 0, 64, 6, 0, s_b, d_b)
    raw.sendto(ip + tcp, (dst, 0))
PY
# The client's kernel would answer the server's SYN-ACKs with resets; the
# flood's connections stay half-open either way.
pg_in "$C" "$PG_PY" "$work/synflood.py" "$PG_C4" "$PG_S4" 9 20000 ||
	fail "c: the flood did not run"
sleep 1
connections 3 "$PG_S4" "$bt" >"$work/c-bt"
connections 2 "$PG_S4" "$gnutella" >"$work/c-gn"
sleep 0.5
if kill -0 "$daemon" 2>/dev/null && stats "$work/c.json"; then
	pass "c: the daemon is up after the flood"
else
	fail "c: the daemon is gone after the flood"
fi
expect_all "c: BitTorrent after the flood (log)" whole "$work/c-bt" 3
expect_all "c: Gnutella after the flood (block)" '!whole' "$work/c-gn" 2
"$PG_PY" - "$work/a.json" "$work/c.json" <<'PY' || failures=$((failures + 1))
import json, sys
a, c = (json.load(open(f)) for f in sys.argv[1:3])
sa, sc = a["syn_log"], c["syn_log"]
seen = sc["read"] + sc["socket_overruns"]
ok = seen > sa["read"] + 1000 and sc["taken"] - sa["taken"] == 5 \
    and sc["replaced"] > 0 and c["engine"]["syns_replayed"] == sc["taken"]
print(("PASS" if ok else "FAIL") + ": c: flood read %d (overruns %d), replaced %d; the 5 "
      "connections after it took %d SYNs" % (sc["read"] - sa["read"], sc["socket_overruns"],
                                             sc["replaced"], sc["taken"] - sa["taken"]))
sys.exit(0 if ok else 1)
PY

# ---- d. a client port reused -----------------------------------------------
cat >"$work/reuse.py" <<'PY'
# One connection from SPORT to HOST:PORT: send HEX, then end it with a reset
# (SO_LINGER 0), so that the port can be reused at once.
import socket, struct, sys, time
host, port, sport, data = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), bytes.fromhex(sys.argv[4])
s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", sport))
s.settimeout(3)
try:
    s.connect((host, port))
    s.sendall(data)
    time.sleep(0.5)
except OSError as e:
    print("error", e)
s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
s.close()
PY
pg_in "$C" timeout 10 "$PG_PY" "$work/reuse.py" "$PG_S4" 8000 45123 "$bt"
pg_in "$C" timeout 10 "$PG_PY" "$work/reuse.py" "$PG_S4" 8000 45123 "$gnutella" >/dev/null
sleep 0.5
stats "$work/d.json" || fail "d: stats"
if grep -qa "BitTorrent protocol" "$work/recv/45123.bin" 2>/dev/null; then
	pass "d: the first connection from port 45123 (BitTorrent, log) arrived"
else
	fail "d: the first connection from port 45123 did not arrive"
fi
if grep -qa "GNUTELLA" "$work/recv/45123.bin" 2>/dev/null; then
	fail "d: the reused port's Gnutella connect reached the server (old verdict)"
else
	pass "d: the reused port's Gnutella connect was blocked"
fi
"$PG_PY" - "$work/d.json" <<'PY' || failures=$((failures + 1))
import json, sys
e = json.load(open(sys.argv[1]))["engine"]
ok = e["flows_reused"] >= 1
print(("PASS" if ok else "FAIL") + ": d: flows_reused %d" % e["flows_reused"])
sys.exit(0 if ok else 1)
PY
stop_daemon

# ---- b. the group is taken: SYNs are queued ----------------------------------
cat >"$work/holder.py" <<'PY'
# Binds an NFLOG group (as ulogd or another logger would) and waits.
import socket, struct, sys, time
group = int(sys.argv[1])
s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 12)  # NETLINK_NETFILTER
s.bind((0, 0))
attr = struct.pack("=HHB3x", 5, 1, 1)                      # NFULA_CFG_CMD: BIND
body = struct.pack("=BBH", 0, 0, socket.htons(group)) + attr
hdr = struct.pack("=IHHII", 16 + len(body), (4 << 8) | 1, 0x5, 1, 0)
s.send(hdr + body)
ans = s.recv(4096)
err = struct.unpack("=i", ans[16:20])[0]
print("bound" if err == 0 else "error %d" % err, flush=True)
time.sleep(3600)
PY
pg_spawn "$R" "$work/holder.log" "$PG_PY" "$work/holder.py" "$group"
for _ in $(seq 50); do grep -q . "$work/holder.log" && break; sleep 0.1; done
grep -q bound "$work/holder.log" || fail "b: cannot bind the group for the test ($(cat "$work/holder.log"))"
start_daemon "$work/daemon-b.log"
if grep -q "SYNs will be queued" "$work/daemon-b.log"; then
	pass "b: the daemon says the SYNs will be queued"
else
	fail "b: no warning about the taken group"
fi
connections 4 "$PG_S4" "$bt" >"$work/b-bt"
connections 2 "$PG_S4" "$gnutella" >"$work/b-gn"
sleep 0.5
stats "$work/b.json" || fail "b: stats"
expect_all "b: BitTorrent (log), SYNs queued" whole "$work/b-bt" 4
expect_all "b: Gnutella (block), SYNs queued" '!whole' "$work/b-gn" 2
"$PG_PY" - "$work/b.json" 6 <<'PY' || failures=$((failures + 1))
import json, sys
s = json.load(open(sys.argv[1]))
conns = int(sys.argv[2])
e = s["engine"]
ok = "syn_log" not in s and e["syns_replayed"] == 0 and e["queued"] >= 2 * conns
print(("PASS" if ok else "FAIL") + ": b: no SYN log, %d packets queued for %d connections"
      % (e["queued"], conns))
sys.exit(0 if ok else 1)
PY
stop_daemon
if grep -rqa "GNUTELLA CONNECT" "$work/recv"; then
	fail "the server received a Gnutella connect"
else
	pass "no Gnutella connect reached the server"
fi

pg_e2e_finish "$work"/daemon-*.log
