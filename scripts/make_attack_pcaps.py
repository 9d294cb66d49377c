#!/usr/bin/python3
"""Writes one capture per attack on the FTP control channel into pcaps/attacks/ (Ethernet, IPv4,
correct TCP sequence numbers and checksums). Client 198.51.100.2:40000, server 203.0.113.2:21,
as in the lab. None of them may open a data connection; each golden file names why.

usage: make_attack_pcaps.py OUT_DIR
"""
import os
import struct
import sys

CLIENT, SERVER = bytes([198, 51, 100, 2]), bytes([203, 0, 113, 2])
CPORT, SPORT = 40000, 21
SYN, ACK, PSH, FIN, RST, URG = 0x02, 0x10, 0x08, 0x01, 0x04, 0x20


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


class Session:
    def __init__(self):
        self.frames = []
        self.t = 1_700_000_000.0
        self.seq = {True: 1000, False: 5000}  # True: client -> server

    def packet(self, to_server, flags, payload=b"", seq=None, urgent=0):
        src, dst = (CLIENT, SERVER) if to_server else (SERVER, CLIENT)
        sp, dp = (CPORT, SPORT) if to_server else (SPORT, CPORT)
        s = self.seq[to_server] if seq is None else seq
        a = self.seq[not to_server] if flags & ACK else 0
        tcp = struct.pack("!HHIIBBHHH", sp, dp, s & 0xFFFFFFFF, a & 0xFFFFFFFF, 5 << 4, flags, 65535, 0, urgent)
        pseudo = src + dst + struct.pack("!BBH", 0, 6, len(tcp) + len(payload))
        tcp = tcp[:16] + struct.pack("!H", csum(pseudo + tcp + payload)) + tcp[18:]
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp) + len(payload), 0, 0x4000, 64, 6, 0, src, dst)
        ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
        eth = (b"\x02\0\0\0\0\x02" if to_server else b"\x02\0\0\0\0\x01") + \
              (b"\x02\0\0\0\0\x01" if to_server else b"\x02\0\0\0\0\x02") + b"\x08\x00"
        self.t += 0.001
        self.frames.append((self.t, eth + ip + tcp + payload))
        if seq is None:
            self.seq[to_server] += len(payload) + (1 if flags & (SYN | FIN) else 0)

    def handshake_and_login(self):
        self.packet(True, SYN)
        self.packet(False, SYN | ACK)
        self.packet(True, ACK)
        self.server(b"220 ready\r\n")
        self.client(b"USER anonymous\r\n")
        self.server(b"331 password\r\n")
        self.client(b"PASS x\r\n")
        self.server(b"230 logged in\r\n")

    def client(self, data):
        self.packet(True, ACK | PSH, data)

    def server(self, data):
        self.packet(False, ACK | PSH, data)

    def close(self):
        self.client(b"QUIT\r\n")
        self.server(b"221 bye\r\n")
        self.packet(True, FIN | ACK)
        self.packet(False, FIN | ACK)
        self.packet(True, ACK)

    def write(self, path):
        with open(path, "wb") as f:
            f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
            for t, frame in self.frames:
                f.write(struct.pack("<IIII", int(t), int(round((t % 1) * 1e6)) % 1000000, len(frame), len(frame)))
                f.write(frame)


def tls_record(kind, body):
    return bytes([kind, 3, 3]) + struct.pack("!H", len(body)) + body


