#!/usr/bin/python3
"""Python ftplib over IPv6 for the NAT64 lab: downloads one file passive or active (ftplib uses
EPSV / EPRT on an IPv6 control connection), or sends one command and prints the reply.

usage: nat64_ftplib_client.py HOST PORT get passive|active REMOTE LOCAL
       nat64_ftplib_client.py HOST PORT cmd LINE
"""
import ftplib
import sys


def main():
    host, port, what = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    ftp = ftplib.FTP()
    ftp.connect(host, port, timeout=10)
    ftp.login()
    if what == "get":
        mode, remote, local = sys.argv[4], sys.argv[5], sys.argv[6]
        ftp.set_pasv(mode == "passive")
        with open(local, "wb") as out:
            ftp.retrbinary("RETR " + remote, out.write)
    else:
        try:
            print(ftp.sendcmd(sys.argv[4]))
        except (ftplib.Error, OSError, EOFError) as e:
            print("%s: %s" % (type(e).__name__, e))
            return
    ftp.quit()


if __name__ == "__main__":
    main()
