#include "core/action.h"

namespace ftpgate {

std::string_view session_event_name(SessionEvent e) {
  switch (e) {
    case SessionEvent::kTlsStart: return "tls_start";
    case SessionEvent::kTlsEnd: return "tls_end";
    case SessionEvent::kResume: return "resume";
    case SessionEvent::kPickup: return "pickup";
    case SessionEvent::kClosed: return "closed";
    case SessionEvent::kExpired: return "expired";
    case SessionEvent::kWithdrawn: return "withdrawn";
  }
  return "?";
}

}  // namespace ftpgate
