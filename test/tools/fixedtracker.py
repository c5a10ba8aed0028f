#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""A one-torrent HTTP tracker for the project's own BitTorrent captures.

Answers every announce with a bencoded dictionary (BEP 3, compact peers,
BEP 23) naming one fixed peer, except to the peer itself, which gets an
empty list.  So a leecher learns the seeder's address only from this
tracker, which listens on a link that bypasses the router: the router sees
the peer connection and nothing else.

Usage: fixedtracker.py LISTEN_ADDR LISTEN_PORT PEER_ADDR PEER_PORT SEEDER_SRC
"""
import http.server
import socket
import struct
import sys

listen_addr, listen_port, peer_addr, peer_port, seeder_src = sys.argv[1:6]


def bstr(b):
    return str(len(b)).encode() + b":" + b


class Tracker(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        peers = b""
        if self.client_address[0] != seeder_src:
            peers = socket.inet_aton(peer_addr) + struct.pack(">H", int(peer_port))
        body = b"d8:completei1e10:incompletei1e8:intervali60e5:peers" + bstr(peers) + b"e"
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, fmt, *args):
        sys.stderr.write("tracker: %s %s\n" % (self.client_address[0], fmt % args))


http.server.HTTPServer((listen_addr, int(listen_port)), Tracker).serve_forever()
