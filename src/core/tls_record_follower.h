#pragma once
// Follows one direction of a control channel after AUTH TLS + 234 as a sequence of TLS records,
// without decrypting anything (RFC 8446 section 5.1, RFC 5246 section 6.2):
//
//   struct { uint8 type; uint16 legacy_version; uint16 length; opaque fragment[length]; }
//   type: 20 change_cipher_spec, 21 alert, 22 handshake, 23 application_data, 24 heartbeat
//
// Record bodies are skipped by their length, so text inside a record ("PORT ..." in a
// certificate, say) is never seen by the parser. TLS ends where a record boundary holds a byte
// that cannot start a record: after CCC (RFC 4217 section 12.3) both sides send close_notify
// (visible as an alert record up to TLS 1.2, hidden inside application_data in TLS 1.3) and go on
// in clear text.
#include <cstdint>
#include <string_view>

namespace ftpgate {

class TlsRecordFollower {
 public:
  enum class Status : uint8_t {
    kInTls,   // every byte given was part of TLS records
    kEnded,   // records were seen, then clear text starts at `consumed`
    kNotTls,  // the very first bytes are not a TLS record (AUTH answered but TLS never started)
  };
  struct Outcome {
    Status status;
    size_t consumed;  // bytes of the input that belong to TLS
  };

  Outcome feed(std::string_view bytes);
  uint64_t records() const { return records_; }
  bool saw_alert() const { return saw_alert_; }

  // Largest record length accepted: 2^14 plaintext + 2048 expansion (RFC 5246 6.2.3).
  static constexpr uint32_t kMaxRecordLength = 16384 + 2048;

 private:
  uint8_t header_[5] = {};
  uint8_t header_len_ = 0;
  uint32_t body_left_ = 0;
  uint64_t records_ = 0;
  bool saw_alert_ = false;
};

}  // namespace ftpgate
