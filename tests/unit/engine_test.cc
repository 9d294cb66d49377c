// Engine-level behaviour: session table, limits, expiry, pickup and stream gaps.
#include "core/engine.h"

#include <gtest/gtest.h>

#include "test_support.h"

namespace ftpgate {
namespace {

using testing::Conversation;
using testing::RecordingSink;

TEST(Engine, IgnoresOtherPorts) {
  RecordingSink sink;
  Engine engine(Policy{}, {21}, sink);
  Conversation c(engine, "10.0.1.2", "10.0.2.2", 40000, 80);
  c.client("PORT 10,0,1,2,4,1\r\n");
  EXPECT_EQ(engine.session_count(), 0u);
  EXPECT_TRUE(sink.actions.empty());
}

TEST(Engine, NonStandardControlPort) {
  RecordingSink sink;
  Engine engine(Policy{}, {21, 2121}, sink);
  Conversation c(engine, "10.0.1.2", "10.0.2.2", 40000, 2121);
  c.client("PORT 10,0,1,2,4,1\r\n");
  EXPECT_EQ(sink.expects().size(), 1u);
}

TEST(Engine, SessionTableLimit) {
  Policy p;
  p.max_sessions = 2;
  RecordingSink sink;
  Engine engine(p, {21}, sink);
  Conversation a(engine, "10.0.1.2", "10.0.2.2", 40001);
  Conversation b(engine, "10.0.1.2", "10.0.2.2", 40002);
  Conversation c(engine, "10.0.1.2", "10.0.2.2", 40003);
  c.client("PORT 10,0,1,2,4,1\r\n");
  EXPECT_EQ(engine.session_count(), 2u);
  EXPECT_GE(engine.counters().of(Reason::kSessionTableFull), 1u);
  EXPECT_GE(engine.counters().uninspected_segments, 1u);
  EXPECT_TRUE(sink.expects().empty());
}

TEST(Engine, IdleSessionsExpireAndFreeTheirSlot) {
  Policy p;
  p.max_sessions = 1;
  p.session_idle_timeout = 10'000'000;
  RecordingSink sink;
  Engine engine(p, {21}, sink);
  Conversation a(engine, "10.0.1.2", "10.0.2.2", 40001);
  a.client("PORT 10,0,1,2,4,1\r\n");
  EXPECT_EQ(engine.counters().expectations_outstanding, 1u);
  Conversation b(engine, "10.0.1.2", "10.0.2.2", 40002, 21, 1000, 5000, false);
  b.set_time(1'000'000 + 10'000'000);
  b.client("PORT 10,0,1,2,4,2\r\n");
  EXPECT_EQ(engine.session_count(), 1u);
  EXPECT_EQ(engine.counters().sessions_expired, 1u);
  EXPECT_EQ(sink.expects().size(), 2u);
  EXPECT_EQ(engine.counters().expectations_outstanding, 1u);
}

TEST(Engine, FinBothWaysClosesAndDropsExpectations) {
  RecordingSink sink;
  Engine engine(Policy{}, {21}, sink);
  Conversation c(engine, "10.0.1.2", "10.0.2.2");
  c.client("PORT 10,0,1,2,4,1\r\n");
  c.send(true, "", tcp_flags::kFin | tcp_flags::kAck);
  EXPECT_EQ(engine.session_count(), 1u);
  c.send(false, "", tcp_flags::kFin | tcp_flags::kAck);
  EXPECT_EQ(engine.session_count(), 0u);
  EXPECT_EQ(engine.counters().sessions_closed, 1u);
  EXPECT_EQ(engine.counters().expectations_outstanding, 0u);
  EXPECT_EQ(sink.actions.back().kind, Action::Kind::kEvent);
  EXPECT_EQ(sink.actions.back().event, SessionEvent::kClosed);
}

TEST(Engine, RstCloses) {
  RecordingSink sink;
  Engine engine(Policy{}, {21}, sink);
  Conversation c(engine, "10.0.1.2", "10.0.2.2");
  c.send(false, "", tcp_flags::kRst);
  EXPECT_EQ(engine.session_count(), 0u);
}

TEST(Engine, PickupMidStreamParsesNewCommands) {
  // The daemon restarted: no SYN seen. The first payload starts a line (kernel SEQ_PICKUP).
  RecordingSink sink;
  Engine engine(Policy{}, {21}, sink);
  Conversation c(engine, "10.0.1.2", "10.0.2.2", 40000, 21, 77777, 88888, false);
  c.client("PORT 10,0,1,2,4,1\r\n");
  EXPECT_EQ(sink.expects().size(), 1u);
  EXPECT_EQ(engine.counters().midstream_pickups, 1u);
  EXPECT_EQ(sink.actions.front().event, SessionEvent::kPickup);
}

TEST(Engine, PickedUpSessionBelievesOnlyItsFirstUnsolicited227) {
  RecordingSink sink;
  Engine engine(Policy{}, {21}, sink);
  Conversation c(engine, "10.0.1.2", "10.0.2.2", 40000, 21, 1, 2, false);
  c.server("227 Entering Passive Mode (10,0,2,2,195,80)\r\n");  // its PASV went another way
  EXPECT_EQ(sink.expects().size(), 1u);
  c.server("227 Entering Passive Mode (10,0,2,2,195,82)\r\n");
  EXPECT_EQ(sink.expects().size(), 1u);
  c.client("PASV\r\n");
  c.server("227 Entering Passive Mode (10,0,2,2,195,81)\r\n");
  EXPECT_EQ(sink.expects().size(), 2u);
}

TEST(Engine, ReopenedConnectionStartsAFreshSession) {
  RecordingSink sink;
  Engine engine(Policy{}, {21}, sink);
  {
    Conversation c(engine, "10.0.1.2", "10.0.2.2", 40000, 21, 1000);
    c.client("PASV\r\n");  // left pending; FIN/RST never seen
  }
  Conversation c2(engine, "10.0.1.2", "10.0.2.2", 40000, 21, 900000);
  c2.server("227 Entering Passive Mode (10,0,2,2,195,80)\r\n");
  EXPECT_TRUE(sink.expects().empty());  // the old PASV does not carry over
  EXPECT_EQ(engine.counters().sessions_created, 2u);
}

TEST(Engine, OutOfOrderSegmentsAreReassembled) {
  RecordingSink sink;
  Engine engine(Policy{}, {21}, sink);
  Conversation c(engine, "10.0.1.2", "10.0.2.2");
  // "PORT 10,0,1,2,4,1\r\n": bytes 12.. first, then 0..7, then 5..11 overlapping both.
  c.send_at(true, 12, "2,4,1\r\n");
  c.send_at(true, 0, "PORT 10,");
  EXPECT_TRUE(sink.expects().empty());
  c.send_at(true, 5, "10,0,1,");
  ASSERT_EQ(sink.expects().size(), 1u);
  EXPECT_EQ(sink.expects()[0].dport, 1025);
}

TEST(Engine, AckPastAHoleSkipsItAndResyncsAtTheNextLineEnd) {
  // A capture that lost a client segment: the server's ACK shows it; the engine skips the hole,
  // throws away the broken line and, since it cannot know whether the lost bytes ended a line,
  // discards up to the next LF (as the kernel parses only after a newline it saw).
  RecordingSink sink;
  Engine engine(Policy{}, {21}, sink);
  Conversation c(engine, "10.0.1.2", "10.0.2.2");
  c.send_at(true, 0, "PORT 10,0,");
  c.advance(true, 10);
  c.advance(true, 9);  // "1,2,4,1\r\n" lost
  c.server("200 ok\r\n");  // acks all 19 bytes
  c.client("PORT 10,0,1,2,4,2\r\n");  // its start is unknown to the engine: discarded
  c.client("PORT 10,0,1,2,4,3\r\n");
  EXPECT_EQ(engine.counters().of(Reason::kStreamGap), 1u);
  EXPECT_EQ(engine.counters().skipped_bytes, 9u);
  ASSERT_EQ(sink.expects().size(), 1u);
  EXPECT_EQ(sink.expects()[0].dport, 1027);
}

TEST(Engine, LineTailAfterAGapIsNeverTakenForALine) {
  // "STOR a " lost; the rest of that line, "PORT 10,0,1,2,4,1", must not open anything.
  RecordingSink sink;
  Engine engine(Policy{}, {21}, sink);
  Conversation c(engine, "10.0.1.2", "10.0.2.2");
  c.advance(true, 7);                    // "STOR a " never seen
  c.client("PORT 10,0,1,2,4,1\r\n");   // buffered behind the hole
  c.send(false, "", tcp_flags::kAck);    // the server acknowledges all of it: skip the hole
  EXPECT_EQ(engine.counters().of(Reason::kStreamGap), 1u);
  EXPECT_TRUE(sink.expects().empty());
  c.client("PORT 10,0,1,2,4,2\r\n");   // the next whole line is parsed
  ASSERT_EQ(sink.expects().size(), 1u);
  EXPECT_EQ(sink.expects()[0].dport, 1026);
}

TEST(Engine, PassiveReplyToACommandLostInAGapIsBelievedAndCounted) {
  // "PASV\r\n" never passed the gateway; the server's 227 acknowledges it. A reply sent before
  // the server saw any later client byte answers a command from before the gap.
  RecordingSink sink;
  Engine engine(Policy{}, {21}, sink);
  Conversation c(engine, "10.0.1.2", "10.0.2.2");
  c.client("TYPE I\r\n");
  c.advance(true, 6);  // "PASV\r\n" lost
  c.server("200 Switching to Binary mode.\r\n227 Entering Passive Mode (10,0,2,2,195,80).\r\n");
  ASSERT_EQ(sink.expects().size(), 1u);
  EXPECT_EQ(engine.counters().replies_to_unseen_commands, 2u);
  // Pairing resumes with the commands seen after the gap.
  c.client("PASV\r\n");
  c.server("227 Entering Passive Mode (10,0,2,2,195,81).\r\n");
  c.server("227 Entering Passive Mode (10,0,2,2,195,82).\r\n");
  ASSERT_EQ(sink.expects().size(), 2u);
  EXPECT_EQ(sink.expects()[1].dport, 50001);
  EXPECT_EQ(engine.counters().of(Reason::kUnsolicitedReply), 1u);
}

TEST(Engine, GlobalExpectationLimit) {
  Policy p;
  p.max_expectations_total = 2;
  RecordingSink sink;
  Engine engine(p, {21}, sink);
  for (uint16_t port = 40001; port <= 40003; ++port) {
    Conversation c(engine, "10.0.1.2", "10.0.2.2", port);
    c.client("PORT 10,0,1,2,4,1\r\n");
  }
  EXPECT_EQ(sink.expects().size(), 2u);
  EXPECT_EQ(engine.counters().of(Reason::kExpectationTableFull), 1u);
}

TEST(Engine, OutOfOrderLimitIsCountedAndInspectionContinues) {
  Policy p;
  p.max_out_of_order_bytes = 16;
  RecordingSink sink;
  Engine engine(p, {21}, sink);
  Conversation c(engine, "10.0.1.2", "10.0.2.2");
  c.send_at(true, 100, std::string(32, 'x'));
  EXPECT_EQ(engine.counters().of(Reason::kOutOfOrderLimit), 1u);
  c.client("PORT 10,0,1,2,4,1\r\n");
  EXPECT_EQ(sink.expects().size(), 1u);
}

}  // namespace
}  // namespace ftpgate
