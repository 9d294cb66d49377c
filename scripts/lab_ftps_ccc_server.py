#!/usr/bin/python3
"""A small explicit-FTPS server for the ftpgate lab that supports CCC (RFC 4217 section 12.3),
which no packaged server does: after AUTH TLS the control channel is TLS; after CCC + 200 the
server shuts TLS down with ssl.unwrap() (close_notify both ways) and goes on in clear text, so a
firewall can see PASV/PORT again. Data connections are clear text (PROT C). Read-only.

usage: lab_ftps_ccc_server.py ADDRESS PORT ROOT CERT KEY
"""
import os
import socket
import ssl
import sys
import threading


class Session(threading.Thread):
    def __init__(self, conn, root, ctx, address):
        super().__init__(daemon=True)
        self.raw = conn
        self.sock = conn
        self.buf = b""
        self.root = root
        self.ctx = ctx
        self.address = address
        self.passive = None
        self.active = None

    def send(self, line):
        self.sock.sendall(line.encode() + b"\r\n")

    def readline(self):
        while b"\n" not in self.buf:
            chunk = self.sock.recv(4096)
            if not chunk:
                return None
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return line.rstrip(b"\r").decode("latin-1")

    def data_connection(self):
        if self.passive is not None:
            conn, _ = self.passive.accept()
            self.passive.close()
            self.passive = None
            return conn
        family = socket.AF_INET6 if ":" in self.active[0] else socket.AF_INET
        conn = socket.socket(family, socket.SOCK_STREAM)
        conn.connect(self.active)
        return conn

    def open_passive(self):
        family = socket.AF_INET6 if ":" in self.address else socket.AF_INET
        self.passive = socket.socket(family, socket.SOCK_STREAM)
        self.passive.bind((self.address, 0))
        self.passive.listen(1)
        return self.passive.getsockname()[1]

    def run(self):
        try:
            self.serve()
        except (OSError, ssl.SSLError):
            pass
        finally:
            self.raw.close()

    def serve(self):
        self.send("220 ftpgate lab FTPS server (CCC supported)")
        while True:
            line = self.readline()
            if line is None:
                return
            verb, _, arg = line.partition(" ")
            verb = verb.upper()
            if verb == "AUTH" and arg.upper() in ("TLS", "SSL"):
                self.send("234 AUTH TLS ok")
                self.sock = self.ctx.wrap_socket(self.raw, server_side=True)
            elif verb == "CCC":
                self.send("200 CCC ok, control channel back to clear text")
                self.raw = self.sock.unwrap()
                self.sock = self.raw
            elif verb in ("PBSZ",):
                self.send("200 PBSZ=0")
            elif verb == "PROT":
                self.send("200 PROT C" if arg.upper() == "C" else "536 only PROT C here")
            elif verb == "USER":
                self.send("331 password please")
            elif verb == "PASS":
                self.send("230 logged in")
            elif verb == "SYST":
                self.send("215 UNIX Type: L8")
            elif verb == "FEAT":
                self.sock.sendall(b"211-Features:\r\n AUTH TLS\r\n PBSZ\r\n PROT\r\n CCC\r\n"
                                  b" EPSV\r\n EPRT\r\n SIZE\r\n211 End\r\n")
            elif verb == "PWD":
                self.send('257 "/"')
            elif verb in ("CWD", "CDUP"):
                self.send("250 ok")
            elif verb in ("TYPE", "MODE", "STRU", "OPTS", "NOOP"):
                self.send("200 ok")
            elif verb == "PASV":
                port = self.open_passive()
                h = self.address.replace(".", ",")
                self.send("227 Entering Passive Mode (%s,%d,%d)." % (h, port >> 8, port & 255))
            elif verb == "EPSV":
                self.send("229 Entering Extended Passive Mode (|||%d|)" % self.open_passive())
            elif verb == "PORT":
                f = arg.split(",")
                self.active = (".".join(f[:4]), int(f[4]) * 256 + int(f[5]))
                self.send("200 PORT ok")
            elif verb == "EPRT":
                f = arg[1:-1].split(arg[0])
                self.active = (f[1], int(f[2]))
                self.send("200 EPRT ok")
            elif verb == "SIZE":
                path = os.path.join(self.root, arg.lstrip("/"))
                self.send("213 %d" % os.path.getsize(path) if os.path.isfile(path) else "550 no")
            elif verb in ("RETR", "LIST", "NLST"):
                path = os.path.join(self.root, arg.lstrip("/")) if verb == "RETR" else self.root
                if verb == "RETR" and not os.path.isfile(path):
                    self.send("550 no such file")
                    continue
                self.send("150 here it comes")
                conn = self.data_connection()
                if verb == "RETR":
                    with open(path, "rb") as f:
                        conn.sendall(f.read())
                else:
                    conn.sendall("".join(n + "\r\n" for n in sorted(os.listdir(self.root))).encode())
                conn.close()
                self.send("226 done")
            elif verb == "QUIT":
                self.send("221 bye")
                return
            else:
                self.send("502 not implemented")


def main():
    address, port, root, cert, key = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    srv = socket.socket(family, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind((address, port))
    srv.listen(16)
    while True:
        conn, _ = srv.accept()
        Session(conn, root, ctx, address).start()


if __name__ == "__main__":
    main()
