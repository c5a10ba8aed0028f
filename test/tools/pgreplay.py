#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Replays captured TCP/UDP exchanges over real sockets through a router.

  pgreplay.py extract [options] PCAP... > flows.json
      Turns captures into replayable flows (see pcapflows.py): for each flow
      with payload, the ordered chunks client->server and server->client.
      With --ctl PEERGATECTL each flow is annotated with its offline class
      (`peergatectl classify --json [--policy FILE]`): system, feature,
      method and, with --policy, action (block, allow, log).  Filters and caps keep it small.

  pgreplay.py play [options] FLOWS.json...
      Runs each flow over real sockets: the server side listens in one
      network namespace on the flow's server port (or a remapped one), the
      client side connects from another; each side sends its next chunk only
      after the previous chunk arrived whole at the other side, byte for
      byte.  Every flow ends as
        whole     all chunks delivered both ways, byte-exact
        reset     a reset (or refusal) ended it: stopped
        timeout   a chunk, or the connect, did not arrive in time: stopped
        mismatch  bytes arrived that differ from the capture (an error)
        error     the replay itself failed (port in use, ...)
      With --expect it checks each flow's outcome and exits 1 on a miss.

  pgreplay.py synth --kind echo ...      a made-up flow (echo stream)
  pgreplay.py check-stats ...            compares the daemon's counters
                                         with a replay's results

Namespaces are entered per socket with setns(2) on the creating thread, so
one process drives both sides; nothing is sent outside the given addresses.
"""
import argparse
import base64
import ctypes
import errno
import json
import os
import random
import select
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pcapflows  # noqa: E402

STOPPED = ("reset", "timeout")


# ---------------------------------------------------------------------------
# extract

def classify(ctl, policy, paths):
    """peergatectl classify --json over all captures at once:
    {(file, l4, client, server): [row, ...]}."""
    cmd = [ctl, "classify", "--json"]
    if policy:
        cmd += ["--policy", policy]
    cmd += list(paths)
    out = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True)
    if out.returncode != 0:
        raise RuntimeError("%s failed (%d): %s" % (" ".join(cmd), out.returncode,
                                                   out.stderr.strip()))
    rows = {}
    for line in out.stdout.splitlines():
        line = line.strip()
        if not line.startswith("{"):
            continue
        r = json.loads(line)
        rows.setdefault((r["file"], r["l4"], r["client"], r["server"]), []).append(r)
    return rows


def annotate(path, flow, rows):
    """Finds the classify row of a flow (either orientation); adopts the
    engine's client/server orientation.  Returns the row or None."""
    c = pcapflows.endpoint_text(flow.family, *flow.client)
    s = pcapflows.endpoint_text(flow.family, *flow.server)
    for key, swap in (((path, flow.l4, c, s), False), ((path, flow.l4, s, c), True)):
        lst = rows.get(key)
        if lst:
            row = lst.pop(0)
            if swap:
                flow.swap()
            return row
    return None


def flow_record(path, f, row, max_bytes, max_chunks):
    chunks, total, truncated = [], 0, False
    for d, b in f.replay_chunks():
        if len(chunks) >= max_chunks or total >= max_bytes:
            truncated = True
            break
        b = bytes(b)
        if total + len(b) > max_bytes:
            if f.l4 == "udp":
                truncated = True
                break
            b = b[:max_bytes - total]
            truncated = True
        chunks.append([d, base64.b64encode(b).decode()])
        total += len(b)
    rec = {
        "id": "%s#%d" % (os.path.basename(path), f.index),
        "file": path,
        "index": f.index,
        "l4": f.l4,
        "family": f.family,
        "client": pcapflows.endpoint_text(f.family, *f.client),
        "server": pcapflows.endpoint_text(f.family, *f.server),
        "server_port": f.server[1],
        "client_port": f.client[1],
        "gap_bytes": f.gap_bytes,
        "truncated": truncated,
        "chunks": chunks,
    }
    if row is not None:
        for k in ("system", "feature", "method", "action", "confidence"):
            if k in row:
                rec[k] = row[k]
    return rec


def csv_set(text):
    return set(x for x in text.split(",") if x) if text else None


