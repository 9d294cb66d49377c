// ftpgate helper register|unregister: the userspace conntrack helper outside the daemon's
// lifetime, for the order rules need: a ruleset whose `ct helper` object has type "ftpgate"
// loads only once the helper is registered (so the unit registers it before it loads the
// rules), and the kernel lets it go only once no ruleset names it (so the unit unregisters it
// after it unloaded the rules).
#include <cerrno>
#include <iostream>
#include <string>
#include <string_view>

#include "app/daemon_commands.h"
#include "daemon/daemon.h"
#include "daemon/helper_binding.h"
#include "daemon/privileges.h"
#include "kernel/cthelper.h"

namespace ftpgate {
namespace {
const char kUsage[] =
    "usage: ftpgate helper register|unregister [--config FILE] [--KEY VALUE ...]\n"
    "register: with helper_mode cthelper or auto, registers the userspace conntrack helper\n"
    "  'ftpgate' (IPv4 and IPv6) with the expectation policy of the configuration, before\n"
    "  rules that attach it are loaded; with carrier (or auto on a kernel without\n"
    "  nfnetlink_cthelper) it registers nothing and says so. Exit 1 when cthelper cannot work.\n"
    "unregister: removes it (after the rules that name it were unloaded).\n";
}  // namespace

int helper_command(int argc, char** argv) {
  const std::string_view verb = argc > 0 ? argv[0] : "";
  if (verb == "-h" || verb == "--help") {
    std::cout << kUsage;
    return 0;
  }
  if (verb != "register" && verb != "unregister") {
    std::cerr << (verb.empty() ? std::string("ftpgate helper: register or unregister?\n")
                               : "ftpgate helper: unknown action '" + std::string(verb) + "' (register or unregister)\n")
              << kUsage;
    return 2;
  }
  DaemonOptions o;
  DaemonConfig cfg;
  std::optional<std::string> err = parse_daemon_options(argc - 1, argv + 1, o);
  if (!err) err = load_config(o, cfg);
  if (err) {
    std::cerr << "ftpgate helper: " << *err << '\n';
    return 2;
  }
  if (!has_cap_net_admin()) {
    std::cerr << "ftpgate helper: " << needs_cap_net_admin("helper " + std::string(verb)) << '\n';
    return 1;
  }
  if (verb == "register") return bind_helper(cfg.helper_mode, cfg.policy) == HelperBinding::kFailed ? 1 : 0;
  if (cfg.helper_mode == HelperMode::kCarrier || probe_userspace_helpers() != 0) {
    std::cerr << "ftpgate helper: no userspace helper in use here: nothing to unregister\n";
    return 0;
  }
  const int rc = release_helper();
  return rc == 0 || rc == -ENOENT /* nothing to remove */ ? 0 : 1;
}

}  // namespace ftpgate
