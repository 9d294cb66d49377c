#!/usr/bin/python3
"""The HA test's identity case: who the client is does not survive a failover, so a command rule
that depends on the user fails closed on the new primary.

usage: ha_identity_client.py HOST SOURCE OUT_DIR
Logs in anonymously and sends STAT through the first router (the policy allows STAT for user
anonymous only), writes OUT_DIR/identity.ready, waits for OUT_DIR/identity.go (the routers
failed over meanwhile), sends STAT again. Prints "before: <reply>" and "after: <reply>" or
"after: reset" (the new primary cannot know the user: the allow rule does not match, the
deny rule does, and the connection is reset).
"""
import ftplib
import os
import socket
import sys
import time


def stat(ftp):
    try:
        return ftp.sendcmd("STAT").splitlines()[0][:40]
    except (ConnectionError, EOFError, TimeoutError):
        return "reset"  # the reset reached us, or only the server (then nothing answers)
    except ftplib.Error as e:
        return "error %s" % e


def main():
    host, source, out = sys.argv[1], sys.argv[2], sys.argv[3]
    ftp = ftplib.FTP(timeout=8)
    ftp.connect(host, 21, source_address=(source, 0))
    ftp.login()
    print("before:", stat(ftp), flush=True)
    open(os.path.join(out, "identity.ready"), "w").close()
    for _ in range(600):
        if os.path.exists(os.path.join(out, "identity.go")):
            break
        time.sleep(0.1)
    print("after:", stat(ftp), flush=True)


if __name__ == "__main__":
    main()
