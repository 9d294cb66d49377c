#pragma once
// Monotonic counters of the engine (and gauges where noted). Plain integers: the engine runs on
// one thread per instance; readers take a copy.
//
// One list (FTPGATE_ENGINE_COUNTERS) makes the fields and their metric names; the daemon's
// metrics and the replay summary both read it, so a counter has one name everywhere
// (Prometheus: ftpgate_NAME; replay summary: NAME without "_total"). Names ending in _total
// are counters, the others gauges.
#include <array>
#include <cstdint>
#include <string_view>

#include "core/counter_list.h"
#include "core/reason.h"

namespace ftpgate {

// X(field, "metric_name")  -- the comment after each says what it counts
#define FTPGATE_ENGINE_COUNTERS(X)                                                              \
  X(segments, "control_segments_total")          /* TCP segments on control ports */          \
  X(payload_bytes, "control_bytes_total")        /* control-channel payload bytes */          \
  X(retransmitted_bytes, "retransmitted_bytes_total") /* bytes already seen */                \
  X(lines_to_server, "lines_to_server_total")                                                  \
  X(lines_to_client, "lines_to_client_total")                                                  \
  X(sessions_active, "sessions_active")          /* gauge */                                  \
  X(sessions_created, "sessions_created_total")                                                \
  X(sessions_closed, "sessions_closed_total")    /* FIN both ways or RST */                   \
  X(sessions_expired, "sessions_expired_total")  /* idle timeout */                           \
  /* forgotten unended (HA takeover: stale; picked up again by their next segment) */         \
  X(sessions_released, "sessions_released_total")                                             \
  X(midstream_pickups, "midstream_pickups_total") /* sessions or directions without a SYN */  \
  /* inline guard (segment_verdict.h) */                                                        \
  X(guard_drops, "guard_dropped_segments_total") /* segments dropped: could not be judged */  \
  X(guard_restores, "guard_restored_segments_total") /* copies put back to judged bytes */    \
  X(urgent_cleared, "urgent_flags_cleared_total") /* URG cleared on client segments */        \
  X(resets_not_taken, "resets_not_taken_total") /* data came after an RST: it was discarded */ \
  X(unjudged_refused, "unjudged_lines_refused_total") /* lines refused: no reading to judge */ \
  X(sessions_refused, "sessions_refused_total") /* table full while guarding: SYNs dropped */ \
  X(unestablished_evicted, "unestablished_sessions_evicted_total") /* made room when full */  \
  X(uninspected_segments, "uninspected_segments_total") /* of sessions not tracked */         \
  /* stream bytes never seen (stream_gap): capture loss, or packets the kernel let through */  \
  /* uninspected (queue full) */                                                               \
  X(skipped_bytes, "skipped_bytes_total")                                                      \
  /* final replies sent before the server saw any command after a stream gap: not paired */    \
  X(replies_to_unseen_commands, "replies_to_unseen_commands_total")                            \
  /* the first passive reply of a picked-up session, answering a command never seen: believed */ \
  X(passive_replies_after_pickup, "passive_replies_after_pickup_total")                        \
  X(expectations, "expectations_decided_total")                                                \
  X(expectations_replaced, "expectations_replaced_total") /* per-session limit: oldest out */ \
  /* the server refused its PORT/EPRT/LPRT (4xx/5xx): withdrawn at once */                    \
  X(expectations_withdrawn, "expectations_withdrawn_total")                                    \
  X(expectations_outstanding, "expectations_outstanding") /* gauge */                         \
  /* used by their data connection (a 150/125, or a 2xx, to a transfer command) */             \
  X(expectations_used, "expectations_used_total")                                               \
  X(tls_sessions, "tls_sessions_total")          /* AUTH TLS/SSL answered 234 */              \
  X(user_names_truncated, "user_names_truncated_total") /* policy.max_user_name_length */  \
  X(commands_logged, "commands_logged_total")    /* a `log` rule matched */                   \
  X(commands_denied, "commands_denied_total")    /* a `deny` rule matched: session reset */  \
  X(strict_enforced, "strict_refusals_enforced_total") /* strict: refusal -> session reset */ \
  X(texts_masked, "reply_texts_masked_total")    /* 220/215 lines masked */                 \
  X(transfers_recorded, "transfers_recorded_total") /* audit records written */             \
  /* a transfer command past max_pending_commands unanswered ones: not recorded */             \
  X(transfers_unrecorded, "transfers_unrecorded_total")                                        \
  X(data_connections_watched, "data_connections_watched_total") /* their SYN seen */        \
  /* max_watched_data_connections followed already: its bytes are not counted */                \
  X(data_connections_unwatched, "data_connections_unwatched_total")

struct Counters {
  FTPGATE_COUNTERS_OF(FTPGATE_ENGINE_COUNTERS)
  std::array<uint64_t, kReasonCount> reasons{};

  void count(Reason r) { ++reasons[static_cast<size_t>(r)]; }
  uint64_t of(Reason r) const { return reasons[static_cast<size_t>(r)]; }
};

}  // namespace ftpgate
