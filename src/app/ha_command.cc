// ftpgate ha takeover|check: the HA pair's side of ftpgate (conntrackd syncs conntrack state
// between two routers; keepalived moves the addresses).
//   takeover  what keepalived's notify script runs on the router that becomes primary, after
//             conntrackd committed its external cache: the expectations the other router made
//             get their NAT part back and ftpgate's timeout (daemon/synced_expectations.h).
//   check     whether this node has what HA needs (app/ha_check.cc).
#include <iostream>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "app/daemon_commands.h"
#include "app/status_socket_client.h"
#include "daemon/daemon.h"
#include "daemon/helper_binding.h"
#include "daemon/synced_expectations.h"
#include "kernel/conntrack_client.h"
#include "kernel/netlink_socket.h"

namespace ftpgate {
namespace {
const char kUsage[] =
    "usage: ftpgate ha takeover [--config FILE] [--KEY VALUE ...]\n"
    "       ftpgate ha check [--conntrackd-config FILE] [--keepalived-config FILE]\n"
    "takeover: run on the router that becomes primary, after `conntrackd -c`: every expectation\n"
    "  of ftpgate's helpers ('sane', 'ftpgate') synced from the other router is made complete:\n"
    "  a NATed control connection's expectation gets its NAT part back (the sync drops it), and\n"
    "  all get ftpgate's expectation_timeout instead of the helper's default. Prints what it\n"
    "  changed. Idempotent. Exit 1 when the kernel's tables cannot be read.\n"
    "check: verifies this node for HA (conntrackd reachable, its ExpectationSync covering the\n"
    "  helper the loaded rules attach, the conntrack mark rule that admits data connections,\n"
    "  keepalived's notify script running the takeover). Exit 1 when something is missing.\n";

int takeover(int argc, char** argv) {
  DaemonOptions o;
  DaemonConfig cfg;
  std::optional<std::string> err = parse_daemon_options(argc, argv, o);
  if (!err) err = load_config(o, cfg);
  if (err) {
    std::cerr << "ftpgate ha takeover: " << *err << '\n';
    return 2;
  }
  // The running daemon does it (and forgets its stale sessions); without one, this command.
  std::string reply;
  if (ask_daemon(cfg.status_socket, "TAKEOVER\n", reply) == 0 && !reply.empty()) {
    std::cout << "ftpgate ha takeover (daemon at " << cfg.status_socket << "): " << reply;
    return reply.find("sessions released; ok ") != std::string::npos ? 0 : 1;
  }
  try {
    ConntrackClient ct;
    SyncedExpectations repair(ct, expectation_helpers(cfg.helper_mode),
                              static_cast<uint32_t>(cfg.policy.expectation_timeout / 1'000'000));
    const int rc = repair.repair_all();
    std::cout << "ftpgate ha takeover (no daemon at " << cfg.status_socket
              << "): " << repair_report(repair.counters(), rc) << '\n';
    return rc == 0 && repair.counters().errors == 0 ? 0 : 1;
  } catch (const std::system_error& e) {
    std::cerr << "ftpgate ha takeover: " << e.what() << '\n';
    return 1;
  }
}
}  // namespace

int ha_command(int argc, char** argv) {
  const std::string_view verb = argc > 0 ? argv[0] : "";
  if (verb == "-h" || verb == "--help") {
    std::cout << kUsage;
    return 0;
  }
  if (verb == "takeover") return takeover(argc - 1, argv + 1);
  if (verb == "check") return ha_check(argc - 1, argv + 1);
  std::cerr << kUsage;
  return 2;
}

}  // namespace ftpgate
