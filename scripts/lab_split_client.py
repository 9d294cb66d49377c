#!/usr/bin/python3
"""An FTP client for the lab that sends its PORT command in several small TCP segments
(TCP_NODELAY, a pause between pieces), the case the kernel helper cannot handle.

usage: lab_split_client.py SERVER PORT CLIENT_ADDRESS PATH
Downloads PATH in active mode and writes it to stdout.
"""
import socket
import sys
import time


def reply(f):
    line = f.readline()
    code = line[:3]
    while line[3:4] == b"-":  # multi-line reply
        line = f.readline()
        if line[:3] == code and line[3:4] == b" ":
            break
    return line


def main():
    server, port, me, path = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
    ctl = socket.create_connection((server, port))
    ctl.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    f = ctl.makefile("rb")
    reply(f)
    for cmd in (b"USER anonymous\r\n", b"PASS lab@\r\n", b"TYPE I\r\n"):
        ctl.sendall(cmd)
        reply(f)
    data = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    data.bind((me, 0))
    data.listen(1)
    p = data.getsockname()[1]
    command = "PORT %s,%d,%d\r\n" % (me.replace(".", ","), p >> 8, p & 255)
    for piece in (command[:2], command[2:9], command[9:17], command[17:]):
        ctl.sendall(piece.encode())
        time.sleep(0.05)
    reply(f)
    ctl.sendall(b"RETR " + path.encode() + b"\r\n")
    reply(f)
    conn, _ = data.accept()
    while True:
        chunk = conn.recv(65536)
        if not chunk:
            break
        sys.stdout.buffer.write(chunk)
    conn.close()
    reply(f)
    ctl.sendall(b"QUIT\r\n")
    reply(f)


if __name__ == "__main__":
    main()
