#include "app/replay_command.h"

#include <fstream>
#include <iostream>
#include <sstream>
#include <string_view>

#include "daemon/config.h"
#include "pcap/replay.h"
#include "util/port_list.h"

namespace ftpgate {

static const char kUsage[] =
    "usage: ftpgate replay [--ports 21,2121,...] [--loose] [--nat INSIDE=OUTSIDE]... FILE...\n"
    "  Reads pcap/pcapng captures, runs the ftpgate engine on FTP control connections on the\n"
    "  given ports (default 21) and prints one JSON object per decision, then a summary.\n"
    "  --loose   admit data connections to third-party addresses announced in PORT/EPRT/227\n"
    "            (like nf_conntrack_ftp loose=1); default is strict (bounce protection).\n"
    "  --nat INSIDE=OUTSIDE   the capture was taken inside a NAT that shows address INSIDE as\n"
    "            OUTSIDE (masquerade: the client's; DNAT: the server's): each expectation whose\n"
    "            line announces INSIDE gets a \"rewrite\" field with the old and new endpoint\n"
    "            text, as the daemon would rewrite it. Repeatable.\n"
    "  --config FILE   apply the daemon's policy from its config file (ports, strictness,\n"
    "            command rules, strict, mask_banner, mask_syst): each rule's log or deny is\n"
    "            printed as a \"policy\" event, and the summary counts each rule's hits.\n"
    "  --rule TEXT   one more command rule (after the file's), as the config key `rule`.\n"
    "  --audit   also print one \"transfer\" record per data transfer (command, user, file,\n"
    "            direction, data connection, bytes each way from its SYN/FIN/RST sequence\n"
    "            numbers, reply), as the daemon's audit_log writes them.\n";

int replay_command(int argc, char** argv) {
  ReplayOptions opt;
  // The daemon's settings, when --config or --rule is given: the policy comes from them, then
  // --ports and --loose apply on top.
  DaemonConfig cfg;
  bool from_config = false, ports_given = false, loose = false, audit = false;
  for (int i = 0; i < argc; ++i) {
    const std::string_view a = argv[i];
    if (a == "--config" && i + 1 < argc) {
      from_config = true;
      cfg.config_file = argv[++i];
      std::ifstream in(cfg.config_file);
      std::stringstream text;
      text << in.rdbuf();
      if (!in) {
        std::cerr << "ftpgate replay: cannot read the configuration file " << cfg.config_file << "\n";
        return 2;
      }
      if (auto err = apply_config_text(cfg, text.str())) {
        std::cerr << "ftpgate replay: " << cfg.config_file << ": " << err->message << "\n";
        return 2;
      }
    } else if (a == "--rule" && i + 1 < argc) {
      from_config = true;
      if (auto err = apply_setting(cfg, "rule", argv[++i])) {
        std::cerr << "ftpgate replay: --rule: " << *err << "\n";
        return 2;
      }
    } else if (a == "--ports" && i + 1 < argc) {
      ports_given = true;
      auto ports = parse_port_list(argv[++i]);
      if (!ports) {
        std::cerr << "ftpgate replay: --ports wants a list like 21,2121 or 2100-2110, got '"
                  << argv[i] << "'\n";
        return 2;
      }
      opt.control_ports = *ports;
    } else if (a == "--nat" && i + 1 < argc) {
      const std::string_view m = argv[++i];
      const size_t eq = m.find('=');
      auto inside = IpAddress::parse(m.substr(0, eq == std::string_view::npos ? 0 : eq));
      auto outside = eq == std::string_view::npos ? std::nullopt : IpAddress::parse(m.substr(eq + 1));
      if (!inside || !outside || inside->family() != outside->family()) {
        std::cerr << "ftpgate replay: --nat wants INSIDE=OUTSIDE, two addresses of one family, got '"
                  << m << "'\n";
        return 2;
      }
      opt.nat.push_back(NatMapping{*inside, *outside});
    } else if (a == "--loose") {
      loose = true;
    } else if (a == "--audit") {
      audit = true;
    } else if (a == "-h" || a == "--help") {
      std::cout << kUsage;
      return 0;
    } else if (!a.empty() && a[0] == '-') {
      std::cerr << "ftpgate replay: unknown option '" << a << "'\n" << kUsage;
      return 2;
    } else {
      opt.files.emplace_back(a);
    }
  }
  if (opt.files.empty()) {
    std::cerr << kUsage;
    return 2;
  }
  if (from_config) {
    opt.policy = cfg.policy;
    if (!ports_given) opt.control_ports = cfg.control_ports;
  }
  if (loose) opt.policy.require_peer_address = false;
  if (audit) opt.policy.audit_transfers = true;
  std::ios::sync_with_stdio(false);
  return run_replay(opt, std::cout, std::cerr);
}

}  // namespace ftpgate
