#pragma once
// The figures of every queue worker added up, for status, metrics and the stop line: counters
// and gauges summed, latency histograms merged bucket by bucket, rule hits summed rule by rule,
// and one NfQueueStats per queue (labelled by its number, not summed).
#include <optional>
#include <vector>

#include "core/command_rules.h"
#include "core/counters.h"
#include "daemon/audit_log.h"
#include "daemon/gateway.h"
#include "daemon/latency_histogram.h"
#include "daemon/packet_path.h"
#include "daemon/status_text.h"
#include "daemon/synced_expectations.h"
#include "kernel/nfqueue.h"

namespace ftpgate {

class QueueWorker;

struct WorkerTotals {
  Counters engine;
  GatewayCounters gateway;
  SyncRepairCounters sync_repair;
  PacketPathCounters path;
  uint64_t held = 0;
  LatencyHistogram latency;
  LatencyHistogram decision_latency;
  DaemonCounters daemon;
  std::vector<NfQueueStats> queues;
  AuditCounters audit;
  std::optional<CommandRules> rules;  // the first worker's rules, every worker's hits

  // Adds one worker's figures (the caller holds its lock, or its thread has ended).
  void add(const QueueWorker& w);
};

}  // namespace ftpgate
