#include "core/action.h"

#include <algorithm>

namespace ftpgate {

std::string_view session_event_name(SessionEvent e) {
  switch (e) {
    case SessionEvent::kTlsStart: return "tls_start";
    case SessionEvent::kTlsEnd: return "tls_end";
    case SessionEvent::kResume: return "resume";
    case SessionEvent::kPickup: return "pickup";
    case SessionEvent::kClosed: return "closed";
    case SessionEvent::kExpired: return "expired";
    case SessionEvent::kUsed: return "used";
    case SessionEvent::kWithdrawn: return "withdrawn";
  }
  return "?";
}

std::string stream_edit_bytes(StreamEdit::Kind kind, size_t length) {
  std::string out(length, kind == StreamEdit::Kind::kMask ? '*' : ' ');
  // "NOOP" (RFC 959 5.3.1) makes the server answer without doing anything; "421" (service
  // closing) tells the client nothing it could act on. Shorter lines keep what fits.
  const std::string_view head = kind == StreamEdit::Kind::kNeutralCommand ? "NOOP"
                                : kind == StreamEdit::Kind::kNeutralReply ? "421 " : "";
  out.replace(0, std::min(head.size(), length), head.substr(0, std::min(head.size(), length)));
  return out;
}

}  // namespace ftpgate
