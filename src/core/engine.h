#pragma once
// The engine: finds the control connection of each TCP segment, keeps one Session per control
// connection, expires idle ones, and passes every decision to an ActionSink. Pure: the caller
// supplies the time of each call (live: a monotonic clock; replay: capture timestamps).
#include <bitset>
#include <cstdint>
#include <deque>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/action.h"
#include "core/counters.h"
#include "core/flow.h"
#include "core/packet_decoder.h"
#include "core/policy.h"
#include "core/session.h"
#include "core/tcp_segment.h"

namespace ftpgate {

class Engine {
 public:
  Engine(const Policy& policy, const std::vector<uint16_t>& control_ports, ActionSink& sink);

  // Decodes an IP packet and handles it if it is TCP on a control port.
  DecodeStatus on_packet(std::string_view ip_packet, Micros now);
  // Handles one segment; returns what the inline guard decided for it (segment_verdict.h).
  SegmentVerdict on_segment(const TcpSegment& seg, Micros now);
  // Which control connection a segment belongs to and its direction; false when neither port
  // is a control port.
  bool classify(const TcpSegment& seg, ControlFlow& flow, Direction& dir) const;

  // Ends idle sessions and forgets timed-out expectations (a scan of the whole table).
  void expire(Micros now);
  // Runs expire() if a second of the caller's clock has passed since the last scan. on_segment
  // calls it; a live daemon also calls it from a timer so an idle gateway still expires. Both
  // share one throttle, so traffic plus the timer still scan once per second.
  void tick(Micros now);

  // Forgets every session without ending it (no event: expectations stay in the kernel). What
  // they knew is stale after an HA takeover (the other router carried the connections
  // meanwhile); the next segment of each picks it up afresh. Returns how many.
  size_t release_all();

  // The input ended (a capture's last packet, the daemon stopping): transfer records still
  // waiting are written as they are, and unanswered transfers of open sessions with reply 0.
  void finish_transfers(Micros now);

  // Replaces the policy (SIGHUP). Limits apply to what happens next.
  void set_policy(const Policy& policy) { policy_ = policy; }
  const Policy& policy() const { return policy_; }
  const Counters& counters() const { return counters_; }
  size_t session_count() const { return sessions_.size(); }
  const Session* find(const ControlFlow& flow) const;
  Session* find(const ControlFlow& flow);
  // Calls f(Session&) for every tracked session (the daemon's timer, when it holds segments).
  template <class F>
  void for_each_session(F&& f) {
    for (auto& kv : sessions_) f(kv.second);
  }

 private:
  using Table = std::unordered_map<ControlFlow, Session, ControlFlowHash>;
  void end_session(Table::iterator it, SessionEvent why, Micros now);
  // Room for one more session: ends the oldest whose handshake never completed (a SYN flood
  // must not keep real sessions out). False when there is none.
  bool evict_unestablished(Micros now);
  void emit_event(Session& session, SessionEvent e, Micros now);
  SessionContext context() {
    return SessionContext{policy_, counters_, sink_, next_expectation_id_,
                          policy_.audit_transfers ? &transfers_ : nullptr};
  }

  Policy policy_;
  std::bitset<65536> control_ports_;
  ActionSink& sink_;
  Counters counters_;
  Table sessions_;
  uint64_t next_session_id_ = 0;
  uint64_t next_expectation_id_ = 0;
  Micros next_expiry_scan_ = 0;
  TransferWatch transfers_;  // policy.audit_transfers
  // Sessions opened by a SYN, oldest first, with their ids (entries of sessions that ended or
  // completed their handshake are skipped when met; compacted at twice max_sessions).
  std::deque<std::pair<ControlFlow, uint64_t>> opened_;
};

}  // namespace ftpgate
