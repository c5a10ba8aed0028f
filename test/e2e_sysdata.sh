#!/usr/bin/env bash
# A new messenger added and blocked with a data file and a reload, with no
# rebuild, through a client | router | server namespace router:
#   1. peergated runs with a copy of the shipped systems.d; flows to the
#      server pass.
#   2. A data file for a made-up system (examplechat: a host pattern and an
#      address range holding one server address) and a policy blocking it
#      are written, and the daemon reloads: a flow to the address in the
#      range is blocked on its first packet, an HTTP request naming the host
#      to another address is blocked once its Host header is read, a flow
#      to a third address passes, and `stats` counts the blocked flows
#      under the new name.
#   3. A data file with an error is refused on reload with FILE:LINE, and
#      the running policy (and its data) stays in force.
# Arguments: BUILD_DIR SRC_DIR.  Skips (77) without root.
set -u
. "${2:?usage: e2e_sysdata.sh BUILD_DIR SRC_DIR}/test/lib/e2e.sh"
pg_e2e_begin e2e_sysdata "$1" "$2" pgsd
PORT=8088
IN_RANGE=10.231.2.2      # $PG_S4: the made-up vendor range holds it
BY_HOST=10.231.2.3       # reached with Host: chat.example-messenger.test
OTHER=10.231.2.4

# The server answers every connection with "pong" once it has read a line.
cat >"$work/server.py" <<'PY'
import socket, sys, threading
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", int(sys.argv[1])))
s.listen(64)
print("listening", flush=True)
def serve(c):
    try:
        c.settimeout(5)
        c.recv(4096)
        c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\npong")
    except OSError:
        pass
    finally:
        c.close()
while True:
    c, _ = s.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
PY
# One request; prints "ok" when the answer came back, else "blocked".
cat >"$work/client.py" <<'PY'
import socket, sys
addr, port, host = sys.argv[1], int(sys.argv[2]), sys.argv[3]
try:
    c = socket.create_connection((addr, port), timeout=3)
    c.settimeout(3)
    c.sendall(("GET / HTTP/1.1\r\nHost: %s\r\nUser-Agent: t\r\n\r\n" % host).encode())
    data = b""
    while True:
        b = c.recv(4096)
        if not b:
            break
        data += b
        if data.endswith(b"pong"):
            break
    print("ok" if data.endswith(b"pong") else "blocked")
except OSError:
    print("blocked")
PY
request() { pg_in "$PG_NS_CLIENT" "$PG_PY" "$work/client.py" "$1" "$PORT" "$2"; }

cp -r "$src/policy/systems.d" "$work/systems.d"
cat >"$work/policy.ini" <<'INI'
[engine]
fail = open
[telegram]
im = allow
INI
pg_spawn "$PG_NS_SERVER" "$work/server.log" "$PG_PY" "$work/server.py" "$PORT"
for _ in $(seq 50); do grep -q listening "$work/server.log" && break; sleep 0.1; done
pg_e2e_daemon "$work/daemon.log" --policy "$work/policy.ini" --systems "$work/systems.d" --state ""

# 1. before: everything passes
[ "$(request $IN_RANGE chat.example-messenger.test)" = ok ] ||
	fail "before the data file, a flow to $IN_RANGE did not pass"
[ "$(request $BY_HOST chat.example-messenger.test)" = ok ] ||
	fail "before the data file, a request naming chat.example-messenger.test did not pass"

# 2. the data file, a policy that blocks the new system, a reload
cat >"$work/systems.d/examplechat.conf" <<'CONF'
# A made-up messenger for this test.
[system]
name = examplechat
features = im file-transfer
[im]
hosts = chat.example-messenger.test
; the test server's address: RFC 1918 space of this namespace router only
ranges = 10.231.2.2/32 fd00:231:2::2/128
CONF
cat >"$work/policy.ini" <<'INI'
[engine]
fail = open
[examplechat]
im = block
INI
out=$(pg_in "$R" "$build/peergatectl" check --systems "$work/systems.d" "$work/policy.ini" 2>&1) ||
	fail "check refused the new data file: $out"
echo "$out" | grep -q "systems data: .* 10 new systems" ||
	fail "check does not count the data files: $out"
echo "$out" | grep -q "examplechat *block im" || fail "check does not show examplechat blocked: $out"
out=$(pg_e2e_ctl reload 2>&1) || fail "reload with the new data file failed: $out"

[ "$(request $IN_RANGE x.test)" = blocked ] ||
	fail "a flow to $IN_RANGE (in examplechat's range) was not blocked"
[ "$(request $BY_HOST chat.example-messenger.test)" = blocked ] ||
	fail "a request with Host: chat.example-messenger.test was not blocked"
[ "$(request $OTHER www.example.test)" = ok ] ||
	fail "a flow to $OTHER naming another host was blocked"

verdicts=$(pg_e2e_ctl stats --json | "$PG_PY" -c '
import json, sys
for v in json.load(sys.stdin)["verdicts"]:
    if v["system"] == "examplechat":
        print(v["feature"], v["flows"], v["flows_dropped"])')
echo "examplechat counters (feature flows dropped): ${verdicts:-none}"
dropped=$(echo "$verdicts" | awk '$1 == "im" { print $3 }')
[ "${dropped:-0}" -ge 2 ] || fail "stats count ${dropped:-0} blocked examplechat/im flows, expected 2"
flows=$(pg_e2e_ctl flows --json 2>/dev/null | grep -c '"system":"examplechat"')
echo "flows naming examplechat: $flows"

# 3. a broken data file is refused; the running policy stays
cat >"$work/systems.d/broken.conf" <<'CONF'
[system]
name = broken
features = im
[im]
ranges = 10.231.2.3/24
CONF
out=$(pg_e2e_ctl reload 2>&1) && fail "a reload with a bad prefix in a data file was accepted"
echo "$out" | grep -q "$work/systems.d/broken.conf:5: bad prefix '10.231.2.3/24'" ||
	fail "the refused reload does not say FILE:LINE: $out"
[ "$(request $IN_RANGE x.test)" = blocked ] ||
	fail "after the refused reload, examplechat is no longer blocked"
rm -f "$work/systems.d/broken.conf"

# and removing the data file (and the policy's section) lets the flow pass
rm -f "$work/systems.d/examplechat.conf"
printf '[engine]\nfail = open\n' >"$work/policy.ini"
out=$(pg_e2e_ctl reload 2>&1) || fail "reload without the data file failed: $out"
[ "$(request $IN_RANGE x.test)" = ok ] || fail "with examplechat gone, the flow to $IN_RANGE was blocked"

pg_e2e_finish
