// The policy beyond the kernel helper, in the engine (which line is denied, logged, masked)
// and in the daemon half (the denied line neutralised on the wire, the conntrack marked for the
// ruleset's reset, the session's later packets dropped; masked banners, also when resent).
#include <gtest/gtest.h>

#include "packet_path_lab.h"
#include "test_support.h"

namespace ftpgate {
namespace {

using testing::Conversation;
using testing::ip;
using testing::Lab;
using testing::payload_of;
using testing::RecordingSink;
using testing::Wire;
using testing::rules_of;
using testing::with_rules;

// Client 198.51.100.2:40000 (ISN 1000) to server 203.0.113.2:21 (ISN 5000): stream byte 0
// of each direction is at ISN + 1.
constexpr uint32_t kClientData = 1001, kServerData = 5001;

TEST(PolicyInEngine, ADeniedCommandIsNeutralisedWholeAndTheSessionIsNoLongerActedOn) {
  RecordingSink sink;
  Engine engine(with_rules({"allow verb RETR", "deny verb STOR,APPE,DELE"}), {21}, sink);
  Conversation c(engine, "198.51.100.2", "203.0.113.2");
  c.server("220 ready\r\n");
  c.client("USER bob\r\n");               // 10 bytes
  c.server("331 pw\r\n");
  c.client("STOR upload.bin\r\nPASV\r\n");  // STOR at client byte 10
  c.server("227 Entering Passive Mode (203,0,113,2,195,80)\r\n");
  const auto policy = sink.of(Action::Kind::kPolicy);
  ASSERT_EQ(policy.size(), 1u);
  EXPECT_EQ(policy[0].policy.action, RuleAction::kDeny);
  ASSERT_NE(policy[0].policy.rule, nullptr);
  EXPECT_EQ(policy[0].policy.rule->line, 11u);
  EXPECT_EQ(policy[0].line, "STOR upload.bin");
  EXPECT_EQ(policy[0].edit.kind, StreamEdit::Kind::kNeutralCommand);
  EXPECT_EQ(policy[0].edit.seq, kClientData + 10);
  EXPECT_EQ(policy[0].edit.length, 15u);  // the line without its CRLF
  // The PASV after it in the same segment and the 227 are not acted on: no expectation.
  EXPECT_TRUE(sink.expects().empty());
  EXPECT_EQ(engine.counters().commands_denied, 1u);
}

TEST(PolicyInEngine, ADeniedSessionIsForgottenAfterDeniedSessionTimeoutNotTheIdleOne) {
  RecordingSink sink;
  Policy p = with_rules({"deny verb DELE"});
  p.denied_session_timeout = 10'000'000;
  Engine engine(p, {21}, sink);
  Conversation denied(engine, "198.51.100.2", "203.0.113.2", 40000);
  Conversation other(engine, "198.51.100.2", "203.0.113.2", 40001);
  denied.client("DELE x\r\n");
  engine.expire(1'000'000 + 9'000'000);
  EXPECT_EQ(engine.session_count(), 2u);
  engine.expire(1'000'000 + 10'000'000);
  EXPECT_EQ(engine.session_count(), 1u);  // the other one waits for session_idle_timeout
}

TEST(PolicyInEngine, ALogRuleReportsAndAllows) {
  RecordingSink sink;
  Engine engine(with_rules({"log verb RETR file *.pdf"}), {21}, sink);
  Conversation c(engine, "198.51.100.2", "203.0.113.2");
  c.client("PASV\r\n");
  c.server("227 Entering Passive Mode (203,0,113,2,195,80)\r\n");
  c.client("RETR report.PDF\r\n");
  c.client("RETR notes.txt\r\n");
  const auto policy = sink.of(Action::Kind::kPolicy);
  ASSERT_EQ(policy.size(), 1u);
  EXPECT_EQ(policy[0].policy.action, RuleAction::kLog);
  EXPECT_EQ(policy[0].line, "RETR report.PDF");
  EXPECT_EQ(sink.expects().size(), 1u);
  EXPECT_EQ(engine.counters().commands_logged, 1u);
  EXPECT_EQ(engine.policy().rules->hits(0), 1u);
}

TEST(PolicyInEngine, AnonymousOnlyDeniesOtherUsersAtTheirUserCommand) {
  RecordingSink sink;
  Engine engine(with_rules({"allow verb USER user anonymous", "allow verb USER user ftp", "deny verb USER"}),
                {21}, sink);
  Conversation ok(engine, "198.51.100.2", "203.0.113.2", 40000);
  ok.client("USER ANONYMOUS\r\n");
  EXPECT_TRUE(sink.of(Action::Kind::kPolicy).empty());
  Conversation bad(engine, "198.51.100.2", "203.0.113.2", 40001);
  bad.client("USER root\r\n");
  ASSERT_EQ(sink.of(Action::Kind::kPolicy).size(), 1u);
  EXPECT_EQ(sink.of(Action::Kind::kPolicy)[0].line, "USER root");
}

TEST(PolicyInEngine, StrictModeEnforcesABounceAndNonStrictOnlyRefusesIt) {
  for (bool strict : {false, true}) {
    RecordingSink sink;
    Policy p;
    p.strict = strict;
    Engine engine(p, {21}, sink);
    Conversation c(engine, "198.51.100.2", "203.0.113.2");
    c.client("PORT 10,0,0,9,4,1\r\n");  // a third party: bounce
    EXPECT_EQ(sink.reasons(), std::vector<Reason>{Reason::kBounceAddress});
    const auto policy = sink.of(Action::Kind::kPolicy);
    ASSERT_EQ(policy.size(), strict ? 1u : 0u);
    if (!strict) continue;
    EXPECT_EQ(policy[0].policy.rule, nullptr);
    EXPECT_EQ(policy[0].reason, Reason::kBounceAddress);
    EXPECT_EQ(policy[0].edit.kind, StreamEdit::Kind::kNeutralCommand);
    EXPECT_EQ(policy[0].edit.seq, kClientData);
    EXPECT_EQ(engine.counters().strict_enforced, 1u);
  }
}

TEST(PolicyInEngine, StrictModeEnforcesAnUnsolicitedPassiveReplyAsAReply) {
  RecordingSink sink;
  Policy p;
  p.strict = true;
  Engine engine(p, {21}, sink);
  Conversation c(engine, "198.51.100.2", "203.0.113.2");
  c.server("220 hi\r\n");
  c.server("227 Entering Passive Mode (203,0,113,2,195,80)\r\n");  // no PASV asked
  const auto policy = sink.of(Action::Kind::kPolicy);
  ASSERT_EQ(policy.size(), 1u);
  EXPECT_EQ(policy[0].reason, Reason::kUnsolicitedReply);
  EXPECT_EQ(policy[0].edit.kind, StreamEdit::Kind::kNeutralReply);
  EXPECT_EQ(policy[0].edit.seq, kServerData + 8);
}

TEST(PolicyInEngine, BannerAndSystTextsAreMaskedLineByLine) {
  RecordingSink sink;
  Policy p;
  p.mask_banner = true;
  p.mask_syst = true;
  Engine engine(p, {21}, sink);
  Conversation c(engine, "198.51.100.2", "203.0.113.2");
  c.server("220-ProFTPD 1.3.8 Server\r\n Welcome\r\n220 ready\r\n");
  c.client("SYST\r\n");
  c.server("215 UNIX Type: L8\r\n");
  c.server("230 ok\r\n");  // not masked
  const auto masks = sink.of(Action::Kind::kMask);
  ASSERT_EQ(masks.size(), 4u);
  EXPECT_EQ(masks[0].edit.seq, kServerData + 4);  // after "220-"
  EXPECT_EQ(masks[0].edit.length, 20u);           // "ProFTPD 1.3.8 Server"
  EXPECT_EQ(masks[1].edit.seq, kServerData + 26);  // " Welcome", the whole line
  EXPECT_EQ(masks[1].edit.length, 8u);
  EXPECT_EQ(masks[2].edit.seq, kServerData + 36 + 4);
  EXPECT_EQ(masks[2].edit.length, 5u);
  EXPECT_EQ(masks[3].edit.seq, kServerData + 47 + 4);
  EXPECT_EQ(masks[3].edit.length, 13u);
}

TEST(StreamEditBytes, KeepTheLengthAndSayNothing) {
  EXPECT_EQ(stream_edit_bytes(StreamEdit::Kind::kMask, 5), "*****");
  EXPECT_EQ(stream_edit_bytes(StreamEdit::Kind::kNeutralCommand, 15), "NOOP           ");
  EXPECT_EQ(stream_edit_bytes(StreamEdit::Kind::kNeutralCommand, 3), "NOO");
  EXPECT_EQ(stream_edit_bytes(StreamEdit::Kind::kNeutralReply, 10), "421       ");
}

// --- the daemon half ---

TEST(PolicyOnTheWire, TheDeniedLineGoesOnAsNoopTheConntrackIsMarkedAndLaterPacketsAreDropped) {
  Lab lab(with_rules({"deny verb STOR"}));
  lab.ct.add_connection(CtTuple{ip("198.51.100.2"), ip("203.0.113.2"), 40000, 21});
  Wire w(lab, "198.51.100.2", "203.0.113.2");
  w.send(false, "220 ready\r\n");
  w.send(true, "USER bob\r\n");
  PacketDecision d = w.send(true, "TYPE I\r\nSTOR x.bin\r\n");
  ASSERT_EQ(d.fate, PacketDecision::Fate::kAcceptChanged);
  EXPECT_EQ(payload_of(d.packet), "TYPE I\r\nNOOP      \r\n");
  EXPECT_EQ(lab.ct.conntracks[0].mark, 0x40000000u);
  EXPECT_EQ(lab.gateway.counters().policy_resets_armed, 1u);
  EXPECT_EQ(lab.path.counters().denied_lines_neutralised, 1u);
  EXPECT_NE(lab.log_text().find("policy deny rule line 10 \"deny verb STOR\""), std::string::npos);
  // The original sent again (the mark did not stop it) and the server's answer: dropped.
  EXPECT_EQ(w.send_at(true, w.client_seq() - 20, "TYPE I\r\nSTOR x.bin\r\n").fate, PacketDecision::Fate::kDrop);
  EXPECT_EQ(w.send(false, "200 NOOP ok\r\n").fate, PacketDecision::Fate::kDrop);
  EXPECT_EQ(lab.path.counters().denied_session_drops, 2u);
  // An RST is accepted, but the denied session is remembered (a later packet of the same
  // connection, the conntrack gone, must not be picked up as a new, unjudged session).
  EXPECT_EQ(w.send(true, "", tcp_flags::kRst).fate, PacketDecision::Fate::kAccept);
  EXPECT_EQ(lab.path.engine().session_count(), 1u);
  EXPECT_EQ(w.send(true, "DELE y\r\n").fate, PacketDecision::Fate::kDrop);
}

TEST(PolicyOnTheWire, AMarkTheKernelRefusesIsCountedAndTheLineIsStillNeutralised) {
  Lab lab(with_rules({"deny verb DELE"}));
  lab.ct.add_connection(CtTuple{ip("198.51.100.2"), ip("203.0.113.2"), 40000, 21});
  lab.ct.mark_error = -EPERM;
  Wire w(lab, "198.51.100.2", "203.0.113.2");
  PacketDecision d = w.send(true, "DELE a\r\n");
  ASSERT_EQ(d.fate, PacketDecision::Fate::kAcceptChanged);
  EXPECT_EQ(payload_of(d.packet), "NOOP  \r\n");
  EXPECT_EQ(lab.gateway.counters().policy_mark_errors, 1u);
  EXPECT_NE(lab.log_text().find("not set"), std::string::npos);
  EXPECT_EQ(w.send(false, "200 ok\r\n").fate, PacketDecision::Fate::kDrop);
}

TEST(PolicyOnTheWire, ADeniedLineWhoseStartWentOutEarlierIsDroppedSoItNeverCompletes) {
  Lab lab(with_rules({"deny verb STOR"}));
  lab.ct.add_connection(CtTuple{ip("198.51.100.2"), ip("203.0.113.2"), 40000, 21});
  Wire w(lab, "198.51.100.2", "203.0.113.2");
  EXPECT_EQ(w.send(true, "STOR se").fate, PacketDecision::Fate::kAccept);
  EXPECT_EQ(w.send(true, "cret\r\n").fate, PacketDecision::Fate::kDrop);
  EXPECT_EQ(lab.path.counters().denied_lines_dropped, 1u);
  EXPECT_EQ(lab.ct.conntracks[0].mark, 0x40000000u);
}

TEST(PolicyOnTheWire, TheBannerIsMaskedAndARetransmissionOfItToo) {
  Policy p;
  p.mask_banner = true;
  Lab lab(p);
  Wire w(lab, "198.51.100.2", "203.0.113.2");
  PacketDecision d = w.send(false, "220 vsFTPd 3.0.3\r\n");
  ASSERT_EQ(d.fate, PacketDecision::Fate::kAcceptChanged);
  EXPECT_EQ(payload_of(d.packet), "220 ************\r\n");
  PacketDecision again = w.send_at(false, w.server_seq() - 18, "220 vsFTPd 3.0.3\r\n");
  ASSERT_EQ(again.fate, PacketDecision::Fate::kAcceptChanged);
  EXPECT_EQ(payload_of(again.packet), "220 ************\r\n");
  EXPECT_EQ(w.send(false, "331 pw\r\n").fate, PacketDecision::Fate::kAccept);
  EXPECT_EQ(lab.path.counters().masked_segments, 1u);
}

TEST(PolicyOnTheWire, AMaskWhoseLineBeganInAnEarlierSegmentIsClippedAndCounted) {
  Policy p;
  p.mask_banner = true;
  Lab lab(p);
  Wire w(lab, "198.51.100.2", "203.0.113.2");
  EXPECT_EQ(w.send(false, "220 vsF").fate, PacketDecision::Fate::kAccept);  // not a line yet
  PacketDecision d = w.send(false, "TPd 3.0.3\r\n");
  ASSERT_EQ(d.fate, PacketDecision::Fate::kAcceptChanged);
  EXPECT_EQ(payload_of(d.packet), "*********\r\n");
  EXPECT_EQ(lab.path.counters().masks_clipped, 1u);
}

}  // namespace
}  // namespace ftpgate
