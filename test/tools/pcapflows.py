# SPDX-License-Identifier: GPL-2.0-or-later
"""Capture files -> replayable flows.

A pure-Python reader for pcap (micro- and nanosecond, either byte order) and
pcapng (SHB/IDB/EPB/SPB/OPB), the link types peergatectl classify reads
(Ethernet with VLAN tags and PPPoE, Linux cooked v1/v2, BSD loopback, raw IP), IPv4
and IPv6 (extension headers; fragments are skipped), TCP and UDP.

For each flow it builds the ordered application exchange: a list of chunks
(direction, bytes).  TCP is reassembled per direction by sequence number:
retransmitted and overlapping bytes are delivered once, out-of-order
segments wait for the gap to fill; a gap the capture never fills is skipped
(counted in `gap_bytes`) when the other side speaks or the flow ends.
Consecutive TCP bytes in the same direction form one chunk.  UDP keeps one
chunk per datagram.  Leading server->client datagrams of a UDP flow are
left out of the replay (a replayed server cannot know the client before it
speaks).
"""
import struct

TCP, UDP = 6, 17
FIN, SYN, RST, ACK = 0x01, 0x02, 0x04, 0x10


class CaptureError(Exception):
    pass


# ---------------------------------------------------------------------------
# Frames

def _pcap_frames(data):
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        e = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        e = ">"
    else:
        raise CaptureError("not a pcap file")
    nano = magic in (b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d")
    if len(data) < 24:
        raise CaptureError("short pcap header")
    linktype = struct.unpack(e + "I", data[20:24])[0] & 0x0FFFFFFF
    off = 24
    while off + 16 <= len(data):
        sec, frac, incl, _orig = struct.unpack(e + "IIII", data[off:off + 16])
        off += 16
        if off + incl > len(data):
            break  # truncated last record
        ts = sec + frac / (1e9 if nano else 1e6)
        yield ts, linktype, data[off:off + incl]
        off += incl


def _pcapng_frames(data):
    off = 0
    e = "<"
    ifaces = []  # (linktype, tsresol)
    while off + 12 <= len(data):
        btype = struct.unpack(e + "I", data[off:off + 4])[0]
        if btype == 0x0A0D0D0A:
            bom = data[off + 8:off + 12]
            e = "<" if bom == b"\x4d\x3c\x2b\x1a" else ">"
            ifaces = []
        blen = struct.unpack(e + "I", data[off + 4:off + 8])[0]
        if blen < 12 or off + blen > len(data):
            break
        body = data[off + 8:off + blen - 4]
        if btype == 1:  # IDB
            linktype = struct.unpack(e + "H", body[0:2])[0]
            tsresol = 1e-6
            o = 8
            while o + 4 <= len(body):
                code, olen = struct.unpack(e + "HH", body[o:o + 4])
                if code == 0:
                    break
                if code == 9 and olen >= 1:
                    v = body[o + 4]
                    tsresol = 2.0 ** -(v & 0x7F) if v & 0x80 else 10.0 ** -v
                o += 4 + ((olen + 3) & ~3)
            ifaces.append((linktype, tsresol))
        elif btype == 6 and len(body) >= 20:  # EPB
            ifid, tsh, tsl, cap, _orig = struct.unpack(e + "IIIII", body[:20])
            if ifid < len(ifaces):
                lt, res = ifaces[ifid]
                yield ((tsh << 32) | tsl) * res, lt, body[20:20 + cap]
        elif btype == 3 and ifaces:  # SPB: snaplen-limited, no timestamp
            orig = struct.unpack(e + "I", body[:4])[0]
            yield 0.0, ifaces[0][0], body[4:4 + orig]
        elif btype == 2 and len(body) >= 20:  # OPB (obsolete)
            ifid, _drops, tsh, tsl, cap, _orig = struct.unpack(e + "HHIIII", body[:20])
            if ifid < len(ifaces):
                lt, res = ifaces[ifid]
                yield ((tsh << 32) | tsl) * res, lt, body[20:20 + cap]
        off += blen


def frames(path):
    """Yields (timestamp, linktype, frame bytes) for every record."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:4] == b"\x0a\x0d\x0d\x0a":
        return _pcapng_frames(data)
    return _pcap_frames(data)


def _ethertype_ip(etype, payload):
    if etype == 0x0800 or etype == 0x86DD:
        return payload
    return None


def link_to_ip(linktype, frame):
    """The IP packet inside a frame, or None."""
    if linktype == 1:  # Ethernet
        if len(frame) < 14:
            return None
        etype = struct.unpack(">H", frame[12:14])[0]
        off = 14
        for _ in range(4):  # VLAN tags and PPPoE sessions nest
            if etype in (0x8100, 0x88A8, 0x9100) and len(frame) >= off + 4:
                etype = struct.unpack(">H", frame[off + 2:off + 4])[0]
                off += 4
            elif etype == 0x8864 and len(frame) >= off + 8:
                ppp = struct.unpack(">H", frame[off + 6:off + 8])[0]
                etype = {0x0021: 0x0800, 0x0057: 0x86DD}.get(ppp, 0)
                off += 8
            else:
                break
        return _ethertype_ip(etype, frame[off:])
    if linktype == 113:  # Linux cooked v1
        if len(frame) < 16:
            return None
        return _ethertype_ip(struct.unpack(">H", frame[14:16])[0], frame[16:])
    if linktype == 276:  # Linux cooked v2
        if len(frame) < 20:
            return None
        return _ethertype_ip(struct.unpack(">H", frame[0:2])[0], frame[20:])
    if linktype in (0, 108):  # BSD loopback: 4-byte family, host or network order
        if len(frame) < 4:
            return None
        return frame[4:]
    if linktype in (101, 228, 229, 12, 14):  # raw IP
        return frame
    return None


# ---------------------------------------------------------------------------
# Packets

class Packet:
    __slots__ = ("family", "src", "dst", "proto", "sport", "dport", "flags",
                 "seq", "payload")


def _addr_text(family, raw):
    import ipaddress
    return str(ipaddress.ip_address(raw))


def parse_ip(buf):
    """A Packet for an unfragmented TCP/UDP packet, else None."""
    if len(buf) < 1:
        return None
    v = buf[0] >> 4
    if v == 4:
        if len(buf) < 20:
            return None
        ihl = (buf[0] & 0x0F) * 4
        total = struct.unpack(">H", buf[2:4])[0]
        frag = struct.unpack(">H", buf[6:8])[0]
        if ihl < 20 or total < ihl or len(buf) < ihl:
            return None
        if frag & 0x3FFF:  # MF or offset: fragmented
            return None
        proto = buf[9]
        src, dst = buf[12:16], buf[16:20]
        l4 = buf[ihl:min(total, len(buf))]
        family = 4
    elif v == 6:
        if len(buf) < 40:
            return None
        plen = struct.unpack(">H", buf[4:6])[0]
        nh = buf[6]
        src, dst = buf[8:24], buf[24:40]
        rest = buf[40:40 + plen] if plen else buf[40:]
        while nh in (0, 43, 44, 60, 51):
            if len(rest) < 8:
                return None
            if nh == 44:
                return None
            hlen = (rest[1] + 2) * 4 if nh == 51 else (rest[1] + 1) * 8
            nh = rest[0]
            rest = rest[hlen:]
        proto, l4, family = nh, rest, 6
    else:
        return None
    p = Packet()
    p.family = family
    p.src, p.dst = _addr_text(family, src), _addr_text(family, dst)
    p.proto = proto
    if proto == TCP:
        if len(l4) < 20:
            return None
        p.sport, p.dport, p.seq = struct.unpack(">HHI", l4[:8])
        doff = (l4[12] >> 4) * 4
        if doff < 20 or doff > len(l4):
            return None
        p.flags = l4[13]
        p.payload = bytes(l4[doff:])
    elif proto == UDP:
        if len(l4) < 8:
            return None
        p.sport, p.dport, ulen = struct.unpack(">HHH", l4[:6])
        p.flags = 0
        p.seq = 0
        end = ulen if 8 <= ulen <= len(l4) else len(l4)
        p.payload = bytes(l4[8:end])
    else:
        return None
    return p


# ---------------------------------------------------------------------------
# Flows

def endpoint_text(family, addr, port):
    return "[%s]:%d" % (addr, port) if family == 6 else "%s:%d" % (addr, port)


class _Dir:
    """Reassembly state of one TCP direction."""

    def __init__(self):
        self.next = None      # next expected sequence number (absolute, mod 2^32)
        self.pending = {}     # seq -> payload, beyond self.next

    def _rel(self, seq):
        return (seq - self.next) & 0xFFFFFFFF

    def add(self, seq, payload, syn):
        """Returns the in-order bytes this segment makes available."""
        if syn:
            seq = (seq + 1) & 0xFFFFFFFF
        if self.next is None:
            self.next = seq
        if not payload:
            return b""
        rel = self._rel(seq)
        if rel >= 0x80000000:  # starts before next: retransmission / overlap
            back = 0x100000000 - rel
            if back >= len(payload):
                return b""
            payload = payload[back:]
            seq = self.next
            rel = 0
        if rel > 0:
            old = self.pending.get(seq)
            if old is None or len(old) < len(payload):
                self.pending[seq] = payload
            return b""
        out = bytearray(payload)
        self.next = (self.next + len(payload)) & 0xFFFFFFFF
        out += self._drain()
        return bytes(out)

    def _drain(self):
        out = bytearray()
        progress = True
        while progress and self.pending:
            progress = False
            for seq in list(self.pending):
                rel = self._rel(seq)
                data = self.pending[seq]
                if rel >= 0x80000000:
                    back = 0x100000000 - rel
                    del self.pending[seq]
                    if back < len(data):
                        out += data[back:]
                        self.next = (self.next + len(data) - back) & 0xFFFFFFFF
                    progress = True
                elif rel == 0:
                    del self.pending[seq]
                    out += data
                    self.next = (self.next + len(data)) & 0xFFFFFFFF
                    progress = True
        return bytes(out)

    def skip_gap(self):
        """Jumps over the smallest gap; returns (bytes skipped, bytes now in order)."""
        if not self.pending:
            return 0, b""
        first = min(self.pending, key=self._rel)
        gap = self._rel(first)
        self.next = first
        return gap, self._drain()


class Flow:
    def __init__(self, key, p, index, ts):
        self.key = key
        self.index = index           # order of first appearance in the capture
        self.l4 = "tcp" if p.proto == TCP else "udp"
        self.family = p.family
        # provisional orientation: the first packet's sender is the client
        self.client = (p.src, p.sport)
        self.server = (p.dst, p.dport)
        self.orient_sure = False
        self.chunks = []             # [dir, bytearray] with dir 'c' or 's'
        self.dirs = {"c": _Dir(), "s": _Dir()}
        self.gap_bytes = 0
        self.first_ts = ts
        self.packets = 0

    def direction(self, p):
        return "c" if (p.src, p.sport) == self.client else "s"

    def swap(self):
        self.client, self.server = self.server, self.client
        self.chunks = [["s" if d == "c" else "c", b] for d, b in self.chunks]
        self.dirs = {"c": self.dirs["s"], "s": self.dirs["c"]}

    def _append(self, d, data):
        if not data:
            return
        if self.l4 == "tcp" and self.chunks and self.chunks[-1][0] == d:
            self.chunks[-1][1] += data
        else:
            self.chunks.append([d, bytearray(data)])

    def _flush_gaps(self, d):
        st = self.dirs[d]
        while st.pending:
            gap, data = st.skip_gap()
            self.gap_bytes += gap
            self._append(d, data)

    def add(self, p):
        self.packets += 1
        if self.l4 == "tcp":
            syn = bool(p.flags & SYN)
            if syn and not self.orient_sure:
                # SYN alone comes from the client, SYN+ACK from the server
                from_client = not (p.flags & ACK)
                if (self.direction(p) == "c") != from_client:
                    self.swap()
                self.orient_sure = True
            d = self.direction(p)
            other = "s" if d == "c" else "c"
            if p.payload and self.dirs[other].pending:
                # the other side had a gap the capture never filled, and
                # now this side speaks: skip it to keep the turn order
                self._flush_gaps(other)
            self._append(d, self.dirs[d].add(p.seq, p.payload, syn))
        else:
            if p.payload:
                self._append(self.direction(p), p.payload)

    def finish(self):
        if self.l4 == "tcp":
            for d in ("c", "s"):
                self._flush_gaps(d)

    def replay_chunks(self):
        """The chunks a replay can play: a UDP flow starts with the client."""
        chunks = list(self.chunks)
        if self.l4 == "udp":
            while chunks and chunks[0][0] == "s":
                chunks.pop(0)
        return chunks

    def bytes(self, d):
        return sum(len(b) for dd, b in self.chunks if dd == d)


def read_flows(path):
    """All TCP/UDP flows of a capture, in order of first appearance.  A TCP
    flow whose ports are reused after a FIN/RST and a new SYN starts anew."""
    flows = []
    live = {}
    for ts, lt, frame in frames(path):
        ip = link_to_ip(lt, frame)
        if ip is None:
            continue
        p = parse_ip(ip)
        if p is None or p.sport == 0 or p.dport == 0:
            continue
        a, b = (p.src, p.sport), (p.dst, p.dport)
        key = (p.proto,) + ((a, b) if a <= b else (b, a))
        f = live.get(key)
        if f is not None and p.proto == TCP and (p.flags & (SYN | ACK)) == SYN and \
                f.chunks:
            f = None  # a new connection on the same ports
        if f is None:
            f = Flow(key, p, len(flows), ts)
            flows.append(f)
            live[key] = f
        f.add(p)
    for f in flows:
        f.finish()
    return flows


# ---------------------------------------------------------------------------
# Writing: an exchange as the packets a replay would put on the wire

def _csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def _ip_packet(family, src, dst, proto, l4):
    import ipaddress
    s, d = ipaddress.ip_address(src).packed, ipaddress.ip_address(dst).packed
    if family == 6:
        pseudo = s + d + struct.pack("!IxxxB", len(l4), proto)
    else:
        pseudo = s + d + struct.pack("!xBH", proto, len(l4))
    off = 16 if proto == TCP else 6
    c = _csum(pseudo + l4)
    if proto == UDP and c == 0:
        c = 0xFFFF
    l4 = l4[:off] + struct.pack("!H", c) + l4[off + 2:]
    if family == 6:
        return struct.pack("!IHBB", 0x60000000, len(l4), proto, 64) + s + d + l4
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(l4), 0, 0x4000, 64, proto, 0, s, d)
    hdr = hdr[:10] + struct.pack("!H", _csum(hdr)) + hdr[12:]
    return hdr + l4


class PcapWriter:
    """pcap, LINKTYPE_RAW (IPv4 and IPv6)."""

    def __init__(self, path):
        self.f = open(path, "wb")
        self.f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 101))
        self.t = 1_000_000.0

    def packet(self, data, step=0.001):
        self.t += step
        sec = int(self.t)
        usec = int(round((self.t - sec) * 1e6))
        if usec >= 1000000:
            sec, usec = sec + 1, usec - 1000000
        self.f.write(struct.pack("<IIII", sec, usec, len(data), len(data)) + data)

    def close(self):
        self.f.close()


def write_exchange(w, family, l4, client, server, chunks, mss=1448):
    """Appends one flow: for TCP the handshake, the chunks in MSS segments
    with their ACKs, and the FIN exchange; for UDP one datagram per chunk."""
    (ca, cp), (sa, sp) = client, server
    if l4 == "udp":
        for d, data in chunks:
            src, dst = (client, server) if d == "c" else (server, client)
            udp = struct.pack("!HHHH", src[1], dst[1], 8 + len(data), 0) + data
            w.packet(_ip_packet(family, src[0], dst[0], UDP, udp))
        return
    seq = {"c": 1000, "s": 5000}

    def seg(d, flags, data=b""):
        src, dst = (client, server) if d == "c" else (server, client)
        o = "s" if d == "c" else "c"
        tcp = struct.pack("!HHIIBBHHH", src[1], dst[1], seq[d] & 0xFFFFFFFF,
                          seq[o] & 0xFFFFFFFF if flags & ACK else 0, 5 << 4, flags,
                          65535, 0, 0) + data
        w.packet(_ip_packet(family, src[0], dst[0], TCP, tcp))
        seq[d] += len(data) + (1 if flags & (SYN | FIN) else 0)

    seg("c", SYN)
    seg("s", SYN | ACK)
    seg("c", ACK)
    for d, data in chunks:
        for i in range(0, len(data), mss):
            seg(d, ACK | 0x08, data[i:i + mss])
        seg("s" if d == "c" else "c", ACK)
    seg("c", FIN | ACK)
    seg("s", FIN | ACK)
    seg("c", ACK)
