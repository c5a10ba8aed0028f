#!/usr/bin/env python3
"""Long-lived TCP flows for the reload test.

server PORT...          echo server on each port (run in the server namespace)
client HOST PORT KIND SECONDS [TIMEOUT]
                        one flow: KIND 'bittorrent' opens with a real
                        BitTorrent handshake (so peergate classifies it
                        bittorrent/download); 'plain' opens with bytes no
                        detector claims.  Then a 64-byte message every 20 ms,
                        each echoed back.  Prints one JSON line: messages
                        sent, echoed, the longest wait for an echo (gap_ms),
                        and how the flow ended (done / reset /
                        timeout: no echo within TIMEOUT seconds, default 3).
"""
import json
import os
import socket
import sys
import threading
import time

HANDSHAKE = (b"\x13BitTorrent protocol" + bytes(8) + bytes(range(20)) +
             b"-PG0001-" + bytes(12))


def serve(port):
    s = socket.socket(socket.AF_INET6 if ":" in os.environ.get("BIND", "") else socket.AF_INET)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((os.environ.get("BIND", "0.0.0.0"), port))
    s.listen(64)
    while True:
        c, _ = s.accept()
        threading.Thread(target=echo, args=(c,), daemon=True).start()


def echo(c):
    try:
        while True:
            d = c.recv(65536)
            if not d:
                break
            c.sendall(d)
    except OSError:
        pass
    finally:
        c.close()


def recv_exact(c, n):
    buf = b""
    while len(buf) < n:
        d = c.recv(n - len(buf))
        if not d:
            raise ConnectionResetError("closed")
        buf += d
    return buf


def client(host, port, kind, seconds, timeout=3.0):
    res = {"kind": kind, "sent": 0, "echoed": 0, "end": "done", "gap_ms": 0}
    try:
        c = socket.create_connection((host, port), timeout=3)
        c.settimeout(timeout)
        first = HANDSHAKE if kind == "bittorrent" else b"\x00\x07plain-stream-hello\x01" + bytes(20)
        c.sendall(first)
        recv_exact(c, len(first))
        end = time.time() + seconds
        i = 0
        last = time.time()
        while time.time() < end:
            msg = (b"%08d" % i) * 8
            c.sendall(msg)
            res["sent"] += 1
            if recv_exact(c, len(msg)) != msg:
                res["end"] = "mismatch"
                break
            res["echoed"] += 1
            now = time.time()
            res["gap_ms"] = max(res["gap_ms"], int((now - last) * 1000))
            last = now
            i += 1
            time.sleep(0.02)
        c.close()
    except socket.timeout:
        res["end"] = "timeout"
    except OSError:
        res["end"] = "reset"
    print(json.dumps(res), flush=True)


if __name__ == "__main__":
    if sys.argv[1] == "server":
        for p in sys.argv[3:]:
            threading.Thread(target=serve, args=(int(p),), daemon=True).start()
        serve(int(sys.argv[2]))
    else:
        client(sys.argv[2], int(sys.argv[3]), sys.argv[4], float(sys.argv[5]),
               float(sys.argv[6]) if len(sys.argv) > 6 else 3.0)