def replayable(a, recs):
    """Keeps the flows whose replay, as packets, gets the class (system,
    feature, decisiveness and action) the capture got: the chunks are
    written to a capture between the replay addresses, with TCP in MSS-size
    segments, and classified again.  Turns down flows whose class came from
    elsewhere in the capture (DNS answers, an announcing flow) or from
    packet boundaries the replay does not keep.  Each flow goes into a
    capture of its own, which classify reads with an engine of its own: a
    flow the gateway only knows from another one (an eD2k server naming
    the source of an obfuscated transfer) is then told apart."""
    import tempfile
    with tempfile.TemporaryDirectory() as tmp:
        paths = []
        for i, rec in enumerate(recs):
            paths.append(os.path.join(tmp, "replay-%d.pcap" % i))
            w = pcapflows.PcapWriter(paths[-1])
            fam = rec["family"] if a.family == "orig" else int(a.family)
            c = ("10.231.1.2", 10000 + i) if fam == 4 else ("fd00:231:1::2", 10000 + i)
            s = ("10.231.2.2", rec["server_port"]) if fam == 4 else \
                ("fd00:231:2::2", rec["server_port"])
            chunks = [(d, base64.b64decode(b)) for d, b in rec["chunks"]]
            pcapflows.write_exchange(w, fam, rec["l4"], c, s, chunks)
            w.close()
        rows = classify(a.ctl, a.policy, paths) if paths else {}
    by_port = {}
    for (_f, l4, client, _s), lst in rows.items():
        by_port[(l4, int(client.rsplit(":", 1)[1]))] = lst[0]
    keep, dropped = [], []
    for i, rec in enumerate(recs):
        r = by_port.get((rec["l4"], 10000 + i))
        same = r is not None and all(r.get(k) == rec.get(k) for k in
                                     ("system", "feature", "action"))
        decisive = (rec.get("confidence", 0) >= 70) == ((r or {}).get("confidence", 0) >= 70)
        if same and decisive:
            keep.append(rec)
        else:
            dropped.append("%s (%s/%s -> %s)" % (rec["id"], rec.get("system"), rec.get("feature"),
                           "%s/%s conf %s" % (r["system"], r["feature"], r["confidence"])
                           if r else "no flow"))
    if dropped:
        print("pgreplay extract: %d of %d flows classify differently when replayed, left "
              "out: %s" % (len(dropped), len(recs), ", ".join(dropped[:12]) +
                           (" ..." if len(dropped) > 12 else "")), file=sys.stderr)
    return keep


def cmd_extract(a):
    systems = csv_set(a.system)
    not_systems = csv_set(a.not_system) or set()
    methods = csv_set(a.method)
    features = csv_set(a.feature)
    policed = None
    if a.policed or a.unpoliced:
        policed = set(("aim icq msn yahoo fasttrack gnutella proxy bittorrent edonkey "
                       "dc xmpp irc telegram whatsapp signal teams skype tor "
                       "qq soulseek manolito ares").split())
    cands = []
    rows = classify(a.ctl, a.policy, a.pcaps) if a.ctl else {}
    for path in a.pcaps:
        flows = [f for f in pcapflows.read_flows(path) if f.chunks]
        per_class = {}
        for f in flows:
            row = annotate(path, f, rows) if a.ctl else None
            if not f.replay_chunks():
                continue
            if a.ctl and row is None:
                continue
            row = row or {}
            sysname = row.get("system", "unknown")
            if systems is not None and sysname not in systems:
                continue
            if sysname in not_systems:
                continue
            if policed is not None and a.policed and sysname not in policed:
                continue
            if policed is not None and a.unpoliced and sysname in policed:
                continue
            if methods is not None and row.get("method") not in methods:
                continue
            if features is not None and row.get("feature") not in features:
                continue
            if a.action and row.get("action") != a.action:
                continue
            if a.min_confidence and row.get("confidence", 0) < a.min_confidence:
                continue
            if a.l4 and f.l4 != a.l4:
                continue
            if a.no_gaps and f.gap_bytes:
                continue
            cls = (sysname, row.get("feature"), f.l4)
            # room for the replayability check to turn some down
            if per_class.get(cls, 0) >= a.per_class * (4 if a.replayable else 1):
                continue
            per_class[cls] = per_class.get(cls, 0) + 1
            cands.append(flow_record(path, f, row if a.ctl else None,
                                     a.max_bytes, a.max_chunks))
    if a.replayable:
        cands = replayable(a, cands)
    out = []
    per_class, per_file = {}, {}
    for rec in cands:
        cls = (rec["file"], rec.get("system"), rec.get("feature"), rec["l4"])
        if per_class.get(cls, 0) >= a.per_class or per_file.get(rec["file"], 0) >= a.max_flows:
            continue
        per_class[cls] = per_class.get(cls, 0) + 1
        per_file[rec["file"]] = per_file.get(rec["file"], 0) + 1
        out.append(rec)
    json.dump({"flows": out}, sys.stdout, indent=None)
    sys.stdout.write("\n")
    if not out and a.require:
        print("pgreplay extract: no flow matched", file=sys.stderr)
        return 1
    return 0


