#pragma once
// One direction of a control connection, from TCP segments to lines: reassembly (first copy
// wins, 64-bit positions), the bytes a gap lost, and how the bytes are read. After AUTH TLS +
// 234 the direction follows TLS records and reads no lines; it goes back to lines where its
// records end (CCC, or TLS shut down). If the bytes after 234 are no TLS record at all (the
// client never started TLS), it stays opaque until a line that is unambiguously clear-text FTP.
#include <cstdint>
#include <string_view>

#include "core/flow.h"
#include "core/line_assembler.h"
#include "core/policy.h"
#include "core/tcp_reassembler.h"
#include "core/tcp_segment.h"
#include "core/tls_record_follower.h"

namespace ftpgate {

enum class StreamEvent : uint8_t {
  kTlsEnded,  // TLS records stopped; clear text follows (a kResumed comes next)
  kNotTls,    // after 234, bytes that are not a TLS record (detail: the first of them)
  kResumed,   // lines are read again in this direction
};

// What a reader reports while it reads.
class StreamReaderEvents {
 public:
  virtual ~StreamReaderEvents() = default;
  // A line (or a line's lost start, or an over-long line's head: `kind`) whose first byte is
  // at stream position `at`.
  virtual void on_line(Direction dir, std::string_view line, LineKind kind, uint64_t at) = 0;
  virtual void on_stream_event(Direction dir, StreamEvent e, std::string_view detail) = 0;
};

class StreamReader {
 public:
  StreamReader(Direction dir, const Policy& policy)
      : dir_(dir),
        tcp_(policy.max_out_of_order_bytes, policy.max_unacked_bytes),
        lines_(policy.max_line_length) {}

  // Where this segment's data starts (after a SYN's own sequence number). Starts the stream at
  // a SYN, or at the first payload of a connection picked up mid-stream (the kernel's
  // SEQ_PICKUP: that byte starts a line). False while nothing can anchor it (no SYN, no data).
  bool anchor(const TcpSegment& seg, uint32_t& data_seq, bool& picked_up);
  // A SYN that does not continue this stream: a new connection on the same ports.
  bool is_reopened_by(const TcpSegment& syn) const {
    return tcp_.initialized() && tcp_.widen(syn.seq + 1) != tcp_.next();
  }

  // The peer acknowledged up to `ack` (raw): bytes it got that never passed here are skipped.
  // Returns how many (0: none). Then call resync_after_gap().
  uint64_t skip_unseen(uint32_t ack);
  // After a gap: whether the lost bytes ended a line is unknown, so the bytes up to the next LF
  // are the tail of a line, never a line to parse; then what was buffered behind the gap.
  void resync_after_gap(StreamReaderEvents& ev);

  // in_order_only: a segment starting past the next byte is refused, not buffered (the guard).
  ReassemblyReport push(uint32_t data_seq, std::string_view payload, bool in_order_only,
                        StreamReaderEvents& ev);
  // The receiver acknowledged this direction's bytes up to `ack` (raw).
  void acknowledged(uint32_t ack) {
    if (tcp_.initialized()) tcp_.acknowledged(tcp_.widen(ack));
  }
  // The judged bytes of a copy that differs (ReassemblyReport::differs_*): what the receiver
  // must get instead, from stream position `from`; empty when no longer kept.
  std::string_view judged(uint64_t from, size_t length) const { return tcp_.judged(from, length); }
  void note_fin(uint32_t data_seq, size_t payload_length);
  bool fin() const { return fin_; }

  // AUTH TLS accepted (RFC 4217 section 4): from the next byte on, records.
  void start_tls();

  bool initialized() const { return tcp_.initialized(); }
  uint64_t next() const { return tcp_.next(); }
  uint64_t widen(uint32_t raw) const { return tcp_.widen(raw); }
  bool reading_lines() const { return mode_ == Mode::kLines; }
  // The start of a line not yet ended (empty while not reading lines).
  std::string_view partial_line() const { return reading_lines() ? lines_.partial() : std::string_view{}; }

 private:
  enum class Mode : uint8_t { kLines, kTls, kAwaitClear };
  void deliver(std::string_view bytes, StreamReaderEvents& ev);

  Direction dir_;
  TcpReassembler tcp_;
  LineAssembler lines_;
  Mode mode_ = Mode::kLines;
  TlsRecordFollower tls_;
  bool fin_ = false;
  uint64_t fin_at_ = 0;  // widened sequence number of the FIN
};

}  // namespace ftpgate
