#include "core/tls_record_follower.h"

#include <gtest/gtest.h>

#include <string>

namespace ftpgate {
namespace {

// A TLS record: type, version 3.3, length, body.
std::string record(uint8_t type, const std::string& body) {
  std::string r;
  r += static_cast<char>(type);
  r += '\x03';
  r += '\x03';
  r += static_cast<char>(body.size() >> 8);
  r += static_cast<char>(body.size() & 0xff);
  return r + body;
}

using Status = TlsRecordFollower::Status;

TEST(TlsRecordFollower, SkipsRecordBodiesWhateverTheyContain) {
  TlsRecordFollower f;
  const std::string s = record(22, "PORT 10,0,1,2,4,1\r\n") + record(23, std::string(300, 'x'));
  const auto out = f.feed(s);
  EXPECT_EQ(out.status, Status::kInTls);
  EXPECT_EQ(out.consumed, s.size());
  EXPECT_EQ(f.records(), 2u);
}

TEST(TlsRecordFollower, EveryByteSplitGivesTheSameResult) {
  const std::string tls = record(22, "hello") + record(21, "\x01\x00") ;
  const std::string s = tls + "PASV\r\n";
  for (size_t cut = 0; cut <= s.size(); ++cut) {
    TlsRecordFollower f;
    auto a = f.feed(std::string_view(s).substr(0, cut));
    size_t consumed = a.consumed;
    if (a.status == Status::kInTls) {
      auto b = f.feed(std::string_view(s).substr(cut));
      consumed += b.consumed;
      EXPECT_EQ(b.status, Status::kEnded) << cut;
    } else {
      EXPECT_EQ(a.status, Status::kEnded) << cut;
    }
    EXPECT_EQ(consumed, tls.size()) << cut;
    EXPECT_TRUE(f.saw_alert());
  }
}

TEST(TlsRecordFollower, ClearTextRightAwayIsNotTls) {
  TlsRecordFollower f;
  const auto out = f.feed("USER anonymous\r\n");
  EXPECT_EQ(out.status, Status::kNotTls);
  EXPECT_EQ(out.consumed, 0u);
}

TEST(TlsRecordFollower, BadHeadersEndTls) {
  TlsRecordFollower f;
  EXPECT_EQ(f.feed(std::string("\x16\x09\x01\x00\x05", 5)).status, Status::kNotTls);  // version 9
  TlsRecordFollower g;
  EXPECT_EQ(g.feed(std::string("\x17\x03\x03\xff\xff", 5)).status, Status::kNotTls);  // too long
  TlsRecordFollower h;
  EXPECT_EQ(h.feed(std::string("\x17\x03\x03\x00\x00", 5)).status, Status::kNotTls);  // empty
}

}  // namespace
}  // namespace ftpgate
