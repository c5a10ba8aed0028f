#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Writes the seed inputs of the newer fuzz targets into test/fuzz/seeds/.

  mkseeds.py capture CORPUS   fuzz_capture: short captures derived from
                              ../shared/corpus (the first few packets of a
                              file, each cut to 160 bytes, rewritten; plus
                              variants the corpus lacks: big-endian and
                              nanosecond pcap, a damaged Network Monitor
                              frame table)
  mkseeds.py nfq              fuzz_nfq_msg: messages derived from the
                              kernel-*.bin seeds (datagrams the kernel sent
                              to a throwaway NFQUEUE reader in a private
                              network namespace): several messages in one
                              datagram, an error and an ACK, an NFQA_CT
                              nest, a cut datagram, a malformed attribute
  mkseeds.py hosts            fuzz_host_rules: hand-written line inputs

The output is deterministic, so re-running it changes nothing.
"""
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SNAP = 160      # bytes kept of each packet
PACKETS = 4     # packets kept of each capture


def seeds(target):
    d = os.path.join(HERE, "seeds", target)
    os.makedirs(d, exist_ok=True)
    return d


def write(target, name, data):
    with open(os.path.join(seeds(target), name), "wb") as f:
        f.write(data)


def pad4(b):
    return b + b"\0" * (-len(b) % 4)


# ---- captures -------------------------------------------------------------

def pcap_records(data):
    """Yields (ts_sec, ts_frac, orig_len, bytes) of a little-endian pcap."""
    off = 24
    while off + 16 <= len(data):
        sec, frac, incl, orig = struct.unpack_from("<IIII", data, off)
        off += 16
        yield sec, frac, orig, data[off:off + incl]
        off += incl


def trim_pcap(data, endian="<", magic=0xA1B2C3D4):
    ver_major, ver_minor, zone, sigfigs, snaplen, linktype = struct.unpack_from("<HHiIII", data, 4)
    out = struct.pack(endian + "IHHiIII", magic, ver_major, ver_minor, zone, sigfigs,
                      snaplen, linktype)
    for i, (sec, frac, orig, pkt) in enumerate(pcap_records(data)):
        if i == PACKETS:
            break
        pkt = pkt[:SNAP]
        if magic == 0xA1B23C4D:
            frac *= 1000
        out += struct.pack(endian + "IIII", sec, frac, len(pkt), orig) + pkt
    return out


def trim_pcapng(data):
    """Keeps every block up to the PACKETS-th packet; packet data is cut to
    SNAP bytes (options kept); blocks over 1 KiB other than packets go."""
    out, off, packets = b"", 0, 0
    while off + 12 <= len(data) and packets < PACKETS:
        btype, blen = struct.unpack_from("<II", data, off)
        if blen < 12 or off + blen > len(data):
            break
        body = data[off + 8:off + blen - 4]
        off += blen
        if btype == 6:  # enhanced packet block
            ifid, tsh, tsl, caplen, orig = struct.unpack_from("<IIIII", body)
            pkt = body[20:20 + caplen]
            opts = body[20 + caplen + (-caplen % 4):]
            body = struct.pack("<IIIII", ifid, tsh, tsl, min(caplen, SNAP), orig) + \
                pad4(pkt[:SNAP]) + opts
            packets += 1
        elif btype == 3:  # simple packet block
            orig = struct.unpack_from("<I", body)[0]
            body = struct.pack("<I", orig) + pad4(body[4:4 + min(orig, SNAP)])
            packets += 1
        elif len(body) > 1024:
            continue
        blen = len(body) + 12
        out += struct.pack("<II", btype, blen) + body + struct.pack("<I", blen)
    return out


NETMON_HEADER = 72  # through the conversation statistics fields


def trim_netmon(data, frames=PACKETS):
    table_off, table_len = struct.unpack_from("<II", data, 24)
    offsets = struct.unpack_from("<%dI" % (table_len // 4), data, table_off)
    out = bytearray(data[:32].ljust(NETMON_HEADER, b"\0"))
    new_offsets = []
    for i, off in enumerate(offsets[:frames]):
        ts_lo, ts_hi, orig, caplen = struct.unpack_from("<IIII", data, off)
        end = off + 16 + caplen
        nxt = offsets[i + 1] if i + 1 < len(offsets) else table_off
        trailer = data[end:nxt] if 0 <= nxt - end <= 64 else b""
        new_offsets.append(len(out))
        keep = min(caplen, SNAP)
        out += struct.pack("<IIII", ts_lo, ts_hi, orig, keep) + data[off + 16:off + 16 + keep] + trailer
    struct.pack_into("<II", out, 24, len(out), 4 * len(new_offsets))
    out += struct.pack("<%dI" % len(new_offsets), *new_offsets)
    return bytes(out)


CAPTURES = [
    # (corpus file, seed name, kind)
    ("aim/fc_puzzle1_evidence01.pcap", "pcap-eth-aim", "pcap"),
    ("negative/ndpi_http_ipv6.pcap", "pcap-eth-ipv6", "pcap"),
    ("bittorrent/arkime_bt-udp.pcap", "pcap-eth-bt-udp", "pcap"),
    ("msn/ppa_msnms.pcap", "pcap-eth-msn", "pcap"),
    ("irc/zeek_irc-starttls.pcap", "pcap-sll-irc", "pcap"),
    ("socks/zeek_tunnels_socks.pcap", "pcap-null-socks", "pcap"),
    ("bittorrent/ndpi_bt-http.pcapng", "pcapng-bt-http", "pcapng"),
    ("google_chat/ndpi_google_chat.pcapng", "pcapng-google-chat", "pcapng"),
    ("xmpp/ws_xmpp-ssl.pcapng", "pcapng-xmpp", "pcapng"),
    ("irc/zeek_irc-dcc-send.pcapng", "pcapng-irc-dcc", "pcapng"),
    ("soulseek/ws_SoulSeekRoom.cap", "netmon-soulseek", "netmon"),
    ("manolito/ws_Manolito2.cap", "netmon-manolito", "netmon"),
]


def make_capture(corpus):
    for rel, name, kind in CAPTURES:
        path = os.path.join(corpus, rel)
        if not os.path.exists(path):
            print("skipped (not in the corpus): " + rel)
            continue
        data = open(path, "rb").read()
        if kind == "pcap":
            write("fuzz_capture", name + ".pcap", trim_pcap(data))
        elif kind == "pcapng":
            write("fuzz_capture", name + ".pcapng", trim_pcapng(data))
        else:
            write("fuzz_capture", name + ".cap", trim_netmon(data))
        if name == "pcap-eth-aim":
            # the byte orders and timestamp precision libpcap also reads
            write("fuzz_capture", "pcap-eth-aim-bigendian.pcap", trim_pcap(data, ">"))
            write("fuzz_capture", "pcap-eth-aim-nsec.pcap", trim_pcap(data, "<", 0xA1B23C4D))
        if name == "netmon-soulseek":
            nm = bytearray(trim_netmon(data, 2))
            # the second frame's offset points past the end of the file
            struct.pack_into("<I", nm, len(nm) - 4, len(nm) + 100)
            write("fuzz_capture", "netmon-bad-frame-offset.cap", bytes(nm))


# ---- NFQUEUE messages -----------------------------------------------------

NFQA_MARK, NFQA_PAYLOAD, NFQA_CT, NFQA_CT_INFO = 3, 10, 11, 12
CTA_STATUS, CTA_MARK = 3, 8
NLA_F_NESTED = 0x8000


def attrs(msg):
    """[(offset, type, payload)] of a packet message's attributes."""
    out, off = [], 20
    while off + 4 <= len(msg):
        alen, atype = struct.unpack_from("<HH", msg, off)
        if alen < 4:
            break
        out.append((off, atype, msg[off + 4:off + alen]))
        off += (alen + 3) & ~3
    return out


