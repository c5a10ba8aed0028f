#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Traffic and control clients for test/e2e_workers.sh (several workers).

  server DNS4,... DNS6,...   in the server namespace: TCP echo on 7000 and
                             8000, TCP sinks on 6667, 9000 and 47000, UDP
                             echo on 7000, and a DNS responder on UDP 53
                             that answers every A (AAAA) query for any name
                             with the given IPv4 (IPv6) addresses
  connect PORT PAYLOAD SRC,... DST,...
                             one TCP connection per (src, dst) pair: send
                             PAYLOAD (Python escapes), wait for the echo;
                             one JSON line per connection
  dns SERVER NAME TYPE       one query (A or AAAA); prints the answer count
  irc SERVER PORT ADDR,...   an IRC session that offers one DCC SEND per
                             address (to port 47000), one offer per packet
  udpflows DST PORT N        N UDP datagrams from N source ports
  loop PORT STOPFILE SRC,... DST,...
                             new connections one after another until
                             STOPFILE exists (at most 120 s); prints count,
                             failures and the worst round trip
  ctl MODE SOCKET            a control client for 6 s: silent (connects,
                             sends nothing), drip (one byte every 0.9 s),
                             noread (asks for flows, never reads); prints
                             when the daemon closed it and what it said
"""
import ipaddress
import json
import os
import socket
import struct
import sys
import threading
import time


def family_of(addr):
    return socket.AF_INET6 if ":" in addr else socket.AF_INET


def serve_tcp(port, echo):
    s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    s.bind(("::", port))
    s.listen(512)

    def one(c):
        try:
            c.settimeout(30)
            while True:
                b = c.recv(65536)
                if not b:
                    break
                if echo:
                    c.sendall(b)
        except OSError:
            pass
        finally:
            c.close()

    while True:
        c, _ = s.accept()
        threading.Thread(target=one, args=(c,), daemon=True).start()


def serve_udp_echo(port):
    s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    s.bind(("::", port))
    while True:
        b, peer = s.recvfrom(65536)
        s.sendto(b, peer)


def dns_answer(query, v4, v6):
    if len(query) < 12:
        return None
    qid = query[:2]
    i = 12
    while i < len(query) and query[i]:
        i += 1 + query[i]
    qend = i + 5
    if qend > len(query):
        return None
    qtype = struct.unpack("!H", query[i + 1:i + 3])[0]
    addrs = v4 if qtype == 1 else v6 if qtype == 28 else []
    out = qid + struct.pack("!HHHHH", 0x8180, 1, len(addrs), 0, 0) + query[12:qend]
    for a in addrs:
        raw = ipaddress.ip_address(a).packed
        out += struct.pack("!HHHIH", 0xC00C, qtype, 1, 300, len(raw)) + raw
    return out


def serve_dns(v4, v6):
    s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    s.bind(("::", 53))
    while True:
        b, peer = s.recvfrom(4096)
        r = dns_answer(b, v4, v6)
        if r:
            s.sendto(r, peer)


def server(v4, v6):
    for port, echo in ((7000, True), (8000, True), (6667, False), (9000, False),
                       (47000, False)):
        threading.Thread(target=serve_tcp, args=(port, echo), daemon=True).start()
    threading.Thread(target=serve_udp_echo, args=(7000,), daemon=True).start()
    threading.Thread(target=serve_dns, args=(v4, v6), daemon=True).start()
    print("ready", flush=True)
    while True:
        time.sleep(3600)


def one_connection(src, dst, port, payload, timeout):
    t0 = time.monotonic()
    s = socket.socket(family_of(dst), socket.SOCK_STREAM)
    s.settimeout(timeout)
    try:
        s.bind((src, 0))
        s.connect((dst, port))
        s.sendall(payload)
        got = b""
        while len(got) < len(payload):
            b = s.recv(65536)
            if not b:
                break
            got += b
        ok = got == payload
    except OSError:
        ok = False
    finally:
        s.close()
    return ok, (time.monotonic() - t0) * 1000.0


def connect(port, payload, srcs, dsts):
    for src in srcs:
        for dst in dsts:
            if family_of(src) != family_of(dst):
                continue
            ok, ms = one_connection(src, dst, port, payload, 3)
            print(json.dumps({"src": src, "dst": dst, "ok": ok, "ms": round(ms, 1)}),
                  flush=True)


def dns_query(server_addr, name, qtype):
    q = struct.pack("!HHHHHH", 0x1234, 0x0100, 1, 0, 0, 0)
    for label in name.split("."):
        q += bytes([len(label)]) + label.encode()
    q += b"\0" + struct.pack("!HH", 1 if qtype == "A" else 28, 1)
    s = socket.socket(family_of(server_addr), socket.SOCK_DGRAM)
    s.settimeout(3)
    for _ in range(3):
        s.sendto(q, (server_addr, 53))
        try:
            r, _ = s.recvfrom(4096)
            print(struct.unpack("!H", r[6:8])[0])
            return 0
        except socket.timeout:
            continue
    print("no answer")
    return 1


def irc(server_addr, port, addrs):
    s = socket.create_connection((server_addr, port), timeout=5)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    s.sendall(b"CAP LS 302\r\n")
    time.sleep(0.2)
    s.sendall(b"NICK tester\r\nUSER tester 0 * :tester\r\n")
    time.sleep(0.2)
    for a in addrs:
        ip = ipaddress.ip_address(a)
        where = str(int(ip)) if ip.version == 4 else str(ip)
        s.sendall(b"PRIVMSG peer :\x01DCC SEND f.bin %s 47000 100\x01\r\n" % where.encode())
        time.sleep(0.1)
    time.sleep(0.5)
    s.close()
    print("offered %d" % len(addrs))


def udpflows(dst, port, n):
    socks = []
    for i in range(n):
        s = socket.socket(family_of(dst), socket.SOCK_DGRAM)
        s.sendto(b"x%d" % i, (dst, port))
        socks.append(s)
        if len(socks) >= 200:
            for t in socks:
                t.close()
            socks = []
    for t in socks:
        t.close()


def loop(port, stopfile, srcs, dsts):
    pairs = [(s, d) for s in srcs for d in dsts if family_of(s) == family_of(d)]
    end = time.monotonic() + 120
    count = fails = 0
    worst = 0.0
    i = 0
    while time.monotonic() < end and not os.path.exists(stopfile):
        src, dst = pairs[i % len(pairs)]
        i += 1
        ok, ms = one_connection(src, dst, port, b"ping %d\n" % i, 5)
        count += 1
        fails += 0 if ok else 1
        worst = max(worst, ms)
        time.sleep(0.01)
    print(json.dumps({"connections": count, "failed": fails, "worst_ms": round(worst, 1)}))


def ctl(mode, path, seconds=6.0):
    """Prints what the daemon did with the stuck client: the answer it got
    (an error for a late request) and after how long the daemon closed."""
    t0 = time.monotonic()
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    reply = b""
    closed = None
    if mode == "noread":
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        s.sendall(b"flows\n")
        time.sleep(seconds)
    else:
        s.settimeout(0.9 if mode == "drip" else seconds)
        drip = iter(b"statsstatsstatsstats")
        while time.monotonic() - t0 < seconds:
            if mode == "drip":
                try:
                    s.send(bytes([next(drip)]))
                except (OSError, StopIteration):
                    pass
            try:
                b = s.recv(65536)
            except socket.timeout:
                continue
            except OSError:
                b = b""
            if not b:
                closed = round(time.monotonic() - t0, 1)
                break
            reply += b
    s.close()
    print(json.dumps({"mode": mode, "closed_after_s": closed,
                      "reply": reply.decode("utf-8", "replace")[:200]}))


def main(argv):
    cmd = argv[1]
    if cmd == "server":
        server(argv[2].split(","), argv[3].split(","))
    elif cmd == "connect":
        connect(int(argv[2]), argv[3].encode().decode("unicode_escape").encode("latin-1"),
                argv[4].split(","), argv[5].split(","))
    elif cmd == "dns":
        return dns_query(argv[2], argv[3], argv[4])
    elif cmd == "irc":
        irc(argv[2], int(argv[3]), argv[4].split(","))
    elif cmd == "udpflows":
        udpflows(argv[2], int(argv[3]), int(argv[4]))
    elif cmd == "loop":
        loop(int(argv[2]), argv[3], argv[4].split(","), argv[5].split(","))
    elif cmd == "ctl":
        ctl(argv[2], argv[3])
    else:
        print(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
