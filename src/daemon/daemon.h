#pragma once
// `ftpgate run`: NFQUEUE in, conntrack expectations out. A worker thread per queue
// (queue_worker.h: its queue, engine, ctnetlink socket, logs), and this thread's epoll loop over
// a signalfd (SIGTERM/SIGINT stop, SIGHUP reloads the policy from the config file into every
// worker, SIGUSR1 prints the counters), a 1 s timerfd for the metrics server, the status socket
// (status and metrics add up the workers' figures: worker_totals.h) and a worker's failure.
#include <optional>
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
// The configuration file and the command-line settings on top; an error sentence, or nullopt.
std::optional<std::string> load_config(const DaemonOptions& options, DaemonConfig& out);
// Parses "[--config FILE] [--KEY VALUE ...]" (as `ftpgate run` takes them); an error sentence,
// or nullopt.
std::optional<std::string> parse_daemon_options(int argc, char** argv, DaemonOptions& out);

}  // namespace ftpgate
