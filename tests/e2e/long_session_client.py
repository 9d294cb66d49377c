#!/usr/bin/python3
"""One FTP session that spans a daemon restart, for the kill/restart end-to-end test.

usage: long_session_client.py SERVER SYNC_DIR
Downloads pub/64k.bin passively, writes SYNC_DIR/step1, waits for SYNC_DIR/killed and sends NOOP
(the control connection must live on while ftpgate is dead: queue bypass), writes SYNC_DIR/step2,
waits for SYNC_DIR/restarted, then downloads pub/1M.bin passively and actively on the same
session (the restarted daemon picks the session up mid-stream). Prints the SHA-256 of each file.
"""
import ftplib
import hashlib
import os
import sys

from sync_files import mark, wait_for


def fetch(ftp, name, passive):
    ftp.set_pasv(passive)
    h = hashlib.sha256()
    ftp.retrbinary("RETR " + name, h.update)
    print(h.hexdigest(), name, "passive" if passive else "active", flush=True)


def main():
    server, sync = sys.argv[1], sys.argv[2]
    ftp = ftplib.FTP()
    ftp.connect(server, 21, timeout=8)
    ftp.login()
    fetch(ftp, "pub/64k.bin", True)
    mark(sync, "step1")
    wait_for(os.path.join(sync, "killed"))
    print("noop:", ftp.voidcmd("NOOP"), flush=True)
    mark(sync, "step2")
    wait_for(os.path.join(sync, "restarted"))
    fetch(ftp, "pub/1M.bin", True)
    fetch(ftp, "pub/1M.bin", False)
    ftp.quit()


if __name__ == "__main__":
    main()
