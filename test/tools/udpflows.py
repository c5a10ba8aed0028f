#!/usr/bin/env python3
"""Long-lived UDP flows for the failover test.

recv PORT...            count datagrams on each port (run in the server
                        namespace): one line per datagram, 'TIME SPORT DPORT'
                        (TIME from time.time(), so comparable with `date`).
send HOST SECONDS FLOW...
                        one datagram every 100 ms on each FLOW, for SECONDS;
                        FLOW is KIND:SPORT:DPORT, KIND 'dht' (every datagram
                        a BitTorrent DHT ping, so each one is classified
                        bittorrent) or 'dht-first' (a DHT ping first, then
                        bytes no detector claims: only a gateway that saw the
                        start of the flow knows what it is).
"""
import select
import socket
import sys
import time

DHT_PING = b"d1:ad2:id20:" + bytes(range(20)) + b"e1:q4:ping1:t2:aa1:y1:qe"


def recv(ports):
    socks = []
    for p in ports:
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind(("0.0.0.0", p))
        socks.append((s, p))
    while True:
        ready, _, _ = select.select([s for s, _ in socks], [], [])
        for s, p in socks:
            if s in ready:
                _, addr = s.recvfrom(65536)
                print("%.3f %d %d" % (time.time(), addr[1], p), flush=True)


def send(host, seconds, flows):
    socks = []
    for spec in flows:
        kind, sport, dport = spec.split(":")
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind(("0.0.0.0", int(sport)))
        socks.append((s, kind, int(dport)))
    end = time.time() + seconds
    i = 0
    while time.time() < end:
        for s, kind, dport in socks:
            if kind == "dht" or i == 0:
                data = DHT_PING
            else:
                data = bytes([0x5a ^ (i & 0xff)]) * 48
            try:
                s.sendto(data, (host, dport))
            except OSError:
                pass  # no route while the gateway address moves
        i += 1
        time.sleep(0.1)


if __name__ == "__main__":
    if sys.argv[1] == "recv":
        recv([int(p) for p in sys.argv[2:]])
    else:
        send(sys.argv[2], float(sys.argv[3]), sys.argv[4:])
