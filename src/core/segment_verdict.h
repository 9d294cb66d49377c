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
// Why drop and not hold an out-of-order segment (as Cisco's normalizer queues 3): a held
// packet's bytes would be judged later, from the buffered copy, and whichever copy the receiver
// ends up with (Linux's out-of-order queue keeps a later, longer one) must then be proven equal;
// dropping keeps one rule, "only in-order bytes pass", at the price of one retransmission on a
// control channel that rarely reorders. Why restore and not drop a differing copy: the sender
// retransmits the same bytes forever, so dropping would stall an honest connection whose first
// copy was damaged on the way; putting the judged bytes back makes every copy agree.
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
