#include "app/replay_command.h"

#include <iostream>
#include <string_view>

#include "pcap/replay.h"
#include "util/port_list.h"

namespace ftpgate {

static const char kUsage[] =
    "usage: ftpgate replay [--ports 21,2121,...] [--loose] FILE...\n"
    "  Reads pcap/pcapng captures, runs the ftpgate engine on FTP control connections on the\n"
    "  given ports (default 21) and prints one JSON object per decision, then a summary.\n"
    "  --loose   admit data connections to third-party addresses announced in PORT/EPRT/227\n"
    "            (like nf_conntrack_ftp loose=1); default is strict (bounce protection).\n";

int replay_command(int argc, char** argv) {
  ReplayOptions opt;
  for (int i = 0; i < argc; ++i) {
    const std::string_view a = argv[i];
    if (a == "--ports" && i + 1 < argc) {
      auto ports = parse_port_list(argv[++i]);
      if (!ports) {
        std::cerr << "ftpgate replay: --ports wants a list like 21,2121 or 2100-2110, got '"
                  << argv[i] << "'\n";
        return 2;
      }
      opt.control_ports = *ports;
    } else if (a == "--loose") {
      opt.policy.require_peer_address = false;
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
  std::ios::sync_with_stdio(false);
  return run_replay(opt, std::cout, std::cerr);
}

}  // namespace ftpgate
