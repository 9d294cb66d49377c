#!/usr/bin/python3
"""ftplib client for the policy test: what a client sees of a gateway's policy.

usage: policy_client.py HOST PORT banner        -> prints the 220 welcome and (logged in) the SYST reply
       policy_client.py HOST PORT bounce ADDR   -> logs in, sends PORT to ADDR:1025; prints
                                                   "reply CODE" or "reset" (the connection
                                                   was reset or closed before a reply)
"""
import ftplib
import sys


def main():
    host, port, what = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    ftp = ftplib.FTP()
    ftp.connect(host, port, timeout=8)
    if what == "banner":
        print(ftp.getwelcome())
        ftp.login()
        print(ftp.sendcmd("SYST"))
        ftp.quit()
        return
    ftp.login()
    octets = sys.argv[4].split(".")
    try:
        reply = ftp.sendcmd("PORT " + ",".join(octets + ["4", "1"]))
        print("reply " + reply[:3])
    except ftplib.error_reply as e:
        print("reply " + str(e)[:3])
    except (ftplib.error_perm, ftplib.error_temp) as e:
        print("reply " + str(e)[:3])
    except (ConnectionResetError, EOFError, BrokenPipeError):
        print("reset")


if __name__ == "__main__":
    main()
