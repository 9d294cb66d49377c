#include <cerrno>
#include <cstring>
#include <iostream>
#include <map>
#include <sstream>
#include <string>

#include "app/daemon_commands.h"
#include "app/status_socket_client.h"
#include "daemon/config.h"
#include "daemon/status_text.h"

namespace ftpgate {
namespace {

const char kUsage[] = "usage: ftpgate status [--socket PATH] [--format prometheus|table|json]\n";

}  // namespace

int status_command(int argc, char** argv) {
  std::string path = DaemonConfig{}.status_socket;
  std::string format = "prometheus";
  for (int i = 0; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "-h" || a == "--help") {
      std::cout << kUsage;
      return 0;
    }
    if ((a == "--socket" || a == "--format") && i + 1 >= argc) {
      std::cerr << "ftpgate status: " << a << " needs a value\n" << kUsage;
      return 2;
    }
    if (a == "--socket") {
      path = argv[++i];
    } else if (a == "--format") {
      format = argv[++i];
      if (format != "prometheus" && format != "table" && format != "json") {
        std::cerr << "ftpgate status: unknown format '" << format << "' (prometheus, table or json)\n";
        return 2;
      }
    } else {
      std::cerr << "ftpgate status: unknown option '" << a << "'\n" << kUsage;
      return 2;
    }
  }
  std::string text;
  if (const int err = ask_daemon(path, {}, text); err != 0) {
    std::cerr << "ftpgate status: cannot reach the daemon at " << path << ": "
              << std::strerror(err) << " (is 'ftpgate run' running, and are you root?)\n";
    return 1;
  }
  if (format == "table") {
    std::cout << status_table(text);
  } else if (format == "json") {
    std::cout << status_json(text) << '\n';
  } else {
    std::cout << text;
  }
  return 0;
}

}  // namespace ftpgate
