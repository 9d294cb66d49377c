#!/usr/bin/python3
"""ftplib client for the audit test: a transfer whose data connection never comes.

usage: audit_client.py HOST PORT missing-active  -> PORT, then RETR of a file that is not
                                                    there: the server answers 550 and never
                                                    connects; prints the reply code
"""
import ftplib
import sys


def main():
    host, port = sys.argv[1], int(sys.argv[2])
    ftp = ftplib.FTP()
    ftp.connect(host, port, timeout=8)
    ftp.login()
    ftp.set_pasv(False)
    try:
        ftp.retrbinary("RETR pub/no-such-file.bin", lambda b: None)
        print("200")
    except ftplib.error_perm as e:
        print(str(e)[:3])
    ftp.quit()


if __name__ == "__main__":
    main()
