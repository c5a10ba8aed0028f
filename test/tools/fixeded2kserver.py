#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""A minimal eDonkey server for the project's own eMule captures.

aMule asks its sources for a file only while it is connected to a network
(an eD2k server or Kad), and it obfuscates a connection to another client
only when it knows that client's user hash and that the client supports
obfuscation: what a real server's OP_FOUNDSOURCES_OBFU answer tells it.  So
this server accepts every login (OP_LOGINREQUEST) with OP_IDCHANGE, the
client's own address as its high ID and no TCP flags, and answers every
source request (OP_GETSOURCES, OP_GETSOURCES_OBFU) with one fixed source:
address, port, obfuscation options and user hash.  Everything else is
read and ignored.  It runs in the router namespace, on the router's own
addresses, so the capture on the router (filtered on the source's address)
sees the client-to-client connection only.

Usage: fixeded2kserver.py LISTEN_PORT SOURCE_ADDR SOURCE_PORT SOURCE_HASH CRYPT_OPTIONS
  SOURCE_HASH    the source's user hash, 32 hex digits
  CRYPT_OPTIONS  the source's obfuscation byte: 1 supported, 2 requested,
                 4 required (0x80, "hash follows", is added here)
"""
import socket
import socketserver
import struct
import sys

listen_port, src_addr, src_port, src_hash, crypt = sys.argv[1:6]
src_hash = bytes.fromhex(src_hash)
crypt = int(crypt, 0) | 0x80
assert len(src_hash) == 16

PROT_EDONKEY = 0xE3
OP_LOGINREQUEST = 0x01
OP_GETSOURCES = 0x19
OP_GETSOURCES_OBFU = 0x23
OP_IDCHANGE = 0x40
OP_FOUNDSOURCES_OBFU = 0x44


def packet(opcode, body):
    return struct.pack("<BIB", PROT_EDONKEY, len(body) + 1, opcode) + body


class Server(socketserver.BaseRequestHandler):
    def handle(self):
        peer = self.client_address[0]
        buf = b""
        while True:
            data = self.request.recv(65536)
            if not data:
                return
            buf += data
            while len(buf) >= 6:
                prot, length = struct.unpack_from("<BI", buf)
                if prot != PROT_EDONKEY or length == 0 or length > 1 << 20:
                    sys.stderr.write("ed2kserver: %s: not an eD2k frame, closing\n" % peer)
                    return
                if len(buf) < 5 + length:
                    break
                opcode, body = buf[5], buf[6:5 + length]
                buf = buf[5 + length:]
                self.message(peer, opcode, body)

    def message(self, peer, opcode, body):
        sys.stderr.write("ed2kserver: %s: opcode 0x%02x, %d bytes\n" % (peer, opcode, len(body)))
        if opcode == OP_LOGINREQUEST:
            self.request.sendall(packet(OP_IDCHANGE, socket.inet_aton(peer) + struct.pack("<I", 0)))
        elif opcode in (OP_GETSOURCES, OP_GETSOURCES_OBFU) and len(body) >= 16:
            source = (socket.inet_aton(src_addr) + struct.pack("<HB", int(src_port), crypt) +
                      src_hash)
            self.request.sendall(packet(OP_FOUNDSOURCES_OBFU, body[:16] + b"\x01" + source))


class ThreadedServer(socketserver.ThreadingMixIn, socketserver.TCPServer):
    allow_reuse_address = True
    daemon_threads = True


ThreadedServer(("0.0.0.0", int(listen_port)), Server).serve_forever()