# ---------------------------------------------------------------------------
# namespaces

_libc = ctypes.CDLL(None, use_errno=True)
CLONE_NEWNET = 0x40000000
_home_ns = None


def _setns(fd):
    if _libc.setns(fd, CLONE_NEWNET) != 0:
        e = ctypes.get_errno()
        raise OSError(e, "setns: " + os.strerror(e))


class NetNS:
    """Creates sockets inside a named network namespace (/run/netns/NAME);
    None means the current one."""

    def __init__(self, name):
        self.name = name
        self.fd = None
        if name:
            self.fd = os.open(os.path.join("/run/netns", name), os.O_RDONLY)

    def socket(self, family, kind):
        if self.fd is None:
            return socket.socket(family, kind)
        _setns(self.fd)
        try:
            return socket.socket(family, kind)
        finally:
            _setns(_home_ns)


# ---------------------------------------------------------------------------
# play

class Outcome(Exception):
    def __init__(self, status, detail):
        super().__init__(detail)
        self.status = status
        self.detail = detail


def _sock_error(s):
    e = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
    return e


def _status_of_errno(e):
    if e in (errno.ECONNRESET, errno.ECONNREFUSED, errno.EPIPE, errno.ECONNABORTED):
        return "reset"
    if e in (errno.ETIMEDOUT, errno.EHOSTUNREACH, errno.ENETUNREACH):
        return "timeout"
    return "error"