def attr(atype, payload):
    return pad4(struct.pack("<HH", 4 + len(payload), atype) + payload)


def with_len(msg):
    return struct.pack("<I", len(msg)) + msg[4:]


def make_nfq():
    d = seeds("fuzz_nfq_msg")
    kernel = {n: open(os.path.join(d, n), "rb").read()[1:]
              for n in sorted(os.listdir(d)) if n.startswith("kernel-")}
    udp = kernel["kernel-udp4-1byte-unaligned.bin"]
    syn = kernel["kernel-tcp4-syn.bin"]
    mark = kernel["kernel-udp4-mark.bin"]

    # Several messages in one datagram, as a batch would bring them, with
    # the ACK of a configuration request and a refused verdict between.
    ack = struct.pack("<IHHII", 36, 2, 0x100, 7, 0) + struct.pack("<i", 0) + \
        struct.pack("<IHHII", 28, 0x301, 5, 7, 0)
    refused = struct.pack("<IHHII", 36, 2, 0x100, 9, 0) + struct.pack("<i", -2) + \
        struct.pack("<IHHII", 32, 0x301, 1, 9, 0)
    write("fuzz_nfq_msg", "derived-batch.bin",
          b"\0" + pad4(syn) + ack + pad4(udp) + refused + pad4(mark))

    # NFQA_CT (with the ct mark) and NFQA_CT_INFO, as with
    # NFQA_CFG_F_CONNTRACK on a kernel that has the glue; before the payload.
    ct = attr(NFQA_CT | NLA_F_NESTED,
              attr(CTA_STATUS, struct.pack(">I", 0x18a)) + attr(CTA_MARK, struct.pack(">I", 0x01000000)))
    pay = [a for a in attrs(udp) if a[1] == NFQA_PAYLOAD][0][0]
    withct = udp[:pay] + ct + attr(NFQA_CT_INFO, struct.pack(">I", 2)) + udp[pay:]
    write("fuzz_nfq_msg", "derived-udp4-ct.bin", b"\0" + with_len(withct))

    # A datagram cut short (MSG_TRUNC): the packet id is still there.
    write("fuzz_nfq_msg", "derived-truncated.bin", b"\1" + syn[:60])

    # NFQA_MARK two bytes short: the library refuses the message, and the
    # id is rescued from the attributes.
    moff = [a for a in attrs(mark) if a[1] == NFQA_MARK][0][0]
    bad = bytearray(mark)
    struct.pack_into("<H", bad, moff, 6)
    write("fuzz_nfq_msg", "derived-short-mark.bin", b"\0" + bytes(bad))


