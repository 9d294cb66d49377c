#!/usr/bin/python3
"""Drives ctnetlink error paths of ftpgate from two real FTP sessions (vsftpd), step by step with
the test script (sync files in SYNC_DIR):
  step1: sessions A and B announce the same active data endpoint -> the second is EBUSY
  step2: (expectation table limited to 1 by the script) B announces another port -> EMFILE
  step3: (B's conntrack deleted by the script) B announces a third port -> the conntrack is gone
usage: fault_client.py SERVER CLIENT_ADDRESS SYNC_DIR
"""
import ftplib
import os
import socket
import sys

from sync_files import mark, wait_for


def port_cmd(ftp, me, port):
    try:
        return ftp.sendcmd("PORT %s,%d,%d" % (me.replace(".", ","), port >> 8, port & 255))
    except (ftplib.all_errors, socket.timeout) as e:
        return "no reply: %s" % e


def main():
    server, me, sync = sys.argv[1], sys.argv[2], sys.argv[3]
    a, b = ftplib.FTP(timeout=3), ftplib.FTP(timeout=3)
    for f in (a, b):
        f.connect(server, 21)
        f.login()
    print("b_port", b.sock.getsockname()[1], flush=True)
    print("a:", port_cmd(a, me, 51201), flush=True)
    print("b:", port_cmd(b, me, 51201), flush=True)   # same tuple, other master: EBUSY
    mark(sync, "step1")
    wait_for(os.path.join(sync, "go2"))
    print("b:", port_cmd(b, me, 51202), flush=True)   # table limited to 1: EMFILE
    mark(sync, "step2")
    wait_for(os.path.join(sync, "go3"))
    print("b:", port_cmd(b, me, 51203), flush=True)   # B's conntrack deleted
    mark(sync, "step3")


if __name__ == "__main__":
    main()
