#pragma once
// The counters for SIGUSR1, `ftpgate status` and Prometheus scrapes.
#include <string>
#include <vector>

#include "core/counters.h"
#include "daemon/audit_log.h"
#include "daemon/gateway.h"
#include "daemon/latency_histogram.h"
#include "daemon/metrics_endpoint.h"
#include "daemon/packet_path.h"
#include "kernel/nfqueue.h"

namespace ftpgate {

// X(field, "metric_name")
#define FTPGATE_DAEMON_COUNTERS(X)                                                            \
  X(packets, "packets_total")                     /* packets received from NFQUEUE */         \
  X(fail_open_accepts, "fail_open_accepts_total") /* accepted after an internal error */      \
  X(fail_closed_drops, "fail_closed_drops_total") /* dropped after one (fail_closed) */        \
  X(undecodable, "undecodable_packets_total")     /* not IPv4/IPv6 TCP we could read */        \
  X(conntrack_requests, "conntrack_requests_total") /* ctnetlink round trips */          \
  /* control connections' conntracks read from the queued packet (NFQA_CT), no round trip */  \
  X(conntrack_from_packet, "conntrack_from_packet_total")                                     \
  /* created by the verdict's NFQA_EXP, seen in the kernel's expectation events */           \
  X(verdict_expectations, "verdict_expectations_confirmed_total")                           \
  /* sent in a verdict but no event came: installed over ctnetlink (or refused) after all */  \
  X(verdict_expectations_unconfirmed, "verdict_expectations_unconfirmed_total")

struct DaemonCounters {
  FTPGATE_COUNTERS_OF(FTPGATE_DAEMON_COUNTERS)
};

// What the status shows, read where it lives.
struct StatusSources {
  const Counters& engine;
  const GatewayCounters& gateway;
  const SyncRepairCounters& sync_repair;
  const PacketPathCounters& path;
  uint64_t held_now;
  const LatencyHistogram& latency;           // every packet: read to verdict
  const LatencyHistogram& decision_latency;  // packets that carried an expectation decision
  const DaemonCounters& daemon;
  const std::vector<NfQueueStats>& queues;
  const MetricsServerCounters* metrics_server;  // null before the server exists
  const CommandRules* rules;                     // the running policy's, or null
  const AuditCounters& audit;
};

// Every figure in the Prometheus text format (0.0.4): "# TYPE" then the sample; the refusal
// reasons as one labelled counter; each command rule's hits, labelled by its config line; the verdict latencies as histograms.
std::string format_status(const StatusSources& s);

}  // namespace ftpgate
