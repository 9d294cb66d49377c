#!/usr/bin/python3
"""Crafted TCP client for the evasion suite (tests/e2e/evasion_e2e.sh): scapy builds every
segment, a raw socket sends it, an AF_PACKET socket on the client's interface reads the server's
answers. The client namespace drops its own kernel's RSTs for ports 20000-29999 (the crafted
flows); the RSTs this client means to send carry SO_MARK 0x7e7e and pass.

usage: [SPORT_BASE=N] evasion_client.py PHASE CONF_JSON CASE [CASE...]
       evasion_client.py wire PCAP SPORT...   (what the router sent on to the server)
  PHASE      without | with (only names the target files: w/CASE-PHASE-*.txt)
  CONF_JSON  {"iface": "c0", "client4": .., "client6": .., "server4": .., "server6": ..,
              "root": DIR (the servers' shared root; targets live in DIR/w),
              "ports": {"vsftpd": 21, "identity": 2100, "proftpd": 2121, "pyftpd": 2122}}
Prints one JSON line per case: {"case", "phase", "executed", "what", "notes"}; "executed" is
the server's own effect (a target file gone, a file or directory made, bytes transferred),
read from the server's file system after the dialogue.
"""
import json
import os
import random
import re
import socket
import sys
import threading
import time

from scapy.layers.inet import IP, TCP
from scapy.layers.inet6 import IPv6
from scapy.packet import Raw

MARK = 0x7E7E
ETH_P_ALL = 0x0003
PACKET_OUTGOING = 4
CONF = {}


_sports = []


def next_sport():
    """Source ports from SPORT_BASE (given per client run by the suite) upwards: two flows of
    one suite never share a port, so no conntrack entry or session is ever reused."""
    if not _sports:
        _sports.append(int(os.environ.get("SPORT_BASE", random.randint(20000, 29000))))
    _sports[0] += 1
    return _sports[0]


