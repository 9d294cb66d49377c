#pragma once
// Every refusal and anomaly ftpgate can report, with its stable name (used in logs, JSON output,
// counters and metrics). A `reject` is a well-formed negotiation the policy refuses; an `anomaly`
// is malformed input or a limit that was hit. Neither switches inspection off for the session.
#include <cstdint>
#include <string_view>

namespace ftpgate {

enum class Reason : uint8_t {
  // Policy refusals (event "reject").
  kBounceAddress,       // PORT/EPRT/LPRT address is not the client's, or 227/228 not the server's
  kPrivilegedPort,      // data port below policy.min_data_port
  kUnsolicitedReply,    // 227/228/229 that does not answer a pending PASV/LPSV/EPSV
  kReplyFromClient,     // a 227/228/229 line sent by the client
  kCommandFromServer,   // a PORT/EPRT/LPRT line sent by the server
  kIpv4TupleOnIpv6,     // PORT/227 (IPv4-only syntax) on an IPv6 control connection
  kFamilyMismatch,      // EPRT/LPRT/228 family differs from the control connection's
  kPortUnanswered,      // a new PORT/EPRT/LPRT before the previous one was answered
  kExpectationTableFull,  // policy.max_expectations_total outstanding already
  // Malformed input (event "anomaly").
  kMalformedPort,
  kMalformedEprt,
  kMalformedLprt,
  kMalformed227,
  kMalformed228,
  kMalformed229,
  kOutOfRange,          // an octet above 255, a port of 0 or above 65535
  kUnsupportedFamily,   // EPRT net-prt other than 1/2, LPRT af other than 4/6
  kNulInLine,           // a NUL byte in a control line; the line is not parsed
  kLineTooLong,         // longer than policy.max_line_length; the rest up to LF is skipped
  // Limits and stream health (event "anomaly").
  kOutOfOrderLimit,     // more than policy.max_out_of_order_bytes buffered in one direction
  kStreamGap,           // bytes acknowledged by the peer but never seen: skipped, line resynced
  kOverlapMismatch,     // a retransmitted byte differs from the buffered one (first copy wins)
  kPendingCommandLimit, // more than policy.max_pending_commands unanswered commands
  kSessionTableFull,    // policy.max_sessions tracked already; the connection is not inspected
  kTlsNotTls,           // after AUTH + 234, bytes that are not TLS records
  kReportsSuppressed,   // policy.max_reports_per_session reached: later refusals are counted only
  kCount
};

inline constexpr size_t kReasonCount = static_cast<size_t>(Reason::kCount);

std::string_view reason_name(Reason r);
// True for policy refusals ("reject"), false for anomalies.
bool reason_is_rejection(Reason r);

}  // namespace ftpgate
