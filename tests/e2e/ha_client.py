#!/usr/bin/python3
"""A staged FTP client for the HA test: negotiates a data connection through one router, waits
while the test fails the routers over, then uses it through the other, and goes on.

usage: ha_client.py --host H --port P --source S --mode pasv|epsv|port|eprt --file NAME
                    --out DIR --tag TAG [--before N] [--after N] [--pasv-gap]

Makes --before transfers, then negotiates one more (PASV/EPSV answered, or PORT/EPRT answered
200) and writes DIR/TAG.ready; waits for DIR/TAG.go, then completes that transfer and makes
--after more, each a new negotiation of the same mode. With --pasv-gap, DIR/TAG.ready is
written as soon as the PASV/EPSV is sent, before its reply, and no .go is awaited: the test fails
over while the server is slow to answer. Each download is written to DIR/TAG-I.bin; exit 0 when
every transfer ended with a 2xx reply. Errors go to stderr and DIR/TAG.err.
"""
import argparse
import ftplib
import os
import socket
import sys
import time


def negotiate(ftp, mode, source, gap_file=None):
    """('passive', (host, port)) or ('active', listening socket)."""
    if mode in ("pasv", "epsv"):
        cmd = "PASV" if mode == "pasv" else "EPSV"
        if gap_file:
            ftp.putcmd(cmd)
            open(gap_file, "w").close()
            resp = ftp.getresp()
        else:
            resp = ftp.sendcmd(cmd)
        if mode == "pasv":
            return "passive", ftplib.parse227(resp)
        return "passive", ftplib.parse229(resp, ftp.sock.getpeername())
    family = socket.AF_INET6 if ":" in source else socket.AF_INET
    listener = socket.socket(family, socket.SOCK_STREAM)
    listener.bind((source, 0))
    listener.listen(1)
    listener.settimeout(20)
    port = listener.getsockname()[1]
    if mode == "port":
        ftp.sendport(source, port)
    else:
        ftp.sendeprt(source, port)
    return "active", listener


def transfer(ftp, negotiated, source, name, out_path):
    kind, what = negotiated
    if kind == "passive":
        data = socket.create_connection(what, timeout=20, source_address=(source, 0))
        ftp.sendcmd("RETR " + name)
    else:
        ftp.sendcmd("RETR " + name)
        data, _ = what.accept()
        what.close()
    data.settimeout(20)
    with open(out_path, "wb") as f:
        while True:
            chunk = data.recv(65536)
            if not chunk:
                break
            f.write(chunk)
    data.close()
    ftp.voidresp()


def main():
    ap = argparse.ArgumentParser()
    for a in ("--host", "--source", "--mode", "--file", "--out", "--tag"):
        ap.add_argument(a, required=True)
    ap.add_argument("--port", type=int, default=21)
    ap.add_argument("--before", type=int, default=0)
    ap.add_argument("--after", type=int, default=0)
    ap.add_argument("--pasv-gap", action="store_true")
    o = ap.parse_args()
    base = os.path.join(o.out, o.tag)
    n = 0
    try:
        ftp = ftplib.FTP(timeout=20, source_address=(o.source, 0))
        ftp.connect(o.host, o.port)
        ftp.login()
        ftp.voidcmd("TYPE I")
        for _ in range(o.before):
            transfer(ftp, negotiate(ftp, o.mode, o.source), o.source, o.file, f"{base}-{n}.bin")
            n += 1
        if o.pasv_gap:
            negotiated = negotiate(ftp, o.mode, o.source, gap_file=base + ".ready")
        else:
            negotiated = negotiate(ftp, o.mode, o.source)
            open(base + ".ready", "w").close()
            deadline = time.time() + 120
            while not os.path.exists(base + ".go"):
                if time.time() > deadline:
                    raise TimeoutError("no .go within 120 s")
                time.sleep(0.05)
        transfer(ftp, negotiated, o.source, o.file, f"{base}-{n}.bin")
        n += 1
        for _ in range(o.after):
            transfer(ftp, negotiate(ftp, o.mode, o.source), o.source, o.file, f"{base}-{n}.bin")
            n += 1
        ftp.quit()
    except Exception as e:  # reported, and the exit status says it
        msg = f"{o.tag}: transfer {n}: {type(e).__name__}: {e}\n"
        sys.stderr.write(msg)
        with open(base + ".err", "w") as f:
            f.write(msg)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
