#!/usr/bin/python3
"""pyftpdlib server for the ftpgate lab.

usage: lab_pyftpd.py ADDRESS PORT ROOT [multiline227|slowpasv=SECONDS]
'multiline227' makes the server answer PASV with a multi-line reply:
    227-Entering Passive Mode (h1,h2,h3,h4,p1,p2).
    227 OK
which real servers send and the kernel helper ignores.
'slowpasv=SECONDS' answers PASV and EPSV that much later: the HA test
fails the routers over between a PASV and its 227. Each session has a thread of its own, so a
session waits only for its own replies.
"""
import logging
import sys
import time

from pyftpdlib.authorizers import DummyAuthorizer
from pyftpdlib.handlers import FTPHandler
from pyftpdlib.servers import FTPServer, ThreadedFTPServer


class MultilinePasvHandler(FTPHandler):
    def respond(self, resp, logfun=logging.debug):
        if resp.startswith("227 "):
            resp = "227-" + resp[4:] + "\r\n227 OK"
        super().respond(resp, logfun)


class SlowPasvHandler(FTPHandler):
    delay = 0.0

    def ftp_PASV(self, line):
        time.sleep(self.delay)
        return super().ftp_PASV(line)

    def ftp_EPSV(self, line):
        time.sleep(self.delay)
        return super().ftp_EPSV(line)


def main():
    address, port, root = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    mode = sys.argv[4] if len(sys.argv) > 4 else ""
    authorizer = DummyAuthorizer()
    authorizer.add_anonymous(root, perm="elr")
    authorizer.add_user("lab", "lab", root, perm="elradfmw")
    handler = MultilinePasvHandler if mode == "multiline227" else FTPHandler
    if mode.startswith("slowpasv="):
        handler = SlowPasvHandler
        handler.delay = float(mode.split("=", 1)[1])
    handler.authorizer = authorizer
    handler.passive_ports = range(50200, 50300)
    handler.permit_foreign_addresses = False
    server_class = ThreadedFTPServer if handler is SlowPasvHandler else FTPServer
    server = server_class((address, port), handler)
    server.serve_forever()


if __name__ == "__main__":
    main()