class FlowRun:
    def __init__(self, rec, cfg):
        self.rec = rec
        self.cfg = cfg
        self.family = cfg.family_of(rec)
        self.port = cfg.port_of(rec)
        self.chunks = [(d, base64.b64decode(b)) for d, b in rec["chunks"]]
        self.sent = {"c": 0, "s": 0}       # bytes delivered, per direction
        self.want = {"c": 0, "s": 0}
        for d, b in self.chunks:
            self.want[d] += len(b)
        self.done_chunks = 0
        self.stage = "connect"
        self.socks = []
        self.saddr = None

    def _close(self):
        for s in self.socks:
            try:
                s.close()
            except OSError:
                pass

    def result(self, status, detail, t0):
        r = {k: self.rec.get(k) for k in ("id", "l4", "system", "feature", "method",
                                          "action", "server_port")}
        r.update({
            "family": 6 if self.family == socket.AF_INET6 else 4,
            "port": self.port,
            "server": self.saddr,
            "status": status,
            "detail": detail,
            "stage": self.stage,
            "chunks": len(self.chunks),
            "chunks_done": self.done_chunks,
            "c2s": self.sent["c"], "c2s_want": self.want["c"],
            "s2c": self.sent["s"], "s2c_want": self.want["s"],
            "ms": int((time.monotonic() - t0) * 1000),
        })
        return r

    def run(self):
        t0 = time.monotonic()
        try:
            if self.rec["l4"] == "tcp":
                self._tcp()
            else:
                self._udp()
            return self.result("whole", "", t0)
        except Outcome as o:
            return self.result(o.status, o.detail, t0)
        except OSError as e:
            return self.result("error", "%s: %s" % (self.stage, e), t0)
        finally:
            self._close()

    # -- TCP
    def _tcp(self):
        cfg = self.cfg
        saddr, caddr = cfg.addrs(self.family, self.rec)
        self.saddr = saddr
        ls = cfg.server_ns.socket(self.family, socket.SOCK_STREAM)
        self.socks.append(ls)
        ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        ls.bind((saddr, self.port))
        ls.listen(8)
        ls.setblocking(False)
        cs = cfg.client_ns.socket(self.family, socket.SOCK_STREAM)
        self.socks.append(cs)
        cs.bind((caddr, 0))
        cs.setblocking(False)
        rc = cs.connect_ex((saddr, self.port))
        if rc not in (0, errno.EINPROGRESS):
            raise Outcome(_status_of_errno(rc), "connect: " + os.strerror(rc))
        deadline = time.monotonic() + cfg.connect_timeout
        ss = None
        connected = False
        while ss is None or not connected:
            left = deadline - time.monotonic()
            if left <= 0:
                raise Outcome("timeout", "connect timed out")
            r, w, _ = select.select([ls] if ss is None else [], [] if connected else [cs], [],
                                    left)
            if cs in w:
                e = _sock_error(cs)
                if e:
                    raise Outcome(_status_of_errno(e), "connect: " + os.strerror(e))
                connected = True
            if ls in r:
                try:
                    ss, _ = ls.accept()
                except BlockingIOError:
                    continue
                ss.setblocking(False)
                self.socks.append(ss)
        ls.close()
        self.stage = "data"
        ends = {"c": cs, "s": ss}
        for i, (d, data) in enumerate(self.chunks):
            if cfg.pace and i:
                time.sleep(cfg.pace)
            self._tcp_chunk(ends[d], ends["s" if d == "c" else "c"], d, data)
            self.done_chunks += 1
        # orderly close: client FIN, the server sees EOF
        self.stage = "close"
        cs.shutdown(socket.SHUT_WR)
        deadline = time.monotonic() + cfg.timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise Outcome("timeout", "no end of stream at the server")
            r, _, _ = select.select([ss], [], [], left)
            if ss in r:
                try:
                    extra = ss.recv(65536)
                except OSError as e:
                    raise Outcome(_status_of_errno(e.errno), "close: %s" % e)
                if not extra:
                    break
                raise Outcome("mismatch", "%d bytes after the last chunk" % len(extra))

    def _tcp_chunk(self, snd, rcv, d, data):
        cfg = self.cfg
        out = memoryview(data)
        got = 0
        deadline = time.monotonic() + cfg.timeout
        while got < len(data):
            left = deadline - time.monotonic()
            if left <= 0:
                raise Outcome("timeout", "chunk %d (%s, %d bytes): %d arrived" %
                              (self.done_chunks, d, len(data), got))
            r, w, _ = select.select([rcv, snd], [snd] if len(out) else [], [], left)
            if snd in w and len(out):
                try:
                    n = snd.send(out[:65536])
                    out = out[n:]
                except BlockingIOError:
                    pass
                except OSError as e:
                    raise Outcome(_status_of_errno(e.errno), "send chunk %d: %s" %
                                  (self.done_chunks, e))
            for s in r:
                try:
                    buf = s.recv(min(65536, len(data) - got) if s is rcv else 65536)
                except BlockingIOError:
                    continue
                except OSError as e:
                    raise Outcome(_status_of_errno(e.errno), "%s side, chunk %d: %s" %
                                  ("receiving" if s is rcv else "sending",
                                   self.done_chunks, e))
                if s is snd:
                    if not buf:
                        raise Outcome("reset", "peer closed during chunk %d" %
                                      self.done_chunks)
                    raise Outcome("mismatch", "%d bytes out of turn" % len(buf))
                if not buf:
                    raise Outcome("reset", "stream ended during chunk %d" % self.done_chunks)
                if buf != data[got:got + len(buf)]:
                    raise Outcome("mismatch", "chunk %d differs at byte %d" %
                                  (self.done_chunks, got))
                got += len(buf)
                self.sent[d] += len(buf)
                deadline = time.monotonic() + cfg.timeout

    # -- UDP
    def _udp(self):
        cfg = self.cfg
        saddr, caddr = cfg.addrs(self.family, self.rec)
        self.saddr = saddr
        ss = cfg.server_ns.socket(self.family, socket.SOCK_DGRAM)
        self.socks.append(ss)
        ss.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        ss.bind((saddr, self.port))
        cs = cfg.client_ns.socket(self.family, socket.SOCK_DGRAM)
        self.socks.append(cs)
        cs.bind((caddr, 0))
        cs.connect((saddr, self.port))
        self.stage = "data"
        ends = {"c": cs, "s": ss}
        server_connected = False
        for i, (d, data) in enumerate(self.chunks):
            if cfg.pace and i:
                time.sleep(cfg.pace)
            snd, rcv = ends[d], ends["s" if d == "c" else "c"]
            try:
                snd.send(data)
            except OSError as e:
                raise Outcome(_status_of_errno(e.errno), "send datagram %d: %s" %
                              (self.done_chunks, e))
            deadline = time.monotonic() + cfg.timeout
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise Outcome("timeout", "datagram %d (%s, %d bytes) lost" %
                                  (self.done_chunks, d, len(data)))
                r, _, _ = select.select([rcv], [], [], left)
                if not r:
                    continue
                try:
                    buf, peer = rcv.recvfrom(65536)
                except ConnectionRefusedError:
                    raise Outcome("reset", "port unreachable")
                except OSError as e:
                    raise Outcome(_status_of_errno(e.errno), "datagram %d: %s" %
                                  (self.done_chunks, e))
                if rcv is ss and not server_connected:
                    ss.connect(peer)
                    server_connected = True
                if buf != data:
                    raise Outcome("mismatch", "datagram %d differs" % self.done_chunks)
                self.sent[d] += len(buf)
                break
            self.done_chunks += 1