class Flow:
    """One crafted TCP connection. Offsets are relative to the first byte after our SYN."""

    def __init__(self, port, family=4, src=None, sport=None):
        self.v6 = family == 6
        self.dst = CONF["server6"] if self.v6 else CONF["server4"]
        self.src = src or (CONF["client6"] if self.v6 else CONF["client4"])
        self.dport = port
        self.sport = sport or next_sport()
        self.isn = random.randint(0, 2**32 - 1)
        self.base = (self.isn + 1) & 0xFFFFFFFF
        self.next = 0  # our next new byte, relative
        self.srv_isn = None
        self.rcv_nxt = None  # absolute
        self.stream = bytearray()  # the server's bytes, in order
        self.read_pos = 0
        self.ooo = {}
        self.rst = False
        self.fin = False
        self.srv_win = 0
        self.cv = threading.Condition()
        fam = socket.AF_INET6 if self.v6 else socket.AF_INET
        self.tx = socket.socket(fam, socket.SOCK_RAW, socket.IPPROTO_RAW)
        self.tx.setsockopt(socket.SOL_SOCKET, socket.SO_MARK, MARK)
        self.rx = socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM, socket.htons(ETH_P_ALL))
        self.rx.bind((CONF["iface"], 0))
        self.rx.settimeout(0.2)
        self.running = True
        self.thread = threading.Thread(target=self._reader, daemon=True)
        self.thread.start()

    # --- sending -----------------------------------------------------------------------------
    def packet(self, payload=b"", flags="PA", off=None, seq=None, ack=None, **kw):
        """A segment at relative offset OFF (default: next); kw: chksum, urgptr, tos, window, options;
        lossy: IP ID (IPv6: flow label) 0xbeef, which the server namespace drops."""
        if seq is None:
            seq = (self.base + (self.next if off is None else off)) & 0xFFFFFFFF
        if ack is None:
            ack = self.rcv_nxt or 0
        tcp = TCP(sport=self.sport, dport=self.dport, seq=seq, ack=ack if "A" in flags else 0,
                  flags=flags, window=kw.get("window", 64240), urgptr=kw.get("urgptr", 0),
                  options=kw.get("options", []))
        if "chksum" in kw:
            tcp.chksum = kw["chksum"]
        if self.v6:
            ip = IPv6(src=self.src, dst=self.dst, tc=kw.get("tos", 0),
                      fl=0xBEEF if kw.get("lossy") else 0)
        else:
            ip = IP(src=self.src, dst=self.dst, tos=kw.get("tos", 0),
                    id=0xBEEF if kw.get("lossy") else random.randint(1, 0xBEEE))
        return ip / tcp / Raw(payload) if payload else ip / tcp

    def send_pkt(self, pkt):
        raw = bytes(pkt)
        self.tx.sendto(raw, (self.dst, 0, 0, 0) if self.v6 else (self.dst, 0))

    def send(self, payload=b"", flags="PA", off=None, advance=None, **kw):
        """Sends at OFF (default next); advances next past the bytes when they were new."""
        if isinstance(payload, str):
            payload = payload.encode("latin-1")
        start = self.next if off is None else off
        self.send_pkt(self.packet(payload, flags, off=start, **kw))
        if advance is None:
            advance = start + len(payload) > self.next
        if advance:
            self.next = max(self.next, start + len(payload))

    def ack_now(self):
        with self.cv:
            if self.rcv_nxt is None:
                return
        self.send_pkt(self.packet(b"", "A"))

    def forge_from_server(self, flags="A", ack_off=None, payload=b""):
        """A segment in the server's name (its address, port and next sequence number), sent
        out of the client's interface to the router, which forwards it back to the client:
        on the way it passes conntrack and ftpgate as the server's. ACK_OFF: what it
        acknowledges (relative; default next)."""
        ack = (self.base + (self.next if ack_off is None else ack_off)) & 0xFFFFFFFF
        ipl = IPv6(src=self.dst, dst=self.src) if self.v6 else IP(src=self.dst, dst=self.src)
        pkt = ipl / TCP(sport=self.dport, dport=self.sport, seq=self.rcv_nxt, ack=ack,
                        flags=flags, window=64240)
        if payload:
            pkt = pkt / Raw(payload)
        mac = bytes.fromhex(CONF["router_mac"].replace(":", ""))
        s = socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM)
        try:
            s.sendto(bytes(pkt), (CONF["iface"], 0x86DD if self.v6 else 0x0800, 0, 0, mac))
        finally:
            s.close()

    def rst_out(self):
        """Ends the flow at the server: an in-window RST (marked, so the client ns lets it out)."""
        if self.rcv_nxt is not None and not self.rst:
            self.send_pkt(self.packet(b"", "R", ack=0))

    # --- receiving ---------------------------------------------------------------------------
    def _reader(self):
        while self.running:
            try:
                data, addr = self.rx.recvfrom(70000)
            except socket.timeout:
                continue
            except OSError:
                return
            if addr[2] == PACKET_OUTGOING or not data:
                continue
            ver = data[0] >> 4
            if (ver == 6) != self.v6:
                continue
            l4 = 40 if ver == 6 else (data[0] & 0x0F) * 4  # no IPv6 extension headers here
            if data[l4 + 2:l4 + 4] != self.sport.to_bytes(2, "big"):
                continue  # another flow's packet: not worth scapy's time
            try:
                pkt = IPv6(data) if ver == 6 else IP(data)
            except Exception:
                continue
            if pkt.src != self.dst or pkt.dst != self.src or TCP not in pkt:
                continue
            t = pkt[TCP]
            if t.sport != self.dport or t.dport != self.sport:
                continue
            self._segment(t)

    def _segment(self, t):
        payload = bytes(t[Raw].load) if Raw in t else b""
        send_ack = False
        with self.cv:
            flags = int(t.flags)
            self.srv_win = t.window
            if flags & 0x04:  # RST
                self.rst = True
                self.cv.notify_all()
                return
            if flags & 0x02:  # SYN(-ACK)
                self.srv_isn = t.seq
                if self.rcv_nxt is None:
                    self.rcv_nxt = (t.seq + 1) & 0xFFFFFFFF
                self.syn_ack = t
                self.cv.notify_all()
                return
            if self.rcv_nxt is None:
                return
            if payload:
                delta = (t.seq - self.rcv_nxt) & 0xFFFFFFFF
                if delta >= 0x80000000:  # starts before rcv_nxt: keep the new part
                    cut = (self.rcv_nxt - t.seq) & 0xFFFFFFFF
                    payload = payload[cut:] if cut < len(payload) else b""
                    delta = 0
                if payload:
                    self.ooo[(self.rcv_nxt + delta) & 0xFFFFFFFF] = payload
                while self.rcv_nxt in self.ooo:
                    chunk = self.ooo.pop(self.rcv_nxt)
                    self.stream += chunk
                    self.rcv_nxt = (self.rcv_nxt + len(chunk)) & 0xFFFFFFFF
                send_ack = True
            if flags & 0x01:  # FIN (counted once it is in order)
                fin_seq = (t.seq + len(payload)) & 0xFFFFFFFF
                if fin_seq == self.rcv_nxt and not self.fin:
                    self.fin = True
                    self.rcv_nxt = (self.rcv_nxt + 1) & 0xFFFFFFFF
                send_ack = True
            self.cv.notify_all()
        if send_ack:
            self.ack_now()

    def text(self):
        return self.stream.decode("latin-1")

    def wait(self, cond, timeout):
        end = time.time() + timeout
        with self.cv:
            while not cond():
                left = end - time.time()
                if left <= 0:
                    return False
                self.cv.wait(left)
            return True

    def reply(self, timeout=3.0):
        """The next complete reply (its last line 'ddd text'), or None on timeout/reset."""
        pat = re.compile(r"^(\d{3}) [^\n]*\n", re.M)
        found = {}

        def have():
            m = pat.search(self.stream.decode("latin-1"), self.read_pos)
            if m:
                found["m"] = m
                return True
            return self.rst or self.fin

        if not self.wait(have, timeout) or "m" not in found:
            return None
        m = found["m"]
        self.read_pos = m.end()
        return m.group(0).strip()

    def expect(self, code, timeout=3.0):
        r = self.reply(timeout)
        if r is None or not r.startswith(code):
            raise Harness("wanted %s, got %r (reset=%s)" % (code, r, self.rst))
        return r

    # --- connection ------------------------------------------------------------------------
    def connect(self, syn_payload=b"", timeout=3.0, options=(("MSS", 1460),)):
        syn = self.packet(syn_payload, "S", seq=self.isn, options=list(options))
        self.syns = 0
        for wait in (1.0, timeout - 1.0):  # the SYN again after a second, as a TCP stack would
            self.send_pkt(syn)
            self.syns += 1
            if self.wait(lambda: self.rcv_nxt is not None or self.rst, wait):
                break
        if self.rcv_nxt is None or self.rst:
            raise Harness("no SYN-ACK from %s:%d to %d SYNs" % (self.dst, self.dport, self.syns))
        acked = (self.syn_ack.ack - self.base) & 0xFFFFFFFF
        self.next = acked if acked < 0x80000000 else 0  # SYN data the server took (TFO)
        self.syn_data_taken = acked
        self.send_pkt(self.packet(b"", "A"))

    def login(self, user="anonymous", password="x"):
        self.expect("220")
        self.send("USER %s\r\n" % user)
        r = self.reply()
        if r is None:
            raise Harness("no answer to USER")
        if r.startswith("331"):
            self.send("PASS %s\r\n" % password)
            self.expect("230")
        elif not r.startswith("230"):
            raise Harness("USER answered %r" % r)

    def settle(self, timeout=1.5):
        """Waits for the server's answer to what was sent (any reply, a reset, a close)."""
        return self.reply(timeout)

    def close(self):
        self.rst_out()
        self.running = False
        time.sleep(0.05)
        self.tx.close()
        self.rx.close()


