#pragma once
// The one JSON form of a decision, written by `ftpgate replay` and by the daemon's
// --log-format json alike, so a capture replayed and the same traffic through the daemon give
// the same lines but for what only the daemon knows (result, detail, nat) and the clock:
//   {"event":"expect","ts":...,"mode":"active","cmd":"PORT","control":{...},"user":"alice",
//    "line":"PORT 198,51,100,2,195,80","data":{"src":...,"dst":...,"dport":50000}, ...}
//   {"event":"reject","ts":...,"control":{...},"user":...,"reason":"bounce_address",
//    "direction":"to_server","line":"PORT 10,0,0,9,4,1"}
//   {"event":"tls_end","ts":...,"control":{...},"direction":"to_client"}
// "user" is present once a USER was seen. The caller adds its own fields, then closes.
#include <cstddef>
#include <cstdint>

#include "core/action.h"
#include "util/json_writer.h"

namespace ftpgate {

// Longest control line written into a decision; the rest is cut.
inline constexpr size_t kMaxDecisionLine = 200;

// Writes the decision's fields into the open object `o`; `ts_micros` is the time to state
// (capture time in replay, wall-clock time in the daemon).
void write_decision_json(JsonObject& o, const Action& a, int64_t ts_micros);
// "to_server" / "to_client"
std::string_view direction_name(Direction d);

}  // namespace ftpgate
