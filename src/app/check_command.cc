// ftpgate check: what this kernel offers ftpgate, and which rules to load.
#include <linux/netfilter/nfnetlink_queue.h>
#include <linux/netlink.h>

#include <cerrno>
#include <cstdio>
#include <iostream>
#include <string>
#include <string_view>
#include <system_error>

#include "app/daemon_commands.h"
#include "daemon/kernel_ftp_helper.h"
#include "kernel/conntrack_client.h"
#include "kernel/cthelper.h"
#include "kernel/nfqueue.h"
#include "util/port_list.h"

namespace ftpgate {
namespace {

const char kUsage[] =
    "usage: ftpgate check [--ports 21,2121] [--ha [ha check options]]\n"
    "Probes the kernel for what ftpgate needs (NFQUEUE, ctnetlink, userspace helpers, the 'sane'\n"
    "carrier helper, the nft queue statement, NAT) and prints the rules and daemon options\n"
    "that match; warns when the kernel's FTP helper is still attached to the control ports\n"
    "(--ports, default 21) and says how to migrate. Exit status 0 when ftpgate can run here,\n"
    "1 when something it needs is missing. Needs root (CAP_NET_ADMIN).\n"
    "--ha: what an HA node needs instead (`ftpgate ha check`).\n";

bool shell_ok(const char* cmd) { return std::system(cmd) == 0; }

// What a command prints on standard output ("" when it cannot run).
std::string shell_output(const char* cmd) {
  std::string out;
  if (FILE* p = popen(cmd, "r")) {
    char buf[4096];
    std::size_t n;
    while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
    pclose(p);
  }
  return out;
}

void report(bool ok, const std::string& what, const std::string& detail) {
  std::cout << (ok ? "  ok       " : "  missing  ") << what;
  if (!detail.empty()) std::cout << " — " << detail;
  std::cout << '\n';
}

}  // namespace

int check_command(int argc, char** argv) {
  if (argc > 0 && std::string_view(argv[0]) == "--ha") return ha_check(argc - 1, argv + 1);
  std::vector<uint16_t> ports{21};
  if (argc > 0 && std::string_view(argv[0]) == "--ports") {
    if (argc < 2) {
      std::cerr << "ftpgate check: --ports needs a value (21,2121)\n" << kUsage;
      return 2;
    }
    PortListParse parsed = parse_port_list(argv[1]);
    if (!parsed.ports) {
      std::cerr << "ftpgate check: --ports: " << parsed.error << '\n';
      return 2;
    }
    ports = *parsed.ports;
    argc -= 2;
    argv += 2;
  }
  if (argc > 0) {
    const std::string_view arg = argv[0];
    const bool help = arg == "-h" || arg == "--help";
    (help ? std::cout : std::cerr) << (help ? "" : "ftpgate check: unknown option '" + std::string(arg) + "'\n")
                                   << kUsage;
    return help ? 0 : 2;
  }
  std::cout << "ftpgate check: what this kernel offers\n";
  // NFQUEUE: bind a queue number nobody should use, then let it go.
  bool nfqueue = false;
  try {
    NfQueue probe(65531, 16);
    nfqueue = true;
    report(true, "NFQUEUE (nfnetlink_queue)", "packets can be queued to ftpgate");
  } catch (const std::exception& e) {
    report(false, "NFQUEUE (nfnetlink_queue)", e.what());
  }
  // ctnetlink: looking up a conntrack that does not exist answers ENOENT when it works.
  bool ctnetlink = false;
  try {
    ConntrackClient ct;
    int err = 0;
    ct.lookup(CtTuple{IpAddress::v4(0x7f000001), IpAddress::v4(0x7f000001), 1, 1}, err);
    ctnetlink = err == -ENOENT;
    report(ctnetlink, "ctnetlink (nf_conntrack_netlink): conntrack lookups and expectations",
           ctnetlink ? "" : errno_text(err));
  } catch (const std::system_error& e) {
    report(false, "ctnetlink (nf_conntrack_netlink)", errno_text(e.code().value()));
  }
  const int cth = probe_userspace_helpers();
  // nfnetlink answers EINVAL (or EOPNOTSUPP) for a subsystem the kernel does not have.
  report(cth == 0, "userspace conntrack helpers (nfnetlink_cthelper)",
         cth == 0 ? "helper mode cthelper available, for routers that do not NAT FTP (the kernel "
                    "confirms a userspace helper's connections when NFQUEUE reinjects them, before "
                    "source NAT)"
                  : "not in this kernel (" + errno_text(cth) + "); helper mode cthelper unavailable");
  const bool sane = shell_ok(
      "printf 'table inet ftpgate_probe { ct helper h { type \"sane\" protocol tcp; l3proto inet; }; }\\n'"
      " | nft -c -f - >/dev/null 2>&1");
  report(sane, "kernel helper 'sane' (the carrier binding)", sane ? "" : "nft rejects ct helper type sane");
  const bool nft_queue = shell_ok(
      "printf 'table inet ftpgate_probe { chain c { type filter hook forward priority 0; queue num 0 bypass; }; }\\n'"
      " | nft -c -f - >/dev/null 2>&1");
  report(nft_queue, "nftables 'queue' statement (CONFIG_NFT_QUEUE)",
         nft_queue ? "" : "queue with iptables-nft -j NFQUEUE instead");
  const bool nat = shell_ok(
      "printf 'table ip ftpgate_probe { chain p { type nat hook postrouting priority 100; masquerade; }; }\\n'"
      " | nft -c -f - >/dev/null 2>&1");
  // Whether the kernel keeps a TCP sequence adjustment depends on the conntrack having the
  // seqadj extension, added at NAT set-up only if a helper is attached by then: a property of
  // each connection and the ruleset, not of the kernel alone, so the daemon verifies it on the
  // first length-changing rewrite of each NATed control connection.
  report(nat, "NAT (nf_nat, masquerade)",
         nat ? "rewrites need the helper attached before NAT (the shipped rules do it at priority "
               "mangle); the daemon reads each sequence adjustment back and refuses what the "
               "kernel does not keep (counter nat_seq_adjust_unavailable_total)"
             : "no NAT: nothing to rewrite");
  // The kernel's own FTP helper on the same ports: one helper per connection, so not both.
  const std::string helper_warning = kernel_ftp_helper_warning(find_kernel_ftp_helper(
      shell_output("nft list ruleset 2>/dev/null"),
      shell_output("{ iptables-save -t raw; ip6tables-save -t raw; } 2>/dev/null"), ports));
  if (helper_warning.empty())
    report(true, "no kernel FTP helper (nf_conntrack_ftp) attached to the control ports", "");
  else
    std::cout << helper_warning;
  // What ftpgate will use here (helper mode auto is the carrier), and the order that works.
  std::cout << "\nftpgate will use: helper mode carrier ('sane'), queueing with "
            << (nft_queue ? "the nft queue statement" : "iptables-nft -j NFQUEUE") << "\n";
  const char* rules_sh = "/usr/share/ftpgate/scripts/rules.sh";
  std::cout << "\nIn this order (README: Put it in your firewall):\n  ftpgate helper register\n  " << rules_sh
            << " load --ports 21 --queue 0 --helper auto --form " << (nft_queue ? "nft" : "iptables")
            << "\n      (a table of its own beside your firewall, forward policy accept; or include\n"
               "      /usr/share/ftpgate/rules/ftpgate-include.nft in your ruleset"
            << (nft_queue ? " with ftpgate-queue.nft" : " and queue with: rules.sh load --queue-only")
            << ";\n      --standalone only on a router without a firewall: it drops all other forwarded traffic)\n"
               "  ftpgate run --queue 0 --ports 21    (or: systemctl enable --now ftpgate)\n";
  if (cth == 0)
    std::cout << "(on a router that does not NAT FTP, --helper-mode cthelper with rules "
                 "--helper ftpgate uses ftpgate's own helper instead)\n";
  return (nfqueue && ctnetlink && (cth == 0 || sane)) ? 0 : 1;
}

}  // namespace ftpgate
