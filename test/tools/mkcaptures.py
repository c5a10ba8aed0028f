#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The scripted protocol sessions behind test/captures/*.pcap.

  mkcaptures.py list              the capture names
  mkcaptures.py flows NAME        the sessions of one capture as pgreplay flows

Each session is the byte exchange of a real client and server of the
protocol, written out from the protocol's wire format (FLAP/SNAC for
OSCAR, MSNP and MSNFTP, YMSG, Gnutella 0.6, the BitTorrent peer wire, KRPC
and the HTTP tracker, and ordinary HTTP, SMTP, SSH and TLS for the negative
capture; the TLS handshake is produced by Python's ssl module).
test/tools/mkcaptures.sh plays them over real sockets between network
namespaces and records them with dumpcap or tcpdump.  The addresses inside
(10.231.x, fd00:231::/32) are those of test/lib/netns.sh.
"""
import base64
import hashlib
import json
import os
import struct
import sys

SRV4 = "10.231.2.2"
CLI4 = "10.231.1.2"


def rnd(seed, n):
    """Deterministic filler bytes (cookies, hashes, file contents)."""
    out = b""
    i = 0
    while len(out) < n:
        out += hashlib.sha256(("%s/%d" % (seed, i)).encode()).digest()
        i += 1
    return out[:n]


# ---------------------------------------------------------------------------
# OSCAR (AIM / ICQ)

class Flap:
    def __init__(self, seq):
        self.seq = seq

    def frame(self, channel, data):
        f = struct.pack(">BBHH", 0x2A, channel, self.seq & 0xFFFF, len(data)) + data
        self.seq += 1
        return f

    def snac(self, family, subtype, reqid, data, flags=0):
        return self.frame(2, struct.pack(">HHHI", family, subtype, flags, reqid) + data)


def tlv(t, v):
    if isinstance(v, str):
        v = v.encode()
    return struct.pack(">HH", t, len(v)) + v


def u16(v):
    return struct.pack(">H", v)


def u32(v):
    return struct.pack(">I", v)


def bn(name):
    return bytes([len(name)]) + name.encode()


CAP_SENDFILE = bytes.fromhex("094613434C7F11D18222444553540000")
CLIENT_AIM = "AOL Instant Messenger, version 5.9.3702/WIN32"


def aim_auth(sn, password, bos):
    """MD5 login on the authorizer: the client asks for a key, logs in, and
    gets the BOS address and cookie."""
    c, s = Flap(0x1A2B), Flap(0x7C01)
    key = b"3461281075"
    pwhash = hashlib.md5(key + hashlib.md5(password.encode()).digest() +
                         b"AOL Instant Messenger (SM)").digest()
    cookie = rnd("aim-cookie-" + sn, 256)
    return [
        ("s", s.frame(1, u32(1))),
        ("c", c.frame(1, u32(1))),
        ("c", c.snac(0x17, 0x06, 0x00010000,
                     tlv(1, sn) + tlv(0x4B, b"") + tlv(0x5A, b""))),
        ("s", s.snac(0x17, 0x07, 0x00010000, u16(len(key)) + key)),
        ("c", c.snac(0x17, 0x02, 0x00020000,
                     tlv(1, sn) + tlv(0x25, pwhash) + tlv(0x4C, b"") +
                     tlv(3, CLIENT_AIM) + tlv(0x16, u16(0x0109)) + tlv(0x17, u16(5)) +
                     tlv(0x18, u16(9)) + tlv(0x19, u16(0)) + tlv(0x1A, u16(3702)) +
                     tlv(0x14, u32(0x111)) + tlv(0x0F, "en") + tlv(0x0E, "us") +
                     tlv(0x4A, b"\x01"))),
        ("s", s.snac(0x17, 0x03, 0x00020000,
                     tlv(1, sn) + tlv(5, bos) + tlv(6, cookie) +
                     tlv(0x11, sn + "@aol.com") + tlv(0x54, "http://aim.aol.com/password/change_password.adp"))),
        ("c", c.frame(4, b"")),
    ], cookie


def icbm_ch1(cookie8, to, text):
    frag = (u16(0x0501) + u16(1) + b"\x01" +
            u16(0x0101) + u16(4 + len(text)) + u16(0) + u16(0) + text.encode())
    return cookie8 + u16(1) + bn(to) + tlv(2, frag) + tlv(3, b"")


def userinfo(sn):
    return bn(sn) + u16(0) + u16(3) + tlv(1, u16(0x0010)) + tlv(0x0F, u32(17)) + \
        tlv(3, u32(0x3C2B1A00))


def aim_bos_im(sn, buddy, cookie, families, messages):
    """A BOS session: sign on with the cookie, the service handshake, then
    instant messages both ways (ICBM channel 1)."""
    c, s = Flap(0x2200), Flap(0x5511)
    fams = b"".join(u16(f) for f in families)
    ex = [
        ("s", s.frame(1, u32(1))),
        ("c", c.frame(1, u32(1) + tlv(6, cookie) + tlv(3, CLIENT_AIM) +
                      tlv(0x16, u16(0x0109)) + tlv(0x17, u16(5)) + tlv(0x18, u16(9)) +
                      tlv(0x19, u16(0)) + tlv(0x1A, u16(3702)) + tlv(0x4A, b"\x01"))),
        ("s", s.snac(0x01, 0x03, 0, fams)),
        ("c", c.snac(0x01, 0x17, 0x101, b"".join(u16(f) + u16(4 if f == 0x13 else 1)
                                                for f in families))),
        ("s", s.snac(0x01, 0x18, 0x101, b"".join(u16(f) + u16(4 if f == 0x13 else 1)
                                                for f in families))),
        ("c", c.snac(0x01, 0x06, 0x102, b"")),
        ("s", s.snac(0x01, 0x07, 0x102, u16(1) + u16(1) + u32(0x50) + u32(0x10) +
                     u32(0x9) + u32(0x1E) + u32(0x14) + u32(0x10) + u32(0xFA) + b"\x00")),
        ("c", c.snac(0x01, 0x02, 0x103, b"".join(u16(f) + u16(1) + u16(0x0110) +
                                                u16(0x0629) for f in families))),
    ]
    n = 0
    for who, text in messages:
        n += 1
        ck = rnd("icbm-%s-%d" % (sn, n), 8)
        if who == "c":
            ex.append(("c", c.snac(0x04, 0x06, 0x200 + n, icbm_ch1(ck, buddy, text))))
            ex.append(("s", s.snac(0x04, 0x0C, 0x200 + n, ck + u16(1) + bn(buddy))))
        else:
            frag = (u16(0x0501) + u16(1) + b"\x01" + u16(0x0101) + u16(4 + len(text)) +
                    u16(0) + u16(0) + text.encode())
            ex.append(("s", s.snac(0x04, 0x07, 0x80000000 + n,
                                   ck + u16(1) + userinfo(buddy) + tlv(2, frag))))
    return ex, c, s


def oft2(kind, cookie, name, size, received=0):
    """An OFT2 header (256 bytes)."""
    h = b"OFT2" + u16(256) + u16(kind) + cookie
    h += u16(0) + u16(0) + u16(1) + u16(1) + u16(1) + u16(1)
    h += u32(size) + u32(size) + u32(0x4A1F2B3C) + u32(0xFFFF0000)
    h += u32(0xFFFF0000) + u32(0) + u32(0) + u32(0xFFFF0000) + u32(received) + u32(0xFFFF0000)
    h += b"Cool FileXfer".ljust(32, b"\0")
    h += bytes([0x20, 0x1C, 0x11]) + b"\0" * 69 + b"\0" * 16 + u16(0) + u16(0)
    h += name.encode().ljust(64, b"\0")
    assert len(h) == 256, len(h)
    return h


def aim_sessions():
    sn, buddy = "pgtestuser", "pgbuddy"
    auth, cookie = aim_auth(sn, "peergate-secret", SRV4 + ":5190")
    bos, c, s = aim_bos_im(sn, buddy, cookie,
                           [0x01, 0x02, 0x03, 0x04, 0x06, 0x08, 0x09, 0x0A, 0x0B, 0x13, 0x15],
                           [("c", "hello from the peergate test"), ("s", "hi, got it"),
                            ("c", "sending you the recipe now")])
    return [("tcp", 5190, auth), ("tcp", 5190, bos)]


def aim_ft_sessions():
    """A BOS session in which the buddy proposes a file (ICBM channel 2,
    rendezvous with the Send File capability, listening on the buddy's
    address), then the OFT2 transfer on that port: prompt, ack, the file,
    done."""
    sn, buddy = "pgtestuser", "pgbuddy"
    _, cookie = aim_auth(sn, "peergate-secret", SRV4 + ":5190")
    bos, c, s = aim_bos_im(sn, buddy, cookie, [0x01, 0x02, 0x03, 0x04, 0x13],
                           [("c", "can you send me the file?")])
    name = "recipe.txt"
    data = (b"Secret recipe, line %d: two cups of flour\n" * 1) * 0
    data = b"".join(b"Secret recipe, line %03d: two cups of flour and a pinch of salt\n" % i
                    for i in range(60))
    ck = rnd("rv-cookie", 8)
    port = 5191
    finfo = u16(1) + u16(1) + u32(len(data)) + name.encode() + b"\0"
    rv = (u16(0) + ck + CAP_SENDFILE + tlv(0x0A, u16(1)) + tlv(0x0F, b"") +
          tlv(2, bytes([10, 231, 2, 2])) + tlv(0x16, bytes([245, 24, 253, 253])) +
          tlv(3, bytes([10, 231, 2, 2])) + tlv(5, u16(port)) + tlv(0x17, u16(port ^ 0xFFFF)) +
          tlv(0x2711, finfo) + tlv(0x2712, "us-ascii"))
    bos.append(("s", s.snac(0x04, 0x07, 0x80000010,
                            ck + u16(2) + userinfo(buddy) + tlv(5, rv))))
    # accept: channel 2, type 2
    bos.append(("c", c.snac(0x04, 0x06, 0x310, ck + u16(2) + bn(buddy) +
                            tlv(5, u16(2) + ck + CAP_SENDFILE))))
    oft_ck = rnd("oft", 8)
    oft = [
        ("s", oft2(0x0101, oft_ck, name, len(data))),
        ("c", oft2(0x0202, ck, name, len(data))),
        ("s", data),
        ("c", oft2(0x0204, ck, name, len(data), len(data))),
    ]
    return [("tcp", 5190, bos), ("tcp", port, oft)]


def icq_sessions():
    """ICQ (OSCAR): the numeric-UIN login with a roasted password on the
    signon channel, then a BOS session with an ICQ-family request and a
    message."""
    uin = "123456789"
    c, s = Flap(0x0F00), Flap(0x2D00)
    roast = bytes.fromhex("F3263A7BD5BC6F2A3D7E5AE3")
    pw = bytes(a ^ roast[i % len(roast)] for i, a in enumerate(b"icqpass"))
    cookie = rnd("icq-cookie", 256)
    login = [
        ("s", s.frame(1, u32(1))),
        ("c", c.frame(1, u32(1) + tlv(1, uin) + tlv(2, pw) +
                      tlv(3, "ICQBasic") + tlv(0x16, u16(0x010A)) + tlv(0x17, u16(0x14)) +
                      tlv(0x18, u16(0x34)) + tlv(0x19, u16(0)) + tlv(0x1A, u16(0x0C18)) +
                      tlv(0x14, u32(0x043D)) + tlv(0x0F, "en") + tlv(0x0E, "us"))),
        ("s", s.frame(4, tlv(1, uin) + tlv(5, SRV4 + ":5190") + tlv(6, cookie))),
    ]
    bos, c2, s2 = aim_bos_im(uin, "987654321", cookie,
                             [0x01, 0x02, 0x03, 0x04, 0x09, 0x13, 0x15],
                             [("c", "hello from the peergate test (icq)")])
    # ICQ family 0x15 meta request: offline messages
    meta = u16(0x0008) + struct.pack("<IHH", int(uin), 0x003C, 2)
    bos.append(("c", c2.snac(0x15, 0x02, 0x400, tlv(1, struct.pack("<H", len(meta)) + meta))))
    return [("tcp", 5190, login), ("tcp", 5190, bos)]


# ---------------------------------------------------------------------------
# MSN (MSNP8, switchboard, MSNFTP)

def msg(trid, ack, body):
    return "MSG %d %s %d\r\n" % (trid, ack, len(body.encode())) + body


def msn_sessions():
    me, buddy = "pgtest@hotmail.com", "pgbuddy@hotmail.com"
    ns1 = [
        ("c", "VER 1 MSNP8 CVR0\r\n"), ("s", "VER 1 MSNP8 CVR0\r\n"),
        ("c", "CVR 2 0x0409 winnt 5.1 i386 MSNMSGR 6.2.0137 MSMSGS %s\r\n" % me),
        ("s", "CVR 2 6.2.0205 6.2.0205 6.0.0602 http://download.microsoft.com/download/msnmessenger.exe http://messenger.msn.com\r\n"),
        ("c", "USR 3 TWN I %s\r\n" % me),
        ("s", "XFR 3 NS %s:1863 0 %s:1863\r\n" % (SRV4, SRV4)),
    ]
    ns2 = ns1[:5] + [
        ("s", "USR 3 TWN S lc=1033,id=507,tw=40,fs=1,ru=http%3A%2F%2Fmessenger%2Emsn%2Ecom,ct=1062764229,kpp=1,kv=5,ver=2.1.0173.1,tpf=43f8a4c8ed940c04e3740be46c4d1619\r\n"),
        ("c", "USR 4 TWN S t=53*1hAu8ADuD3TEwdXoOMi08sD*2!cMrntTwVMTjoB3p6stWTqzbkKZPVQzA5NOt19SLI60PY!b8K4YhC!Ooo5ug$$&p=5eKBBC!yBH6ex5mftp!a9DrSb0B3hU8aqAWpaPaoIRpRyhWrXAhyr57!ek6qEzBMpHdGcSl1GM2ZHx8Gxu9BtVH3LK42JfXkhXxmSbMA1Rmo4f6TSSTG3DBuX4asGhgp3UWqwqGXOFKbm1CnR1FwS1*UYIUnF5qg1A$$\r\n"),
        ("s", "USR 4 OK %s pgtest 1 0\r\n" % me),
        ("c", "SYN 5 0\r\n"), ("s", "SYN 5 1 1 1\r\nGTC A\r\nBLP AL\r\nLST %s pgbuddy 11 0\r\n" % buddy),
        ("c", "CHG 6 NLN 268435492\r\n"), ("s", "CHG 6 NLN 268435492\r\nILN 6 NLN %s pgbuddy 268435492\r\n" % buddy),
        ("c", "XFR 7 SB\r\n"), ("s", "XFR 7 SB %s:1863 CKI 17262740.1050826919.32308\r\n" % SRV4),
    ]
    hdr = "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\nX-MMS-IM-Format: FN=MS%20Shell%20Dlg; EF=; CO=0; CS=0; PF=0\r\n\r\n"
    sb = [
        ("c", "USR 1 %s 17262740.1050826919.32308\r\n" % me),
        ("s", "USR 1 OK %s pgtest\r\n" % me),
        ("c", "CAL 2 %s\r\n" % buddy), ("s", "CAL 2 RINGING 11752013\r\n"),
        ("s", "JOI %s pgbuddy\r\n" % buddy),
        ("c", msg(3, "N", "MIME-Version: 1.0\r\nContent-Type: text/x-msmsgscontrol\r\nTypingUser: %s\r\n\r\n\r\n" % me)),
        ("c", msg(4, "A", hdr + "hello from the peergate test")), ("s", "ACK 4\r\n"),
        ("s", "MSG %s pgbuddy %d\r\n%s" % (buddy, len((hdr + "hi there").encode()), hdr + "hi there")),
        ("c", "OUT\r\n"),
    ]
    return [("tcp", 1863, ns1), ("tcp", 1863, ns2), ("tcp", 1863, sb)]


def msn_ft_sessions():
    """A switchboard session with a file-transfer invitation
    (text/x-msmsgsinvite, MSNFTP), accepted with the buddy's address and
    port 6891, then the MSNFTP transfer itself."""
    me, buddy = "pgtest@hotmail.com", "pgbuddy@hotmail.com"
    size = 4000
    data = rnd("msnftp-file", size)
    inv_hdr = "MIME-Version: 1.0\r\nContent-Type: text/x-msmsgsinvite; charset=UTF-8\r\n\r\n"
    invite = (inv_hdr + "Application-Name: File Transfer\r\n"
              "Application-GUID: {5D3E02AB-6190-11d3-BBBB-00C04F795683}\r\n"
              "Invitation-Command: INVITE\r\nInvitation-Cookie: 21347\r\n"
              "Application-File: holiday.jpg\r\nApplication-FileSize: %d\r\n"
              "Connectivity: N\r\n\r\n" % size)
    accept = (inv_hdr + "Invitation-Command: ACCEPT\r\nInvitation-Cookie: 21347\r\n"
              "Launch-Application: FALSE\r\nRequest-Data: IP-Address:\r\n\r\n")
    connect = (inv_hdr + "IP-Address: %s\r\nIP-Address-Internal: %s\r\nPort: 6891\r\n"
               "AuthCookie: 1191874393\r\nSender-Connect: TRUE\r\n"
               "Invitation-Command: ACCEPT\r\nInvitation-Cookie: 21347\r\n"
               "Launch-Application: FALSE\r\nRequest-Data: IP-Address:\r\n\r\n" % (SRV4, SRV4))
    sb = [
        ("c", "ANS 1 %s 849102291.520491113 11752013\r\n" % me),
        ("s", "IRO 1 1 1 %s pgbuddy\r\n" % buddy), ("s", "ANS 1 OK\r\n"),
        ("s", "MSG %s pgbuddy %d\r\n%s" % (buddy, len(invite.encode()), invite)),
        ("c", msg(2, "N", accept)),
        ("s", "MSG %s pgbuddy %d\r\n%s" % (buddy, len(connect.encode()), connect)),
    ]
    blocks = b""
    for i in range(0, size, 2045):
        chunk = data[i:i + 2045]
        blocks += bytes([0, len(chunk) & 0xFF, len(chunk) >> 8]) + chunk
    ftp = [
        ("c", "VER MSNFTP\r\n"), ("s", "VER MSNFTP\r\n"),
        ("c", "USR %s 1191874393\r\n" % me), ("s", "FIL %d\r\n" % size),
        ("c", "TFR\r\n"), ("s", blocks), ("c", "BYE 16777989\r\n"),
    ]
    return [("tcp", 1863, sb), ("tcp", 6891, ftp)]


# ---------------------------------------------------------------------------
# Yahoo (YMSG 16)

def ymsg(service, status, session, pairs, version=16):
    body = b"".join(str(k).encode() + b"\xc0\x80" +
                    (v if isinstance(v, bytes) else str(v).encode()) + b"\xc0\x80"
                    for k, v in pairs)
    return b"YMSG" + struct.pack(">HHHHII", version, 0, len(body), service, status,
                                 session) + body


def yahoo_sessions():
    me, buddy = "pgtestuser", "pgbuddy"
    sid = 0x5A3C1B2D
    pager = [
        ("c", ymsg(0x57, 0, 0, [(1, me)])),
        ("s", ymsg(0x57, 1, sid, [(1, me), (94, "2N4nB7oqmG3ZkXo.qPOrK1Uz0T5UxgKMdd9a"),
                                   (13, 2)])),
        ("c", ymsg(0x54, 0, sid, [(277, "v=1&n=3gksl8f4e4ru&l=4i1k2x0z/o&p=m2r0000012000000"),
                                  (278, "z=ZpxjKBZq1rKB8eFGA7NXrxIMzUyBjY0NE5OTjQ1MTcwMjE-&a=QAE"),
                                  (307, "bd9ZmQp9r.hTv2LbQ.8XmA--"), (0, me), (2, me),
                                  (2, 1), (244, 4194239), (98, "us"), (135, "9.0.0.2162")])),
        ("s", ymsg(0x55, 0, sid, [(87, "Friends:%s\n" % buddy), (88, ""), (89, me),
                                  (59, "B\t" + "x" * 40), (3, me), (90, 1), (100, 0),
                                  (101, ""), (102, ""), (93, 86400)])),
        ("s", ymsg(0x01, 0, sid, [(0, me), (1, me), (8, 1), (7, buddy), (10, 0),
                                  (11, 0x1E33A1), (17, 0), (13, 1)])),
        ("c", ymsg(0x06, 0x5A55AA55, sid, [(1, me), (5, buddy),
                                           (14, "hello from the peergate test"),
                                           (97, 1), (63, ";0"), (64, 0), (206, 1)])),
        ("s", ymsg(0x06, 1, sid, [(5, me), (4, buddy), (14, "hi there"), (97, 1),
                                  (63, ";0"), (64, 0), (15, 1307312512), (206, 2)])),
        ("c", ymsg(0x12, 0, sid, [])),
        ("s", ymsg(0x12, 0, sid, [(143, 60), (144, 13)])),
    ]
    return [("tcp", 5050, pager)]


# ---------------------------------------------------------------------------
# Gnutella 0.6

def gdesc(guid, ptype, ttl, hops, payload):
    return guid + bytes([ptype, ttl, hops]) + struct.pack("<I", len(payload)) + payload


def gnutella_sessions():
    ua = "LimeWire/4.18.8"
    hs = [
        ("c", "GNUTELLA CONNECT/0.6\r\nUser-Agent: %s\r\nX-Ultrapeer: False\r\n"
              "X-Query-Routing: 0.1\r\nX-Max-TTL: 3\r\nX-Dynamic-Querying: 0.1\r\n"
              "X-Ext-Probes: 0.1\r\nListen-IP: %s:6346\r\nRemote-IP: %s\r\nGGEP: 0.5\r\n"
              "Vendor-Message: 0.2\r\nPong-Caching: 0.1\r\n\r\n" % (ua, CLI4, SRV4)),
        ("s", "GNUTELLA/0.6 200 OK\r\nUser-Agent: %s\r\nX-Ultrapeer: True\r\n"
              "X-Degree: 32\r\nX-Query-Routing: 0.1\r\nX-Ultrapeer-Query-Routing: 0.1\r\n"
              "X-Max-TTL: 3\r\nX-Dynamic-Querying: 0.1\r\nX-Try-Ultrapeers: 10.231.2.9:6346,"
              "10.231.2.10:6346\r\nRemote-IP: %s\r\nGGEP: 0.5\r\nPong-Caching: 0.1\r\n\r\n"
              % (ua, CLI4)),
        ("c", "GNUTELLA/0.6 200 OK\r\n\r\n"),
    ]
    ping_guid = rnd("g-ping", 16)
    pong = struct.pack("<H", 6346) + bytes([10, 231, 2, 2]) + struct.pack("<II", 212, 1048576)
    query = struct.pack("<H", 0) + b"peergate test file\0"
    hit_guid = rnd("g-query", 16)
    result = struct.pack("<II", 7, 4096) + b"peergate test file.txt\0\0"
    qhit = (bytes([1]) + struct.pack("<H", 6346) + bytes([10, 231, 2, 2]) +
            struct.pack("<I", 512) + result + b"LIME" + bytes([2, 0x1C, 0x01]) +
            rnd("g-servent", 16))
    hs += [
        ("c", gdesc(ping_guid, 0x00, 1, 0, b"")),
        ("s", gdesc(ping_guid, 0x01, 1, 0, pong)),
        ("c", gdesc(hit_guid, 0x80, 3, 0, query)),
        ("s", gdesc(hit_guid, 0x81, 3, 1, qhit)),
    ]
    content = b"".join(b"peergate gnutella test content, line %03d\n" % i for i in range(97))
    sha1 = base64.b32encode(hashlib.sha1(content).digest()).decode()
    dl = [
        ("c", "GET /uri-res/N2R?urn:sha1:%s HTTP/1.1\r\nHost: %s:6346\r\nUser-Agent: %s\r\n"
              "X-Queue: 0.1\r\nX-Features: fwalt/0.1, browse/1.0, chat/0.1\r\n"
              "X-Gnutella-Content-URN: urn:sha1:%s\r\nRange: bytes=0-%d\r\n\r\n"
              % (sha1, SRV4, ua, sha1, len(content) - 1)),
        ("s", ("HTTP/1.1 200 OK\r\nServer: %s\r\nContent-Type: application/binary\r\n"
               "Content-Length: %d\r\nX-Gnutella-Content-URN: urn:sha1:%s\r\n"
               "X-Features: fwalt/0.1, browse/1.0\r\n\r\n" % (ua, len(content), sha1)).encode()
         + content),
    ]
    udp = [
        ("c", gdesc(rnd("g-udp-ping", 16), 0x00, 1, 0, b"")),
        ("s", gdesc(rnd("g-udp-ping", 16), 0x01, 1, 0, pong)),
    ]
    return [("tcp", 6346, hs), ("tcp", 6346, dl), ("udp", 6346, udp)]


# ---------------------------------------------------------------------------
# BitTorrent

def bencode(v):
    if isinstance(v, int):
        return b"i%de" % v
    if isinstance(v, str):
        v = v.encode()
    if isinstance(v, bytes):
        return b"%d:" % len(v) + v
    if isinstance(v, list):
        return b"l" + b"".join(bencode(x) for x in v) + b"e"
    return b"d" + b"".join(bencode(k) + bencode(v[k]) for k in sorted(v)) + b"e"


def btmsg(mid, payload=b""):
    return struct.pack(">IB", 1 + len(payload), mid) + payload


def bittorrent_sessions():
    info_hash = hashlib.sha1(b"peergate test torrent info").digest()
    pid_c = b"-TR2940-" + rnd("bt-peer-c", 12)
    pid_s = b"-qB4250-" + rnd("bt-peer-s", 12)
    reserved = bytes([0, 0, 0, 0, 0, 0x10, 0, 0x05])
    hs = b"\x13BitTorrent protocol" + reserved + info_hash
    block = rnd("bt-block", 4096)
    wire = [
        ("c", hs + pid_c),
        ("s", hs + pid_s),
        ("c", btmsg(20, b"\x00" + bencode({"m": {"ut_metadata": 3, "ut_pex": 1}, "p": 51413,
                                             "v": "Transmission 2.94", "reqq": 512}))),
        ("s", btmsg(20, b"\x00" + bencode({"m": {"ut_metadata": 2, "ut_pex": 1}, "p": 6881,
                                             "v": "qBittorrent/4.2.5"})) + btmsg(5, b"\xff\x80")),
        ("c", btmsg(2)),
        ("s", btmsg(1)),
        ("c", btmsg(6, struct.pack(">III", 0, 0, len(block)))),
        ("s", btmsg(7, struct.pack(">II", 0, 0) + block)),
        ("c", btmsg(4, struct.pack(">I", 0))),
    ]
    nid_c, nid_s = rnd("dht-c", 20), rnd("dht-s", 20)
    dht = [
        ("c", bencode({"t": b"aa", "y": "q", "q": "get_peers",
                       "a": {"id": nid_c, "info_hash": info_hash}})),
        ("s", bencode({"t": b"aa", "y": "r", "r": {"id": nid_s, "token": rnd("tok", 8),
                                                    "nodes": rnd("dht-nodes", 26)}})),
        ("c", bencode({"t": b"ab", "y": "q", "q": "ping", "a": {"id": nid_c}})),
        ("s", bencode({"t": b"ab", "y": "r", "r": {"id": nid_s}})),
    ]

    def pct(b):
        return "".join("%%%02X" % x for x in b)
    tracker = [
        ("c", "GET /announce?info_hash=%s&peer_id=%s&port=51413&uploaded=0&downloaded=0"
              "&left=4096&numwant=80&key=4e1c2a7b&compact=1&supportcrypto=1&event=started "
              "HTTP/1.1\r\nHost: %s:6969\r\nUser-Agent: Transmission/2.94\r\n"
              "Accept: */*\r\nAccept-Encoding: gzip;q=1.0, deflate, identity\r\n\r\n"
              % (pct(info_hash), pct(pid_c), SRV4)),
        ("s", b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n\r\n"
         % len(bencode({"complete": 1, "incomplete": 1, "interval": 1800,
                        "min interval": 900, "peers": bytes([10, 231, 2, 2, 0x1A, 0xE1])}))
         + bencode({"complete": 1, "incomplete": 1, "interval": 1800, "min interval": 900,
                    "peers": bytes([10, 231, 2, 2, 0x1A, 0xE1])})),
    ]
    return [("tcp", 6881, wire), ("udp", 6881, dht), ("tcp", 6969, tracker)]


# ---------------------------------------------------------------------------
# Ordinary traffic

def tls_handshake():
    """A real TLS 1.3 handshake between Python's ssl client and server in
    memory, as the chunks each side wrote, and one request/response."""
    import ssl
    import subprocess
    import tempfile
    with tempfile.TemporaryDirectory() as tmp:
        key, crt = os.path.join(tmp, "k.pem"), os.path.join(tmp, "c.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                        "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key, "-out",
                        crt, "-days", "3650", "-subj", "/CN=www.example.org"],
                       check=True, capture_output=True)
        sctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        sctx.load_cert_chain(crt, key)
        cctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        cctx.load_verify_locations(crt)
    cin, cout, sin, sout = ssl.MemoryBIO(), ssl.MemoryBIO(), ssl.MemoryBIO(), ssl.MemoryBIO()
    cli = cctx.wrap_bio(cin, cout, server_hostname="www.example.org")
    srv = sctx.wrap_bio(sin, sout, server_side=True)
    ex = []

    def pump():
        moved = False
        d = cout.read()
        if d:
            ex.append(("c", d))
            sin.write(d)
            moved = True
        d = sout.read()
        if d:
            ex.append(("s", d))
            cin.write(d)
            moved = True
        return moved

    done_c = done_s = False
    for _ in range(20):
        for obj, which in ((cli, "c"), (srv, "s")):
            try:
                obj.do_handshake()
                if which == "c":
                    done_c = True
                else:
                    done_s = True
            except ssl.SSLWantReadError:
                pass
        pump()
        if done_c and done_s:
            break
    cli.write(b"GET / HTTP/1.1\r\nHost: www.example.org\r\n\r\n")
    pump()
    srv.read(4096)
    srv.write(b"HTTP/1.1 200 OK\r\nContent-Length: 13\r\n\r\nhello, world\n")
    pump()
    while True:
        try:
            cli.read(4096)
        except ssl.SSLWantReadError:
            break
        if not pump():
            break
    return ex


def negative_sessions():
    http = [
        ("c", "GET /index.html HTTP/1.1\r\nHost: www.example.org\r\n"
              "User-Agent: curl/7.88.1\r\nAccept: */*\r\n\r\n"),
        ("s", ("HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 1256\r\n"
               "Server: nginx\r\n\r\n").encode() +
         (b"<!doctype html><html><head><title>Example Domain</title></head><body>" +
          b"<p>This domain is for use in documentation examples.</p>" * 20 +
          b"</body></html>")[:1256].ljust(1256, b" ")),
    ]
    smtp = [
        ("s", "220 mail.example.org ESMTP Postfix (Debian/GNU)\r\n"),
        ("c", "EHLO client.example.org\r\n"),
        ("s", "250-mail.example.org\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n250-8BITMIME\r\n"
              "250 SMTPUTF8\r\n"),
        ("c", "MAIL FROM:<alice@example.org>\r\n"), ("s", "250 2.1.0 Ok\r\n"),
        ("c", "RCPT TO:<bob@example.org>\r\n"), ("s", "250 2.1.5 Ok\r\n"),
        ("c", "DATA\r\n"), ("s", "354 End data with <CR><LF>.<CR><LF>\r\n"),
        ("c", "From: alice@example.org\r\nTo: bob@example.org\r\nSubject: lunch\r\n\r\n"
              "Lunch at noon?\r\n.\r\n"),
        ("s", "250 2.0.0 Ok: queued as 4C1E21A0B2\r\n"),
        ("c", "QUIT\r\n"), ("s", "221 2.0.0 Bye\r\n"),
    ]

    def ssh_kexinit(seed):
        algos = [b"curve25519-sha256,ecdh-sha2-nistp256", b"ssh-ed25519,rsa-sha2-512",
                 b"aes128-ctr,aes256-gcm@openssh.com", b"aes128-ctr,aes256-gcm@openssh.com",
                 b"hmac-sha2-256", b"hmac-sha2-256", b"none", b"none", b"", b""]
        payload = b"\x14" + rnd(seed, 16) + b"".join(struct.pack(">I", len(a)) + a
                                                   for a in algos) + b"\x00" + b"\0\0\0\0"
        pad = 8 - (len(payload) + 5) % 8
        pad += 8 if pad < 4 else 0
        return struct.pack(">IB", len(payload) + pad + 1, pad) + payload + b"\0" * pad
    ssh = [
        ("s", "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n"),
        ("c", "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n"),
        ("c", ssh_kexinit("ssh-c")), ("s", ssh_kexinit("ssh-s")),
    ]
    dns_q = (struct.pack(">HHHHHH", 0x1D2B, 0x0100, 1, 0, 0, 0) +
             b"\x03www\x07example\x03org\x00" + struct.pack(">HH", 1, 1))
    dns_r = (struct.pack(">HHHHHH", 0x1D2B, 0x8180, 1, 1, 0, 0) +
             b"\x03www\x07example\x03org\x00" + struct.pack(">HH", 1, 1) +
             b"\xc0\x0c" + struct.pack(">HHIH", 1, 1, 3600, 4) + bytes([10, 231, 2, 2]))
    return [("tcp", 80, http), ("tcp", 25, smtp), ("tcp", 22, ssh),
            ("tcp", 443, tls_handshake()), ("udp", 53, [("c", dns_q), ("s", dns_r)])]


CAPTURES = {
    "aim_oscar_login_im": (aim_sessions, 4),
    "aim_oft_file_transfer": (aim_ft_sessions, 4),
    "icq_oscar_login_im": (icq_sessions, 4),
    "msn_msnp8_login_im": (msn_sessions, 4),
    "msn_msnftp_file_transfer": (msn_ft_sessions, 4),
    "yahoo_ymsg16_login_im": (yahoo_sessions, 4),
    "gnutella_06_handshake_download": (gnutella_sessions, 4),
    "gnutella_06_handshake_ipv6": (lambda: gnutella_sessions()[:1], 6),
    "bittorrent_peer_dht_tracker": (bittorrent_sessions, 4),
    "negative_http_smtp_ssh_tls_dns": (negative_sessions, 4),
}


def flows(name):
    fn, family = CAPTURES[name]
    out = []
    for i, (l4, port, ex) in enumerate(fn()):
        chunks = [[d, base64.b64encode(b.encode() if isinstance(b, str) else b).decode()]
                  for d, b in ex]
        out.append({"id": "%s#%d" % (name, i), "file": name, "index": i, "l4": l4,
                    "family": family, "client": "-", "server": "-", "server_port": port,
                    "client_port": 0, "gap_bytes": 0, "truncated": False, "chunks": chunks})
    return {"flows": out}


def main(argv):
    if len(argv) == 1 and argv[0] == "list":
        for name, (_, fam) in CAPTURES.items():
            print(name, fam)
        return 0
    if len(argv) == 2 and argv[0] == "flows":
        json.dump(flows(argv[1]), sys.stdout)
        sys.stdout.write("\n")
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
