#pragma once
// Every refusal and anomaly ftpgate can report, with its stable name (used in logs, JSON output,
// counters and metrics). A `reject` is a well-formed negotiation the policy refuses; an `anomaly`
// is malformed input or a limit that was hit. Neither switches inspection off for the session.
//
// One list (FTPGATE_REASONS) makes the enum, the names and the kind, so they cannot drift apart.
#include <cstdint>
#include <string_view>

namespace ftpgate {

// X(enumerator, "name", kind)
#define FTPGATE_REASONS(X)                                                                       \
  /* Policy refusals (event "reject"). */                                                        \
  /* PORT/EPRT/LPRT address is not the client's, or 227/228 not the server's */                  \
  X(kBounceAddress, "bounce_address", kReject)                                                   \
  /* data port below policy.min_data_port */                                                     \
  X(kPrivilegedPort, "privileged_port", kReject)                                                 \
  /* 227/228/229 that does not answer a pending PASV/LPSV/EPSV */                                \
  X(kUnsolicitedReply, "unsolicited_reply", kReject)                                             \
  /* a 227/228/229 line sent by the client */                                                    \
  X(kReplyFromClient, "reply_from_client", kReject)                                              \
  /* a PORT/EPRT/LPRT line sent by the server */                                                 \
  X(kCommandFromServer, "command_from_server", kReject)                                          \
  /* PORT/227 (IPv4-only syntax) on an IPv6 control connection */                                \
  X(kIpv4TupleOnIpv6, "ipv4_tuple_on_ipv6", kReject)                                             \
  /* EPRT/LPRT/228 family differs from the control connection's */                               \
  X(kFamilyMismatch, "family_mismatch", kReject)                                                 \
  /* a new PORT/EPRT/LPRT before the previous one was answered */                                \
  X(kPortUnanswered, "port_unanswered", kReject)                                                 \
  /* policy.max_expectations_total outstanding already */                                        \
  X(kExpectationTableFull, "expectation_table_full", kReject)                                    \
  /* Malformed input (event "anomaly"). */                                                       \
  X(kMalformedPort, "malformed_port", kAnomaly)                                                  \
  X(kMalformedEprt, "malformed_eprt", kAnomaly)                                                  \
  X(kMalformedLprt, "malformed_lprt", kAnomaly)                                                  \
  X(kMalformed227, "malformed_227", kAnomaly)                                                    \
  X(kMalformed228, "malformed_228", kAnomaly)                                                    \
  X(kMalformed229, "malformed_229", kAnomaly)                                                    \
  /* an octet above 255, a port of 0 or above 65535 */                                           \
  X(kOutOfRange, "out_of_range", kAnomaly)                                                       \
  /* EPRT net-prt other than 1/2, LPRT af other than 4/6 */                                      \
  X(kUnsupportedFamily, "unsupported_family", kAnomaly)                                          \
  /* a NUL byte in a control line; the line is not parsed */                                     \
  X(kNulInLine, "nul_in_line", kAnomaly)                                                         \
  /* longer than policy.max_line_length; the rest up to LF is skipped */                         \
  X(kLineTooLong, "line_too_long", kAnomaly)                                                     \
  /* a client line with a control byte other than TAB (CR inside the line, ESC, DEL ...): */     \
  /* servers read it differently, so the rules cannot judge it */                                \
  X(kControlByteInLine, "control_byte_in_line", kAnomaly)                                        \
  /* The inline guard (core/segment_verdict.h). */                                               \
  /* a client segment past the next byte, refused while the policy guards (dropped) */           \
  X(kOutOfOrderRefused, "out_of_order_refused", kAnomaly)                                        \
  /* a copy of judged bytes that differs: sent on with the judged bytes put back */              \
  X(kCopyDiffers, "copy_differs", kAnomaly)                                                      \
  /* a copy of bytes no longer kept (policy.max_unacked_bytes): cannot be checked */             \
  X(kUnverifiableCopy, "unverifiable_copy", kAnomaly)                                            \
  /* a SYN carrying data (the receiver takes it only with TCP Fast Open) */                      \
  X(kSynWithData, "syn_with_data", kAnomaly)                                                     \
  /* a line the guard could not judge: the session is refused as a denied command is */          \
  X(kUnjudged, "unjudged", kReject)                                                              \
  /* Limits and stream health (event "anomaly"). */                                              \
  /* more than policy.max_out_of_order_bytes buffered in one direction */                        \
  X(kOutOfOrderLimit, "out_of_order_limit", kAnomaly)                                            \
  /* bytes acknowledged by the peer but never seen: skipped, resynced at the next line end */    \
  X(kStreamGap, "stream_gap", kAnomaly)                                                          \
  /* a retransmitted byte differs from the buffered one (first copy wins) */                     \
  X(kOverlapMismatch, "overlap_mismatch", kAnomaly)                                              \
  /* more than policy.max_pending_commands unanswered commands */                                \
  X(kPendingCommandLimit, "pending_command_limit", kAnomaly)                                     \
  /* policy.max_sessions tracked already; the connection is not inspected */                     \
  X(kSessionTableFull, "session_table_full", kAnomaly)                                           \
  /* after AUTH + 234, bytes that are not TLS records */                                         \
  X(kTlsNotTls, "tls_not_tls", kAnomaly)                                                         \
  /* policy.max_reports_per_session reached: later refusals are counted only */                  \
  X(kReportsSuppressed, "reports_suppressed", kAnomaly)

enum class Reason : uint8_t {
#define FTPGATE_REASON_ENUM(e, name, kind) e,
  FTPGATE_REASONS(FTPGATE_REASON_ENUM)
#undef FTPGATE_REASON_ENUM
  kCount
};

inline constexpr size_t kReasonCount = static_cast<size_t>(Reason::kCount);

std::string_view reason_name(Reason r);
// True for policy refusals ("reject"), false for anomalies.
bool reason_is_rejection(Reason r);
// The refusals strict mode enforces (bounce, unsolicited, wrong direction). A denial without a
// rule names one of these ("strict"), or else why the line could not be judged ("unjudged").
inline bool reason_is_strict_refusal(Reason r) {
  return r == Reason::kBounceAddress || r == Reason::kUnsolicitedReply ||
         r == Reason::kReplyFromClient || r == Reason::kCommandFromServer;
}

}  // namespace ftpgate
