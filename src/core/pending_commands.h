#pragma once
// The commands a client has sent that the server has not answered yet, oldest first. FTP answers
// commands in order (RFC 959 section 4.2), so each final reply (2xx-5xx) answers the oldest one:
// this is how a 227 is matched to its PASV even when the client pipelines "TYPE I", "PASV".
#include <array>
#include <cstdint>

#include "core/control_line.h"

namespace ftpgate {

class PendingCommands {
 public:
  static constexpr uint32_t kCapacity = 64;  // hard ceiling for policy.max_pending_commands

  // False when `limit` commands are already pending (the command is not remembered).
  bool push(Verb v, uint32_t limit) {
    if (count_ >= limit || count_ >= kCapacity) return false;
    ring_[(head_ + count_) % kCapacity] = v;
    ++count_;
    if (is_active_offer(v)) ++active_offers_;
    if (is_passive_request(v)) ++passive_requests_;
    return true;
  }
  // The command a final reply answers; kOther with empty() when nothing is pending (greeting,
  // or a session picked up mid-stream).
  Verb pop() {
    if (count_ == 0) return Verb::kOther;
    Verb v = ring_[head_];
    head_ = static_cast<uint8_t>((head_ + 1) % kCapacity);
    --count_;
    if (is_active_offer(v)) --active_offers_;
    if (is_passive_request(v)) --passive_requests_;
    return v;
  }
  // The command a preliminary reply (1xx) is about; kOther when nothing is pending.
  Verb oldest() const { return count_ == 0 ? Verb::kOther : ring_[head_]; }
  bool empty() const { return count_ == 0; }
  uint32_t size() const { return count_; }
  // A PORT/EPRT/LPRT is waiting for its reply (kept as a count: checked on every PORT).
  bool contains_active_offer() const { return active_offers_ != 0; }
  // A PASV/EPSV/LPSV is waiting for its reply.
  bool contains_passive() const { return passive_requests_ != 0; }
  void clear() { head_ = count_ = active_offers_ = passive_requests_ = 0; }

 private:
  std::array<Verb, kCapacity> ring_{};
  uint8_t head_ = 0;
  uint8_t count_ = 0;
  uint8_t active_offers_ = 0;
  uint8_t passive_requests_ = 0;

  static bool is_passive_request(Verb v) { return v == Verb::kPasv || v == Verb::kEpsv || v == Verb::kLpsv; }
};

}  // namespace ftpgate
