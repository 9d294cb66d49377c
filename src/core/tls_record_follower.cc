#include "core/tls_record_follower.h"

#include <algorithm>

namespace ftpgate {
namespace {
bool can_start_record(uint8_t b) { return b >= 20 && b <= 24; }
}  // namespace

TlsRecordFollower::Outcome TlsRecordFollower::feed(std::string_view bytes) {
  size_t i = 0;
  while (i < bytes.size()) {
    if (body_left_ > 0) {
      const size_t skip = std::min<size_t>(body_left_, bytes.size() - i);
      body_left_ -= static_cast<uint32_t>(skip);
      i += skip;
      continue;
    }
    const auto b = static_cast<uint8_t>(bytes[i]);
    if (header_len_ == 0 && !can_start_record(b))
      return {records_ > 0 ? Status::kEnded : Status::kNotTls, i};
    header_[header_len_++] = b;
    ++i;
    if (header_len_ < 5) continue;
    header_len_ = 0;
    const uint32_t length = uint32_t{header_[3]} << 8 | header_[4];
    // legacy_version is 3.x (SSL 3.0 .. TLS 1.3 all say 3,1..3,4 on the wire).
    if (header_[1] != 3 || header_[2] > 4 || length == 0 || length > kMaxRecordLength)
      return {records_ > 0 ? Status::kEnded : Status::kNotTls, i};
    body_left_ = length;
    ++records_;
    if (header_[0] == 21) saw_alert_ = true;
  }
  return {Status::kInTls, i};
}

}  // namespace ftpgate
