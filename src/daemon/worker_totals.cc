#include "daemon/worker_totals.h"

#include "daemon/queue_worker.h"

namespace ftpgate {

void WorkerTotals::add(const QueueWorker& w) {
  const Counters& e = w.engine_counters();
  engine.add(e);
  for (size_t i = 0; i < engine.reasons.size(); ++i) engine.reasons[i] += e.reasons[i];
  gateway.add(w.gateway_counters());
  sync_repair.add(w.sync_repair_counters());
  path.add(w.path_counters());
  held += w.held();
  latency.add(w.latency());
  decision_latency.add(w.decision_latency());
  daemon.add(w.daemon_counters());
  queues.push_back(w.queue_stats());
  audit.add(w.audit_counters());
  if (const CommandRules* r = w.rules()) {
    if (!rules) rules.emplace(*r);
    else rules->add_hits(*r);
  }
}

}  // namespace ftpgate
