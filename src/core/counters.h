#pragma once
// Monotonic counters of the engine (and gauges where noted). Plain integers: the engine runs on
// one thread per instance; readers take a copy.
#include <array>
#include <cstdint>

#include "core/reason.h"

namespace ftpgate {

struct Counters {
  uint64_t segments = 0;              // TCP segments on control ports handed to the engine
  uint64_t payload_bytes = 0;         // control-channel payload bytes handed to the engine
  uint64_t retransmitted_bytes = 0;   // bytes already seen (retransmissions, overlaps)
  uint64_t lines_to_server = 0;
  uint64_t lines_to_client = 0;
  uint64_t sessions_created = 0;
  uint64_t sessions_closed = 0;       // FIN both ways or RST
  uint64_t sessions_expired = 0;      // idle timeout
  uint64_t sessions_active = 0;       // gauge
  uint64_t midstream_pickups = 0;     // sessions or directions picked up without a SYN
  uint64_t uninspected_segments = 0;  // segments of sessions that could not be tracked
  uint64_t skipped_bytes = 0;         // stream bytes never seen (stream_gap): capture loss, or
                                      // packets the kernel let through uninspected (queue full)
  uint64_t expectations = 0;          // expectations decided
  uint64_t expectations_replaced = 0; // evicted by a newer one (per-session limit)
  uint64_t expectations_outstanding = 0;  // gauge
  uint64_t replies_to_unseen_commands = 0;  // final replies sent before the server saw any
                                            // command after a stream gap: not paired
  uint64_t tls_sessions = 0;          // AUTH TLS/SSL answered 234
  uint64_t user_names_truncated = 0;  // USER names cut at policy.max_user_name_length
  std::array<uint64_t, kReasonCount> reasons{};

  void count(Reason r) { ++reasons[static_cast<size_t>(r)]; }
  uint64_t of(Reason r) const { return reasons[static_cast<size_t>(r)]; }
};

}  // namespace ftpgate