class Harness(Exception):
    pass


# --- targets on the servers' file system --------------------------------------------------
def target(case, phase, name, content=b"evasion target\n"):
    rel = "w/%s-%s-%s" % (case, phase, name)
    path = os.path.join(CONF["root"], rel)
    if content is not None:
        with open(path, "wb") as f:
            f.write(content)
        os.chmod(path, 0o666)
    return rel, path


def gone(path, timeout=0.6):
    end = time.time() + timeout
    while os.path.exists(path) and time.time() < end:
        time.sleep(0.02)
    return not os.path.exists(path)


def server_port(name):
    return CONF["ports"][name]


def dele_case(case, phase, server, send=None, family=4, user="anonymous", files=("x.txt",),
              password="x", dialogue=None, judged=None):
    """Makes the target files, then either logs in and calls send(flow, rel_paths) to deliver
    the crafted DELE(s), or runs dialogue(flow, rel_paths) for the whole conversation. Executed
    when a judged target (default: any) is gone. A dialogue that breaks is a harness failure
    without the policy; with it, the break may be the enforcement, and the files decide."""
    made = [target(case, phase, f) for f in files]
    fl = Flow(server_port(server), family)
    notes = []

    def default(fl, rels):
        fl.connect()
        fl.login(user, password)
        send(fl, rels)

    try:
        (dialogue or default)(fl, [r for r, _ in made])
        r = fl.settle()
        notes.append("server answered %r" % r if r else ("reset" if fl.rst else "no answer"))
        if fl.syns > 1:
            notes.append("SYN sent twice")
        time.sleep(0.2)
    except Harness as e:
        if phase == "without":
            raise
        notes.append("client stopped: %s" % e)
    finally:
        fl.close()
    short = lambda r: repr(r.split("-%s-" % phase, 1)[1]).strip("'")  # noqa: E731  (w/CASE-PHASE-a.txt -> a.txt)
    deleted = [short(r) for r, p in made if gone(p, 0.3)]
    kept = [short(r) for r, p in made if os.path.exists(p)]
    label = {"vsftpd": "vsftpd", "identity": "vsftpd", "proftpd": "ProFTPD", "pyftpd": "pyftpdlib"}[server]
    what = "%s deleted %s" % (label, ",".join(deleted)) if deleted else "%s kept" % label
    if kept:
        what += "%s %s" % (", kept" if deleted else "", ",".join(kept))
    judged_names = [short(made[k][0]) for k in (judged if judged is not None else range(len(made)))]
    executed = any(n in deleted for n in judged_names)
    return executed, what, "; ".join(notes), {"sport": fl.sport}


# --- the cases ------------------------------------------------------------------------------
CASES = {}


def case(fn):
    CASES[fn.__name__] = fn
    return fn


@case
def control_plain_denied(phase):
    return dele_case("control_plain_denied", phase, "vsftpd",
                     lambda fl, t: fl.send("DELE %s\r\n" % t[0]))


def cwd_and_size(fl, rel):
    """Connects, logs in, then CWD w and SIZE of the target REL: vsftpd's two answers."""
    try:
        fl.connect()
        fl.login()
        fl.send("CWD w\r\n")
        r1 = fl.settle()
        fl.send("SIZE %s\r\n" % os.path.basename(rel))
        r2 = fl.settle()
    finally:
        fl.close()
    return r1, r2


def cwd_and_size_worked(r1, r2):
    return bool(r1 and r1.startswith("250") and r2 and r2.startswith("213 6"))


@case
def control_allowed_command(phase):
    rel, _ = target("control_allowed_command", phase, "x.txt", b"12345\n")
    r1, r2 = cwd_and_size(Flow(server_port("vsftpd")), rel)
    return cwd_and_size_worked(r1, r2), "vsftpd answered CWD %r, SIZE %r" % (r1, r2), ""


