#pragma once
// Everything the live daemon keeps about one control connection, in the core Session's
// extension slot (core/session_extension.h): it is created on first use and destroyed with the
// session, so nothing here needs a cleanup scan or a table of its own.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/flow.h"
#include "core/sequence_adjustment.h"
#include "core/session.h"
#include "core/session_extension.h"
#include "kernel/conntrack_messages.h"

namespace ftpgate {

// A packet waiting in an NFQUEUE queue for its verdict.
struct QueuedId {
  uint16_t queue = 0;
  uint32_t id = 0;
  friend bool operator==(const QueuedId&, const QueuedId&) = default;
};

// An expectation this control connection has in the kernel.
struct InstalledExpectation {
  uint64_t id = 0;  // the engine's Expectation::id
  CtTuple tuple;
  Micros expires = 0;  // the kernel drops it then, unused (Expectation::expires)
};

// A segment of an unfinished line that may announce an endpoint, held without a verdict until
// the line completes (NAT: the whole line is rewritten in the completing segment).
struct HeldSegment {
  QueuedId id;
  uint32_t seq = 0;
  std::string payload;
  Micros since = 0;
};

// The last rewrite made in one direction: a retransmission of `old_payload` at `seq` is sent as
// `new_payload` again.
struct RewrittenSegment {
  uint32_t seq = 0;
  std::string old_payload;
  std::string new_payload;
};

class ControlState : public SessionExtension {
 public:
  // The control connection's conntrack, looked up once; after a failed lookup the per-segment
  // NAT check does not look again before lookup_retry_at.
  std::optional<ConntrackInfo> conntrack;
  Micros lookup_retry_at = 0;
  std::vector<InstalledExpectation> installed;  // oldest first
  SequenceAdjustment adjust[2];                 // by Direction: to server, to client
  bool adjust_verified = false;
  std::vector<HeldSegment> held[2];             // by Direction, arrival order
  std::optional<RewrittenSegment> rewritten[2];
  // NAT64: the IPv6 leg's control conntrack (daemon/ftp64_legs.h), once found.
  std::optional<CtTuple> ftp64_v6_master;
  std::vector<InstalledExpectation> ftp64_v6_installed;  // the data connections' on that leg

  static size_t index(Direction d) { return d == Direction::kToClient ? 1 : 0; }
  bool has_rewrites() const { return rewritten[0] || rewritten[1]; }
  // Whether segments of this connection change numbering or content on their way (rewrites
  // made here, or a sequence adjustment adopted at pickup).
  bool changes_segments() const { return has_rewrites() || adjust[0].active() || adjust[1].active(); }
  size_t held_count() const { return held[0].size() + held[1].size(); }
};

// The session's daemon state, attached on first use.
inline ControlState& control_state(Session& s) {
  if (s.extension() == nullptr) s.attach(std::make_unique<ControlState>());
  return static_cast<ControlState&>(*s.extension());
}
// ... or null where none was attached yet.
inline ControlState* find_control_state(const Session* s) {
  return s == nullptr ? nullptr : static_cast<ControlState*>(s->extension());
}

}  // namespace ftpgate
