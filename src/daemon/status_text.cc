#include "daemon/status_text.h"

namespace ftpgate {
namespace {
// "# TYPE ftpgate_NAME counter|gauge" then "ftpgate_NAME VALUE" (Prometheus text format 0.0.4;
// names ending in _total are counters).
void line(std::string& out, std::string_view n, uint64_t v) {
  const bool counter = n.size() > 6 && n.substr(n.size() - 6) == "_total";
  out += "# TYPE ftpgate_";
  out += n;
  out += counter ? " counter\n" : " gauge\n";
  out += "ftpgate_";
  out += n;
  out += ' ';
  out += std::to_string(v);
  out += '\n';
}
}  // namespace

std::string format_status(const StatusSources& s) {
  std::string out;
  auto put = [&](std::string_view name, uint64_t v) { line(out, name, v); };
  // The queues' figures summed, in their list's order.
  std::vector<std::pair<std::string_view, uint64_t>> queue_sums;
  NfQueueStats{}.for_each([&](std::string_view name, uint64_t) { queue_sums.emplace_back(name, 0); });
  for (const NfQueueStats& q : s.queues) {
    size_t i = 0;
    q.for_each([&](std::string_view, uint64_t v) { queue_sums[i++].second += v; });
  }
  for (const auto& [name, v] : queue_sums) put(name, v);
  s.daemon.for_each(put);
  s.engine.for_each(put);
  s.gateway.for_each(put);
  s.sync_repair.for_each(put);
  s.path.for_each(put);
  s.audit.for_each(put);
  if (s.metrics_server != nullptr) s.metrics_server->for_each(put);
  put("held_segments", s.held_now);
  s.latency.append_prometheus(out, "verdict_latency_seconds");
  s.decision_latency.append_prometheus(out, "decision_verdict_latency_seconds");
  out += "# TYPE ftpgate_refusals_total counter\n";
  for (size_t i = 0; i < kReasonCount; ++i) {
    out += "ftpgate_refusals_total{reason=\"";
    out += reason_name(static_cast<Reason>(i));
    out += "\"} " + std::to_string(s.engine.reasons[i]) + "\n";
  }
  if (s.rules != nullptr && !s.rules->empty()) {
    // ftpgate_policy_rule_hits_total{rule="2",line="14",action="deny"} 3
    out += "# TYPE ftpgate_policy_rule_hits_total counter\n";
    for (size_t i = 0; i < s.rules->size(); ++i) {
      const CommandRule& r = s.rules->rule(i);
      out += "ftpgate_policy_rule_hits_total{rule=\"" + std::to_string(i + 1) + "\",line=\"" +
             std::to_string(r.line) + "\",action=\"" + std::string(rule_action_name(r.action)) +
             "\"} " + std::to_string(s.rules->hits(i)) + "\n";
    }
  }
  return out;
}

}  // namespace ftpgate
