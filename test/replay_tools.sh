#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Checks the replay tooling itself (test/tools/pcapflows.py): a capture
# written with retransmitted, overlapping and reordered TCP segments, a
# capture gap, and UDP with a server-first datagram is read back into the
# exact exchanges; pcap and pcapng, IPv4 and IPv6.  No root needed.
# Usage: replay_tools.sh BUILD_DIR SRC_DIR
set -u
src=${2:?usage: replay_tools.sh BUILD_DIR SRC_DIR}
py=python3
[ -x /usr/bin/python3 ] && py=/usr/bin/python3
exec "$py" - "$src/test/tools" <<'PY'
import os, struct, sys, tempfile
sys.path.insert(0, sys.argv[1])
import pcapflows as P

failed = passed = 0
def check(name, cond):
    global failed, passed
    print(("ok   " if cond else "FAIL ") + name)
    passed += bool(cond)
    failed += not cond

def tcp(fam, src, dst, seq, flags, data=b""):
    l4 = struct.pack("!HHIIBBHHH", src[1], dst[1], seq & 0xFFFFFFFF, 0, 5 << 4, flags,
                     65535, 0, 0) + data
    return P._ip_packet(fam, src[0], dst[0], P.TCP, l4)

def udp(fam, src, dst, data):
    return P._ip_packet(fam, src[0], dst[0], P.UDP,
                        struct.pack("!HHHH", src[1], dst[1], 8 + len(data), 0) + data)

tmp = tempfile.mkdtemp()
for fam, c, s in ((4, ("192.0.2.1", 40000), ("198.51.100.7", 5190)),
                  (6, ("2001:db8::1", 40000), ("2001:db8::2", 5190))):
    path = os.path.join(tmp, "t%d.pcap" % fam)
    w = P.PcapWriter(path)
    isn_c, isn_s = 0xFFFFFF00, 1000        # the client's sequence wraps
    A = b"A" * 300; B = b"B" * 200; C = b"hello"; D = b"D" * 100
    w.packet(tcp(fam, c, s, isn_c, P.SYN))
    w.packet(tcp(fam, s, c, isn_s, P.SYN | P.ACK))
    w.packet(tcp(fam, c, s, isn_c + 1, P.ACK))
    w.packet(tcp(fam, c, s, isn_c + 1 + 150, 0x18, A[150:]))  # second half first
    w.packet(tcp(fam, c, s, isn_c + 1, 0x18, A[:150]))         # then the first
    w.packet(tcp(fam, c, s, isn_c + 1, 0x18, A[:200]))         # retransmitted overlap
    w.packet(tcp(fam, s, c, isn_s + 1, 0x18, B))
    w.packet(tcp(fam, s, c, isn_s + 1, 0x18, B))               # plain retransmission
    w.packet(tcp(fam, c, s, isn_c + 301, 0x18, C))
    w.packet(tcp(fam, s, c, isn_s + 201 + 50, 0x18, D))        # 50 bytes never captured
    w.packet(tcp(fam, c, s, isn_c + 306, 0x11))
    u = (c[0], 53000), (s[0], 6881)
    w.packet(udp(fam, u[1], u[0], b"server-first"))
    w.packet(udp(fam, u[0], u[1], b"q1"))
    w.packet(udp(fam, u[1], u[0], b"r1"))
    w.packet(udp(fam, u[0], u[1], b"q1"))                     # UDP keeps repeats
    w.close()
    flows = P.read_flows(path)
    t = [f for f in flows if f.l4 == "tcp"][0]
    got = [(d, bytes(b)) for d, b in t.chunks]
    check("v%d tcp: client/server from the SYN" % fam, t.client == c and t.server == s)
    check("v%d tcp: reordered, overlapping, retransmitted, wrapping bytes once, in order" % fam,
          got == [("c", A), ("s", B), ("c", C), ("s", D)])
    check("v%d tcp: the capture gap is counted" % fam, t.gap_bytes == 50)
    ud = [f for f in flows if f.l4 == "udp"][0]
    ch = [(d, bytes(b)) for d, b in ud.replay_chunks()]
    check("v%d udp: the first sender is the client, one chunk per datagram" % fam,
          ud.client == u[1] and len(ch) == 4 and ch[0] == ("c", b"server-first"))
    ud.swap()   # what `extract` does when the engine says the other side is the client
    ch = [(d, bytes(b)) for d, b in ud.replay_chunks()]
    check("v%d udp: swapped, the replay starts with the client's datagram" % fam,
          ud.client == u[0] and ch == [("c", b"q1"), ("s", b"r1"), ("c", b"q1")])

# pcapng with Ethernet + VLAN + PPPoE framing, nanosecond resolution
ip = tcp(4, ("192.0.2.1", 1), ("192.0.2.2", 2), 5, P.SYN)
ip2 = tcp(4, ("192.0.2.1", 1), ("192.0.2.2", 2), 6, 0x18, b"xyz")
eth = lambda payload: b"\x00" * 12 + b"\x81\x00\x00\x05" + b"\x88\x64" + \
    b"\x11\x00\x00\x01" + struct.pack("!H", len(payload) + 2) + b"\x00\x21" + payload
def blk(t, body):
    body += b"\0" * (-len(body) % 4)
    return struct.pack("<II", t, len(body) + 12) + body + struct.pack("<I", len(body) + 12)
ng = blk(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1))
ng += blk(1, struct.pack("<HHI", 1, 0, 65535) + struct.pack("<HHB3x", 9, 1, 9) + b"\0\0\0\0")
for i, p in enumerate((ip, ip2)):
    fr = eth(p)
    ng += blk(6, struct.pack("<IIIII", 0, 0, i, len(fr), len(fr)) + fr)
path = os.path.join(tmp, "t.pcapng")
open(path, "wb").write(ng)
f = P.read_flows(path)
check("pcapng, VLAN + PPPoE: one flow with the payload",
      len(f) == 1 and [(d, bytes(b)) for d, b in f[0].chunks] == [("c", b"xyz")])
print("replay tools: %d passed, %d failed" % (passed, failed))
sys.exit(1 if failed else 0)
PY
