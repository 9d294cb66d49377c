#include "daemon/status_text.h"

namespace ftpgate {
namespace {
// "# TYPE ftpgate_NAME counter|gauge" then "ftpgate_NAME VALUE" (Prometheus text format 0.0.4;
// names ending in _total are counters).
void line(std::string& out, const char* name, uint64_t v) {
  const std::string_view n(name);
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

std::string format_status(const Counters& c, const GatewayCounters& g,
                          const PacketPathCounters& pp, uint64_t pp_held_now,
                          const LatencyHistogram& latency, const DaemonCounters& d,
                          const std::vector<NfQueueStats>& queues) {
  std::string out;
  NfQueueStats q;
  for (const auto& s : queues) {
    q.received += s.received;
    q.enobufs += s.enobufs;
    q.malformed += s.malformed;
    q.verdict_errors += s.verdict_errors;
    q.batch_verdicts += s.batch_verdicts;
    q.changed += s.changed;
    q.dropped += s.dropped;
  }
  line(out, "queue_packets_total", q.received);
  line(out, "queue_enobufs_total", q.enobufs);
  line(out, "queue_malformed_total", q.malformed);
  line(out, "queue_verdict_errors_total", q.verdict_errors);
  line(out, "queue_batch_verdicts_total", q.batch_verdicts);
  line(out, "queue_changed_total", q.changed);
  line(out, "queue_dropped_total", q.dropped);
  line(out, "fail_open_accepts_total", d.fail_open_accepts);
  line(out, "undecodable_packets_total", d.undecodable);
  line(out, "control_segments_total", c.segments);
  line(out, "control_bytes_total", c.payload_bytes);
  line(out, "sessions_active", c.sessions_active);
  line(out, "sessions_created_total", c.sessions_created);
  line(out, "sessions_closed_total", c.sessions_closed);
  line(out, "sessions_expired_total", c.sessions_expired);
  line(out, "midstream_pickups_total", c.midstream_pickups);
  line(out, "uninspected_segments_total", c.uninspected_segments);
  line(out, "skipped_bytes_total", c.skipped_bytes);
  line(out, "expectations_decided_total", c.expectations);
  line(out, "expectations_outstanding", c.expectations_outstanding);
  line(out, "expectations_installed_total", g.expectations_installed);
  line(out, "expectations_removed_total", g.expectations_removed);
  line(out, "expectation_install_errors_total", g.install_errors);
  line(out, "expectation_install_no_helper_total", g.install_no_helper);
  line(out, "expectation_install_table_full_total", g.install_table_full);
  line(out, "expectation_install_busy_total", g.install_busy);
  line(out, "conntrack_missing_total", g.conntrack_missing);
  line(out, "nat_expectations_total", g.nat_expectations);
  line(out, "nat_rewrites_total", g.nat_rewrites);
  line(out, "nat_port_changed_total", g.nat_port_changed);
  line(out, "nat_no_port_total", g.nat_no_port);
  line(out, "nat_seq_adjust_unavailable_total", g.nat_seq_adjust_unavailable);
  line(out, "nat_rewrite_impossible_total", g.nat_rewrite_impossible);
  line(out, "nat_held_segments_total", pp.held);
  line(out, "nat_merged_segments_total", pp.merged);
  line(out, "nat_hold_timeouts_total", pp.hold_timeouts);
  line(out, "nat_hold_limit_total", pp.hold_limit);
  line(out, "nat_retransmits_rewritten_total", pp.retransmits_rewritten);
  line(out, "nat_partial_retransmits_dropped_total", pp.partial_retransmits_dropped);
  line(out, "tls_sessions_total", c.tls_sessions);
  line(out, "user_names_truncated_total", c.user_names_truncated);
  line(out, "held_segments", pp_held_now);
  latency.append_prometheus(out, "verdict_latency_seconds");
  out += "# TYPE ftpgate_refusals_total counter\n";
  for (size_t i = 0; i < kReasonCount; ++i) {
    out += "ftpgate_refusals_total{reason=\"";
    out += reason_name(static_cast<Reason>(i));
    out += "\"} " + std::to_string(c.reasons[i]) + "\n";
  }
  return out;
}

}  // namespace ftpgate
