#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Segmentation tools for test/e2e_segments.sh.

  segsend.py server PORT DIR
      Accepts TCP connections on PORT (all addresses, IPv4 and IPv6) and appends what each
      one sends to DIR/PEERPORT.bin as it arrives; closes on EOF.
  segsend.py send HOST PORT SIZE HEX [--timeout S] [--gap S]
      (HOST: an IPv4 or IPv6 address) Sends the bytes HEX over one TCP connection in writes of SIZE bytes
      (TCP_NODELAY, a pause after each, so each write leaves as its own
      segment), then half-closes and waits for the server to close.  Prints
      one line "PORT STATUS" (STATUS: whole, reset, timeout, refused).
  segsend.py flood SRC DSTS DPORT COUNT
      Sends COUNT one-segment TCP flows (ACK+PSH carrying "GET /", no
      handshake) from SRC to the comma-separated DSTS over a raw socket:
      half-open flows a gateway must track and inspect.
  segsend.py overlap SRC DST DPORT SPORT MODE HEX
      A TCP connection made with raw packets (the caller keeps the local
      kernel from resetting it), then the bytes HEX sent so that a gateway
      reading "first bytes win" would read other bytes than the receiver:
        insert   other bytes first (an unfinished HTTP request line) with
                 a bad TCP checksum (the receiver discards them), then
                 HEX at the same place
        replace  other bytes out of order (all of HEX but its first and
                 last byte), then HEX without its first byte at the same
                 place (reaching one byte further, so a Linux receiver
                 keeps it instead), then the first byte
      Prints "SPORT sent".
"""
import os
import socket
import struct
import sys
import threading
import time


def serve(port, out_dir):
    # IPv6 and IPv4 on one socket (IPv4 peers as mapped addresses)
    srv = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    srv.bind(("::", port))
    srv.listen(256)

    def record(conn, peer_port):
        path = os.path.join(out_dir, "%d.bin" % peer_port)
        with conn, open(path, "ab") as f:
            while True:
                try:
                    data = conn.recv(65536)
                except OSError:
                    break
                if not data:
                    break
                f.write(data)
                f.flush()

    while True:
        conn, peer = srv.accept()
        threading.Thread(target=record, args=(conn, peer[1]), daemon=True).start()


def send(host, port, size, data, timeout, gap):
    s = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(timeout)
    status = "whole"
    local = 0
    try:
        s.connect((host, port))
        local = s.getsockname()[1]
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        for i in range(0, len(data), size):
            s.sendall(data[i:i + size])
            time.sleep(gap)
        s.shutdown(socket.SHUT_WR)
        while s.recv(4096):
            pass
    except ConnectionRefusedError:
        status = "refused"
    except (ConnectionResetError, BrokenPipeError):
        status = "reset"
    except socket.timeout:
        status = "timeout"
    finally:
        s.close()
    print(local, status, flush=True)


def checksum(data):
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while total >> 16:
        total = (total & 0xffff) + (total >> 16)
    return ~total & 0xffff


def flood(src, dsts, dport, count):
    raw = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    payload = b"GET /"
    src_b = socket.inet_aton(src)
    for i in range(count):
        dst_b = socket.inet_aton(dsts[i % len(dsts)])
        sport = 1024 + i // len(dsts)
        tcp = struct.pack("!HHIIBBHHH", sport, dport, 1000 + i, 1, 5 << 4,
                          0x18, 65535, 0, 0) + payload
        pseudo = src_b + dst_b + struct.pack("!BBH", 0, socket.IPPROTO_TCP, len(tcp))
        tcp = tcp[:16] + struct.pack("!H", checksum(pseudo + tcp)) + tcp[18:]
        # the kernel fills in the IP id and header checksum
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 0, 0, 64,
                         socket.IPPROTO_TCP, 0, src_b, dst_b)
        raw.sendto(ip + tcp, (dsts[i % len(dsts)], 0))


def tcp_packet(src, dst, sport, dport, seq, ack, flags, payload=b"", bad_sum=False):
    src_b, dst_b = socket.inet_aton(src), socket.inet_aton(dst)
    tcp = struct.pack("!HHIIBBHHH", sport, dport, seq & 0xffffffff, ack & 0xffffffff,
                      5 << 4, flags, 65535, 0, 0) + payload
    pseudo = src_b + dst_b + struct.pack("!BBH", 0, socket.IPPROTO_TCP, len(tcp))
    csum = checksum(pseudo + tcp) ^ (0x5a5a if bad_sum else 0)
    tcp = tcp[:16] + struct.pack("!H", csum) + tcp[18:]
    return struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), 0, 0, 64,
                       socket.IPPROTO_TCP, 0, src_b, dst_b) + tcp


def overlap(src, dst, dport, sport, mode, data):
    out = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    inp = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_TCP)
    inp.settimeout(3)
    isn = 0x10000000 + sport
    out.sendto(tcp_packet(src, dst, sport, dport, isn, 0, 0x02), (dst, 0))
    while True:
        pkt = inp.recv(65535)
        ihl = (pkt[0] & 15) * 4
        sp, dp, seq = struct.unpack("!HHI", pkt[ihl:ihl + 8])
        if sp == dport and dp == sport and pkt[ihl + 13] & 0x12 == 0x12:
            break
    ack = seq + 1

    def send(off, payload, bad_sum=False):
        out.sendto(tcp_packet(src, dst, sport, dport, isn + 1 + off, ack, 0x18,
                              payload, bad_sum), (dst, 0))
        time.sleep(0.1)

    out.sendto(tcp_packet(src, dst, sport, dport, isn + 1, ack, 0x10), (dst, 0))
    if mode == "insert":
        # bytes a gateway keeps reading (not decided on this packet: a
        # packet conntrack calls INVALID must not be the one stamped)
        send(0, (b"GET /" + b"a" * len(data))[:len(data)], bad_sum=True)
        for _ in range(3):
            send(0, data)
    else:
        other = bytes(b ^ 0x20 for b in data)
        send(1, other[1:-1])
        for _ in range(3):
            send(1, data[1:])
        send(0, data[:1])
    time.sleep(0.5)
    print(sport, "sent", flush=True)


def main():
    cmd = sys.argv[1] if len(sys.argv) > 1 else ""
    if cmd == "server" and len(sys.argv) == 4:
        serve(int(sys.argv[2]), sys.argv[3])
    elif cmd == "send" and len(sys.argv) >= 6:
        opts = sys.argv[6:]
        timeout = float(opts[opts.index("--timeout") + 1]) if "--timeout" in opts else 10.0
        gap = float(opts[opts.index("--gap") + 1]) if "--gap" in opts else 0.03
        send(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), bytes.fromhex(sys.argv[5]),
             timeout, gap)
    elif cmd == "overlap" and len(sys.argv) == 8:
        overlap(sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), sys.argv[6],
                bytes.fromhex(sys.argv[7]))
    elif cmd == "flood" and len(sys.argv) == 6:
        flood(sys.argv[2], sys.argv[3].split(","), int(sys.argv[4]), int(sys.argv[5]))
    else:
        sys.stderr.write(__doc__)
        sys.exit(2)


if __name__ == "__main__":
    main()