# ---- host rules -----------------------------------------------------------

HOSTS = {
    "basic.txt": b"""h\x01login.oscar.aol.com
h\x02*.msgr.hotmail.com
h\x05Tracker.Example.ORG
h\x09chat.example.net
nbay.msgr.hotmail.com
nLOGIN.OSCAR.AOL.COM.
nlogin.icq.com:5190
nwww.tracker.example.org
nmsgr.hotmail.com
""",
    "wildcards.txt": b"""h\x03*.edge.*.example.com
h\x04a*b*c
h\x07x-*-y.example
h\x0b*.*.*.*.*.*.*.*.*.*.*.*.*.*.*.*.*.*.*.*.*.*.*.*.*.*.*.*.*.*.*.*.*z
n1.edge.2.example.com
nabc
naaabbbccc
nx-1-2-3-y.example
na.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a
""",
    "prefixes.txt": b"""a10.0.0.0/8
a192.168.1.1
a2001:db8::/32
a::ffff:10.1.2.3/128
a0.0.0.0/0
i10.1.0.0/16
i::/0
i10.1.2.3/8
i2001:db8::1/129
a010.1.2.3
nexample.com
""",
    "names.txt": b"""h\x06signal.org
h\x08whatsapp.net
nchat.signal.org
nsignal.org..
nSIGNAL.ORG:443
n.signal.org
nxsignal.org
n\x00signal.org
n""" + b"a" * 63 + b"." + b"b" * 63 + b"." + b"c" * 63 + b"." + b"d" * 61 + b"""
nmmg.whatsapp.net:5222
""",
}


def make_hosts():
    for name, text in HOSTS.items():
        write("fuzz_host_rules", name, text)


def main():
    if len(sys.argv) >= 3 and sys.argv[1] == "capture":
        make_capture(sys.argv[2])
    elif len(sys.argv) == 2 and sys.argv[1] == "nfq":
        make_nfq()
    elif len(sys.argv) == 2 and sys.argv[1] == "hosts":
        make_hosts()
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
