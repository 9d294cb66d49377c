#pragma once
// The counters for SIGUSR1, `ftpgate status` and Prometheus scrapes.
#include <cstdint>
#include <string>
#include <string_view>
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

// What the daemon knows of itself: when it started, how its reloads went, its rules' names.
struct MetricsInfo {
  int64_t start_time_micros = 0;         // wall clock
  bool last_reload_ok = true;            // no reload yet: the start's configuration
  int64_t last_reload_micros = 0;        // last SIGHUP (0: none yet)
  int64_t last_reload_success_micros = 0;  // ... that succeeded (0: the start)
  uint64_t reloads_succeeded = 0;
  uint64_t reloads_failed = 0;
  std::vector<std::string> rule_names;   // in the running rules' order (config.h)
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
  const MetricsInfo& info;
};

// Every figure in the Prometheus text format (0.0.4): "# HELP" (from the counter lists'
// comments, scripts/metric_help.py), "# TYPE", then the samples. Labelled families: the
// queues' figures by `queue`, refusals by `reason`, expectation install failures by `reason`,
// each command rule's hits by `rule` (its name) and `action`, config reloads by `result`;
// the verdict latencies as histograms; ftpgate_build_info{version} 1.
std::string format_status(const StatusSources& s);

// The Prometheus text as one JSON object (`ftpgate status --format json`, SIGUSR1 in JSON
// logs): {"packets_total": 12, "refusals_total": {"bounce_address": 3}, ...}; a labelled
// family becomes an object keyed by its first label's value.
std::string status_json(const std::string& prometheus_text);
// ... and as a table of "name (label)  value" lines, zero labelled samples left out.
std::string status_table(const std::string& prometheus_text);
// The help of a counter list's metric ("" for a name in no list).
std::string_view metric_help(std::string_view name);

}  // namespace ftpgate
