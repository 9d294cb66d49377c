#pragma once
// One direction of a TCP byte stream, reassembled in order.
//
// Sequence numbers are widened to 64 bits relative to the next expected byte, so a stream that
// wraps at 2^32 keeps counting up. Overlap policy: FIRST COPY WINS. Bytes already delivered, or
// already buffered out of order, are never replaced by a later copy (this is also what the Linux
// receiver does: it trims a retransmission against data it already queued). A later copy that
// differs from a buffered one is reported (overlap_mismatch).
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ftpgate {

struct ReassemblyReport {
  uint64_t retransmitted_bytes = 0;
  bool out_of_order_limit = false;  // the segment (or part of it) was dropped from the buffer
  bool overlap_mismatch = false;
};

class TcpReassembler {
 public:
  explicit TcpReassembler(uint32_t max_out_of_order_bytes) : max_ooo_(max_out_of_order_bytes) {}

  bool initialized() const { return initialized_; }
  // The first byte of the stream is at `seq` (SYN seq + 1, or the first payload seen on pickup).
  void start_at(uint32_t seq);
  uint64_t next() const { return next_; }
  uint64_t widen(uint32_t raw) const;
  size_t buffered_bytes() const { return ooo_bytes_; }

  // Accepts a segment; calls deliver(std::string_view) for each run of bytes that became
  // contiguous, in stream order.
  template <class Deliver>
  ReassemblyReport push(uint32_t seq, std::string_view payload, Deliver&& deliver) {
    ReassemblyReport report;
    uint64_t start = widen(seq);
    if (start + payload.size() <= next_) {
      report.retransmitted_bytes = payload.size();
      return report;
    }
    if (start < next_) {
      const uint64_t skip = next_ - start;
      report.retransmitted_bytes = skip;
      payload.remove_prefix(skip);
      start = next_;
    }
    if (start > next_) {
      buffer(start, payload, report);
      return report;
    }
    next_ += payload.size();
    deliver(payload);
    drain(deliver, report);
    return report;
  }

  // The peer acknowledged bytes up to `acked` (widened) that never passed here: the capture lost
  // them or they bypassed the gateway. Moves past the hole (never past buffered bytes) and
  // returns how many bytes it skipped (0: nothing to skip). The caller must resynchronise its
  // line assembler, then call drain().
  uint64_t skip_gap(uint64_t acked);

  template <class Deliver>
  void drain(Deliver&& deliver) {
    ReassemblyReport ignored;
    drain(deliver, ignored);
  }

 private:
  struct Pending {
    uint64_t seq;
    std::string bytes;
  };

  template <class Deliver>
  void drain(Deliver&& deliver, ReassemblyReport& report) {
    while (!pending_.empty() && pending_.front().seq <= next_) {
      Pending p = std::move(pending_.front());
      pending_.erase(pending_.begin());
      ooo_bytes_ -= p.bytes.size();
      const uint64_t end = p.seq + p.bytes.size();
      if (end <= next_) {
        report.retransmitted_bytes += p.bytes.size();
        continue;
      }
      std::string_view view(p.bytes);
      view.remove_prefix(next_ - p.seq);
      next_ = end;
      deliver(view);
    }
  }

  void buffer(uint64_t start, std::string_view payload, ReassemblyReport& report);

  uint32_t max_ooo_;
  bool initialized_ = false;
  uint64_t next_ = 0;
  size_t ooo_bytes_ = 0;
  std::vector<Pending> pending_;  // sorted by seq, non-overlapping
};

}  // namespace ftpgate
