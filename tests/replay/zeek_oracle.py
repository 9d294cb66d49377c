#!/usr/bin/env python3
"""Compares `ftpgate replay` with Zeek's ftp.log baselines, an independent reading of the same
public captures (shared/pcaps-public/zeek). Zeek logs every data channel a control line announced;
ftpgate must admit exactly those (src, dst, dport) in strict mode, except where the policy refuses
on purpose, which is listed here with the reason.

usage: zeek_oracle.py FTPGATE SHARED_PCAPS_DIR
Prints 'N passed, N failed' and exits non-zero on any mismatch.
"""
import json
import os
import subprocess
import sys

# trace -> (zeek baseline folder, extra replay flags, why the flags)
CASES = {
    "ipv4.pcap": ("scripts.base.protocols.ftp.ftp-ipv4", [], ""),
    "ipv6.pcap": ("scripts.base.protocols.ftp.ftp-ipv6", [], ""),
    "ipv6-multiline-reply.pcap": ("scripts.base.protocols.ftp.ftp-multiline-reply", [], ""),
    "ipv6-retr-samba.pcap": ("scripts.base.protocols.ftp.ftp-samba-retr", [], ""),
    "ftp-with-numbers-in-filename.pcap": ("scripts.base.protocols.ftp.ftp-get-file-size", [], ""),
    "ftp-auth-tls.pcap": ("scripts.base.protocols.ftp.ftp-auth-tls", [], ""),
    "ftp-invalid-reply-code.pcap": ("scripts.base.protocols.ftp.ftp-invalid-reply-code", [], ""),
    "ftp-missing-reply-code.pcap": ("scripts.base.protocols.ftp.ftp-missing-reply-code", [], ""),
    "ftp-missing-space-after-reply-code.pcap":
        ("scripts.base.protocols.ftp.ftp-missing-space-after-reply-code", [], ""),
    "ftp-password-pass-command.pcap": ("scripts.base.protocols.ftp.ftp-password-pass-command", [], ""),
    "bruteforce.pcap": ("scripts.policy.protocols.ftp.bruteforce", [], ""),
    # The server at 10.167.25.101 announces 205.167.25.101 (it sits behind NAT). Strict mode
    # refuses every one (bounce_address, checked below); --loose admits what Zeek logged.
    "cwd-navigation.pcap": ("scripts.base.protocols.ftp.cwd-navigation", ["--loose"],
                            "server announces its public address"),
}
STRICT_REFUSALS = {"cwd-navigation.pcap": "bounce_address"}


def zeek_rows(path):
    """The rows of a baseline ftp.log as dicts by field name. A missing baseline is an error,
    never 'no rows': a renamed or lost file must fail the oracle, not make it pass."""
    if not os.path.exists(path):
        raise FileNotFoundError(f"Zeek baseline {path} is missing")
    rows = []
    with open(path) as f:
        fields = None
        for line in f:
            line = line.rstrip("\n")
            if line.startswith("#fields"):
                fields = line.split("\t")[1:]
            elif not line.startswith("#") and fields is not None:
                rows.append(dict(zip(fields, line.split("\t"))))
    return rows


def zeek_channels(path):
    """The data channels of a baseline ftp.log."""
    return {(row["data_channel.orig_h"], row["data_channel.resp_h"], int(row["data_channel.resp_p"]))
            for row in zeek_rows(path) if row.get("data_channel.passive", "-") != "-"}


def replay(ftpgate, pcap, flags):
    res = subprocess.run([ftpgate, "replay", *flags, pcap], capture_output=True, text=True)
    if res.returncode != 0:
        raise RuntimeError(f"replay failed ({res.returncode}): {res.stderr}")
    return [json.loads(l) for l in res.stdout.splitlines()]


def main():
    ftpgate, shared = sys.argv[1], sys.argv[2]
    passed = failed = 0
    for trace, (baseline, flags, why) in sorted(CASES.items()):
        pcap = os.path.join(shared, "zeek", "traces", trace)
        try:
            want = zeek_channels(os.path.join(shared, "zeek", "baselines", baseline, "ftp.log"))
        except FileNotFoundError as e:
            failed += 1
            print(f"FAIL {trace}: {e}")
            continue
        got = {(e["data"]["src"], e["data"]["dst"], e["data"]["dport"])
               for e in replay(ftpgate, pcap, flags) if e["event"] == "expect"}
        ok = got == want
        if ok and trace in STRICT_REFUSALS:
            strict = replay(ftpgate, pcap, [])
            ok = (not any(e["event"] == "expect" for e in strict) and
                  any(e.get("reason") == STRICT_REFUSALS[trace] for e in strict))
        if ok:
            passed += 1
            print(f"ok   {trace}: {len(want)} data channels {' '.join(flags)} {why}")
        else:
            failed += 1
            print(f"FAIL {trace}: missing {sorted(want - got)[:5]} extra {sorted(got - want)[:5]}")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
