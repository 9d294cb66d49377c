#pragma once
// Policy and limits of the engine. Every growth point has a named limit with a finite default;
// hitting one is a counted anomaly (see reason.h), never a crash or a silent drop.
#include <cstdint>
#include <memory>
#include <vector>

#include "core/command_rules.h"

namespace ftpgate {

using Micros = int64_t;  // time in microseconds, from the caller's clock

struct Policy {
  // --- strict checks (each switchable) ---
  // Address in PORT/EPRT/LPRT must equal the client's, in 227/228 the server's. Off = "loose",
  // as the kernel's nf_conntrack_ftp loose=1: the expectation goes to the announced address.
  bool require_peer_address = true;
  // Data ports below this are refused (privileged services: 22, 25, ...). 0 disables the check.
  uint16_t min_data_port = 1024;
  // 227/228/229 are believed only as the answer to a pending PASV/LPSV/EPSV.
  bool require_pending_passive = true;
  // Replies from the client side and commands from the server side are refused.
  bool refuse_wrong_direction = true;
  // A new PORT/EPRT/LPRT while the previous one is unanswered is refused.
  bool refuse_unanswered_port = true;

  // --- enforcement (policy beyond the kernel helper) ---
  // Command rules, first match wins (command_rule.h); null or empty: every command allowed.
  std::shared_ptr<const CommandRules> rules;
  // The strict refusals (bounce_address, unsolicited_reply, reply_from_client,
  // command_from_server) are enforced like a denied command: the connection is reset.
  bool strict = false;
  // The text of 220 (greeting) and 215 (SYST) replies is replaced by as many '*'.
  bool mask_banner = false;
  bool mask_syst = false;

  // --- the inline guard (session.cc: the receiver gets exactly the bytes that were judged) ---
  // With deny rules (or strict), what cannot be judged is refused: a command line too long or
  // with a NUL, the first line after a gap in the client's stream, a client segment out of
  // order (dropped: the client sends it again in order), a copy of judged bytes that can no
  // longer be checked, a SYN carrying data, a session the table has no room for. Off (config
  // `unjudged = pass`): such input is only counted, as without deny rules.
  bool refuse_unjudged = true;
  // Judged bytes kept per direction until the receiver acknowledges them, so that a later copy
  // of them (a retransmission, an overlap) is checked and put back to the judged bytes. Symptom
  // that it is too low: unverifiable_copy anomalies on sessions with long pipelines.
  uint32_t max_unacked_bytes = 65536;
  // True when the guard refuses what it cannot judge.
  bool guarded() const { return refuse_unjudged && (strict || (rules && rules->has_deny())); }

  // --- transfer audit (core/transfer_watch.h) ---
  bool audit_transfers = false;
  // Data connections followed at once (SYN seen, record not yet written). Symptom that it is
  // too low: data_connections_unwatched, records without bytes.
  uint32_t max_watched_data_connections = 65536;
  // How long a record waits after the final reply for its data connection's last FIN.
  Micros transfer_linger = 2'000'000;

  // --- limits ---
  // Outstanding expectations per control connection; the newest replaces the oldest (kernel: 1).
  uint32_t max_expectations_per_session = 1;
  // Outstanding expectations in total. Keep it well below the kernel's nf_conntrack_expect_max,
  // which other helpers share. Symptom that it is too low: expectation_table_full rejects.
  uint32_t max_expectations_total = 1024;
  // How long an expectation lives unless used (the daemon sets the kernel timeout to this).
  Micros expectation_timeout = 30'000'000;
  // Longest control line (without CRLF). Symptom that it is too low: line_too_long anomalies on
  // legitimate long path names.
  uint32_t max_line_length = 2048;
  // Out-of-order bytes buffered per direction while waiting for a missing segment.
  uint32_t max_out_of_order_bytes = 16384;
  // Unanswered commands remembered per session (pipelining depth).
  uint32_t max_pending_commands = 32;
  // Reject/anomaly actions (log lines, JSON events) one session may cause; past it, reasons are
  // still counted but not reported, so one hostile session cannot flood the log. Symptom that
  // it is too low: reports_suppressed on sessions you need to debug.
  uint32_t max_reports_per_session = 32;
  // Longest USER name remembered per session (for the log); longer ones are cut and counted.
  uint32_t max_user_name_length = 64;
  // Control connections tracked at once.
  uint32_t max_sessions = 65536;
  // A session with no packet for this long is forgotten.
  Micros session_idle_timeout = 3600LL * 1'000'000;
  // ... a denied one after this: it stays denied (later packets dropped) at least as long as
  // the conntrack it marked (the kernel keeps a reset connection 10 s, then a late packet
  // starts a new conntrack that ftpgate must still know as denied).
  Micros denied_session_timeout = 3600LL * 1'000'000;
  // ... one whose handshake never completed (no SYN-ACK seen) after this, as conntrack's
  // SYN_SENT (120 s); when the table is full, the oldest of these makes room for a new one.
  Micros unestablished_timeout = 120'000'000;
  // ... one that saw an RST after this, unless more data comes (then the RST was one the
  // receiver discarded: out of window, bad checksum, and the session goes on).
  Micros reset_linger = 10'000'000;
};

}  // namespace ftpgate
