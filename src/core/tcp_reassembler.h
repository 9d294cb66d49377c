#pragma once
// One direction of a TCP byte stream, reassembled in order.
//
// Sequence numbers are widened to 64 bits relative to the next expected byte, so a stream that
// wraps at 2^32 keeps counting up. Overlap policy: FIRST COPY WINS. Bytes already delivered, or
// already buffered out of order, are never replaced by a later copy. A later copy that differs
// from a buffered one is reported (overlap_mismatch).
//
// Inline, first-copy-wins is only true if the receiver gets the first copy too. It may not: the
// first copy can be lost after the gateway, or discarded by the receiver (bad checksum, outside
// its window: a zero-window probe), and then the receiver takes whatever copy comes next. So the
// bytes delivered here are KEPT until the receiver acknowledges them (acknowledged()), and a
// later copy of any kept byte is compared with it: push() reports where it differs, and
// judged() hands back the judged bytes so the caller can put them back into the packet before
// it leaves (Suricata's inline mode does the same: the inspected copy is what goes on the wire).
// Kept bytes are bounded (max_unacked_bytes): past it the oldest are forgotten and a copy that
// reaches into them is reported unverifiable.
#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ftpgate {

struct ReassemblyReport {
  uint64_t retransmitted_bytes = 0;
  bool out_of_order_limit = false;  // the segment (or part of it) was dropped from the buffer
  bool overlap_mismatch = false;    // differs from a buffered out-of-order copy
  bool out_of_order_refused = false;  // in_order_only: starts past the next byte, not taken
  // Bytes of this copy below next() that differ from the delivered (judged) ones: from payload
  // offset `differs_from`, `differs_length` bytes (judged() gives what they must be).
  bool differs = false;
  uint32_t differs_from = 0;
  uint32_t differs_length = 0;
  bool unverifiable = false;  // reaches into delivered bytes no longer kept (max_unacked_bytes)
};

class TcpReassembler {
 public:
  TcpReassembler(uint32_t max_out_of_order_bytes, uint32_t max_unacked_bytes)
      : max_ooo_(max_out_of_order_bytes), max_kept_(max_unacked_bytes) {}

  bool initialized() const { return initialized_; }
  // The first byte of the stream is at `seq` (SYN seq + 1, or the first payload seen on pickup).
  void start_at(uint32_t seq);
  uint64_t next() const { return next_; }
  uint64_t widen(uint32_t raw) const;
  size_t buffered_bytes() const { return ooo_bytes_; }

  // Accepts a segment; calls deliver(std::string_view) for each run of bytes that became
  // contiguous, in stream order. With in_order_only, a segment that starts past the next byte
  // is not taken at all (out_of_order_refused): the caller drops it and the sender retransmits
  // it once the hole is filled, so nothing reaches the receiver before it was judged in order.
  template <class Deliver>
  ReassemblyReport push(uint32_t seq, std::string_view payload, bool in_order_only,
                        Deliver&& deliver) {
    ReassemblyReport report;
    uint64_t start = widen(seq);
    if (start < next_) {
      const uint64_t old = std::min<uint64_t>(next_ - start, payload.size());
      report.retransmitted_bytes = old;
      compare_with_kept(start, payload.substr(0, old), report);
      if (old == payload.size()) return report;
      payload.remove_prefix(old);
      start = next_;
    }
    if (in_order_only && report.unverifiable) return report;  // not taken: the caller drops it
    if (start > next_) {
      if (in_order_only) {
        report.out_of_order_refused = true;
        return report;
      }
      buffer(start, payload, report);
      return report;
    }
    take(payload, deliver);
    drain(deliver, report);
    return report;
  }

  // The receiver acknowledged every byte before `acked` (widened): those need not be kept.
  void acknowledged(uint64_t acked);
  // The judged (delivered) bytes from stream position `from`, `length` of them; empty when they
  // are not all kept.
  std::string_view judged(uint64_t from, size_t length) const;
  size_t kept_bytes() const { return kept_.size(); }

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
      take(view, deliver);
    }
  }

  // Delivers in-order bytes and keeps a copy until the receiver acknowledges them.
  template <class Deliver>
  void take(std::string_view bytes, Deliver& deliver) {
    keep(bytes);
    next_ += bytes.size();
    deliver(bytes);
  }
  void keep(std::string_view bytes);
  void compare_with_kept(uint64_t start, std::string_view old_copy, ReassemblyReport& report) const;
  void buffer(uint64_t start, std::string_view payload, ReassemblyReport& report);

  uint32_t max_ooo_;
  uint32_t max_kept_;
  bool initialized_ = false;
  uint64_t next_ = 0;
  uint64_t first_ = 0;  // the stream's first byte (start_at)
  // Delivered bytes not yet acknowledged: kept_[0] is at stream position next_ - kept_.size().
  std::string kept_;
  uint64_t forgotten_until_ = 0;  // kept bytes before this were dropped unacknowledged (bound)
  size_t ooo_bytes_ = 0;
  std::vector<Pending> pending_;  // sorted by seq, non-overlapping
};

}  // namespace ftpgate