class PlayConfig:
    def __init__(self, a):
        self.client_ns = NetNS(a.client_ns)
        self.server_ns = NetNS(a.server_ns)
        self.server4, self.client4 = a.server4.split(","), a.client4
        self.server6, self.client6 = a.server6.split(","), a.client6
        self.addr_index = {}
        self.family = a.family
        self.timeout = a.timeout
        self.connect_timeout = a.connect_timeout
        self.pace = a.pace
        self.port_list = []
        self.port_fixed = {}
        self.port_seq = 0
        self.rng = random.Random(a.seed)
        if a.remap_ports:
            for part in a.remap_ports.split(","):
                if "=" in part:
                    src, dst = part.split("=", 1)
                    self.port_fixed[int(src)] = int(dst)
                elif "-" in part:
                    lo, hi = part.split("-", 1)
                    self.port_list.append((int(lo), int(hi)))
                else:
                    self.port_list.append((int(part), int(part)))
        self.ports = {}

    def family_of(self, rec):
        fam = self.family if self.family in ("4", "6") else str(rec["family"])
        return socket.AF_INET6 if fam == "6" else socket.AF_INET

    def addrs(self, family, rec):
        """(server address, client address) of a flow."""
        i = self.addr_index[rec["id"]]
        if family == socket.AF_INET6:
            return self.server6[i % len(self.server6)], self.client6
        return self.server4[i % len(self.server4)], self.client4

    def assign_ports(self, recs):
        """Fixes each flow's replay port and server address up front
        (deterministic).  Flows on the same port spread over the server
        addresses so that they can run side by side."""
        seen = {}
        for rec in recs:
            p = rec["server_port"]
            if p in self.port_fixed:
                p = self.port_fixed[p]
            elif self.port_list:
                lo, hi = self.port_list[self.port_seq % len(self.port_list)]
                self.port_seq += 1
                p = lo if lo == hi else self.rng.randint(lo, hi)
            self.ports[rec["id"]] = p
            fam = self.family_of(rec)
            n = len(self.server6 if fam == socket.AF_INET6 else self.server4)
            k = (rec["l4"], fam, p)
            self.addr_index[rec["id"]] = seen.get(k, 0) % n
            seen[k] = seen.get(k, 0) + 1

    def port_of(self, rec):
        return self.ports[rec["id"]]

    def group_of(self, rec):
        return (rec["l4"], self.family_of(rec), self.port_of(rec), self.addr_index[rec["id"]])


