// The inline guard (core/segment_verdict.h): the server gets exactly the bytes ftpgate judged.
// Each test is one way a client with a raw socket made a denied command reach the server
// before the guard existed (the evasion classes of the enforcement issue), played through the
// daemon half as the router's forward path sees it, with what leaves the router checked.
#include <gtest/gtest.h>

#include "packet_path_lab.h"
#include "test_support.h"

namespace ftpgate {
namespace {

using testing::ip;
using testing::Lab;
using testing::payload_of;
using testing::Wire;
using testing::with_rules;

using Fate = PacketDecision::Fate;
constexpr uint8_t kData = tcp_flags::kAck | tcp_flags::kPsh;

// What the server receives of a packet the path let through.
std::string sent_on(const std::string& original, const PacketDecision& d) {
  if (d.fate == Fate::kAcceptChanged) return payload_of(d.packet);
  return original;
}

Policy deny_dele() { return with_rules({"deny verb DELE,STOR"}); }

// --- class 1: after a denial, no later byte of the packet may pass --------------------------
TEST(InlineGuard, TwoDeniedLinesInOnePacketLeaveAsOneNoopAndSpaces) {
  Lab lab(deny_dele());
  Wire w(lab, "198.51.100.2", "203.0.113.2");
  const std::string bytes = "DELE a\r\nDELE b\r\n";
  const PacketDecision d = w.send(true, bytes);
  ASSERT_EQ(d.fate, Fate::kAcceptChanged);
  EXPECT_EQ(sent_on(bytes, d), "NOOP  \r\n        ");  // "DELE b\r\n" never completes
  EXPECT_EQ(lab.path.counters().denied_tails_blanked, 1u);
}

TEST(InlineGuard, AnAllowedLineThenADeniedOneThenMoreLeavesOnlyTheAllowedLine) {
  Lab lab(deny_dele());
  Wire w(lab, "198.51.100.2", "203.0.113.2");
  const std::string bytes = "CWD x\r\nDELE b\r\nRMD y\r\n";
  EXPECT_EQ(sent_on(bytes, w.send(true, bytes)), "CWD x\r\nNOOP  \r\n       ");
}

// --- class 2: packets the receiver discards must not change what we believe --------------------
TEST(InlineGuard, AForgedResetOutsideTheWindowDoesNotEndTheSession) {
  Lab lab(deny_dele());
  Wire w(lab, "198.51.100.2", "203.0.113.2");
  w.send(true, "DE");
  w.send_at(true, w.client_seq() + 100000, "", tcp_flags::kRst);  // Linux discards it
  EXPECT_EQ(lab.path.engine().session_count(), 1u);
  // "LE important.txt" completes "DELE important.txt": denied, and since "DE" went out already
  // the completing segment is dropped (the line never ends at the server).
  EXPECT_EQ(w.send(true, "LE important.txt\r\n").fate, Fate::kDrop);
  EXPECT_EQ(lab.path.engine().counters().commands_denied, 1u);
}

TEST(InlineGuard, AResetAtTheNextSequenceNumberEndsTheSession) {
  Lab lab(deny_dele());
  Wire w(lab, "198.51.100.2", "203.0.113.2");
  w.send(true, "NOOP\r\n");
  w.send(true, "", tcp_flags::kRst);
  EXPECT_EQ(lab.path.engine().session_count(), 0u);
}

TEST(InlineGuard, DataAfterAnUntakenResetKeepsTheSessionAndIsCounted) {
  Lab lab(deny_dele());
  Wire w(lab, "198.51.100.2", "203.0.113.2");
  w.send_at(true, w.client_seq() + 5, "", tcp_flags::kRst);  // in the window, not exact
  w.send(true, "NOOP\r\n");
  lab.now += 11'000'000;
  lab.path.engine().expire(lab.now);
  EXPECT_EQ(lab.path.engine().session_count(), 1u);
  EXPECT_EQ(lab.path.engine().counters().resets_not_taken, 1u);
}

TEST(InlineGuard, AnUntakenResetEndsTheSessionAfterTheLinger) {
  Lab lab(deny_dele());
  Wire w(lab, "198.51.100.2", "203.0.113.2");
  w.send_at(true, w.client_seq() + 5, "", tcp_flags::kRst);
  lab.now += lab.policy.reset_linger;
  lab.path.engine().expire(lab.now);
  EXPECT_EQ(lab.path.engine().session_count(), 0u);
}

// A first copy the receiver discards (bad checksum, outside its window, lost after the router):
// the copy that follows at the same place leaves with the judged bytes.
TEST(InlineGuard, ASecondCopyThatDiffersLeavesWithTheJudgedBytes) {
  Lab lab(deny_dele());
  Wire w(lab, "198.51.100.2", "203.0.113.2");
  const uint32_t at = w.client_seq();
  EXPECT_EQ(w.send_at(true, at, "NOOP xxxxxxxx\r\n").fate, Fate::kAccept);  // judged: a NOOP
  const std::string real = "DELE secret.txt\r\n";
  const PacketDecision d = w.send_at(true, at, real);
  ASSERT_EQ(d.fate, Fate::kAcceptChanged);
  EXPECT_EQ(sent_on(real, d), "NOOP xxxxxxxx\r\n\r\n");  // judged bytes, then its new (empty) line
  EXPECT_EQ(lab.path.engine().counters().guard_restores, 1u);
  EXPECT_EQ(lab.path.engine().counters().commands_denied, 0u);
}

TEST(InlineGuard, AnIdenticalRetransmissionLeavesUnchanged) {
  Lab lab(deny_dele());
  Wire w(lab, "198.51.100.2", "203.0.113.2");
  const uint32_t at = w.client_seq();
  w.send_at(true, at, "CWD a\r\n");
  EXPECT_EQ(w.send_at(true, at, "CWD a\r\n").fate, Fate::kAccept);
  EXPECT_EQ(lab.path.engine().counters().guard_restores, 0u);
}

// --- class 3 and 4: out of order ---------------------------------------------------------------
TEST(InlineGuard, AClientSegmentOutOfOrderIsDroppedUntilItCanBeJudgedInOrder) {
  Lab lab(deny_dele());
  Wire w(lab, "198.51.100.2", "203.0.113.2");
  const uint32_t at = w.client_seq();
  EXPECT_EQ(w.send_at(true, at + 5, "DELE x\r\n").fate, Fate::kDrop);  // before the hole fills
  EXPECT_EQ(lab.path.engine().counters().guard_drops, 1u);
  EXPECT_EQ(w.send_at(true, at, "CWD\r\n").fate, Fate::kAccept);
  // Sent again in order: judged, denied.
  const PacketDecision d = w.send_at(true, at + 5, "DELE x\r\n");
  EXPECT_EQ(sent_on("DELE x\r\n", d), "NOOP  \r\n");
}

TEST(InlineGuard, ALongerLaterCopyOfAnOutOfOrderSegmentCannotSlipIn) {
  // Linux's out-of-order queue keeps a later, longer copy: nothing is buffered here to disagree.
  Lab lab(deny_dele());
  Wire w(lab, "198.51.100.2", "203.0.113.2");
  const uint32_t at = w.client_seq();
  EXPECT_EQ(w.send_at(true, at + 4, "XX\r\n").fate, Fate::kDrop);
  EXPECT_EQ(w.send_at(true, at + 4, "E x\r\n").fate, Fate::kDrop);
  EXPECT_EQ(w.send_at(true, at, "DEL").fate, Fate::kAccept);
  EXPECT_EQ(w.send_at(true, at + 3, "E x\r\n").fate, Fate::kDrop);  // completes DELE: denied
  EXPECT_EQ(lab.path.engine().counters().commands_denied, 1u);
}

TEST(InlineGuard, WithoutDenyRulesOutOfOrderSegmentsPassAsBefore) {
  Lab lab(with_rules({"log verb RETR"}));
  Wire w(lab, "198.51.100.2", "203.0.113.2");
  EXPECT_EQ(w.send_at(true, w.client_seq() + 5, "NOOP\r\n").fate, Fate::kAccept);
}

TEST(InlineGuard, AGapInTheClientsStreamRefusesTheSession) {
  // The server acknowledges client bytes that never passed here (they bypassed the queue):
  // what follows cannot be judged in line, so the session is denied at once.
  Lab lab(deny_dele());
  Wire w(lab, "198.51.100.2", "203.0.113.2");
  w.send(true, "CWD a\r\n");
  w.send_at(false, w.server_seq(), "250 ok\r\n250 ok\r\n");  // acks only what we saw
  const uint32_t ack_past = w.client_seq() + 40;
  const std::string pkt = testing::build_tcp_packet(ip("203.0.113.2"), ip("198.51.100.2"), 21, 40000,
                                                    w.server_seq() + 16, ack_past, kData, "");
  PacketDecision d;
  lab.path.judge(QueuedId{0, 99}, pkt, lab.now, d);
  EXPECT_EQ(lab.path.engine().counters().unjudged_refused, 1u);
  EXPECT_EQ(w.send_at(true, ack_past, "DELE x\r\n").fate, Fate::kDrop);
}

// --- class 5: read the line as the server does -------------------------------------------------
struct Reading {
  const char* name;
  std::string line;
};

class ServerReadings : public ::testing::TestWithParam<Reading> {};

TEST_P(ServerReadings, AreDeniedWithDenyRules) {
  Policy p = deny_dele();
  p.max_line_length = 64;
  Lab lab(p);
  Wire w(lab, "198.51.100.2", "203.0.113.2");
  const PacketDecision d = w.send(true, GetParam().line);
  const std::string got = sent_on(GetParam().line, d);
  EXPECT_TRUE(d.fate == Fate::kDrop || got.rfind("NOOP", 0) == 0) << got;
  EXPECT_EQ(got.find("DELE"), std::string::npos) << got;
  EXPECT_EQ(lab.path.engine().session_count(), 1u);
  EXPECT_TRUE(lab.path.engine().find(ControlFlow{ip("198.51.100.2"), ip("203.0.113.2"), 40000, 21})->enforced());
}

TEST_P(ServerReadings, PassWithoutDenyRules) {
  Policy p = with_rules({"log verb RETR"});
  p.max_line_length = 64;
  Lab lab(p);
  Wire w(lab, "198.51.100.2", "203.0.113.2");
  EXPECT_EQ(w.send(true, GetParam().line).fate, Fate::kAccept);
}

INSTANTIATE_TEST_SUITE_P(
    Lenient, ServerReadings,
    ::testing::Values(
        Reading{"tab_after_verb", "DELE\tsecret.txt\r\n"},                       // ProFTPD
        Reading{"leading_spaces", "   DELE secret.txt\r\n"},
        Reading{"telnet_ip_inside_verb", "DE\xff\xf4LE secret.txt\r\n"},        // ProFTPD strips IAC IP
        Reading{"telnet_sync_before_verb", "\xff\xf4\xff\xf2" "DELE secret.txt\r\n"},
        Reading{"telnet_will_inside_verb", "DEL\xff\xfb\x01" "E secret.txt\r\n"},
        Reading{"nul_inside", std::string("DELE secret.txt\0.ok\r\n", 22)},      // C strings stop at NUL
        Reading{"cr_inside", "NOOP\rDELE secret.txt\r\n"},
        Reading{"escape_byte", "DELE \x1b[0msecret.txt\r\n"},
        Reading{"longer_than_max_line_length", "DELE " + std::string(100, '/') + "secret.txt\r\n"},
        Reading{"long_line_split", "DELE " + std::string(70, '/')}),            // no LF yet
    [](const ::testing::TestParamInfo<Reading>& i) { return std::string(i.param.name); });

TEST(InlineGuard, TelnetAbortBeforeAnAllowedVerbStillWorks) {
  // A real client's ABOR: IAC IP, IAC DM (urgent), "ABOR".
  Lab lab(deny_dele());
  Wire w(lab, "198.51.100.2", "203.0.113.2");
  const std::string abor = "\xff\xf4\xff\xf2" "ABOR\r\n";
  const PacketDecision d = w.send(true, abor, kData | tcp_flags::kUrg);
  ASSERT_EQ(d.fate, Fate::kAcceptChanged);  // only the URG flag cleared
  EXPECT_EQ(payload_of(d.packet), abor);
  const DecodeResult r = decode_ip_packet(d.packet);
  EXPECT_FALSE(r.segment.has(tcp_flags::kUrg));
  EXPECT_EQ(lab.path.engine().counters().urgent_cleared, 1u);
  EXPECT_EQ(lab.path.engine().counters().commands_denied, 0u);
}

// --- class 6: the user is the one the server accepted ----------------------------------------
TEST(InlineGuard, ASecondUserRefusedByTheServerLeavesTheFirstOne) {
  Lab lab(with_rules({"deny verb STOR user anonymous"}));
  Wire w(lab, "198.51.100.2", "203.0.113.2");
  w.send(true, "USER anonymous\r\n");
  w.send(false, "331 ok\r\n");
  w.send(true, "PASS x\r\n");
  w.send(false, "230 in\r\n");
  w.send(true, "USER alice\r\n");
  w.send(false, "530 Can't change from guest user.\r\n");  // vsftpd: still anonymous
  EXPECT_EQ(sent_on("STOR f\r\n", w.send(true, "STOR f\r\n")), "NOOP  \r\n");
}

TEST(InlineGuard, ACommandPipelinedBehindAnUnansweredLoginIsJudgedAsBothUsers) {
  Lab lab(with_rules({"deny verb STOR user anonymous"}));
  Wire w(lab, "198.51.100.2", "203.0.113.2");
  w.send(true, "USER anonymous\r\n");
  w.send(false, "230 in\r\n");
  const std::string bytes = "USER alice\r\nSTOR f\r\n";
  EXPECT_EQ(sent_on(bytes, w.send(true, bytes)), "USER alice\r\nNOOP  \r\n");
}

TEST(InlineGuard, AUserOnlyClaimedNeverGetsItsAllowRule) {
  Lab lab(with_rules({"allow verb STOR user alice", "deny verb STOR"}));
  Wire w(lab, "198.51.100.2", "203.0.113.2");
  w.send(true, "USER alice\r\n");
  w.send(false, "331 ok\r\n");
  w.send(true, "PASS wrong\r\n");
  w.send(false, "530 Login incorrect.\r\n");
  EXPECT_EQ(sent_on("STOR f\r\n", w.send(true, "STOR f\r\n")), "NOOP  \r\n");
}

TEST(InlineGuard, ReinForgetsTheUser) {
  Lab lab(with_rules({"allow verb STOR user alice", "deny verb STOR"}));
  Wire w(lab, "198.51.100.2", "203.0.113.2");
  w.send(true, "USER alice\r\n");
  w.send(false, "230 in\r\n");
  EXPECT_EQ(w.send(true, "STOR a\r\n").fate, Fate::kAccept);
  w.send(false, "226 ok\r\n");
  w.send(true, "REIN\r\n");
  w.send(false, "220 ready\r\n");
  EXPECT_EQ(sent_on("STOR b\r\n", w.send(true, "STOR b\r\n")), "NOOP  \r\n");
}

TEST(InlineGuard, AfterAPickupUserRulesFailClosed) {
  Lab lab(with_rules({"allow verb STOR user alice", "deny verb STOR user anonymous"}));
  Wire w(lab, "198.51.100.2", "203.0.113.2", Wire::MidStream{7000, 9000});
  EXPECT_EQ(sent_on("STOR f\r\n", w.send(true, "STOR f\r\n")), "NOOP  \r\n");  // who is it? deny
}

// --- class 7: forgetting -----------------------------------------------------------------------
TEST(InlineGuard, ADeniedSessionIsRememberedPastTheOldTenSeconds) {
  Lab lab(deny_dele());
  Wire w(lab, "198.51.100.2", "203.0.113.2");
  w.send(true, "DELE a\r\n");
  lab.now += 60'000'000;
  lab.path.engine().expire(lab.now);
  EXPECT_EQ(w.send(true, "DELE b\r\n").fate, Fate::kDrop);
}

TEST(InlineGuard, UnansweredSynsTimeOutAndMakeRoomWhenTheTableIsFull) {
  Policy p = deny_dele();
  p.max_sessions = 2;
  Lab lab(p);
  for (const uint16_t port : {uint16_t{50001}, uint16_t{50002}}) {
    const std::string syn = testing::build_tcp_packet(ip("198.51.100.9"), ip("203.0.113.2"), port, 21,
                                                      1, 0, tcp_flags::kSyn, "");
    PacketDecision d;
    lab.path.judge(QueuedId{0, port}, syn, lab.now, d);
  }
  EXPECT_EQ(lab.path.engine().session_count(), 2u);
  Wire real(lab, "198.51.100.2", "203.0.113.2");  // the oldest SYN-only session makes room
  EXPECT_EQ(lab.path.engine().counters().unestablished_evicted, 1u);
  EXPECT_EQ(sent_on("DELE x\r\n", real.send(true, "DELE x\r\n")), "NOOP  \r\n");
  lab.now += p.unestablished_timeout;
  lab.path.engine().expire(lab.now);
  EXPECT_EQ(lab.path.engine().session_count(), 1u);  // the other SYN-only one timed out
}

TEST(InlineGuard, AFullTableOfRealSessionsRefusesANewOneWhileGuarding) {
  Policy p = deny_dele();
  p.max_sessions = 1;
  Lab lab(p);
  Wire a(lab, "198.51.100.2", "203.0.113.2", 40000);
  Wire b(lab, "198.51.100.2", "203.0.113.2", 40001);  // its SYN: dropped
  EXPECT_EQ(lab.path.engine().counters().sessions_refused, 1u);
  EXPECT_EQ(b.send(true, "DELE x\r\n").fate, Fate::kDrop);
}

TEST(InlineGuard, AFullTableWithoutDenyRulesLeavesTheNewSessionUninspected) {
  Policy p;
  p.max_sessions = 1;
  Lab lab(p);
  Wire a(lab, "198.51.100.2", "203.0.113.2", 40000);
  Wire b(lab, "198.51.100.2", "203.0.113.2", 40001);
  EXPECT_EQ(b.send(true, "NOOP\r\n").fate, Fate::kAccept);
  EXPECT_EQ(lab.path.engine().counters().sessions_refused, 0u);
}

// --- beyond the list ---------------------------------------------------------------------------
TEST(InlineGuard, ASynCarryingDataIsDroppedWhileGuarding) {
  Lab lab(deny_dele());
  const std::string syn = testing::build_tcp_packet(ip("198.51.100.2"), ip("203.0.113.2"), 40000, 21,
                                                    1000, 0, tcp_flags::kSyn, "DELE x\r\n");
  PacketDecision d;
  lab.path.judge(QueuedId{0, 1}, syn, lab.now, d);
  EXPECT_EQ(d.fate, Fate::kDrop);
}

TEST(InlineGuard, TinySegmentsAreJudgedAsOneLine) {
  Lab lab(deny_dele());
  Wire w(lab, "198.51.100.2", "203.0.113.2");
  for (char c : std::string("DELE x")) EXPECT_EQ(w.send(true, std::string(1, c)).fate, Fate::kAccept);
  EXPECT_EQ(w.send(true, "\r").fate, Fate::kAccept);
  EXPECT_EQ(w.send(true, "\n").fate, Fate::kDrop);  // its start went out: the line never ends
  EXPECT_EQ(lab.path.engine().counters().commands_denied, 1u);
}

TEST(InlineGuard, ARetransmissionOfADeniedSessionsBytesIsDropped) {
  Lab lab(deny_dele());
  Wire w(lab, "198.51.100.2", "203.0.113.2");
  const uint32_t at = w.client_seq();
  w.send(true, "DELE a\r\n");
  EXPECT_EQ(w.send_at(true, at, "DELE a\r\n").fate, Fate::kDrop);
}

}  // namespace
}  // namespace ftpgate
