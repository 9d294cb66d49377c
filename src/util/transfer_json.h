#pragma once
// The one JSON form of a transfer record (core/transfer_watch.h), written by the daemon's audit
// log and by `ftpgate replay --audit` alike:
//   {"event":"transfer","ts":1795428406.766150,"control":{...},"user":"alice","command":"RETR",
//    "argument":"report.pdf","direction":"download","mode":"passive",
//    "data":{"src":"198.51.100.2","dst":"203.0.113.2","dport":50001},
//    "data_connection":{"opener":"198.51.100.2:41234","acceptor":"203.0.113.2:50001",
//                       "end":"fin"},
//    "bytes_to_server":0,"bytes_to_client":65536,"duration":0.004211,
//    "reply":226,"reply_text":"Transfer complete."}
// "ts" is when the command was sent; "duration" runs from there to the reply or the end of the
// data connection, whichever came later. A byte count is null where it is unknown (that side's
// FIN or RST was not seen), "announced_size" the server's "(N bytes)" where it gave one.
// "data" (the admitted endpoint) and
// "data_connection" (what came) are null when there was none; "end" is fin, reset or open.
#include <cstdint>

#include "core/transfer_watch.h"
#include "util/json_writer.h"

namespace ftpgate {

// `to_epoch` turns the record's clock (capture time: 0; the daemon's monotonic clock: the
// difference to wall-clock time) into microseconds since the epoch.
void write_transfer_json(JsonObject& o, const TransferRecord& r, int64_t to_epoch);

}  // namespace ftpgate