@case
def reused_ports_after_reset(phase):
    # A connection ended by the client's RST at the next sequence number (while the policy
    # guards, ftpgate keeps its session for reset_linger: the RST may be lost after the
    # router), then at once a new connection on the same addresses and ports, as a client
    # behind a NAT that recycles its ports does: only the new connection's SYN tells ftpgate
    # that these bytes start a new stream. Its allowed commands must work in both runs.
    rel, _ = target("reused_ports_after_reset", phase, "x.txt", b"12345\n")
    first = Flow(server_port("vsftpd"))
    before = cwd_and_size(first, rel)
    time.sleep(0.3)
    fl = Flow(server_port("vsftpd"), sport=first.sport)
    try:
        after = cwd_and_size(fl, rel)
    except Harness as e:
        return False, "the second connection from port %d stopped: %s" % (fl.sport, e), "", {"sport": fl.sport}
    ok = cwd_and_size_worked(*before) and cwd_and_size_worked(*after)
    return ok, "vsftpd answered CWD, SIZE %r, then on the same ports %r" % (before, after), "", {"sport": fl.sport}


@case
def control_plain_denied_proftpd(phase):
    return dele_case("control_plain_denied_proftpd", phase, "proftpd",
                     lambda fl, t: fl.send("DELE %s\r\n" % t[0]))


@case
def two_denied_lines_one_packet(phase):
    return dele_case("two_denied_lines_one_packet", phase, "vsftpd",
                     lambda fl, t: fl.send("DELE %s\r\nDELE %s\r\n" % (t[0], t[1])),
                     files=("a.txt", "b.txt"))


@case
def two_denied_lines_one_packet_proftpd(phase):
    return dele_case("two_denied_lines_one_packet_proftpd", phase, "proftpd",
                     lambda fl, t: fl.send("DELE %s\r\nDELE %s\r\n" % (t[0], t[1])),
                     files=("a.txt", "b.txt"))


@case
def allowed_then_denied_one_packet(phase):
    return dele_case("allowed_then_denied_one_packet", phase, "vsftpd",
                     lambda fl, t: fl.send("CWD /\r\nDELE %s\r\n" % t[0]))


@case
def two_denied_lines_one_packet_ipv6(phase):
    return dele_case("two_denied_lines_one_packet_ipv6", phase, "vsftpd",
                     lambda fl, t: fl.send("DELE %s\r\nDELE %s\r\n" % (t[0], t[1])),
                     family=6, files=("a.txt", "b.txt"))


def rst_out_of_window_between(phase, family=4):
    def send(fl, t):
        line = "DELE %s\r\n" % t[0]
        fl.send(line[:2])
        time.sleep(0.1)
        # far outside the server's window: conntrack calls it invalid, the server ignores it
        fl.send(b"", "RA", off=fl.next + 1000000, advance=False)
        time.sleep(0.1)
        fl.send(line[2:])
    return dele_case(case_name("rst_out_of_window_between", family), phase, "vsftpd", send,
                     family=family)


def bad_checksum_first_copy(phase, family=4):
    def send(fl, t):
        real = "DELE %s\r\n" % t[0]
        decoy = "SIZE %s\r\n" % t[0]  # same length, allowed
        at = fl.next
        raw = bytearray(bytes(fl.packet(decoy.encode(), "PA", off=at)))
        raw[(40 if fl.v6 else 20) + 16] ^= 0x5A  # the TCP checksum's first byte
        fl.send_pkt((IPv6 if fl.v6 else IP)(bytes(raw)))
        time.sleep(0.1)
        fl.send(real, off=at)
    return dele_case(case_name("bad_checksum_first_copy", family), phase, "vsftpd", send,
                     family=family)


def ooo_longer_copy_differs(phase, family=4):
    def send(fl, t):
        at = fl.next
        filler = "NOOP\r\n"
        short = "NOOP\r\n"
        real = "DELE %s\r\n" % t[0]
        fl.send(short, off=at + len(filler), advance=False)
        time.sleep(0.05)
        fl.send(real, off=at + len(filler), advance=False)  # same start, longer, different
        time.sleep(0.05)
        fl.send(filler, off=at, advance=False)  # the hole
        fl.next = at + len(filler) + len(real)
        fl.settle()  # the NOOP's answer
    return dele_case(case_name("ooo_longer_copy_differs", family), phase, "vsftpd", send,
                     family=family)


def inorder_retransmission_differs(phase, family=4):
    def send(fl, t):
        at = fl.next
        decoy = "SIZE %s\r\n" % t[0]
        real = "DELE %s\r\n" % t[0]
        # IP ID (IPv6: flow label) 0xbeef: the server namespace drops it (loss between the
        # router and the server)
        fl.send(decoy, off=at, lossy=True)
        time.sleep(0.2)
        fl.send(real, off=at)
    return dele_case(case_name("inorder_retransmission_differs", family), phase, "vsftpd", send,
                     family=family)


def case_name(name, family):
    return name + ("_ipv6" if family == 6 else "")


for _fn in (rst_out_of_window_between, bad_checksum_first_copy, ooo_longer_copy_differs,
            inorder_retransmission_differs):
    CASES[_fn.__name__] = _fn
    CASES[_fn.__name__ + "_ipv6"] = (lambda f: lambda phase: f(phase, 6))(_fn)


