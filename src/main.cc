// ftpgate: userspace FTP application-layer gateway. Subcommand dispatch only.
#include <cstring>
#include <iostream>
#include <string_view>

#include "app/daemon_commands.h"
#include "app/replay_command.h"
#include "daemon/version.h"

namespace {
const char kUsage[] =
    "usage: ftpgate <command> [options]\n"
    "commands:\n"
    "  run      the gateway: NFQUEUE in, conntrack expectations out (foreground)\n"
    "  check-config FILE   whether a configuration file is valid (binds nothing)\n"
    "  check    what this kernel offers ftpgate, and which rules to load\n"
    "  status   counters of the running daemon\n"
    "  helper   register or unregister the userspace conntrack helper (before rules load)\n"
    "  ha       HA pairs with conntrackd: takeover after a failover, check a node\n"
    "  replay   run the engine over pcap/pcapng files, print JSON decisions\n"
    "  version  print the version (also: ftpgate --version)\n"
    "Run 'ftpgate <command> --help' for a command's options.\n";
}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << kUsage;
    return 2;
  }
  const std::string_view cmd = argv[1];
  if (cmd == "replay") return ftpgate::replay_command(argc - 2, argv + 2);
  if (cmd == "--version" || cmd == "-V" || cmd == "version") {
    std::cout << "ftpgate " << ftpgate::kVersion << '\n';
    return 0;
  }
  if (cmd == "check-config") return ftpgate::check_config_command(argc - 2, argv + 2);
  if (cmd == "run") return ftpgate::run_command(argc - 2, argv + 2);
  if (cmd == "status") return ftpgate::status_command(argc - 2, argv + 2);
  if (cmd == "check") return ftpgate::check_command(argc - 2, argv + 2);
  if (cmd == "helper") return ftpgate::helper_command(argc - 2, argv + 2);
  if (cmd == "ha") return ftpgate::ha_command(argc - 2, argv + 2);
  if (cmd == "-h" || cmd == "--help" || cmd == "help") {
    std::cout << kUsage;
    return 0;
  }
  std::cerr << "ftpgate: unknown command '" << cmd << "'\n" << kUsage;
  return 2;
}
