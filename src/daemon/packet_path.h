#pragma once
// What happens to one queued control-channel packet: decoded, its ACK read in the sender's
// numbering when a rewrite changed lengths, judged by the engine (the gateway installs
// expectations meanwhile), and, on a NATed control connection, rewritten.
//
// A NAT rewrite replaces the endpoint text ("PORT 198,51,100,2,4,1" -> "PORT 203,0,113,1,4,1") in
// the segment that completed its line. When the line arrived in pieces, the segments carrying
// its start are held back (no verdict yet) while the line is unfinished and still looks like it
// may announce an endpoint; the completing segment is then sent with the whole rewritten line,
// starting at the first held segment's sequence number, and the held segments are dropped.
// A held segment whose line does not complete within nat.hold_timeout is released unchanged
// (the rewrite then cannot be made: counted, the expectation withdrawn). A retransmission of a
// rewritten segment is rewritten the same way.
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/engine.h"
#include "daemon/config.h"
#include "daemon/gateway.h"

namespace ftpgate {

// The verdicts one packet asks for, in order: `release` (held packets accepted unchanged) and
// `drop` (held packets whose bytes this one now carries) before this packet's own fate.
struct QueuedId {
  uint16_t queue = 0;
  uint32_t id = 0;
};
struct PacketDecision {
  enum class Fate : uint8_t { kAccept, kAcceptChanged, kDrop, kHold };
  Fate fate = Fate::kAccept;
  std::string packet;  // kAcceptChanged: the rebuilt packet
  std::vector<QueuedId> release;
  std::vector<QueuedId> drop;
};

struct PacketPathCounters {
  uint64_t held = 0;                         // segments held for the rest of an endpoint line
  uint64_t merged = 0;                       // held segments merged into the completing one
  uint64_t hold_timeouts = 0;                // released unchanged after nat_hold_timeout_ms
  uint64_t hold_limit = 0;                   // not held: max_held_packets held already
  uint64_t retransmits_rewritten = 0;        // a rewritten segment sent again, rewritten again
  uint64_t partial_retransmits_dropped = 0;  // a retransmission cutting into a rewritten text
};

class PacketPath {
 public:
  PacketPath(Engine& engine, Gateway& gateway, const NatSettings& nat)
      : engine_(engine), gateway_(gateway), nat_(nat) {}

  DecodeStatus judge(QueuedId id, std::string_view packet, Micros now, PacketDecision& out);
  // Held packets whose time is up (to accept unchanged); forgets rewrites of sessions that ended.
  std::vector<QueuedId> release_expired(Micros now);

  void set_nat(const NatSettings& nat) { nat_ = nat; }
  const PacketPathCounters& counters() const { return counters_; }
  size_t held() const { return held_.size(); }

 private:
  struct Held {
    QueuedId id;
    ControlFlow flow;
    Direction dir;
    uint32_t seq;
    std::string payload;
    Micros since;
  };
  // The last rewrite of one direction of a session, to repeat on retransmissions.
  struct Rewritten {
    ControlFlow flow;
    uint32_t seq;
    std::string old_payload;
    std::string new_payload;
  };
  static uint64_t key(uint64_t session_id, Direction dir) {
    return session_id * 2 + (dir == Direction::kToClient ? 1 : 0);
  }
  bool repeat_rewrite(uint64_t session_id, Direction dir, std::string_view packet,
                      const TcpSegment& seg, PacketDecision& out);
  void apply(const EndpointRewrite& rw, std::string_view packet, const TcpSegment& seg,
             const ControlFlow& flow, Direction dir, PacketDecision& out);
  // Removes the held packets of one direction of a control connection, appending their ids.
  void take_held(const ControlFlow& flow, Direction dir, std::vector<QueuedId>& ids);

  Engine& engine_;
  Gateway& gateway_;
  NatSettings nat_;
  PacketPathCounters counters_;
  std::vector<Held> held_;  // arrival order; few (bounded by nat.max_held_packets)
  std::unordered_map<uint64_t, Rewritten> rewritten_;
};

}  // namespace ftpgate
