#include <iostream>
#include <string>

#include "app/daemon_commands.h"
#include "daemon/daemon.h"

namespace ftpgate {

int run_command(int argc, char** argv) {
  DaemonOptions o;
  for (int i = 0; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "-h" || a == "--help") {
      std::cout << "usage: ftpgate run [--config FILE] [--KEY VALUE ...]\n"
                   "Runs the gateway in the foreground (systemd: Type=simple). Every setting of\n"
                   "the configuration file is also a flag (--helper-mode carrier, --queue 0-3).\n"
                   "Keys:\n"
                << describe_config_keys();
      return 0;
    }
    if (a.rfind("--", 0) != 0 || i + 1 >= argc) {
      std::cerr << "ftpgate run: expected --KEY VALUE, got '" << a << "' (see --help)\n";
      return 2;
    }
    std::string key = a.substr(2);
    for (char& c : key)
      if (c == '-') c = '_';
    if (key == "config") {
      o.config.config_file = argv[++i];
    } else {
      o.cli_settings.emplace_back(key, argv[++i]);
    }
  }
  return run_daemon(std::move(o));
}

}  // namespace ftpgate
