#include "core/tcp_reassembler.h"

#include <algorithm>

namespace ftpgate {

// Start in the middle of the 64-bit space so a stream may also be widened backwards a little
// (an old retransmission from before the pickup point).
static constexpr uint64_t kOrigin = uint64_t{1} << 40;

void TcpReassembler::start_at(uint32_t seq) {
  initialized_ = true;
  next_ = kOrigin + seq;
  pending_.clear();
  ooo_bytes_ = 0;
}

uint64_t TcpReassembler::widen(uint32_t raw) const {
  // The distance from the next expected byte, taken modulo 2^32 as a signed 32-bit value.
  const auto delta = static_cast<int32_t>(raw - static_cast<uint32_t>(next_));
  return static_cast<uint64_t>(static_cast<int64_t>(next_) + delta);
}

uint64_t TcpReassembler::skip_gap(uint64_t acked) {
  if (!initialized_ || acked <= next_) return 0;
  // Do not skip over bytes we hold: the hole ends where buffered data starts.
  uint64_t target = acked;
  if (!pending_.empty()) target = std::min(target, pending_.front().seq);
  if (target <= next_) return 0;
  const uint64_t skipped = target - next_;
  next_ = target;
  return skipped;
}

void TcpReassembler::buffer(uint64_t start, std::string_view payload, ReassemblyReport& report) {
  // Insert only the bytes no buffered segment covers yet (first copy wins); compare the rest.
  uint64_t pos = start;
  const uint64_t end = start + payload.size();
  auto it = std::lower_bound(pending_.begin(), pending_.end(), pos,
                             [](const Pending& p, uint64_t s) { return p.seq + p.bytes.size() <= s; });
  while (pos < end) {
    uint64_t gap_end = end;
    if (it != pending_.end() && it->seq <= pos) {
      // Overlap with a buffered segment: compare, keep the buffered bytes.
      const uint64_t ov_end = std::min(end, it->seq + it->bytes.size());
      std::string_view old_bytes(it->bytes);
      old_bytes = old_bytes.substr(pos - it->seq, ov_end - pos);
      if (old_bytes != payload.substr(pos - start, ov_end - pos)) report.overlap_mismatch = true;
      report.retransmitted_bytes += ov_end - pos;
      pos = ov_end;
      ++it;
      continue;
    }
    if (it != pending_.end()) gap_end = std::min(end, it->seq);
    const uint64_t len = gap_end - pos;
    if (ooo_bytes_ + len > max_ooo_) {
      report.out_of_order_limit = true;
      return;  // a retransmission will bring these bytes again
    }
    it = pending_.insert(it, Pending{pos, std::string(payload.substr(pos - start, len))});
    ooo_bytes_ += len;
    ++it;
    pos = gap_end;
  }
}

}  // namespace ftpgate