def expectation(rec, mode):
    """'stopped', 'whole' or None (no check)."""
    if mode in ("stopped", "whole"):
        return mode
    if mode == "verdict":
        v = rec.get("action")
        return "stopped" if v == "block" else "whole" if v in ("allow", "log") else None
    return None


def fmt_result(r, exp):
    cls = "%s/%s" % (r.get("system") or "?", r.get("feature") or "?")
    ok = "" if exp is None else ("ok" if r["ok"] else "FAIL (expected %s)" % exp)
    return ("%-8s %-3s v%d %-24s %-8s port %-5s c2s %7d/%-7d s2c %7d/%-7d %5d ms  %-40s %s %s" %
            (r["status"], r["l4"], r["family"], cls, r.get("method") or "-", r["port"],
             r["c2s"], r["c2s_want"], r["s2c"], r["s2c_want"], r["ms"], r["id"],
             ok, ("[" + r["detail"] + "]") if r["detail"] and (exp is None or not r["ok"]) else ""))


def cmd_play(a):
    global _home_ns
    _home_ns = os.open("/proc/self/ns/net", os.O_RDONLY)
    recs = []
    for path in a.flows:
        with open(path) as f:
            recs += json.load(f)["flows"]
    if a.limit:
        recs = recs[:a.limit]
    cfg = PlayConfig(a)
    cfg.assign_ports(recs)
    # Flows on the same server port run one after another; groups run in
    # parallel.
    groups = {}
    for rec in recs:
        groups.setdefault(cfg.group_of(rec), []).append(rec)
    results = {}
    lock = threading.Lock()

    def run_group(g):
        for rec in g:
            r = FlowRun(rec, cfg).run()
            with lock:
                results[rec["id"]] = r

    with ThreadPoolExecutor(max_workers=max(1, a.jobs)) as ex:
        list(ex.map(run_group, groups.values()))
    ordered = [results[rec["id"]] for rec in recs]
    failed = 0
    for rec, r in zip(recs, ordered):
        exp = expectation(rec, a.expect)
        if r["status"] in ("mismatch", "error"):
            r["ok"] = False
        elif exp == "stopped":
            r["ok"] = r["status"] in STOPPED
        elif exp == "whole":
            r["ok"] = r["status"] == "whole"
        else:
            r["ok"] = True
        r["expect"] = exp
        failed += not r["ok"]
        if not a.quiet or not r["ok"]:
            print((a.label + " " if a.label else "") + fmt_result(r, exp))
    if a.results:
        with open(a.results, "a") as f:
            for r in ordered:
                if a.label:
                    r["run"] = a.label
                f.write(json.dumps(r) + "\n")
    counts = {}
    for r in ordered:
        counts[r["status"]] = counts.get(r["status"], 0) + 1
    print("%s%d flows: %s; %d not as expected" %
          ((a.label + ": ") if a.label else "", len(ordered),
           ", ".join("%d %s" % (v, k) for k, v in sorted(counts.items())) or "none",
           failed))
    if a.min_flows and len(ordered) < a.min_flows:
        print("%sonly %d flows replayed, at least %d required" %
              ((a.label + ": ") if a.label else "", len(ordered), a.min_flows))
        return 1
    return 1 if failed else 0


# ---------------------------------------------------------------------------
# synth: made-up flows

def cmd_synth(a):
    rng = random.Random(a.seed)
    chunks = []
    for i in range(a.chunks):
        data = bytes(rng.getrandbits(8) for _ in range(a.size))
        if a.kind == "slowhttp":
            # an HTTP request whose header block never ends: it keeps the
            # HTTP-borne detectors waiting, so the flow stays under
            # inspection for its whole budget
            data = (b"GET /stream HTTP/1.1\r\n" if i == 0 else
                    b"X-Pad-%d: %s\r\n" % (i, data.hex()[:a.size].encode()))
        chunks.append(["c", base64.b64encode(data).decode()])
        if a.kind in ("echo", "slowhttp"):
            chunks.append(["s", base64.b64encode(data).decode()])
    rec = {"id": "synth-%s-%d" % (a.kind, a.port), "file": "-", "index": 0, "l4": a.l4,
           "family": 4, "client": "-", "server": "-", "server_port": a.port,
           "client_port": 0, "gap_bytes": 0, "truncated": False, "chunks": chunks,
           "system": "unknown", "feature": "any", "method": "none", "action": "allow"}
    json.dump({"flows": [rec]}, sys.stdout)
    sys.stdout.write("\n")
    return 0


