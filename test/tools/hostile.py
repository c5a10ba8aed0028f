#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Hostile packets for test/e2e_hostile.sh, sent from the client namespace.

  hostile.py invalid DST PORT KIND COUNT ROUTER_MAC [--payload bt|plain]
      Opens a real TCP connection to DST:PORT, sends a first payload (a
      BitTorrent handshake or a plain line) so that the gateway decides the
      flow, then sends COUNT crafted segments of the same connection that
      conntrack calls INVALID: KIND is badsum (wrong TCP checksum), synfin
      (SYN+FIN, valid checksum) or oow (far outside the window).  Prints one
      JSON line: the source port and whether the first payload was echoed.
  hostile.py stray DST PORT KIND COUNT ROUTER_MAC
      The same invalid segments for a connection that never existed.
  hostile.py deep6 SRC DST PORT HEADERS ROUTER_MAC SPORT
      One UDP datagram (a BitTorrent DHT ping) from SPORT over IPv6 behind
      HEADERS destination-options extension headers.

Every address is one of the test's own namespace addresses.
"""
import json
import socket
import sys
import time

from scapy.all import (IP, TCP, UDP, Ether, IPv6, IPv6ExtHdrDestOpt, PadN,
                       Raw, conf, sendp)

conf.verb = 0

BT_HANDSHAKE = (b"\x13BitTorrent protocol" + b"\x00" * 8 + b"\x11" * 20 +
                b"-PG0001-" + b"\x22" * 12)
DHT_PING = b"d1:ad2:id20:" + b"\x33" * 20 + b"e1:q4:ping1:t2:aa1:y1:qe"


def invalid_segment(src, dst, sport, dport, kind, i):
    ip = IP(src=src, dst=dst)
    if kind == "badsum":
        tcp = TCP(sport=sport, dport=dport, flags="PA", seq=1000 + i, ack=1,
                  chksum=0xdead)
    elif kind == "synfin":
        tcp = TCP(sport=sport, dport=dport, flags="SF", seq=1000 + i)
    elif kind == "oow":
        tcp = TCP(sport=sport, dport=dport, flags="PA",
                  seq=(0x80000000 + 7919 * i) & 0xffffffff, ack=1)
    else:
        raise SystemExit("unknown kind " + kind)
    return ip / tcp / Raw(BT_HANDSHAKE)


def local_addr_for(dst):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.connect((dst, 9))
    addr = s.getsockname()[0]
    s.close()
    return addr


def cmd_invalid(dst, port, kind, count, rmac, payload):
    s = socket.create_connection((dst, port), timeout=3)
    sport = s.getsockname()[1]
    src = s.getsockname()[0]
    first = BT_HANDSHAKE if payload == "bt" else b"hello, plain text\n"
    echoed = False
    try:
        s.sendall(first)
        s.settimeout(1)
        echoed = len(s.recv(4096)) > 0
    except OSError:
        pass
    time.sleep(0.3)
    pkts = [Ether(dst=rmac) / invalid_segment(src, dst, sport, port, kind, i)
            for i in range(count)]
    sendp(pkts, iface="eth0")
    time.sleep(0.3)
    s.close()
    print(json.dumps({"sport": sport, "echoed": echoed}))


def cmd_stray(dst, port, kind, count, rmac):
    src = local_addr_for(dst)
    pkts = [Ether(dst=rmac) / invalid_segment(src, dst, 40999, port, kind, i)
            for i in range(count)]
    sendp(pkts, iface="eth0")
    print(json.dumps({"sport": 40999}))


def cmd_deep6(src, dst, port, headers, rmac, sport):
    pkt = IPv6(src=src, dst=dst)
    for _ in range(headers):
        pkt = pkt / IPv6ExtHdrDestOpt(options=[PadN(optdata=b"\x00" * 4)])
    pkt = pkt / UDP(sport=sport, dport=port) / Raw(DHT_PING)
    sendp(Ether(dst=rmac) / pkt, iface="eth0")
    print(json.dumps({"headers": headers}))


def main(argv):
    cmd = argv[1]
    if cmd == "invalid":
        payload = "bt"
        if "--payload" in argv:
            payload = argv[argv.index("--payload") + 1]
        cmd_invalid(argv[2], int(argv[3]), argv[4], int(argv[5]), argv[6], payload)
    elif cmd == "stray":
        cmd_stray(argv[2], int(argv[3]), argv[4], int(argv[5]), argv[6])
    elif cmd == "deep6":
        cmd_deep6(argv[2], argv[3], int(argv[4]), int(argv[5]), argv[6], int(argv[7]))
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
