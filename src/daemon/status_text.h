#pragma once
// The counters as "name value" lines (Prometheus text exposition without HELP/TYPE), for
// SIGUSR1, `ftpgate status` and later metrics.
#include <string>
#include <vector>

#include "core/counters.h"
#include "daemon/gateway.h"
#include "daemon/packet_path.h"
#include "kernel/nfqueue.h"

namespace ftpgate {

struct DaemonCounters {
  uint64_t packets = 0;            // packets received from NFQUEUE
  uint64_t fail_open_accepts = 0;  // accepted after an internal error
  uint64_t undecodable = 0;        // not IPv4/IPv6 TCP we could read: accepted
};

std::string format_status(const Counters& engine, const GatewayCounters& gateway,
                          const PacketPathCounters& path, const DaemonCounters& daemon,
                          const std::vector<NfQueueStats>& queues);

}  // namespace ftpgate
