#include "core/action.h"

namespace ftpgate {

std::string_view announcement_name(Announcement a) {
  switch (a) {
    case Announcement::kPort: return "PORT";
    case Announcement::kEprt: return "EPRT";
    case Announcement::kLprt: return "LPRT";
    case Announcement::k227: return "227";
    case Announcement::k228: return "228";
    case Announcement::k229: return "229";
  }
  return "?";
}

std::string_view session_event_name(SessionEvent e) {
  switch (e) {
    case SessionEvent::kTlsStart: return "tls_start";
    case SessionEvent::kTlsEnd: return "tls_end";
    case SessionEvent::kResume: return "resume";
    case SessionEvent::kPickup: return "pickup";
    case SessionEvent::kClosed: return "closed";
    case SessionEvent::kExpired: return "expired";
  }
  return "?";
}

}  // namespace ftpgate