# ---------------------------------------------------------------------------
# check-stats

def cmd_check_stats(a):
    with open(a.stats) as f:
        stats = json.load(f)
    results = []
    with open(a.results) as f:
        for line in f:
            r = json.loads(line)
            if a.run is None or r.get("run") in a.run.split(","):
                results.append(r)
    rows = stats.get("verdicts", [])
    by_sys, by_cls = {}, {}
    for row in rows:
        s = by_sys.setdefault(row["system"], {"flows": 0, "flows_dropped": 0})
        s["flows"] += row["flows"]
        s["flows_dropped"] += row["flows_dropped"]
        by_cls[(row["system"], row["feature"])] = row
    problems = []
    # every stopped flow that reached the daemon is one blocked flow of its
    # system at least.  A TCP flow reached it when it got past connect (a
    # kernel port block drops the SYN); for UDP the replay cannot tell, so
    # UDP counts only with --count-udp (runs without port blocks in play)
    need = {}
    for r in results:
        if r["status"] not in STOPPED or not r.get("system"):
            continue
        if r["l4"] == "udp" and not a.count_udp:
            continue
        if r["l4"] == "tcp" and r["stage"] == "connect":
            continue
        need[r["system"]] = need.get(r["system"], 0) + 1
    for sysname, n in sorted(need.items()):
        have = by_sys.get(sysname, {}).get("flows_dropped", 0)
        line = "%-12s stopped in replay %3d, daemon flows_dropped %3d" % (sysname, n, have)
        if have < n:
            problems.append(line + "  <- fewer drops than stopped flows")
        print("  " + line)
    for sysname in (a.allowed or "").split(","):
        if not sysname:
            continue
        sysname, _, feat = sysname.partition("/")
        if feat:
            d = by_cls.get((sysname, feat), {}).get("flows_dropped", 0)
        else:
            d = by_sys.get(sysname, {}).get("flows_dropped", 0)
        line = "%-12s allowed: daemon flows_dropped %d" % (sysname + ("/" + feat if feat else ""), d)
        print("  " + line)
        if d:
            problems.append(line + "  <- an allowed class was dropped")
    for spec in (a.dropped or "").split(","):
        if not spec:
            continue
        cls, _, n = spec.partition(">=")
        sysname, _, feat = cls.partition("/")
        d = by_cls.get((sysname, feat), {}).get("flows_dropped", 0) if feat else \
            by_sys.get(sysname, {}).get("flows_dropped", 0)
        line = "%-12s blocked: daemon flows_dropped %d (want >= %s)" % (cls, d, n or 1)
        print("  " + line)
        if d < int(n or 1):
            problems.append(line)
    if a.total_dropped_max is not None:
        tot = sum(v["flows_dropped"] for v in by_sys.values())
        line = "all systems: daemon flows_dropped %d (want <= %d)" % (tot, a.total_dropped_max)
        print("  " + line)
        if tot > a.total_dropped_max:
            problems.append(line)
    eng = stats.get("engine", {})
    line = "engine: queued %s verdicts %s verdict_errors %s send_errors %s enobufs %s" % (
        eng.get("queued"), eng.get("verdicts"), eng.get("verdict_errors"), eng.get("send_errors"),
        eng.get("enobufs"))
    print("  " + line)
    if eng.get("verdict_errors") != 0 or eng.get("queued") != eng.get("verdicts") or \
            eng.get("send_errors") != 0:
        problems.append(line + "  <- want verdict_errors 0, send_errors 0, queued == verdicts")
    if a.min_queued and (eng.get("queued") or 0) < a.min_queued:
        problems.append("engine: queued %s, want >= %d" % (eng.get("queued"), a.min_queued))
    for p in problems:
        print("FAIL: " + p)
    return 1 if problems else 0


# ---------------------------------------------------------------------------

