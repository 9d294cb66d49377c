#pragma once
// What happens to one queued control-channel packet: decoded, its ACK read in the sender's
// numbering when a rewrite changed lengths, judged by the engine (the gateway installs
// expectations meanwhile), and, on a NATed control connection, rewritten.
//
// A NAT rewrite replaces the endpoint text ("PORT 198,51,100,2,4,1" -> "PORT 203,0,113,1,4,1") in
// the segment that completed its line. A segment that completes several endpoint lines (two
// pipelined PASV answered in one segment, PORT + EPRT) gets all of its rewrites or none. When a
// line arrived in pieces, the segments carrying its start are held back (no verdict yet) while
// the line is unfinished and still looks like it may announce an endpoint; the completing
// segment is then sent with the whole rewritten line, starting at the first held segment's
// sequence number, and the held segments are dropped. A held segment whose line does not
// complete within nat.hold_timeout is released unchanged (the rewrite then cannot be made:
// counted, the expectation withdrawn). A retransmission of a rewritten segment is rewritten the
// same way.
//
// The packet path owns the engine, whose decisions go to the gateway; segments held by a
// session that ended are released with the next verdicts (Gateway::take_released).
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/counter_list.h"
#include "core/engine.h"
#include "daemon/config.h"
#include "daemon/control_state.h"
#include "daemon/gateway.h"

namespace ftpgate {

// The verdicts one packet asks for, in order: `release` (held packets accepted unchanged) and
// `drop` (held packets whose bytes this one now carries) before this packet's own fate.
struct PacketDecision {
  enum class Fate : uint8_t { kAccept, kAcceptChanged, kDrop, kHold };
  Fate fate = Fate::kAccept;
  std::string packet;  // kAcceptChanged: the rebuilt packet
  std::vector<QueuedId> release;
  std::vector<QueuedId> drop;
  bool carried_decision = false;  // the packet completed a line the engine decided an expectation on
};

// X(field, "metric_name")
#define FTPGATE_PACKET_PATH_COUNTERS(X)                                                         \
  X(held, "nat_held_segments_total")          /* held for the rest of an endpoint line */       \
  X(merged, "nat_merged_segments_total")      /* held segments merged into the completing one */\
  X(hold_timeouts, "nat_hold_timeouts_total") /* released unchanged after nat_hold_timeout_ms */\
  X(hold_limit, "nat_hold_limit_total")       /* not held: max_held_packets held already */     \
  /* a rewritten segment sent again, rewritten again */                                         \
  X(retransmits_rewritten, "nat_retransmits_rewritten_total")                                   \
  /* a retransmission cutting into a rewritten text: dropped */                                 \
  X(partial_retransmits_dropped, "nat_partial_retransmits_dropped_total")                        \
  /* policy: a denied line sent on as NOOP / 421 (same length), or dropped (its start had */     \
  /* gone out already), and later packets of a denied session dropped here */                   \
  X(denied_lines_neutralised, "policy_lines_neutralised_total")                                 \
  X(denied_lines_dropped, "policy_lines_dropped_total")                                         \
  X(denied_session_drops, "policy_session_packets_dropped_total")                               \
  /* bytes after a denied line in its segment, sent on as spaces (no line end) */               \
  X(denied_tails_blanked, "policy_denied_tails_blanked_total")                                  \
  X(masked_segments, "masked_segments_total")   /* mask_banner / mask_syst applied */           \
  X(masks_clipped, "masks_clipped_total")       /* ... to a line whose start had gone out */

struct PacketPathCounters {
  FTPGATE_COUNTERS_OF(FTPGATE_PACKET_PATH_COUNTERS)
};

class PacketPath {
 public:
  PacketPath(const Policy& policy, const std::vector<uint16_t>& control_ports, Gateway& gateway,
             const NatSettings& nat)
      : engine_(policy, control_ports, gateway), gateway_(gateway), nat_(nat) {}

  DecodeStatus judge(QueuedId id, std::string_view packet, Micros now, PacketDecision& out);
  // Held packets whose time is up, and those of sessions that ended (to accept unchanged).
  std::vector<QueuedId> release_expired(Micros now);
  // HA takeover: every session is forgotten (picked up afresh by its next segment, from what
  // its conntrack says now). Appends the held packets to accept unchanged; returns how many
  // sessions were released. (The gateway repairs the synced expectations.)
  size_t take_over(std::vector<QueuedId>& release);

  Engine& engine() { return engine_; }
  const Engine& engine() const { return engine_; }
  void set_nat(const NatSettings& nat) { nat_ = nat; }
  const PacketPathCounters& counters() const { return counters_; }
  size_t held() const { return held_; }

 private:
  bool repeat_rewrite(ControlState& cs, Direction dir, std::string_view packet,
                      const TcpSegment& seg, PacketDecision& out);
  // The segment carries a denied line: sent on neutralised, or dropped.
  void deny(ControlState* cs, const std::vector<EndpointRewrite>& rewrites, Direction dir,
            bool line_start_released, std::string_view packet, const TcpSegment& seg,
            const std::string& edited, bool clear_urgent, PacketDecision& out);
  void apply(ControlState& cs, const std::vector<EndpointRewrite>& rewrites,
             std::string_view packet, const TcpSegment& seg, Direction dir, bool clear_urgent,
             PacketDecision& out);
  // Removes the held packets of one direction, appending their ids.
  void take_held(ControlState& cs, Direction dir, std::vector<QueuedId>& ids);
  // Appends the held packets of sessions that ended.
  void collect_released(std::vector<QueuedId>& ids);

  Engine engine_;
  Gateway& gateway_;
  NatSettings nat_;
  PacketPathCounters counters_;
  size_t held_ = 0;  // held segments in all sessions (nat.max_held_packets)
};

}  // namespace ftpgate
