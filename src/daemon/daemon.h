#pragma once
// `ftpgate run`: NFQUEUE in, conntrack expectations out. One thread: an epoll loop over the
// queue sockets, a signalfd (SIGTERM/SIGINT stop, SIGHUP reloads the policy from the config
// file, SIGUSR1 prints the counters), a 1 s timerfd for expiry, and the status socket.
#include <string>
#include <utility>
#include <vector>

#include "daemon/config.h"

namespace ftpgate {

struct DaemonOptions {
  DaemonConfig config;
  // Command-line settings, re-applied on top of the file at SIGHUP.
  std::vector<std::pair<std::string, std::string>> cli_settings;
};

// Returns the process exit status. Start-up problems are one clear sentence on stderr.
int run_daemon(DaemonOptions options);

}  // namespace ftpgate
