#include <iostream>
#include <string>

#include "app/daemon_commands.h"
#include "daemon/daemon.h"

namespace ftpgate {

int run_command(int argc, char** argv) {
  for (int i = 0; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "-h" || a == "--help") {
      std::cout << "usage: ftpgate run [--config FILE] [--KEY VALUE ...]\n"
                   "Runs the gateway in the foreground (systemd: Type=simple). Every setting of\n"
                   "the configuration file is also a flag (--helper-mode carrier, --queue 0-3).\n"
                   "Keys:\n"
                << describe_config_keys();
      return 0;
    }
  }
  DaemonOptions o;
  if (auto err = parse_daemon_options(argc, argv, o)) {
    std::cerr << "ftpgate run: " << *err << '\n';
    return 2;
  }
  return run_daemon(std::move(o));
}

}  // namespace ftpgate
