#!/usr/bin/python3
"""pyftpdlib for the evasion suite, reading its control connection WITHOUT SO_OOBINLINE.

usage: evasion_pyftpd.py ADDRESS PORT ROOT
Stock pyftpdlib, vsftpd and ProFTPD all set SO_OOBINLINE on the control connection, so an
urgent byte stays in the stream they read; a server built on plain sockets does not, and Linux
then removes the urgent byte from the stream (tcp(7)). This server is that reader: the user
lab (password lab) may write anywhere under ROOT.
"""
import socket
import sys

from pyftpdlib.authorizers import DummyAuthorizer
from pyftpdlib.handlers import FTPHandler
from pyftpdlib.servers import FTPServer


class NoOobInlineHandler(FTPHandler):
    def __init__(self, conn, server, ioloop=None):
        super().__init__(conn, server, ioloop)
        self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_OOBINLINE, 0)

    def handle_expt(self):  # urgent data pending: nothing to do, the stream goes on
        pass


def main():
    address, port, root = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    authorizer = DummyAuthorizer()
    authorizer.add_user("lab", "lab", root, perm="elradfmw")
    NoOobInlineHandler.authorizer = authorizer
    NoOobInlineHandler.passive_ports = range(50200, 50300)
    FTPServer((address, port), NoOobInlineHandler).serve_forever()


if __name__ == "__main__":
    main()
