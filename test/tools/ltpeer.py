#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""A libtorrent (rasterbar, python3-libtorrent) peer for the project's own
encrypted BitTorrent captures: MSE/PE forced both ways, uTP, DHT, LSD,
UPnP and NAT-PMP off, no tracker.  As a leecher it is handed the seeder's
address and connects to it directly (connect_peer), so no traffic names
the peer.  Exits 0 once the torrent is complete (leecher) or after
SECONDS (seeder); 1 on timeout.

Usage: ltpeer.py seed|leech TORRENT DIR LISTEN_PORT SECONDS [PEER_ADDR PEER_PORT]
"""
import sys
import time

import libtorrent as lt

mode, torrent, folder, port, secs = sys.argv[1:6]
peer = (sys.argv[6], int(sys.argv[7])) if len(sys.argv) > 7 else None

ses = lt.session({
    "listen_interfaces": "0.0.0.0:%d" % int(port),
    "enable_dht": False,
    "enable_lsd": False,
    "enable_upnp": False,
    "enable_natpmp": False,
    "enable_outgoing_utp": False,
    "enable_incoming_utp": False,
    "out_enc_policy": int(lt.enc_policy.forced),
    "in_enc_policy": int(lt.enc_policy.forced),
    "allowed_enc_level": int(lt.enc_level.rc4),
    "prefer_rc4": True,
    "alert_mask": 0,
})
params = lt.add_torrent_params()
params.ti = lt.torrent_info(torrent)
params.save_path = folder
params.flags &= ~lt.torrent_flags.auto_managed
params.flags &= ~lt.torrent_flags.paused
h = ses.add_torrent(params)
deadline = time.time() + float(secs)
connected = 0.0
while time.time() < deadline:
    st = h.status()
    if mode == "leech":
        if st.is_seeding:
            sys.exit(0)
        if peer and time.time() - connected > 5:
            h.connect_peer(peer)
            connected = time.time()
    time.sleep(0.2)
sys.exit(0 if mode == "seed" else 1)
