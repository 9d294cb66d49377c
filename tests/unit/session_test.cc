// Dialogue-level behaviour of a session: what opens a data connection and what never does.
#include <gtest/gtest.h>

#include "test_support.h"

namespace ftpgate {
namespace {

using testing::Conversation;
using testing::RecordingSink;

struct Fixture {
  explicit Fixture(Policy p = Policy{}, const char* client = "10.0.1.2",
                   const char* server = "10.0.2.2")
      : engine(p, {21}, sink), conv(engine, client, server) {
    conv.server("220 ready\r\n");
  }
  RecordingSink sink;
  Engine engine;
  Conversation conv;
};

TEST(Session, PipelinedTypeThenPasvMatchesTheRightReply) {
  Fixture f;
  f.conv.client("TYPE I\r\nPASV\r\n");
  f.conv.server("200 Switching to Binary mode.\r\n");
  f.conv.server("227 Entering Passive Mode (10,0,2,2,195,80).\r\n");
  ASSERT_EQ(f.sink.expects().size(), 1u);
  EXPECT_EQ(f.sink.expects()[0].dport, 50000);
}

TEST(Session, PreliminaryRepliesDoNotAnswerCommands) {
  Fixture f;
  f.conv.client("PASV\r\n");
  f.conv.server("120 wait\r\n227 Entering Passive Mode (10,0,2,2,195,80).\r\n");
  EXPECT_EQ(f.sink.expects().size(), 1u);
}

TEST(Session, PasvAnsweredByErrorThen227IsUnsolicited) {
  Fixture f;
  f.conv.client("PASV\r\n");
  f.conv.server("425 no\r\n");
  f.conv.server("227 Entering Passive Mode (10,0,2,2,195,80).\r\n");
  EXPECT_TRUE(f.sink.expects().empty());
  EXPECT_EQ(f.sink.reasons(), std::vector<Reason>{Reason::kUnsolicitedReply});
}

TEST(Session, FilenameContainingPortNeverOpens) {
  Fixture f;
  f.conv.client("RETR PORT 10,0,1,2,4,1\r\n");
  f.conv.client("STOR x\r\nPORT 10,0,1,2,4,1 is a filename\r\n");
  f.conv.server("550 PORT 10,0,1,2,4,1: No such file\r\n");
  EXPECT_TRUE(f.sink.expects().empty());
}

TEST(Session, Reply227InsideAnErrorTextNeverOpens) {
  Fixture f;
  f.conv.client("PASV\r\n");
  f.conv.server("500 227 Entering Passive Mode (10,0,2,2,195,80)\r\n");
  EXPECT_TRUE(f.sink.expects().empty());
}

TEST(Session, Reply227LineInsideAnotherMultilineReplyIsText) {
  Fixture f;
  f.conv.client("PASV\r\n");
  f.conv.server("550-Error\r\n227 Entering Passive Mode (10,0,2,2,195,80)\r\n550 end\r\n");
  EXPECT_TRUE(f.sink.expects().empty());
}

TEST(Session, MultilineReplyEndsOnlyWithSameCodeAndSpace) {
  Fixture f;
  f.conv.client("PASV\r\n");
  f.conv.server("227-Entering Passive Mode\r\n 10,0,2,2,195,80\r\n200 not the end\r\n227 end\r\n");
  ASSERT_EQ(f.sink.expects().size(), 1u);
  EXPECT_EQ(f.sink.expects()[0].dport, 50000);
}

TEST(Session, ReplyFromClientRefused) {
  Fixture f;
  f.conv.client("227 Entering Passive Mode (10,0,2,2,195,80)\r\n");
  EXPECT_TRUE(f.sink.expects().empty());
  EXPECT_EQ(f.sink.reasons(), std::vector<Reason>{Reason::kReplyFromClient});
}

TEST(Session, CommandFromServerRefused) {
  Fixture f;
  f.conv.server("PORT 10,0,1,2,4,1\r\n");
  EXPECT_TRUE(f.sink.expects().empty());
  EXPECT_EQ(f.sink.reasons(), std::vector<Reason>{Reason::kCommandFromServer});
}

TEST(Session, NulByteLineNotParsed) {
  Fixture f;
  f.conv.client(std::string("PORT 10,0,1,2,4,1\0\r\n", 20));
  EXPECT_TRUE(f.sink.expects().empty());
  EXPECT_EQ(f.sink.reasons(), std::vector<Reason>{Reason::kNulInLine});
}

TEST(Session, OverlongLineNotParsedAndTailIgnored) {
  Policy p;
  p.max_line_length = 64;
  Fixture f(p);
  f.conv.client("PORT 10,0,1,2,4,1" + std::string(100, ' ') + "\r\n");
  f.conv.client(std::string(100, 'A') + "PORT 10,0,1,2,4,1\r\n");
  EXPECT_TRUE(f.sink.expects().empty());
  EXPECT_EQ(f.engine.counters().of(Reason::kLineTooLong), 2u);
  // Inspection goes on: the next good line works.
  f.conv.server("500 a\r\n500 b\r\n");
  f.conv.client("PORT 10,0,1,2,4,1\r\n");
  EXPECT_EQ(f.sink.expects().size(), 1u);
}

std::string tls_record(uint8_t type, const std::string& body) {
  std::string r = {static_cast<char>(type), 3, 3, static_cast<char>(body.size() >> 8),
                   static_cast<char>(body.size() & 0xff)};
  return r + body;
}

std::vector<SessionEvent> events(const testing::RecordingSink& sink) {
  std::vector<SessionEvent> out;
  for (const auto& a : sink.actions)
    if (a.kind == Action::Kind::kEvent) out.push_back(a.event);
  return out;
}

TEST(Session, TlsRecordsAreNeverParsed) {
  Fixture f;
  f.conv.client("AUTH TLS\r\n");
  f.conv.server("234 Proceed with negotiation.\r\n" + tls_record(22, "ServerHello"));
  // Text that looks like commands, inside records (even split across segments), opens nothing.
  const std::string c = tls_record(22, "\r\nPORT 10,0,1,2,4,1\r\n") + tls_record(23, "PASV\r\n");
  f.conv.client(c.substr(0, 3));
  f.conv.client(c.substr(3));
  f.conv.server(tls_record(23, "\r\n227 Entering Passive Mode (10,0,2,2,195,80)\r\n"));
  EXPECT_TRUE(f.sink.expects().empty());
  EXPECT_TRUE(f.sink.reasons().empty());
  EXPECT_EQ(f.engine.counters().tls_sessions, 1u);
  EXPECT_EQ(events(f.sink), std::vector<SessionEvent>{SessionEvent::kTlsStart});
}

TEST(Session, CccReturnsToClearTextInEachDirection) {
  // RFC 4217 12.3: CCC and its 200 are encrypted; both sides send close_notify (an alert
  // record), then the control channel is clear again and PASV can be admitted.
  Fixture f;
  f.conv.client("AUTH TLS\r\n");
  f.conv.server("234 go\r\n");
  f.conv.client(tls_record(22, "hello") + tls_record(23, "CCC"));
  f.conv.server(tls_record(22, "hello") + tls_record(23, "200 CCC ok") + tls_record(21, "\x01\x00"));
  f.conv.client(tls_record(21, "\x01\x00") + "PASV\r\n");
  f.conv.server("227 Entering Passive Mode (10,0,2,2,195,80).\r\n");
  ASSERT_EQ(f.sink.expects().size(), 1u);
  EXPECT_EQ(f.sink.expects()[0].dport, 50000);
  const std::vector<SessionEvent> want = {SessionEvent::kTlsStart, SessionEvent::kTlsEnd,
                                          SessionEvent::kResume, SessionEvent::kTlsEnd,
                                          SessionEvent::kResume};
  EXPECT_EQ(events(f.sink), want);
}

TEST(Session, Tls13CloseWithoutVisibleAlertAlsoResumes) {
  Fixture f;
  f.conv.client("AUTH TLS\r\n");
  f.conv.server("234 go\r\n");
  f.conv.client(tls_record(23, "encrypted close_notify") + "PORT 10,0,1,2,4,1\r\n");
  EXPECT_EQ(f.sink.expects().size(), 1u);
}

TEST(Session, AuthAnsweredButTlsNeverStartedIsCountedThenClearLinesResume) {
  // Policy: after 234, bytes that are no TLS record are a tls_not_tls anomaly; the direction
  // stays opaque until a line that can only be clear-text FTP, and is parsed from there.
  Fixture f;
  f.conv.client("AUTH TLS\r\n");
  f.conv.server("234 go\r\n");
  f.conv.client(std::string("\x80\x01") + "binary junk PORT 10,0,1,2,4,9\r\n");
  EXPECT_TRUE(f.sink.expects().empty());
  f.conv.client("PORT 10,0,1,2,4,1\r\n");
  ASSERT_EQ(f.sink.expects().size(), 1u);
  EXPECT_EQ(f.sink.expects()[0].dport, 1025);
  EXPECT_EQ(f.engine.counters().of(Reason::kTlsNotTls), 1u);
}

TEST(Session, AuthRefusedKeepsParsing) {
  Fixture f;
  f.conv.client("AUTH TLS\r\n");
  f.conv.server("530 no TLS here\r\n");
  f.conv.client("PORT 10,0,1,2,4,1\r\n");
  EXPECT_EQ(f.sink.expects().size(), 1u);
}

TEST(Session, Unsolicited234IsNotTls) {
  Fixture f;
  f.conv.server("234 whatever\r\n");
  f.conv.client("PORT 10,0,1,2,4,1\r\n");
  EXPECT_EQ(f.sink.expects().size(), 1u);
  EXPECT_EQ(f.engine.counters().tls_sessions, 0u);
}

TEST(Session, LooseAllowsThirdPartyAddress) {
  Policy p;
  p.require_peer_address = false;
  Fixture f(p);
  f.conv.client("PORT 10,0,1,3,4,1\r\n");
  ASSERT_EQ(f.sink.expects().size(), 1u);
  EXPECT_EQ(f.sink.expects()[0].dst.to_string(), "10.0.1.3");
}

TEST(Session, PrivilegedPortCheckCanBeSwitchedOff) {
  Policy p;
  p.min_data_port = 0;
  Fixture f(p);
  f.conv.client("PORT 10,0,1,2,0,80\r\n");
  EXPECT_EQ(f.sink.expects().size(), 1u);
}

TEST(Session, UnsolicitedCheckCanBeSwitchedOff) {
  Policy p;
  p.require_pending_passive = false;
  Fixture f(p);
  f.conv.server("227 Entering Passive Mode (10,0,2,2,195,80)\r\n");
  EXPECT_EQ(f.sink.expects().size(), 1u);
}

TEST(Session, LprtAnd228) {
  Fixture f;
  f.conv.client("LPRT 4,4,10,0,1,2,2,4,1\r\n");
  f.conv.server("200 ok\r\n");
  f.conv.client("LPSV\r\n");
  f.conv.server("228 Entering Long Passive Mode (4,4,10,0,2,2,2,195,80)\r\n");
  const auto e = f.sink.expects();
  ASSERT_EQ(e.size(), 2u);
  EXPECT_EQ(e[0].announcement, Announcement::kLprt);
  EXPECT_EQ(e[0].dport, 1025);
  EXPECT_EQ(e[1].announcement, Announcement::k228);
  EXPECT_EQ(e[1].dport, 50000);
}

TEST(Session, Lprt6OnIpv6) {
  Fixture f(Policy{}, "2001:db8::2", "2001:db8:2::2");
  f.conv.client("LPRT 6,16,32,1,13,184,0,0,0,0,0,0,0,0,0,0,0,2,2,4,1\r\n");
  ASSERT_EQ(f.sink.expects().size(), 1u);
  EXPECT_EQ(f.sink.expects()[0].dst.to_string(), "2001:db8::2");
}

TEST(Session, Pasv227OnIpv6IsRefused) {
  Fixture f(Policy{}, "2001:db8::2", "2001:db8:2::2");
  f.conv.client("PASV\r\n");
  f.conv.server("227 Entering Passive Mode (10,0,2,2,195,80)\r\n");
  EXPECT_EQ(f.sink.reasons(), std::vector<Reason>{Reason::kIpv4TupleOnIpv6});
}

TEST(Session, PendingCommandLimit) {
  Policy p;
  p.max_pending_commands = 4;
  Fixture f(p);
  f.conv.client("NOOP\r\nNOOP\r\nNOOP\r\nNOOP\r\nNOOP\r\n");
  EXPECT_EQ(f.engine.counters().of(Reason::kPendingCommandLimit), 1u);
}

TEST(Session, ReportsPerSessionAreCappedButCountersGoOn) {
  Policy p;
  p.max_reports_per_session = 3;
  Fixture f(p);
  for (int i = 0; i < 10; ++i) {
    f.conv.client("PORT 10,0,1,99,4,1\r\n");  // bounce
    f.conv.server("200 ok\r\n");
  }
  const std::vector<Reason> want = {Reason::kBounceAddress, Reason::kBounceAddress,
                                    Reason::kBounceAddress, Reason::kReportsSuppressed};
  EXPECT_EQ(f.sink.reasons(), want);
  EXPECT_EQ(f.engine.counters().of(Reason::kBounceAddress), 10u);
  EXPECT_EQ(f.engine.counters().of(Reason::kReportsSuppressed), 1u);
}

TEST(Session, PerSessionLimitKeepsNewest) {
  Policy p;
  p.max_expectations_per_session = 2;
  Fixture f(p);
  for (int port = 1; port <= 3; ++port) {
    f.conv.client("PORT 10,0,1,2,4," + std::to_string(port) + "\r\n");
    f.conv.server("200 ok\r\n");
  }
  EXPECT_EQ(f.sink.expects().size(), 3u);
  EXPECT_EQ(f.engine.counters().expectations_outstanding, 2u);
  EXPECT_EQ(f.engine.counters().expectations_replaced, 1u);
}

TEST(Session, ExpectationsTimeOut) {
  Fixture f;
  f.conv.client("PORT 10,0,1,2,4,1\r\n");
  EXPECT_EQ(f.engine.counters().expectations_outstanding, 1u);
  f.engine.expire(1'000'000 + Policy{}.expectation_timeout);
  EXPECT_EQ(f.engine.counters().expectations_outstanding, 0u);
}

// A session picked up mid-stream (HA failover: the other router saw what came before).
struct PickedUp {
  PickedUp() : engine(Policy{}, {21}, sink), conv(engine, "10.0.1.2", "10.0.2.2", 40000, 21, 1000, 5000, false) {}
  RecordingSink sink;
  Engine engine;
  Conversation conv;
};

TEST(Session, FirstPassiveReplyAfterPickupAnswersTheUnseenPasv) {
  PickedUp f;
  f.conv.server("227 Entering Passive Mode (10,0,2,2,195,80).\r\n");
  ASSERT_EQ(f.sink.expects().size(), 1u);
  EXPECT_EQ(f.sink.expects()[0].dport, 50000);
  EXPECT_EQ(f.engine.counters().passive_replies_after_pickup, 1u);
  // Only the first: a second one answers nothing.
  f.conv.server("227 Entering Passive Mode (10,0,2,2,195,81).\r\n");
  EXPECT_EQ(f.sink.expects().size(), 1u);
  EXPECT_EQ(f.sink.reasons(), std::vector<Reason>{Reason::kUnsolicitedReply});
}

TEST(Session, PassiveReplyAfterPickupStillHasTheServersAddress) {
  PickedUp f;
  f.conv.server("227 Entering Passive Mode (10,0,9,9,195,80).\r\n");
  EXPECT_TRUE(f.sink.expects().empty());
  EXPECT_EQ(f.sink.reasons(), std::vector<Reason>{Reason::kBounceAddress});
}

TEST(Session, AfterPickupAReplyToASeenCommandEndsTheBenefitOfDoubt) {
  PickedUp f;
  f.conv.client("NOOP\r\n");
  f.conv.server("200 ok\r\n");  // answers the NOOP seen here: nothing before it is pending
  f.conv.server("227 Entering Passive Mode (10,0,2,2,195,80).\r\n");
  EXPECT_TRUE(f.sink.expects().empty());
  EXPECT_EQ(f.sink.reasons(), std::vector<Reason>{Reason::kUnsolicitedReply});
  EXPECT_EQ(f.engine.counters().passive_replies_after_pickup, 0u);
}

TEST(Session, AfterPickupASeenPasvIsAnsweredAsUsual) {
  PickedUp f;
  f.conv.client("PASV\r\n");
  f.conv.server("227 Entering Passive Mode (10,0,2,2,195,80).\r\n");
  ASSERT_EQ(f.sink.expects().size(), 1u);
  EXPECT_EQ(f.engine.counters().passive_replies_after_pickup, 0u);
}

TEST(Session, WithItsOpeningSeenNoReplyIsBelievedUnasked) {
  Fixture f;  // SYN seen: every command was seen
  f.conv.server("227 Entering Passive Mode (10,0,2,2,195,80).\r\n");
  EXPECT_TRUE(f.sink.expects().empty());
  EXPECT_EQ(f.engine.counters().passive_replies_after_pickup, 0u);
}

// Tight pinholes: a PORT/EPRT/LPRT the server refuses opens nothing for longer than that.
std::vector<uint64_t> withdrawn(const RecordingSink& sink) {
  std::vector<uint64_t> ids;
  for (const auto& r : sink.of(Action::Kind::kEvent))
    if (r.event == SessionEvent::kWithdrawn) ids.push_back(r.expectation.id);
  return ids;
}

TEST(Session, PortTheServerRefusesIsWithdrawnAtOnce) {
  Fixture f;
  f.conv.client("PORT 10,0,1,2,195,80\r\n");
  ASSERT_EQ(f.sink.expects().size(), 1u);
  f.conv.server("500 Illegal PORT command.\r\n");
  EXPECT_EQ(withdrawn(f.sink), std::vector<uint64_t>{f.sink.expects()[0].id});
  EXPECT_EQ(f.engine.counters().expectations_withdrawn, 1u);
  EXPECT_EQ(f.engine.counters().expectations_outstanding, 0u);
}

TEST(Session, RefusedEprtThenAcceptedPortKeepsOnlyThePort) {
  Fixture f;  // curl: EPRT first, PORT when the server does not know it
  f.conv.client("EPRT |1|10.0.1.2|50000|\r\n");
  f.conv.server("500 'EPRT |1|10.0.1.2|50000|': command not understood\r\n");
  f.conv.client("PORT 10,0,1,2,195,81\r\n");
  f.conv.server("200 PORT command successful\r\n");
  ASSERT_EQ(f.sink.expects().size(), 2u);
  EXPECT_EQ(withdrawn(f.sink), std::vector<uint64_t>{f.sink.expects()[0].id});
  EXPECT_EQ(f.engine.counters().expectations_outstanding, 1u);
}

TEST(Session, ARefusalOfALaterPortNeverWithdrawsAnEarlierAcceptedOne) {
  Fixture f;
  f.conv.client("PORT 10,0,1,2,195,80\r\n");
  f.conv.server("200 PORT command successful\r\n");
  f.conv.client("PORT 10,0,9,9,0,80\r\n");  // refused here (bounce): no expectation
  f.conv.server("500 Illegal PORT command.\r\n");
  EXPECT_TRUE(withdrawn(f.sink).empty());
  EXPECT_EQ(f.engine.counters().expectations_outstanding, 1u);
}

TEST(Session, PassiveRefusalsWithdrawNothing) {
  Fixture f;
  f.conv.client("PASV\r\n");
  f.conv.server("227 Entering Passive Mode (10,0,2,2,195,80).\r\n");
  f.conv.client("RETR missing\r\n");
  f.conv.server("550 No such file\r\n");
  EXPECT_TRUE(withdrawn(f.sink).empty());
}

}  // namespace
}  // namespace ftpgate