@case
def rst_lost_at_next_seq(phase):
    # An RST exactly at the next sequence number, valid for conntrack and for ftpgate, lost
    # between the router and the server (as a TTL-limited RST would be past the last firewall):
    # the server never hears of it and goes on reading.
    def send(fl, t):
        line = "DELE %s\r\n" % t[0]
        fl.send(line[:2])
        time.sleep(0.1)
        fl.send(b"", "R", advance=False, lossy=True, ack=0)
        time.sleep(0.1)
        fl.send(line[2:])
    return dele_case("rst_lost_at_next_seq", phase, "vsftpd", send)


@case
def forged_server_rst_between(phase):
    # "DE", then an RST in the server's name at its next sequence number, sent by the client
    # to the router (which forwards it back to the client: the server never sees it), "LE x".
    def send(fl, t):
        line = "DELE %s\r\n" % t[0]
        fl.send(line[:2])
        time.sleep(0.1)
        fl.forge_from_server("R")
        time.sleep(0.1)
        fl.send(line[2:])
    return dele_case("forged_server_rst_between", phase, "vsftpd", send)


@case
def forged_server_ack_then_copy(phase):
    # SIZE x (lost before the server), an ACK for it in the server's name (sent by the client
    # through the router, as above), then DELE x at the same sequence number: a gateway that
    # keeps judged bytes until the server acknowledges them lets them go on the forged ACK.
    def send(fl, t):
        at = fl.next
        fl.send("SIZE %s\r\n" % t[0], off=at, lossy=True)
        time.sleep(0.1)
        fl.forge_from_server("A")
        time.sleep(0.1)
        fl.send("DELE %s\r\n" % t[0], off=at)
    return dele_case("forged_server_ack_then_copy", phase, "vsftpd", send)


@case
def fin_lost_then_line(phase):
    # A FIN that never reaches the server, then the denied line at the FIN's sequence number.
    def send(fl, t):
        fl.send(b"", "FA", advance=False, lossy=True)
        time.sleep(0.1)
        fl.send("DELE %s\r\n" % t[0])
    return dele_case("fin_lost_then_line", phase, "vsftpd", send)


@case
def no_ack_flag_first_copy(phase):
    # A first copy without the ACK flag (PSH alone): conntrack calls it invalid and the router
    # drops it, Linux would drop it too; then the real line at the same sequence number.
    def send(fl, t):
        at = fl.next
        fl.send("SIZE %s\r\n" % t[0], flags="P", off=at)
        time.sleep(0.1)
        fl.send("DELE %s\r\n" % t[0], off=at)
    return dele_case("no_ack_flag_first_copy", phase, "vsftpd", send)


@case
def paws_old_timestamp_first_copy(phase):
    # Timestamps negotiated in the handshake; a first copy with an old TSval fails the
    # server's PAWS check (dropped; conntrack does not look), then the real line.
    def dialogue(fl, t):
        fl.connect(options=[("MSS", 1460), ("Timestamp", (1000000, 0))])
        fl.login()
        at = fl.next
        fl.send("SIZE %s\r\n" % t[0], off=at, options=[("Timestamp", (5, 0))])
        time.sleep(0.1)
        fl.send("DELE %s\r\n" % t[0], off=at, options=[("Timestamp", (1000100, 0))])
    return dele_case("paws_old_timestamp_first_copy", phase, "vsftpd", dialogue=dialogue)


@case
def ooo_denied_before_hole(phase):
    def send(fl, t):
        at = fl.next
        filler = "NOOP\r\n"
        real = "DELE %s\r\n" % t[0]
        fl.send(real, off=at + len(filler), advance=False)
        time.sleep(0.1)
        fl.send(filler, off=at, advance=False)
        fl.next = at + len(filler) + len(real)
        fl.settle()  # the NOOP's answer
    return dele_case("ooo_denied_before_hole", phase, "vsftpd", send)


@case
def ooo_buffer_overflow(phase):
    def send(fl, t):
        at = fl.next
        filler = "NOOP\r\n"
        pad_line = "NOOP " + "p" * 1017 + "\r\n"  # 1024 bytes, under every line limit
        data = pad_line * 17 + "DELE %s\r\n" % t[0]  # 17 KiB of pad, then the denied line
        pos = at + len(filler)
        chunk = 1200
        for i in range(0, len(data), chunk):
            fl.send(data[i:i + chunk], off=pos + i, advance=False)
            time.sleep(0.005)
        time.sleep(0.1)
        fl.send(filler, off=at, advance=False)
        fl.next = pos + len(data)
        for _ in range(18):  # the NOOPs' answers
            fl.settle(0.5)
    return dele_case("ooo_buffer_overflow", phase, "vsftpd", send)


@case
def long_line_vsftpd(phase):
    def send(fl, t):
        line = "DELE " + "/" * 2100 + t[0] + "\r\n"  # over 2048, under vsftpd's 4096
        fl.send(line[:1400])
        fl.send(line[1400:])
    return dele_case("long_line_vsftpd", phase, "vsftpd", send)


@case
def nul_in_line_vsftpd(phase):
    # vsftpd turns a NUL in a command line into LF (ftpcmdio.c): "DELE x.txt<NUL>" deletes
    # the file named "x.txt<LF>".
    return dele_case("nul_in_line_vsftpd", phase, "vsftpd",
                     lambda fl, t: fl.send("DELE %s\0\r\n" % t[0][:-1]), files=("x.txt\n",))


