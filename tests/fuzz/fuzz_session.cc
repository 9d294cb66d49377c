// libFuzzer target: a two-sided control connection driven by arbitrary bytes. Each record is
// [flags byte][length byte][payload]: bit 0 of flags = direction, bit 1 = send out of order (a
// sequence offset taken from the next byte), bit 2 = FIN, bit 3 = RST. Small limits make every
// limit path reachable. Invariants: every expectation satisfies the strict policy, and after
// every segment no more expectations are outstanding than policy.max_expectations_total.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "core/engine.h"

using namespace ftpgate;

namespace {
class CheckingSink : public ActionSink {
 public:
  void on_action(const Action& a) override {
    if (a.kind != Action::Kind::kExpect) return;
    const Expectation& e = a.expectation;
    if (e.dport < 1024) std::abort();
    const bool active = e.mode == DataMode::kActive;
    if (!(e.src == (active ? a.flow->server : a.flow->client))) std::abort();
    if (!(e.dst == (active ? a.flow->client : a.flow->server))) std::abort();
  }
};
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  CheckingSink sink;
  Policy p;
  p.max_line_length = 64;
  p.max_out_of_order_bytes = 128;
  p.max_pending_commands = 4;
  p.max_expectations_total = 4;
  Engine engine(p, {21}, sink);
  const IpAddress client = IpAddress::v4(0x0a000102), server = IpAddress::v4(0x0a000202);
  uint32_t seq[2] = {1000, 5000};
  Micros now = 0;
  for (int d = 0; d < 2; ++d) {
    TcpSegment s;
    s.src = d ? server : client;
    s.dst = d ? client : server;
    s.sport = d ? 21 : 40000;
    s.dport = d ? 40000 : 21;
    s.seq = seq[d]++;
    s.ack = seq[1 - d];
    s.flags = d ? (tcp_flags::kSyn | tcp_flags::kAck) : tcp_flags::kSyn;
    engine.on_segment(s, now);
  }
  size_t i = 0;
  while (i + 2 <= size) {
    const uint8_t flags = data[i], len = data[i + 1];
    i += 2;
    int32_t offset = 0;
    if ((flags & 2) && i < size) offset = static_cast<int8_t>(data[i++]);
    const size_t n = std::min<size_t>(len, size - i);
    const int d = flags & 1;
    TcpSegment s;
    s.src = d ? server : client;
    s.dst = d ? client : server;
    s.sport = d ? 21 : 40000;
    s.dport = d ? 40000 : 21;
    s.seq = seq[d] + static_cast<uint32_t>(offset);
    s.ack = seq[1 - d];
    s.flags = tcp_flags::kAck | ((flags & 4) ? tcp_flags::kFin : 0) | ((flags & 8) ? tcp_flags::kRst : 0);
    s.payload = std::string_view(reinterpret_cast<const char*>(data + i), n);
    engine.on_segment(s, now += 1000);
    if (engine.counters().expectations_outstanding > p.max_expectations_total) std::abort();
    if (offset == 0) seq[d] += static_cast<uint32_t>(n);
    i += n;
  }
  engine.expire(now + 3'600'000'000LL);
  if (engine.counters().expectations_outstanding > p.max_expectations_total) std::abort();
  return 0;
}
