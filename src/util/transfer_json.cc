#include "util/transfer_json.h"

#include <algorithm>

#include "util/decision_json.h"

namespace ftpgate {
void write_transfer_json(JsonObject& o, const TransferRecord& r, int64_t to_epoch) {
  o.str("event", "transfer").fixed6("ts", r.requested + to_epoch);
  o.open("control")
      .str("client", r.control.client.to_string())
      .num("client_port", r.control.client_port)
      .str("server", r.control.server.to_string())
      .num("server_port", r.control.server_port)
      .end();
  if (!r.user.empty()) o.str("user", r.user);
  o.str("command", r.command).str("argument", r.argument.substr(0, kMaxDecisionLine));
  o.str("direction", transfer_kind_name(r.kind));
  if (r.expected) {
    o.str("mode", r.expectation.mode == DataMode::kActive ? "active" : "passive");
    o.open("data")
        .str("src", r.expectation.src.to_string())
        .str("dst", r.expectation.dst.to_string())
        .num("dport", r.expectation.dport)
        .end();
  } else {
    o.number_text("data", "null");
  }
  const DataConnectionSeen& d = r.data;
  if (d.seen) {
    o.open("data_connection")
        .str("opener", address_port_text(d.opener, d.opener_port))
        .str("acceptor", address_port_text(d.acceptor, d.acceptor_port))
        .str("end", d.reset ? "reset" : d.ended() ? "fin" : "open")
        .end();
  } else {
    o.number_text("data_connection", "null");
  }
  auto bytes = [&](std::string_view key, std::optional<uint64_t> n) {
    if (n) o.num(key, *n);
    else o.number_text(key, "null");
  };
  bytes("bytes_to_server", r.bytes_to_server());
  bytes("bytes_to_client", r.bytes_to_client());
  if (r.announced_size) o.num("announced_size", *r.announced_size);
  const Micros end = d.seen && d.closed != 0 ? std::max(d.closed, r.answered) : r.answered;
  o.fixed6("duration", std::max<Micros>(0, end - r.requested));
  o.num("reply", r.reply_code).str("reply_text", r.reply_text.substr(0, kMaxDecisionLine));
}

}  // namespace ftpgate