@case
def nul_in_line_proftpd(phase):
    return dele_case("nul_in_line_proftpd", phase, "proftpd",
                     lambda fl, t: fl.send("DELE %s\0.ignored\r\n" % t[0]))


@case
def tab_after_verb_proftpd(phase):
    return dele_case("tab_after_verb_proftpd", phase, "proftpd",
                     lambda fl, t: fl.send("DELE\t%s\r\n" % t[0]))


@case
def iac_inside_verb_proftpd(phase):
    return dele_case("iac_inside_verb_proftpd", phase, "proftpd",
                     lambda fl, t: fl.send(b"DE\xff\xf4LE " + t[0].encode() + b"\r\n"))


@case
def iac_before_verb_proftpd(phase):
    return dele_case("iac_before_verb_proftpd", phase, "proftpd",
                     lambda fl, t: fl.send(b"\xff\xf4\xff\xf2DELE " + t[0].encode() + b"\r\n"))


@case
def lowercase_verb(phase):
    return dele_case("lowercase_verb", phase, "vsftpd", lambda fl, t: fl.send("dElE %s\r\n" % t[0]))


@case
def bare_lf_line(phase):
    return dele_case("bare_lf_line", phase, "vsftpd", lambda fl, t: fl.send("DELE %s\n" % t[0]))


@case
def identity_user_after_anonymous(phase):
    def send(fl, t):
        fl.send("USER alice\r\n")
        r = fl.settle()
        if not r or not r.startswith("530"):
            raise Harness("second USER answered %r (vsftpd should say 530)" % r)
        fl.send("DELE %s\r\n" % t[0])
    return dele_case("identity_user_after_anonymous", phase, "identity", send)


def forged_reply(code, like):
    """A reply line with CODE exactly as long as the server's reply LIKE (given without its CRLF)."""
    return (code + " " + "x" * (len(like) + 2 - 6) + "\r\n").encode()


@case
def identity_forged_230(phase):
    # Port 2100 denies only user anonymous. Logged in as anonymous, the client sends USER
    # alice and, in the server's name, a "230" of exactly the length of the 530 that vsftpd
    # will answer (learnt from a first USER alice): a gateway that takes the user from the
    # server's answer sees alice accepted; vsftpd keeps the session anonymous.
    def send(fl, t):
        fl.send("USER alice\r\n")
        first = fl.settle()
        if not first or not first.startswith("530"):
            raise Harness("USER alice answered %r" % first)
        forged = forged_reply("230", first)
        at = fl.next
        # The first copy of the second USER alice is lost before the server, so the forged
        # 230 surely passes the gateway before vsftpd's 530; then the same bytes again.
        fl.send("USER alice\r\n", lossy=True)
        time.sleep(0.05)
        real_next = fl.rcv_nxt  # what vsftpd has sent: it must not see an ACK beyond it
        fl.forge_from_server("PA", payload=forged)
        fl.settle()  # the forged 230
        time.sleep(0.1)
        fl.send("USER alice\r\n", off=at, ack=real_next)
        time.sleep(0.2)  # vsftpd's 530 lands on the forged bytes
        fl.send("DELE %s\r\n" % t[0])
    return dele_case("identity_forged_230", phase, "identity", send)


@case
def identity_forged_banner_first(phase):
    # Port 2100 denies only user anonymous. At once after the handshake, before vsftpd's
    # banner, a banner in the server's name (sent by the client through the router, as
    # above): a gateway that bound the server's direction to the first server segment it saw
    # (not to the SYN-ACK) would take it for the server's and vsftpd's own for forged. The
    # client then goes on blind, every reply forged the moment its command is sent: vsftpd's
    # own codes to USER anonymous and PASS (230, 230), then 230 to USER alice (vsftpd: 530, the
    # session stays anonymous), then DELE. Each forged reply is as long as vsftpd's (learnt
    # from a first connection), so the client never acknowledges a byte vsftpd has not sent.
    probe = Flow(server_port("identity"))
    try:
        probe.connect()
        lines = [probe.reply()]
        for cmd in ("USER anonymous", "PASS x", "USER alice"):
            probe.send(cmd + "\r\n")
            lines.append(probe.reply())
    finally:
        probe.close()
    if None in lines or lines[0][:3] != "220" or lines[3][:3] != "530":
        raise Harness("the first connection was answered %r" % lines)

    def dialogue(fl, t):
        fl.connect()
        fl.forge_from_server("PA", payload=forged_reply("220", lines[0]))
        for cmd, code, like in (("USER anonymous", lines[1][:3], lines[1]),
                                ("PASS x", lines[2][:3], lines[2]), ("USER alice", "230", lines[3])):
            time.sleep(0.3)
            fl.send(cmd + "\r\n")
            fl.forge_from_server("PA", payload=forged_reply(code, like))
        time.sleep(0.3)
        fl.send("DELE %s\r\n" % t[0])
    return dele_case("identity_forged_banner_first", phase, "identity", dialogue=dialogue)


@case
def identity_control_anonymous(phase):
    return dele_case("identity_control_anonymous", phase, "identity",
                     lambda fl, t: fl.send("DELE %s\r\n" % t[0]))


