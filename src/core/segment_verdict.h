#pragma once
// What the inline guard decides about one segment of a control connection, beside the actions:
// the daemon's packet path carries it out on the wire, replay counts it. The guard's rule is
// that the receiver gets exactly the bytes that were judged, in the order they were judged:
//   drop     a segment that cannot be judged in order while the policy refuses what it cannot
//            judge (out of order: the sender retransmits it once the hole is filled; a copy of
//            bytes no longer kept; a SYN carrying data; no room in the session table)
//   restore  a copy of judged bytes that differs from them (a retransmission or overlap whose
//            first copy the receiver never took) leaves with the judged bytes put back
//   urgent   the URG flag and pointer are cleared: a receiver without SO_OOBINLINE takes the
//            urgent byte out of the stream, so the verb it reads would not be the one judged
#include <cstdint>
#include <string>

#include "core/reason.h"

namespace ftpgate {

struct SegmentVerdict {
  bool drop = false;
  Reason why = Reason::kCount;  // drop: the reason
  bool clear_urgent = false;
  // restore: from payload offset restore_at, these bytes (same length as what they replace).
  uint32_t restore_at = 0;
  std::string restore;
};

}  // namespace ftpgate
