"""Bulk distribution with libtorrent: one seed and N peers in one process, on loopback, every session's
upload and download capped at the same rate. Run by the lab's `libtorrent` command
(io.bootswarm.bench.libtorrent.LibtorrentBulk), which reads the line that starts with RESULT.

libtorrent puts peers on loopback and the LAN into its local peer class, which no rate limit applies
to; the peer-class filter below puts every address into the global class instead, so that loopback
peers obey the caps as peers on a real link would.

usage: bulk.py --file PATH --peers N --rate BYTES_PER_S --work DIR [--piece BYTES] [--timeout S]
"""
import argparse
import os
import shutil
import sys
import time

import libtorrent as lt


def session(port, rate):
    s = lt.session({
        'listen_interfaces': '127.0.0.1:%d' % port,
        'enable_dht': False,
        'enable_lsd': False,
        'enable_upnp': False,
        'enable_natpmp': False,
        'allow_multiple_connections_per_ip': True,
        'upload_rate_limit': rate,
        'download_rate_limit': rate,
        'alert_mask': 0,
    })
    f = lt.ip_filter()
    f.add_rule('0.0.0.0', '255.255.255.255', 1 << lt.session.global_peer_class_id)
    f.add_rule('::', 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', 1 << lt.session.global_peer_class_id)
    s.set_peer_class_filter(f)
    return s


def main():
    p = argparse.ArgumentParser()
    p.add_argument('--file', required=True)
    p.add_argument('--peers', type=int, required=True)
    p.add_argument('--rate', type=int, required=True)
    p.add_argument('--work', required=True)
    p.add_argument('--piece', type=int, default=256 * 1024)
    p.add_argument('--timeout', type=float, default=600)
    p.add_argument('--base-port', type=int, default=0)
    a = p.parse_args()

    size = os.path.getsize(a.file)
    fs = lt.file_storage()
    lt.add_files(fs, a.file)
    t = lt.create_torrent(fs, a.piece)
    lt.set_piece_hashes(t, os.path.dirname(os.path.abspath(a.file)))
    info = lt.torrent_info(lt.bencode(t.generate()))

    base = a.base_port or (20000 + os.getpid() % 20000)
    sessions, handles, ports = [], [], []
    for i in range(a.peers + 1):
        s = session(base + i, a.rate)
        if i == 0:
            save = os.path.dirname(os.path.abspath(a.file))
            flags = lt.torrent_flags.seed_mode
        else:
            save = os.path.join(a.work, 'peer-%d' % i)
            os.makedirs(save, exist_ok=True)
            flags = 0
        params = lt.add_torrent_params()
        params.ti = info
        params.save_path = save
        params.flags |= flags
        h = s.add_torrent(params)
        sessions.append(s)
        handles.append(h)
        ports.append(s.listen_port())

    # everyone knows everyone (no tracker): each peer dials the seed and the peers before it
    for i in range(1, len(handles)):
        for j in range(i):
            handles[i].connect_peer(('127.0.0.1', ports[j]))

    t0 = time.monotonic()
    done = {}
    while len(done) < a.peers and time.monotonic() - t0 < a.timeout:
        time.sleep(0.05)
        now = time.monotonic() - t0
        for i in range(1, len(handles)):
            if i not in done and handles[i].status().is_seeding:
                done[i] = now
    elapsed = time.monotonic() - t0
    seed_up = handles[0].status().total_payload_upload
    uploads = [handles[i].status().total_payload_upload for i in range(1, len(handles))]
    for s in sessions:
        s.pause()
    # one line the lab reads: key=value pairs, lists comma-separated
    times = [done.get(i) for i in range(1, len(handles))]
    print('RESULT version=%s bytes=%d peers=%d rate=%d complete=%d last=%s seed_uploaded=%d peer_uploaded=%s times=%s'
          % (lt.__version__, size, a.peers, a.rate, len(done),
             '%.3f' % max(done.values()) if len(done) == a.peers else 'none', seed_up,
             ','.join(str(u) for u in uploads), ','.join('none' if x is None else '%.3f' % x for x in times)))
    sys.stdout.flush()
    shutil.rmtree(a.work, ignore_errors=True)


if __name__ == '__main__':
    main()