@case
def identity_pipelined_login(phase):
    def dialogue(fl, t):
        fl.connect()
        fl.expect("220")
        fl.send("USER anonymous\r\nPASS x\r\nDELE %s\r\n" % t[0])
        for _ in range(2):
            fl.settle()
    return dele_case("identity_pipelined_login", phase, "identity", dialogue=dialogue)


@case
def identity_forgotten_by_rst(phase):
    # Port 2100 denies only user anonymous. After the anonymous login an RST at the next
    # sequence number, lost between router and server, may make the gateway forget the
    # session; picked up again it does not know the user, the server still does.
    def send(fl, t):
        fl.send(b"", "R", advance=False, lossy=True, ack=0)
        time.sleep(0.2)
        fl.send("DELE %s\r\n" % t[0])
    return dele_case("identity_forgotten_by_rst", phase, "identity", send)


@case
def silent_denied_session_continues(phase):
    def send(fl, t):
        fl.send("DELE %s\r\n" % t[0])
        fl.settle(1.0)
        time.sleep(11.5)  # past denied_session_timeout (10 s)
        fl.send("DELE %s\r\n" % t[1])
    return dele_case("silent_denied_session_continues", phase, "vsftpd", send,
                     files=("a.txt", "b.txt"), judged=[1])


@case
def session_table_full(phase):
    # Spoofed SYNs from addresses nobody answers for: each starts a session in ftpgate and
    # no RST ever ends it (the router's ARP for them fails).
    n = CONF.get("spoof_syns", 8)
    tx = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    tx.setsockopt(socket.SOL_SOCKET, socket.SO_MARK, MARK)
    for i in range(n):
        p = IP(src="198.51.100.%d" % (200 + i), dst=CONF["server4"]) / \
            TCP(sport=next_sport(), dport=server_port("vsftpd"), flags="S", seq=random.randint(0, 2**31))
        tx.sendto(bytes(p), (CONF["server4"], 0))
    tx.close()
    time.sleep(0.3)
    return dele_case("session_table_full", phase, "vsftpd",
                     lambda fl, t: fl.send("DELE %s\r\n" % t[0]))


@case
def audit_pipelined_pasv_retr(phase):
    return audit_case("audit_pipelined_pasv_retr", phase, True)


@case
def audit_plain_pasv_retr(phase):
    return audit_case("audit_plain_pasv_retr", phase, False)


def audit_case(case, phase, pipelined):
    name = "%s-%s.bin" % (case, phase)
    path = os.path.join(CONF["root"], "pub", name)
    body = os.urandom(30000)
    with open(path, "wb") as f:
        f.write(body)
    os.chmod(path, 0o644)
    fl = Flow(server_port("vsftpd"))
    got, used, notes = b"", None, []
    try:
        fl.connect()
        fl.login()
        fl.send("TYPE I\r\n")
        fl.expect("200")
        if pipelined:
            fl.send("PASV\r\nRETR pub/%s\r\n" % name)
            r = fl.reply()
        else:
            fl.send("PASV\r\n")
            r = fl.reply()
            fl.send("RETR pub/%s\r\n" % name)
        notes.append("PASV answered %r" % r)
        m = re.search(r"\((\d+),(\d+),(\d+),(\d+),(\d+),(\d+)\)", r or "")
        if m:
            port = int(m.group(5)) * 256 + int(m.group(6))
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.settimeout(3)
            try:
                s.connect((CONF["server4"], port))
                used = "%s:%d %s:%d" % (s.getsockname() + s.getpeername())
                while True:
                    b = s.recv(65536)
                    if not b:
                        break
                    got += b
            except OSError as e:
                notes.append("data connection to %d: %s" % (port, e))
            finally:
                s.close()
        r2 = fl.reply()
        r3 = fl.reply(1.0) if r2 and r2.startswith("150") else None
        notes.append("RETR answered %r then %r" % (r2, r3))
        time.sleep(0.3)
    finally:
        fl.close()
    done = got == body
    what = "vsftpd sent %d of %d bytes of %s over %s" % (len(got), len(body), name, used)
    return done, what, "; ".join(notes), {"argument": "pub/" + name, "used": used,
                                          "sport": fl.sport}


@case
def ipv4_fragments(phase):
    # The denied line's segment in three IPv4 fragments (the router's conntrack reassembles).
    def send(fl, t):
        from scapy.layers.inet import fragment
        pkt = fl.packet(("DELE %s\r\n" % t[0]).encode(), "PA")
        for frag in fragment(IP(bytes(pkt)), fragsize=24):
            fl.send_pkt(frag)
        fl.next += len("DELE %s\r\n" % t[0])
    return dele_case("ipv4_fragments", phase, "vsftpd", send)


@case
def ipv6_dstopts_header(phase):
    # The denied line behind an IPv6 Destination Options header (PadN).
    def send(fl, t):
        from scapy.layers.inet6 import IPv6ExtHdrDestOpt, PadN
        line = ("DELE %s\r\n" % t[0]).encode()
        pkt = fl.packet(line, "PA")
        ip6 = pkt[IPv6]
        tcp = pkt[TCP]
        tcp.chksum = None
        built = IPv6(src=ip6.src, dst=ip6.dst) / IPv6ExtHdrDestOpt(options=[PadN(optdata=b"\0" * 4)]) / tcp
        fl.send_pkt(built)
        fl.next += len(line)
    return dele_case("ipv6_dstopts_header", phase, "vsftpd", send, family=6)