def attacks():
    def bounce(s):  # PORT to a third host's privileged port: the classic FTP bounce
        s.client(b"PORT 203,0,113,99,0,80\r\n")
        s.server(b"200 PORT ok\r\n")

    def privileged(s):  # PORT to the client's own SSH port
        s.client(b"PORT 198,51,100,2,0,22\r\n")
        s.server(b"200 PORT ok\r\n")

    def unsolicited_227(s):  # a 227 no PASV asked for
        s.server(b"227 Entering Passive Mode (203,0,113,2,195,80).\r\n")

    def filename_with_port(s):  # PORT text inside a path name, echoed in the error
        s.client(b"RETR PORT 198,51,100,2,4,1\r\n")
        s.server(b"550 PORT 198,51,100,2,4,1: No such file or directory.\r\n")
        s.client(b"STOR x\r\n PORT 198,51,100,2,4,1\r\n")
        s.server(b"553 Could not create file.\r\n500 Unknown command.\r\n")

    def reply_227_in_error(s):  # 227 text inside a 5xx answer, then a stray 227
        s.client(b"PASV\r\n")
        s.server(b"500 227 Entering Passive Mode (203,0,113,2,195,80)\r\n")
        s.server(b"227 Entering Passive Mode (203,0,113,2,195,80)\r\n")

    def nul_bytes(s):
        s.client(b"PORT 198,51,100,2,4,1\x00\r\n")
        s.server(b"500 bad\r\n")

    def line_100kb(s):  # a PORT command followed by 100 kB before its CRLF, in 1460-byte segments
        data = b"PORT 198,51,100,2,4,1" + b" " * 100000 + b"\r\n"
        for i in range(0, len(data), 1460):
            s.client(data[i:i + 1460])
        s.server(b"500 line too long\r\n")

    def thousand_ports(s):  # 1000 PORT commands to a third party, never answered
        data = b"".join(b"PORT 203,0,113,99,%d,%d\r\n" % (4 + i // 256, i % 256) for i in range(1000))
        for i in range(0, len(data), 1460):
            s.client(data[i:i + 1460])

    def overlapping_segments(s):  # two different copies of the same bytes; the first one wins
        base = s.seq[True]
        head = b"PORT 198,51,1"
        s.packet(True, ACK | PSH, b"00,9,4,1\r\n", seq=base + len(head))   # first copy: a bounce
        s.packet(True, ACK | PSH, b"00,2,4,1\r\n", seq=base + len(head))   # second copy: valid
        s.packet(True, ACK | PSH, head, seq=base)
        s.seq[True] = base + len(head) + 10
        s.server(b"200 PORT ok\r\n")

    def auth_tls(s):  # PORT and 227 inside TLS records
        s.client(b"AUTH TLS\r\n")
        s.server(b"234 Proceed with negotiation.\r\n")
        s.client(tls_record(22, b"\x01\x00\x00\x20 PORT 198,51,100,2,4,1\r\n"))
        s.server(tls_record(22, b"\x02\x00\x00\x10 227 (203,0,113,2,195,80)\r\n"))
        s.client(tls_record(23, b"PASV\r\n"))
        s.server(tls_record(23, b"227 Entering Passive Mode (203,0,113,2,195,80)\r\n"))

    def line_tail_after_gap(s):  # the start of each line never passed the gateway (capture
        # loss, or packets a full queue let through uninspected); the tails look like endpoints
        s.seq[True] += len(b"STOR a ")           # "STOR a " not seen
        s.client(b"PORT 198,51,100,2,4,1\r\n")   # the rest of "STOR a PORT 198,51,100,2,4,1"
        s.server(b"553 Could not create file.\r\n")  # acknowledges the unseen bytes too
        s.client(b"PASV\r\n")
        s.seq[False] += len(b"500 Oops: ")       # "500 Oops: " not seen
        s.server(b"227 Entering Passive Mode (203,0,113,2,195,80).\r\n")
        s.client(b"NOOP\r\n")                    # acknowledges the unseen reply bytes

    # Evasions of the command policy (tests/replay/policy/attacks: replayed with deny rules, each
    # must end in a denial or a refusal; without rules they are only anomalies). A raw-socket
    # client can send every one of them; tests/e2e/evasion_e2e.sh sends them to real servers.
    def two_denied_lines(s):  # the second used to pass after the first was neutralised
        s.client(b"DELE a.txt\r\nDELE important.txt\r\n")

    def forged_rst(s):  # an RST Linux discards (outside the window) between "DE" and "LE ..."
        s.client(b"DE")
        s.packet(True, RST, seq=s.seq[True] + 100000)
        s.client(b"LE important.txt\r\n")

    def differing_copy(s):  # a first copy the server never takes (bad checksum, lost), then
        base = s.seq[True]  # the real command at the same sequence number
        s.packet(True, ACK | PSH, b"NOOP xxxxxxxxxxxx\r\n", seq=base)
        s.packet(True, ACK | PSH, b"DELE important.txt\r\n", seq=base)
        s.seq[True] = base + len(b"DELE important.txt\r\n")

    def out_of_order(s):  # the denied line before the hole, then the hole, then it again
        base = s.seq[True]
        s.packet(True, ACK | PSH, b"DELE important.txt\r\n", seq=base + 5)
        s.packet(True, ACK | PSH, b"CWD\r\n", seq=base)
        s.packet(True, ACK | PSH, b"DELE important.txt\r\n", seq=base + 5)
        s.seq[True] = base + 5 + len(b"DELE important.txt\r\n")

    def tab_after_verb(s):  # ProFTPD splits the verb at a tab
        s.client(b"DELE\timportant.txt\r\n")

    def telnet_in_verb(s):  # ProFTPD strips IAC IP: it runs DELE
        s.client(b"DE\xff\xf4LE important.txt\r\n")

    def nul_in_line(s):  # C strings end at the NUL: "important.txt"
        s.client(b"DELE important.txt\x00.allowed\r\n")

    def long_line(s):  # longer than max_line_length (2048), shorter than vsftpd's 4096
        s.client(b"DELE " + b"/" * 3000 + b"important.txt\r\n")

    def second_user_refused(s):  # vsftpd: "530 Can't change from guest user.": still anonymous
        s.client(b"USER alice\r\n")
        s.server(b"530 Can't change from guest user.\r\n")
        s.client(b"DELE important.txt\r\n")

    def urgent_byte(s):  # URG on "X": a receiver without SO_OOBINLINE reads "DELE ..."
        s.packet(True, ACK | PSH | URG, b"DEXLE important.txt\r\n", urgent=3)  # byte 2 (BSD: ptr - 1)

    return {
        "evasion_two_denied_lines": two_denied_lines, "evasion_forged_rst": forged_rst,
        "evasion_differing_copy": differing_copy, "evasion_out_of_order": out_of_order,
        "evasion_tab_after_verb": tab_after_verb, "evasion_telnet_in_verb": telnet_in_verb,
        "evasion_nul_in_line": nul_in_line, "evasion_long_line": long_line,
        "evasion_second_user_refused": second_user_refused, "evasion_urgent_byte": urgent_byte,
        "line_tail_after_gap": line_tail_after_gap,
        "bounce_port": bounce, "privileged_port": privileged, "unsolicited_227": unsolicited_227,
        "filename_with_port": filename_with_port, "reply_227_in_error": reply_227_in_error,
        "nul_bytes": nul_bytes, "line_100kb": line_100kb, "thousand_ports": thousand_ports,
        "overlapping_segments": overlapping_segments, "auth_tls": auth_tls,
    }


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    for name, attack in attacks().items():
        s = Session()
        s.handshake_and_login()
        attack(s)
        s.close()
        s.write(os.path.join(out, name + ".pcap"))


if __name__ == "__main__":
    main()