def main(argv):
    ap = argparse.ArgumentParser(prog="pgreplay.py")
    sub = ap.add_subparsers(dest="cmd", required=True)

    e = sub.add_parser("extract")
    e.add_argument("pcaps", nargs="+")
    e.add_argument("--ctl", help="peergatectl: annotate with the offline class")
    e.add_argument("--policy", help="policy for the offline action")
    e.add_argument("--system", help="only these systems (comma list)")
    e.add_argument("--not-system", help="not these systems (comma list)")
    e.add_argument("--feature", help="only these features (comma list)")
    e.add_argument("--method", help="only these methods (comma list)")
    e.add_argument("--action", choices=("block", "allow", "log"))
    e.add_argument("--policed", action="store_true", help="only IM/P2P systems")
    e.add_argument("--unpoliced", action="store_true", help="only ordinary traffic")
    e.add_argument("--min-confidence", type=int, default=0,
                   help="only flows classified with at least this confidence (70: decided "
                   "on evidence, not on a port or a weak guess)")
    e.add_argument("--replayable", action="store_true",
                   help="keep only flows whose replay classifies like the capture")
    e.add_argument("--family", default="4", choices=("4", "6", "orig"),
                   help="the family the replay will use (for --replayable)")
    e.add_argument("--l4", choices=("tcp", "udp"))
    e.add_argument("--no-gaps", action="store_true", help="skip flows with capture gaps")
    e.add_argument("--per-class", type=int, default=1000,
                   help="at most N flows per (file, system, feature, l4)")
    e.add_argument("--max-flows", type=int, default=1000, help="per capture")
    e.add_argument("--max-bytes", type=int, default=64 * 1024, help="per flow")
    e.add_argument("--max-chunks", type=int, default=64, help="per flow")
    e.add_argument("--require", action="store_true", help="exit 1 when nothing matched")

    p = sub.add_parser("play")
    p.add_argument("flows", nargs="+")
    p.add_argument("--client-ns")
    p.add_argument("--server-ns")
    p.add_argument("--client4", default="127.0.0.1")
    p.add_argument("--server4", default="127.0.0.1", help="address, or a comma list")
    p.add_argument("--client6", default="::1")
    p.add_argument("--server6", default="::1", help="address, or a comma list")
    p.add_argument("--family", default="4", choices=("4", "6", "orig"))
    p.add_argument("--remap-ports", help="P=Q,... fixed maps, or a cycle of ports/ranges "
                   "(443,8080,40000-49999)")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--timeout", type=float, default=2.0, help="per chunk, seconds")
    p.add_argument("--connect-timeout", type=float, default=2.5)
    p.add_argument("--pace", type=float, default=0.0, help="pause between chunks, s")
    p.add_argument("--jobs", type=int, default=8)
    p.add_argument("--limit", type=int, default=0)
    p.add_argument("--expect", choices=("stopped", "whole", "verdict", "none"), default="none")
    p.add_argument("--min-flows", type=int, default=0)
    p.add_argument("--results", help="append JSON lines here")
    p.add_argument("--label", default="")
    p.add_argument("--quiet", action="store_true", help="print only misses and the summary")

    s = sub.add_parser("synth")
    s.add_argument("--kind", choices=("echo", "push", "slowhttp"), default="echo")
    s.add_argument("--l4", choices=("tcp", "udp"), default="tcp")
    s.add_argument("--port", type=int, default=7000)
    s.add_argument("--chunks", type=int, default=10)
    s.add_argument("--size", type=int, default=100)
    s.add_argument("--seed", type=int, default=1)

    c = sub.add_parser("check-stats")
    c.add_argument("--stats", required=True)
    c.add_argument("--results", required=True)
    c.add_argument("--run", help="only results of these labels (comma list)")
    c.add_argument("--allowed", help="systems (or system/feature) that must have no drops")
    c.add_argument("--dropped", help="system/feature>=N,... that must have drops")
    c.add_argument("--total-dropped-max", type=int)
    c.add_argument("--count-udp", action="store_true",
                   help="stopped UDP flows reached the daemon (no port blocks in play)")
    c.add_argument("--min-queued", type=int, default=0)

    a = ap.parse_args(argv)
    return {"extract": cmd_extract, "play": cmd_play, "synth": cmd_synth,
            "check-stats": cmd_check_stats}[a.cmd](a)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