@case
def urgent_byte_in_verb(phase):
    # "DEXLE": the X is urgent data (URG, pointer one past it: Linux' reading); a server
    # without SO_OOBINLINE never sees it in the stream and reads "DELE".
    def send(fl, t):
        fl.send("DEXLE %s\r\n" % t[0], flags="PAU", urgptr=3)
    return dele_case("urgent_byte_in_verb", phase, CONF.get("urg_server", "pyftpd"), send,
                     user="lab", password="lab")


@case
def tiny_segments(phase):
    def send(fl, t):
        for ch in "DELE %s\r\n" % t[0]:
            fl.send(ch)
            time.sleep(0.003)
    return dele_case("tiny_segments", phase, "vsftpd", send)


@case
def keepalive_byte_then_overlap(phase):
    # A keepalive-style segment carrying one byte at snd_una - 1 (already acknowledged), here
    # a byte different from the original; then the denied line in a segment that starts with
    # that old byte (the real one), which the server trims.
    def send(fl, t):
        fl.send("X", off=fl.next - 1, advance=False)
        time.sleep(0.1)
        fl.send("\n" + "DELE %s\r\n" % t[0], off=fl.next - 1)
    return dele_case("keepalive_byte_then_overlap", phase, "vsftpd", send)


@case
def window_edge_probe_byte(phase):
    # A window probe carries one byte at the right edge of the receiver's window (with a zero
    # window: at snd_una). Conntrack's window check lets a segment starting at the edge pass;
    # Linux drops its data (out of window). Here the probe's byte "N" sits where, one window
    # of padding later, the denied line's "D" goes.
    def send(fl, t):
        time.sleep(0.1)
        win = fl.srv_win
        if win < 2048:
            raise Harness("server window %d" % win)
        edge = fl.next + win
        fl.send("N", off=edge, advance=False)
        time.sleep(0.05)
        pad, line = [], "NOOP " + "p" * 1017 + "\r\n"
        left = win
        while left > 0:
            if left >= len(line) + 8:
                pad.append(line)
            else:
                pad.append("NOOP " + "q" * (left - 7) + "\r\n")
            left -= len(pad[-1])
        data = "".join(pad)
        for i in range(0, len(data), 1400):
            fl.send(data[i:i + 1400])
            time.sleep(0.002)
        for _ in range(len(pad)):
            if fl.settle(1.0) is None:
                break
        if fl.next != edge:
            raise Harness("padding ended at %d, not at the edge %d" % (fl.next, edge))
        fl.send("DELE %s\r\n" % t[0])
    return dele_case("window_edge_probe_byte", phase, "vsftpd", send)


@case
def syn_with_data(phase):
    # TCP Fast Open without a cookie is on in the server namespace: the SYN's data reaches
    # vsftpd at once, before the handshake completes at the router.
    def dialogue(fl, t):
        fl.connect(syn_payload=("USER anonymous\r\nPASS x\r\nDELE %s\r\n" % t[0]).encode())
        if fl.syn_data_taken == 0:
            raise Harness("the server did not take the SYN's data (TCP Fast Open)")
        for _ in range(3):
            fl.settle(1.0)
    return dele_case("syn_with_data", phase, "vsftpd", dialogue=dialogue)


def wire(pcap, sports):
    """What reached the server: per client port, the payload segments the router sent on to
    the server (relative sequence number and bytes), in capture order."""
    from scapy.utils import rdpcap
    base, out = {}, {int(p): [] for p in sports}
    for p in rdpcap(pcap):
        if TCP not in p:
            continue
        t = p[TCP]
        if t.sport not in out:
            continue
        if t.flags & 0x02:  # SYN: the base
            base[t.sport] = (t.seq + 1) & 0xFFFFFFFF
        load = bytes(t[Raw].load) if Raw in t else b""
        if load:
            at = "@%d" % ((t.seq - base[t.sport]) & 0xFFFFFFFF) if t.sport in base else "@?"
            more = "+%dB" % (len(load) - 64) if len(load) > 64 else ""
            out[t.sport].append("%s %r%s" % (at, load[:64], more))
    for sport, segs in out.items():
        if len(segs) > 10:
            segs = segs[:3] + ["...(%d segments)..." % (len(segs) - 8)] + segs[-5:]
        print("%d\t%s" % (sport, " ".join(segs)))


def main():
    global CONF
    if sys.argv[1] == "wire":
        return wire(sys.argv[2], sys.argv[3:])
    phase, conf = sys.argv[1], sys.argv[2]
    CONF = json.load(open(conf))
    for name in sys.argv[3:]:
        fn = CASES[name]
        t0 = time.time()
        extra = {}
        try:
            res = fn(phase)
            executed, what, notes = res[:3]
            if len(res) > 3:
                extra = res[3]
        except Harness as e:
            executed, what, notes = None, "harness: %s" % e, ""
        except Exception as e:  # a crash of the client is a harness failure, reported as such
            executed, what, notes = None, "client error: %r" % e, ""
        out = {"case": name, "phase": phase, "executed": executed, "what": what, "notes": notes,
               "seconds": round(time.time() - t0, 2)}
        out.update(extra)
        print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
