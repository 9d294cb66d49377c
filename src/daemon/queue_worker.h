#pragma once
// One NFQUEUE's worker (`ftpgate run --queue 0-3`: one per queue, each on its own thread): its
// queue socket, its ctnetlink socket, its engine and gateway, its log buffers and counters.
//
// Why a worker never needs another's sessions: the rules spread packets over the queues by the
// kernel's hash of the packet's address pair, sorted so both directions hash alike (no fanout,
// which would pick by CPU). Both directions of a control connection, and the data connections
// the audit follows between the same two addresses, reach the same queue and so the same worker.
//
// Other threads (the main one: status, metrics, reload, takeover, stop) reach a worker only
// through locked(), under the worker's mutex, which the worker holds while it judges one batch
// of packets or ticks; between batches it lets go.
#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/engine.h"
#include "daemon/audit_log.h"
#include "daemon/config.h"
#include "daemon/decision_log.h"
#include "daemon/fd.h"
#include "daemon/gateway.h"
#include "daemon/latency_histogram.h"
#include "daemon/packet_path.h"
#include "daemon/status_text.h"
#include "kernel/conntrack_client.h"
#include "kernel/nfqueue.h"

namespace ftpgate {

// The policy one of `workers` workers runs: its own copy of the rules (their hit counters are
// the worker's), NAT64's leg lookups on the worker's ctnetlink socket, and the limits that
// bound the whole daemon (max_sessions, max_expectations_total) shared out, rounded up.
Policy worker_policy(const Policy& policy, ConntrackPort& ct, size_t workers);

class QueueWorker {
 public:
  // Binds `queue` and opens the worker's sockets and audit log; throws std::runtime_error with
  // a sentence naming what failed. `failed_fd`: an eventfd the worker writes when its queue
  // socket fails (the daemon then stops, exit status 1).
  QueueWorker(const DaemonConfig& cfg, uint16_t queue, size_t workers, int failed_fd);
  ~QueueWorker();
  QueueWorker(const QueueWorker&) = delete;
  QueueWorker& operator=(const QueueWorker&) = delete;

  void start();  // the thread
  void stop();   // asks the thread to end and joins it; then the last records are written

  // Calls f(*this) under the worker's mutex.
  template <class F>
  auto locked(F&& f) {
    std::lock_guard<std::mutex> g(mu_);
    return f(*this);
  }

  // Under locked(): SIGHUP's new configuration (policy, NAT, enforce mark, audit log path).
  std::optional<std::string> apply(const DaemonConfig& fresh);
  // Under locked(): the audit log opened again under `path` (logrotate's SIGHUP; nothing when
  // empty).
  std::optional<std::string> reopen_audit(const std::string& path) {
    return path.empty() ? std::nullopt : audit_.reopen(path);
  }
  // Under locked(): HA takeover; every session released, the held packets accepted. Returns
  // how many sessions were released.
  size_t take_over();

  uint16_t queue_number() const { return queue_.number(); }
  bool conntrack_glue() const { return queue_.conntrack_glue(); }
  bool verdict_expectations() const { return verdict_expectations_; }
  // Why the worker stopped on its own (its queue socket failed), empty while it runs.
  std::string failure() const;

  // What status and metrics read (under locked()).
  const Counters& engine_counters() const { return path_.engine().counters(); }
  const GatewayCounters& gateway_counters() const { return gateway_.counters(); }
  const SyncRepairCounters& sync_repair_counters() const { return gateway_.sync_repair_counters(); }
  const PacketPathCounters& path_counters() const { return path_.counters(); }
  size_t held() const { return path_.held(); }
  const LatencyHistogram& latency() const { return latency_; }
  const LatencyHistogram& decision_latency() const { return decision_latency_; }
  DaemonCounters daemon_counters() const;
  NfQueueStats queue_stats() const;
  const AuditCounters& audit_counters() const { return audit_.counters(); }
  const CommandRules* rules() const { return path_.engine().policy().rules.get(); }
  Gateway& gateway() { return gateway_; }

 private:
  void run();
  void judge_batch(bool& more);     // reads and judges up to verdict_batch packets
  bool judge_packet(const QueuedPacket& p, Micros read_at);  // true: carried a decision
  void tick();
  void settle_held(const std::vector<QueuedId>& ids, bool accept);
  void flush_logs();

  const DaemonConfig cfg_;  // as started (the settings a reload cannot change)
  size_t workers_;
  int failed_fd_;
  mutable std::mutex mu_;
  ConntrackClient ct_;
  NfQueue queue_;
  bool verdict_expectations_ = false;
  Policy policy_;  // worker_policy() of the running configuration's
  DecisionLog decisions_;
  AuditLog audit_;
  Gateway gateway_;
  PacketPath path_;
  DaemonCounters dc_;
  LatencyHistogram latency_;           // from reading a packet to its verdict's send
  LatencyHistogram decision_latency_;  // ... of the packets that carried an expectation decision
  std::vector<QueuedPacket> packets_;  // one receive's, reused
  struct JudgedPacket {
    Micros read_at;
    bool carried_decision;
  };
  std::vector<JudgedPacket> judged_;  // one batch's, their verdicts not yet sent
  Fd wake_;                           // eventfd: stop
  Fd timer_;                          // 100 ms: expiry, held segments, log flushes
  std::atomic<bool> stopping_{false};
  std::string failure_;  // under mu_
  std::thread thread_;
};

}  // namespace ftpgate
