#include "core/reason.h"

#include <array>

namespace ftpgate {
namespace {
constexpr std::array<std::string_view, kReasonCount> kNames = {
    "bounce_address",
    "privileged_port",
    "unsolicited_reply",
    "reply_from_client",
    "command_from_server",
    "ipv4_tuple_on_ipv6",
    "family_mismatch",
    "port_unanswered",
    "expectation_table_full",
    "malformed_port",
    "malformed_eprt",
    "malformed_lprt",
    "malformed_227",
    "malformed_228",
    "malformed_229",
    "out_of_range",
    "unsupported_family",
    "nul_in_line",
    "line_too_long",
    "out_of_order_limit",
    "stream_gap",
    "overlap_mismatch",
    "pending_command_limit",
    "session_table_full",
    "tls_not_tls",
    "reports_suppressed",
};
}  // namespace

std::string_view reason_name(Reason r) {
  auto i = static_cast<size_t>(r);
  return i < kNames.size() ? kNames[i] : "unknown";
}

bool reason_is_rejection(Reason r) { return r <= Reason::kExpectationTableFull; }

}  // namespace ftpgate
