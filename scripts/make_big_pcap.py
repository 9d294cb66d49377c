#!/usr/bin/python3
"""Builds a large capture for the replay benchmark by splicing the lab captures in pcaps/: each
copy of each IPv4 session gets its own client port and later timestamps, so the result is many
distinct, complete FTP control sessions (Ethernet, microsecond pcap).

usage: make_big_pcap.py OUT.pcap SIZE_MB PCAP...
"""
import struct
import sys


def records(path):
    data = open(path, "rb").read()
    magic, = struct.unpack("<I", data[:4])
    if magic != 0xA1B2C3D4:
        raise SystemExit(path + ": only little-endian microsecond pcap is supported")
    link = struct.unpack("<I", data[20:24])[0]
    off = 24
    out = []
    while off + 16 <= len(data):
        sec, usec, caplen, wirelen = struct.unpack("<IIII", data[off:off + 16])
        out.append((sec, usec, data[off + 16:off + 16 + caplen], wirelen))
        off += 16 + caplen
    return link, out


def main():
    out_path, size_mb, inputs = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
    sessions = []
    for p in inputs:
        link, recs = records(p)
        # Ethernet + IPv4 + TCP only, control port taken from the first SYN's destination.
        recs = [r for r in recs if link == 1 and len(r[2]) > 34 and r[2][12:14] == b"\x08\x00"]
        if recs:
            sessions.append(recs)
    target = size_mb * 1024 * 1024
    written = 0
    base = 1_700_000_000
    with open(out_path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        k = 0
        while written < target:
            recs = sessions[k % len(sessions)]
            client_port = 1024 + k % 60000
            t0 = recs[0][0]
            for sec, usec, frame, wirelen in recs:
                ihl = (frame[14] & 15) * 4
                tcp = 14 + ihl
                sport, dport = struct.unpack(">HH", frame[tcp:tcp + 4])
                b = bytearray(frame)
                if sport > dport:   # client -> server (the client's port is the high one)
                    b[tcp:tcp + 2] = struct.pack(">H", client_port)
                else:
                    b[tcp + 2:tcp + 4] = struct.pack(">H", client_port)
                f.write(struct.pack("<IIII", base + k // 100 + (sec - t0), usec, len(b), wirelen))
                f.write(b)
                written += 16 + len(b)
            k += 1
    print("%s: %d sessions, %d MB" % (out_path, k, written // (1024 * 1024)))


if __name__ == "__main__":
    main()
