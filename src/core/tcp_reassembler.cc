#include "core/tcp_reassembler.h"

#include <algorithm>

namespace ftpgate {

// Start in the middle of the 64-bit space so a stream may also be widened backwards a little
// (an old retransmission from before the pickup point).
static constexpr uint64_t kOrigin = uint64_t{1} << 40;

void TcpReassembler::start_at(uint32_t seq) {
  initialized_ = true;
  next_ = kOrigin + seq;
  first_ = next_;
  pending_.clear();
  ooo_bytes_ = 0;
  kept_.clear();
  forgotten_until_ = 0;
}

void TcpReassembler::keep(std::string_view bytes) {
  // Called before next_ moves past `bytes`: kept_ ends at next_.
  if (max_kept_ == 0) return;
  if (bytes.size() >= max_kept_) {
    forgotten_until_ = next_ + bytes.size() - max_kept_;
    kept_.assign(bytes.substr(bytes.size() - max_kept_));
    return;
  }
  const size_t room = max_kept_ - bytes.size();
  if (kept_.size() > room) {  // the oldest are forgotten before the receiver acknowledged them
    const size_t n = kept_.size() - room;
    forgotten_until_ = next_ - kept_.size() + n;
    kept_.erase(0, n);
  }
  kept_.append(bytes);
}

void TcpReassembler::acknowledged(uint64_t acked) {
  if (acked >= forgotten_until_) forgotten_until_ = 0;
  if (!initialized_ || kept_.empty()) return;
  const uint64_t kept_from = next_ - kept_.size();
  if (acked <= kept_from) return;
  if (acked >= next_) {
    kept_.clear();
    // An idle session keeps at most a small buffer (memory per tracked session).
    if (kept_.capacity() > 256) std::string().swap(kept_);
    return;
  }
  kept_.erase(0, static_cast<size_t>(acked - kept_from));
}

std::string_view TcpReassembler::judged(uint64_t from, size_t length) const {
  const uint64_t kept_from = next_ - kept_.size();
  if (from < kept_from || from + length > next_) return {};
  return std::string_view(kept_).substr(static_cast<size_t>(from - kept_from), length);
}

void TcpReassembler::compare_with_kept(uint64_t start, std::string_view old_copy,
                                       ReassemblyReport& report) const {
  // Bytes before the kept ones were acknowledged by the receiver: it has them and drops this
  // copy of them (the Linux receiver trims a segment to rcv_nxt), so they need no check.
  // Kept bytes start where the last acknowledgement was seen, or where the bound (or a gap)
  // cut them: a copy reaching into bytes forgotten unacknowledged cannot be checked.
  // Bytes before the stream's first one were never part of it (the old connection of a reused
  // port, or older than a pickup): nothing says what the receiver made of them.
  if (start < forgotten_until_ || start < first_) report.unverifiable = true;
  const uint64_t kept_from = next_ - kept_.size();
  const uint64_t end = start + old_copy.size();
  if (end <= kept_from) return;
  const uint64_t from = std::max(start, kept_from);
  const std::string_view mine = old_copy.substr(static_cast<size_t>(from - start));
  const std::string_view kept = std::string_view(kept_).substr(static_cast<size_t>(from - kept_from), mine.size());
  size_t first = 0;
  while (first < mine.size() && mine[first] == kept[first]) ++first;
  if (first == mine.size()) return;
  size_t last = mine.size();
  while (last > first && mine[last - 1] == kept[last - 1]) --last;
  report.differs = true;
  report.differs_from = static_cast<uint32_t>(from - start + first);
  report.differs_length = static_cast<uint32_t>(last - first);
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
  // The hole was never judged: no copy of it can be checked.
  kept_.clear();
  forgotten_until_ = target;
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
