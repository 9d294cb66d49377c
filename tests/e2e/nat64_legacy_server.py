#!/usr/bin/python3
"""An IPv4 FTP server that knows neither EPSV nor EPRT (RFC 2428), as many legacy servers:
pyftpdlib with those two commands removed, so it answers them "500 ... not understood".

usage: nat64_legacy_server.py ADDRESS PORT ROOT
"""
import sys

from pyftpdlib.authorizers import DummyAuthorizer
from pyftpdlib.handlers import FTPHandler
from pyftpdlib.servers import FTPServer


class LegacyHandler(FTPHandler):
    proto_cmds = {k: v for k, v in FTPHandler.proto_cmds.items() if k not in ("EPSV", "EPRT")}
    passive_ports = range(50000, 50101)


def main():
    address, port, root = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    authorizer = DummyAuthorizer()
    authorizer.add_anonymous(root, perm="elr")
    authorizer.add_user("lab", "lab", root, perm="elradfmw")
    LegacyHandler.authorizer = authorizer
    FTPServer((address, port), LegacyHandler).serve_forever()


if __name__ == "__main__":
    main()
