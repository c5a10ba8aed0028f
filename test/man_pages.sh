#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# The man pages against the binaries:
#   1. SYNOPSIS: peergated's options, and peergatectl's commands, each
#      command's options and the rules actions, are exactly what the
#      binaries' --help texts name.
#   2. JSON OUTPUT: every member name the --json outputs really carry is
#      documented in peergatectl(8), in the subsection of its command:
#      classify (test/captures, with a policy), and as root, in a private
#      network namespace with peergated running and one flow tracked,
#      stats, flows, reload and rules show.
# Arguments: BUILD_DIR SRC_DIR.  Part 2's daemon half skips without root.
set -u
build=$(cd "$1" && pwd)
src=$(cd "$2" && pwd)
if [ -z "${PG_PY:-}" ]; then
	if [ -x /usr/bin/python3 ]; then PG_PY=/usr/bin/python3; else PG_PY=python3; fi
fi
work=$(mktemp -d /tmp/pgman.XXXXXX)
ns=
daemon=
cleanup() {
	[ -n "$daemon" ] && kill -KILL "$daemon" 2>/dev/null && wait "$daemon" 2>/dev/null
	[ -n "$ns" ] && ip netns del "$ns" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT
failures=0
ctl=$build/peergatectl

cat >"$work/man.py" <<'PY'
import json, re, shlex, subprocess, sys

def section(path, start, stop=(".SH", ".SS")):
    """Lines of the man page from the line starting with start to the next heading."""
    lines, on = [], False
    for line in open(path):
        line = line.rstrip("\n")
        if line.startswith(start):
            on = True
            continue
        if on and line.startswith(stop):
            break
        if on:
            lines.append(line)
    return lines

def bold_words(lines):
    """Names set in bold: .B, the bold halves of .BR/.RB, and \\fB...\\fR."""
    words = set()
    for line in lines:
        for m in re.finditer(r"\\fB([^\\]+)\\f[RPI]", line):
            words.update(re.findall(r"[a-z_0-9]+", m.group(1)))
        if line.startswith((".B ", ".BR ", ".RB ")):
            args = shlex.split(line.split(" ", 1)[1].replace("\\", "\\\\"))
            first = 0 if line.startswith((".B ", ".BR ")) else 1
            for i, a in enumerate(args):
                if line.startswith(".B ") or i % 2 == first:
                    words.update(re.findall(r"[a-z_0-9]+", a.replace("\\\\-", "-")))
    return words

def long_opts(text):
    return set(re.findall(r"--[a-z][a-z-]*", text.replace("\\-", "-")))

def synopsis_entries(path, prog):
    """{command: text} of the SYNOPSIS; entries start with '.B prog'."""
    entries, cur = {}, None
    for line in section(path, ".SH SYNOPSIS", (".SH",)):
        m = re.match(r"\.B %s(?: (\S+))?$" % prog, line)
        if m:
            cur = m.group(1) or ""
            entries.setdefault(cur, "")
        elif cur is not None:
            entries[cur] += line + "\n"
    return entries

def run(*args):
    return subprocess.run(args, capture_output=True, text=True).stdout

def check_synopsis(src, build):
    bad = []
    daemon_help = long_opts(run(build + "/peergated", "--help"))
    syn = synopsis_entries(src + "/man/peergated.8", "peergated")
    daemon_man = set().union(*[long_opts(t) for t in syn.values()])
    if daemon_help != daemon_man:
        bad.append("peergated: --help has %s, the man page %s" % (
            sorted(daemon_help - daemon_man), sorted(daemon_man - daemon_help)))
    ctl = build + "/peergatectl"
    cmds = re.findall(r"^  ([a-z]+) ", run(ctl, "--help").split("Commands:")[1], re.M)
    syn = synopsis_entries(src + "/man/peergatectl.8", "peergatectl")
    man_cmds = [c for c in syn if c]
    if sorted(cmds) != sorted(man_cmds):
        bad.append("peergatectl commands: binary %s, man page %s" % (cmds, man_cmds))
    for c in cmds:
        text = run(ctl, c, "--help")
        have, doc = long_opts(text) - {"--help"}, long_opts(syn.get(c, ""))
        if have != doc:
            bad.append("peergatectl %s: --help has %s, the man page %s" % (
                c, sorted(have), sorted(doc)))
        for action in re.findall(r"peergatectl %s ([a-z]+)" % c, text):
            if not re.search(r"\b%s\b" % action, syn.get(c, "")):
                bad.append("peergatectl %s %s: not in the synopsis" % (c, action))
    for b in bad:
        print("FAIL: synopsis: " + b)
    if not bad:
        print("ok: synopsis: peergated's %d options, peergatectl's %d commands with "
              "their options and actions match --help" % (len(daemon_help), len(cmds)))
    return len(bad)

def keys(v, out):
    if isinstance(v, dict):
        for k, x in v.items():
            out.add(k)
            keys(x, out)
    elif isinstance(v, list):
        for x in v:
            keys(x, out)
    return out

def check_json(src, what, path):
    docs = bold_words(section(src + "/man/peergatectl.8", '.SS "%s \\-\\-json"' % what))
    seen = set()
    for line in open(path):
        if line.strip():
            keys(json.loads(line), seen)
    if not seen:
        print("FAIL: json: %s printed nothing to check" % what)
        return 1
    missing = sorted(seen - docs)
    if missing:
        print("FAIL: json: %s --json members not documented in peergatectl(8): %s" % (
            what, missing))
        return 1
    print("ok: json: %s --json: all %d member names documented" % (what, len(seen)))
    return 0

if sys.argv[1] == "synopsis":
    sys.exit(check_synopsis(sys.argv[2], sys.argv[3]))
sys.exit(check_json(sys.argv[2], sys.argv[3], sys.argv[4]))
PY
man_py() { "$PG_PY" "$work/man.py" "$@" || failures=$((failures + 1)); }

man_py synopsis "$src" "$build"
"$ctl" classify --json --policy "$src/policy/policy.ini" "$src"/test/captures/*.pcap* \
	>"$work/classify.json" 2>"$work/classify.err" ||
	{ echo "FAIL: classify: $(head -3 "$work/classify.err")"; failures=$((failures + 1)); }
man_py json "$src" classify "$work/classify.json"

if [ "$(id -u)" -ne 0 ] || ! command -v nft >/dev/null 2>&1; then
	echo "note: not root (or no nft): stats, flows, reload and rules show not checked"
else
	ns=pgman$$
	ip netns add "$ns" && ip -n "$ns" link set lo up ||
		{ echo "FAIL: cannot create a namespace"; exit 1; }
	printf '[engine]\nhooks = output\nfail = open\n' >"$work/policy.ini"
	sock=$work/ctl.sock
	ip netns exec "$ns" "$build/peergated" --policy "$work/policy.ini" --socket "$sock" \
		>"$work/daemon.log" 2>&1 &
	daemon=$!
	for _ in $(seq 50); do
		ip netns exec "$ns" "$ctl" stats --json --socket "$sock" >/dev/null 2>&1 && break
		sleep 0.1
	done
	# one flow for `flows`: a BitTorrent DHT ping over loopback
	ip netns exec "$ns" "$PG_PY" -c 'import socket
m = b"d1:ad2:id20:" + bytes(range(20)) + b"e1:q4:ping1:t2:aa1:y1:qe"
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.sendto(m, ("127.0.0.1", 40000))'
	for _ in $(seq 50); do
		ip netns exec "$ns" "$ctl" flows --json --socket "$sock" >"$work/flows.json" 2>&1
		[ -s "$work/flows.json" ] && break
		sleep 0.1
	done
	ip netns exec "$ns" "$ctl" stats --json --socket "$sock" >"$work/stats.json" 2>&1
	ip netns exec "$ns" "$ctl" reload --json --socket "$sock" >"$work/reload.json" 2>&1
	ip netns exec "$ns" "$ctl" rules show --json >"$work/show.json" 2>&1
	man_py json "$src" stats "$work/stats.json"
	man_py json "$src" flows "$work/flows.json"
	man_py json "$src" reload "$work/reload.json"
	# rules show --json is nft's own schema (libnftables-json(5)), which
	# the man page names instead of listing its members
	"$PG_PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if isinstance(d.get("nftables"), list) else 1)' \
		"$work/show.json" ||
		{ echo "FAIL: json: rules show --json is not nft's {\"nftables\": [...]}"; failures=$((failures + 1)); }
	grep -q 'libnftables\\-json' "$src/man/peergatectl.8" ||
		{ echo "FAIL: json: peergatectl(8) does not name libnftables-json(5) for rules show --json"; failures=$((failures + 1)); }
fi

if [ "$failures" = 0 ]; then
	echo "man_pages: 1 passed, 0 failed"
	exit 0
fi
[ -f "$work/daemon.log" ] && { echo "--- daemon log"; tail -5 "$work/daemon.log"; }
echo "man_pages: 0 passed, $failures failed"
exit 1
