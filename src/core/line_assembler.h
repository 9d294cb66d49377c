#pragma once
// Splits one direction of the reassembled control stream into lines. A line ends at LF; a CR
// right before it is removed ("PORT ...\r\n" and "PORT ...\n" give the same line; RFC 959 says
// CRLF, real clients sometimes send bare LF). The parser only ever sees complete lines.
//
// A line longer than max_length is reported once, truncated, as kTooLong, and the rest of it up
// to the next LF is discarded: the tail of an over-long line is never taken for a new line.
// After resync() (a gap in the stream) the bytes up to the next LF are the tail of a line whose
// start was never seen: they are reported as kTailAfterGap, never as a line to parse.
//
// Positions: the caller says where in the stream the bytes it feeds begin (seek), and during
// on_line line_start() is the stream position of the line's first byte, so a NAT rewrite can
// find the packet that carried each byte of it.
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace ftpgate {

enum class LineKind : uint8_t {
  kWhole,         // a complete line
  kTooLong,       // the first max_length bytes of a longer line (its tail is skipped)
  kTailAfterGap,  // the end of a line whose start was lost in a gap: known to be one line only
};

class LineAssembler {
 public:
  explicit LineAssembler(uint32_t max_length) : max_(max_length) {}

  // Calls on_line(std::string_view line, LineKind kind) -> bool for each line completed by
  // `bytes`. When on_line returns false, stops and returns how many bytes of `bytes` were used
  // (the rest belongs to whatever the caller switches to, e.g. TLS records).
  template <class OnLine>
  size_t feed(std::string_view bytes, OnLine&& on_line) {
    const size_t total = bytes.size();
    const uint64_t first = position_;
    while (!bytes.empty()) {
      const uint64_t at = first + (total - bytes.size());
      if (!discarding_ && partial_.empty()) line_start_ = at;
      const void* nl = std::memchr(bytes.data(), '\n', bytes.size());
      if (nl == nullptr) {
        if (!discarding_) keep_partial(bytes, on_line);
        return total;
      }
      const size_t n = static_cast<size_t>(static_cast<const char*>(nl) - bytes.data());
      std::string_view chunk = bytes.substr(0, n);
      bytes.remove_prefix(n + 1);
      if (discarding_) {
        discarding_ = false;
        if (after_gap_) {
          after_gap_ = false;
          if (!on_line(std::string_view{}, LineKind::kTailAfterGap)) return total - bytes.size();
        }
        continue;
      }
      std::string_view line = chunk;
      if (!partial_.empty()) {
        partial_.append(chunk);
        line = partial_;
      }
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      bool go_on;
      if (line.size() > max_) {
        go_on = on_line(line.substr(0, max_), LineKind::kTooLong);
      } else {
        go_on = on_line(line, LineKind::kWhole);
      }
      clear_partial();
      if (!go_on) return total - bytes.size();
    }
    return total;
  }

  // The stream position of the first byte of the next feed() (the caller knows it: the
  // reassembler's next byte minus what it delivers).
  void seek(uint64_t position) { position_ = position; }
  // The stream position of the first byte of the line being reported (during on_line).
  uint64_t line_start() const { return line_start_; }

  // Forget the partial line and skip to the next LF (after a gap in the stream).
  void resync() {
    clear_partial();
    discarding_ = true;
    after_gap_ = true;
  }
  // Forget everything; the next byte starts a line.
  void reset() {
    clear_partial();
    discarding_ = false;
    after_gap_ = false;
  }
  size_t buffered() const { return partial_.size(); }
  // The start of a line not yet ended by LF (empty while discarding an over-long line's tail).
  std::string_view partial() const { return discarding_ ? std::string_view{} : std::string_view(partial_); }
  size_t capacity() const { return partial_.capacity(); }

 private:
  template <class OnLine>
  void keep_partial(std::string_view bytes, OnLine& on_line) {
    // One byte of room for the CR of a line of exactly max_length split before its LF.
    if (partial_.size() + bytes.size() > size_t{max_} + 1) {
      if (partial_.size() < max_) partial_.append(bytes.substr(0, max_ - partial_.size()));
      partial_.resize(max_);
      on_line(std::string_view(partial_), LineKind::kTooLong);
      clear_partial();
      discarding_ = true;
      return;
    }
    partial_.append(bytes);
  }
  void clear_partial() {
    partial_.clear();
    // An idle session keeps at most a small buffer (memory per tracked session).
    if (partial_.capacity() > 256) std::string().swap(partial_);
  }

  uint32_t max_;
  uint64_t position_ = 0;
  uint64_t line_start_ = 0;
  bool discarding_ = false;
  bool after_gap_ = false;  // the bytes being discarded follow a gap (resync)
  std::string partial_;
};

}  // namespace ftpgate
