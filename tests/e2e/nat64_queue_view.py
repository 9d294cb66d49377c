#!/usr/bin/python3
"""The IPv4 leg of a NAT64 control connection as ftpgate's queue sees it, from two captures:
client -> server as tayga writes it (the TUN device, inbound: before ftpgate's rewrite) and
server -> client as it reaches the router (the uplink, inbound: before ftpgate's rewrite, but
addressed to the masquerade address, which conntrack maps back to the pool address before the
forward hook). Writes one LINKTYPE_RAW pcap in time order with those destinations put back.

usage: nat64_queue_view.py TUN.pcap UPLINK.pcap MASQ_ADDR OUT.pcap
(the pool address is the source of the TUN capture's packets)
"""
import ipaddress
import os
import struct
import sys

sys.dont_write_bytecode = True  # nothing written into scripts/
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "scripts"))
from make_attack_pcaps import csum as checksum  # noqa: E402  (the Internet checksum, RFC 1071)


def packets(path):
    with open(path, "rb") as f:
        data = f.read()
    magic = struct.unpack("<I", data[:4])[0]
    endian = "<" if magic in (0xA1B2C3D4, 0xA1B23C4D) else ">"
    linktype = struct.unpack(endian + "I", data[20:24])[0]
    off = 24
    while off + 16 <= len(data):
        sec, usec, incl, _ = struct.unpack(endian + "IIII", data[off:off + 16])
        frame = data[off + 16:off + 16 + incl]
        off += 16 + incl
        if linktype == 1:  # Ethernet
            if frame[12:14] != b"\x08\x00":
                continue
            frame = frame[14:]
        yield (sec, usec), frame


def readdress(pkt, new_dst):
    ihl = (pkt[0] & 0x0F) * 4
    ip = bytearray(pkt)
    ip[16:20] = new_dst
    ip[10:12] = b"\0\0"
    ip[10:12] = struct.pack("!H", checksum(bytes(ip[:ihl])))
    tcp = ip[ihl:]
    tcp[16:18] = b"\0\0"
    pseudo = bytes(ip[12:20]) + struct.pack("!BBH", 0, 6, len(tcp))
    tcp[16:18] = struct.pack("!H", checksum(pseudo + bytes(tcp)))
    return bytes(ip[:ihl]) + bytes(tcp)


def main():
    tun, uplink, masq, out = sys.argv[1:5]
    masq_b = ipaddress.IPv4Address(masq).packed
    merged = [(t, p) for t, p in packets(tun) if p[:1] and p[0] >> 4 == 4]
    pool_b = merged[0][1][12:16]
    merged += [(t, readdress(p, pool_b)) for t, p in packets(uplink) if p[16:20] == masq_b]
    merged.sort(key=lambda x: x[0])
    with open(out, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 101))
        for (sec, usec), p in merged:
            f.write(struct.pack("<IIII", sec, usec, len(p), len(p)) + p)


if __name__ == "__main__":
    main()
