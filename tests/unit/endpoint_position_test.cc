// Where an announced endpoint's text lies in the TCP stream (Expectation::text_seq/length and
// Action::endpoint_text): what a NAT rewrite replaces.
#include <gtest/gtest.h>

#include "test_support.h"

namespace ftpgate {
namespace {

using testing::Conversation;
using testing::Recorded;
using testing::RecordingSink;

struct Fixture {
  RecordingSink sink;
  Engine engine{Policy{}, {21}, sink};
  // Client ISN 1000: its first byte is 1001. Server ISN 5000: 5001.
  Conversation c{engine, "198.51.100.2", "203.0.113.2"};
  // The one expectation the conversation produced (an empty record if not exactly one).
  Recorded only_expect() {
    const auto e = sink.of(Action::Kind::kExpect);
    EXPECT_EQ(e.size(), 1u);
    return e.size() == 1 ? e.front() : Recorded{};
  }
};

TEST(EndpointPosition, PortInOneSegment) {
  Fixture f;
  f.c.server("220 ready\r\n");
  f.c.client("USER a\r\n");                      // 1001..1008
  f.c.client("PORT 198,51,100,2,195,80\r\n");    // starts at 1009; text at 1014
  const Recorded r = f.only_expect();
  EXPECT_EQ(r.endpoint_text, "198,51,100,2,195,80");
  EXPECT_EQ(r.expectation.text_seq, 1014u);
  EXPECT_EQ(r.expectation.text_length, 19u);
}

TEST(EndpointPosition, PortSplitAcrossSegments) {
  Fixture f;
  f.c.client("PO");
  f.c.client("RT 198,5");
  f.c.client("1,100,2,195,80\r\n");
  const Recorded r = f.only_expect();
  EXPECT_EQ(r.endpoint_text, "198,51,100,2,195,80");
  EXPECT_EQ(r.expectation.text_seq, 1006u);
}

TEST(EndpointPosition, EprtKeepsItsDelimitersInTheText) {
  Fixture f;
  f.c.client("EPRT !1!198.51.100.2!50000!\r\n");
  const Recorded r = f.only_expect();
  EXPECT_EQ(r.endpoint_text, "!1!198.51.100.2!50000!");
  EXPECT_EQ(r.expectation.text_seq, 1006u);
}

TEST(EndpointPosition, PassiveRepliesSingleAndMultiLine) {
  Fixture f;
  f.c.server("220 ready\r\n");  // 5001..5011
  f.c.client("PASV\r\n");
  f.c.server("227 Entering Passive Mode (203,0,113,2,195,80).\r\n");  // text at 5012 + 27
  const Recorded r = f.only_expect();
  EXPECT_EQ(r.endpoint_text, "203,0,113,2,195,80");
  EXPECT_EQ(r.expectation.text_seq, 5039u);

  RecordingSink sink2;
  Engine e2{Policy{}, {21}, sink2};
  Conversation c2{e2, "198.51.100.2", "203.0.113.2"};
  c2.client("PASV\r\n");
  c2.server("227-Entering Passive Mode\r\n");       // 5001..5027
  c2.server(" (203,0,113,2,195,80)\r\n");           // text at 5028 + 2
  c2.server("227 OK\r\n");
  const auto x = sink2.of(Action::Kind::kExpect);
  ASSERT_EQ(x.size(), 1u);
  EXPECT_EQ(x[0].endpoint_text, "203,0,113,2,195,80");
  EXPECT_EQ(x[0].expectation.text_seq, 5030u);
}

TEST(EndpointPosition, EpsvPortOnly) {
  Fixture f;
  f.c.client("EPSV\r\n");
  f.c.server("229 Extended Passive Mode (|||50000|)\r\n");
  const Recorded r = f.only_expect();
  EXPECT_EQ(r.endpoint_text, "50000");
  EXPECT_EQ(r.expectation.text_seq, 5001u + 30u);  // "229 Extended Passive Mode (|||" is 30 bytes
}

TEST(EndpointPosition, UnfinishedLinesThatMayAnnounce) {
  Fixture f;
  const ControlFlow flow{testing::ip("198.51.100.2"), testing::ip("203.0.113.2"), 40000, 21};
  auto open = [&](Direction d) { return f.engine.find(flow)->partial_line_may_announce(d); };
  f.c.client("US");
  EXPECT_FALSE(open(Direction::kToServer));
  f.c.client("ER a\r\n");
  f.c.client("P");
  EXPECT_TRUE(open(Direction::kToServer));  // may become PORT
  f.c.client("ASV\r\n");
  EXPECT_FALSE(open(Direction::kToServer));
  f.c.client("eprt |1|198.5");
  EXPECT_TRUE(open(Direction::kToServer));   // case-insensitive
  f.c.server("22");
  EXPECT_TRUE(open(Direction::kToClient));
  f.c.server("0 x\r\n");
  EXPECT_FALSE(open(Direction::kToClient));
  f.c.server("230");
  EXPECT_FALSE(open(Direction::kToClient));
}

}  // namespace
}  // namespace ftpgate
