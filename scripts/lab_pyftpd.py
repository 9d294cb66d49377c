#!/usr/bin/python3
"""pyftpdlib server for the ftpgate lab.

usage: lab_pyftpd.py ADDRESS PORT ROOT [multiline227]
'multiline227' makes the server answer PASV with a multi-line reply:
    227-Entering Passive Mode (h1,h2,h3,h4,p1,p2).
    227 OK
which real servers send and the kernel helper ignores.
"""
import logging
import sys

from pyftpdlib.authorizers import DummyAuthorizer
from pyftpdlib.handlers import FTPHandler
from pyftpdlib.servers import FTPServer


class MultilinePasvHandler(FTPHandler):
    def respond(self, resp, logfun=logging.debug):
        if resp.startswith("227 "):
            resp = "227-" + resp[4:] + "\r\n227 OK"
        super().respond(resp, logfun)


def main():
    address, port, root = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    mode = sys.argv[4] if len(sys.argv) > 4 else ""
    authorizer = DummyAuthorizer()
    authorizer.add_anonymous(root, perm="elr")
    authorizer.add_user("lab", "lab", root, perm="elradfmw")
    handler = MultilinePasvHandler if mode == "multiline227" else FTPHandler
    handler.authorizer = authorizer
    handler.passive_ports = range(50200, 50300)
    handler.permit_foreign_addresses = False
    server = FTPServer((address, port), handler)
    server.serve_forever()


if __name__ == "__main__":
    main()
