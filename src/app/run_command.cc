#include <iostream>
#include <string>
#include <vector>

#include "app/daemon_commands.h"
#include "daemon/daemon.h"
#include "daemon/metrics_endpoint.h"

namespace ftpgate {
namespace {

// What a valid configuration sets up, in one line for `check-config` and `run --test-config`.
std::string summary(const DaemonConfig& c) {
  std::string s = "queue";
  for (uint16_t q : c.queues) s += ' ' + std::to_string(q);
  s += ", control ports";
  for (uint16_t p : c.control_ports) s += ' ' + std::to_string(p);
  s += ", helper mode " + std::string(helper_mode_name(c.helper_mode));
  s += ", " + std::to_string(c.policy.rules ? c.policy.rules->size() : 0) + " command rules";
  s += c.policy.strict ? ", strict" : "";
  s += c.audit_log.empty() ? ", no audit log" : ", audit log " + c.audit_log;
  s += c.metrics_port != 0 ? ", metrics on " + listen_address_text(c.metrics_address, c.metrics_port)
                           : ", metrics on " + c.status_socket + " only";
  return s;
}

}  // namespace

// ftpgate check-config [--config] FILE [--KEY VALUE ...]: reads the configuration as `run`
// would and says whether it is valid, binding nothing (as nginx -t, keepalived -t).
int check_config_command(int argc, char** argv) {
  std::vector<char*> args;
  for (int i = 0; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "-h" || a == "--help") {
      std::cout << "usage: ftpgate check-config FILE [--KEY VALUE ...]\n"
                   "Reads FILE (and the settings given as flags) as 'ftpgate run --config FILE'\n"
                   "would, binds nothing, and says whether it is valid. Exit 0 valid, 2 not.\n";
      return 0;
    }
    // The file may be named alone, as with nginx -t -c.
    if (i == 0 && a.rfind("--", 0) != 0) args.push_back(const_cast<char*>("--config"));
    args.push_back(argv[i]);
  }
  DaemonOptions o;
  DaemonConfig cfg;
  std::optional<std::string> err = parse_daemon_options(static_cast<int>(args.size()), args.data(), o);
  if (!err && o.config.config_file.empty()) err = "which configuration file? (ftpgate check-config FILE)";
  if (!err) err = load_config(o, cfg);
  if (err) {
    std::cerr << "ftpgate check-config: " << *err << '\n';
    return 2;
  }
  std::cout << o.config.config_file << ": valid: " << summary(cfg) << '\n';
  return 0;
}

int run_command(int argc, char** argv) {
  std::vector<char*> rest;
  bool test_only = false;
  for (int i = 0; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "-h" || a == "--help") {
      std::cout << "usage: ftpgate run [--config FILE] [--test-config] [--KEY VALUE ...]\n"
                   "Runs the gateway in the foreground (systemd: Type=simple). Every setting of\n"
                   "the configuration file is also a flag (--helper-mode carrier, --queue 0-3).\n"
                   "--test-config: check the configuration and exit (as ftpgate check-config).\n"
                   "Keys:\n"
                << describe_config_keys();
      return 0;
    }
    if (a == "--test-config" || a == "-t") test_only = true;
    else rest.push_back(argv[i]);
  }
  if (test_only) return check_config_command(static_cast<int>(rest.size()), rest.data());
  DaemonOptions o;
  if (auto err = parse_daemon_options(static_cast<int>(rest.size()), rest.data(), o)) {
    std::cerr << "ftpgate run: " << *err << '\n';
    return 2;
  }
  return run_daemon(std::move(o));
}

}  // namespace ftpgate
