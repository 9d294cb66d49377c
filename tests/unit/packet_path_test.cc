// The daemon half without root: PacketPath and Gateway judging built packets, with a fake
// conntrack behind the gateway (held-segment merging, several rewrites in one segment,
// retransmissions, hold timeouts, NAT and not, the kernel's refusals).
#include "daemon/packet_path.h"

#include <gtest/gtest.h>

#include <sstream>

#include "daemon/synced_expectations.h"
#include "packet_path_lab.h"

namespace ftpgate {
namespace {

using testing::ip;
using testing::Lab;
using testing::payload_of;
using testing::Wire;
using testing::kDnatOrig;
using testing::kDnatReply;
using testing::kMasqOrig;
using testing::kMasqReply;

TEST(PacketPath, WithoutNatExpectationsAreInstalledAndPacketsPassUnchanged) {
  Lab lab;
  lab.ct.add_connection(kMasqOrig);
  Wire w(lab, "198.51.100.2", "203.0.113.2");
  EXPECT_FALSE(w.send(true, "NOOP\r\n").carried_decision);
  const PacketDecision d = w.send(true, "PORT 198,51,100,2,195,80\r\n");
  EXPECT_EQ(d.fate, PacketDecision::Fate::kAccept);
  EXPECT_TRUE(d.carried_decision);  // its verdict latency is reported apart
  ASSERT_EQ(lab.ct.expectations.size(), 1u);
  const ExpectationRequest& r = lab.ct.expectations[0].request;
  EXPECT_EQ(r.master, kMasqOrig);
  EXPECT_EQ(r.tuple.src, ip("203.0.113.2"));
  EXPECT_EQ(r.tuple.dport, 50000);
  EXPECT_FALSE(r.nat);
  EXPECT_EQ(lab.gateway.counters().expectations_installed, 1u);
}

TEST(PacketPath, MasqueradedPortIsRewritten) {
  Lab lab;
  lab.ct.add_connection(kMasqOrig, kMasqReply);
  Wire w(lab, "198.51.100.2", "203.0.113.2");
  const PacketDecision d = w.send(true, "PORT 198,51,100,2,195,80\r\n");
  ASSERT_EQ(d.fate, PacketDecision::Fate::kAcceptChanged);
  EXPECT_EQ(payload_of(d.packet), "PORT 203,0,113,1,195,80\r\n");
  ASSERT_EQ(lab.ct.expectations.size(), 1u);
  EXPECT_TRUE(lab.ct.expectations[0].request.nat);
  EXPECT_EQ(lab.ct.expectations[0].request.tuple.dst, ip("203.0.113.1"));
  // One byte shorter: the adjustment is written once (and read back).
  EXPECT_EQ(lab.ct.seq_adjust_writes, 1);
  ASSERT_TRUE(lab.ct.conntracks[0].seq_adj[0]);
  EXPECT_EQ(lab.ct.conntracks[0].seq_adj[0]->offset_after, -1);
  EXPECT_NE(lab.log_text().find("rewrite \"198,51,100,2,195,80\" -> \"203,0,113,1,195,80\""),
            std::string::npos);
}

TEST(PacketPath, TwoPassiveRepliesInOneSegmentAreBothRewritten) {
  // Pipelined PASV PASV, both 227 in one segment: each endpoint text is rewritten in the one
  // packet released (v1 kept only the second rewrite; the first inside address leaked).
  Lab lab;
  lab.ct.add_connection(kDnatOrig, kDnatReply);
  Wire w(lab, "203.0.113.9", "198.51.100.3");
  w.send(true, "PASV\r\nPASV\r\n");
  const PacketDecision d = w.send(false,
                                  "227 Entering Passive Mode (198,51,100,3,195,80).\r\n"
                                  "227 Entering Passive Mode (198,51,100,3,195,81).\r\n");
  ASSERT_EQ(d.fate, PacketDecision::Fate::kAcceptChanged);
  EXPECT_EQ(payload_of(d.packet),
            "227 Entering Passive Mode (203,0,113,1,195,80).\r\n"
            "227 Entering Passive Mode (203,0,113,1,195,81).\r\n");
  EXPECT_EQ(lab.gateway.counters().nat_rewrites, 2u);
  // Both decisions are logged with the rewrite that reached the wire.
  const std::string log = lab.log_text();
  EXPECT_NE(log.find("\"198,51,100,3,195,80\" -> \"203,0,113,1,195,80\""), std::string::npos) << log;
  EXPECT_NE(log.find("\"198,51,100,3,195,81\" -> \"203,0,113,1,195,81\""), std::string::npos) << log;
}

TEST(PacketPath, PortAndEprtInOneSegmentChangeLengthOnce) {
  // Two client lines rewritten in one segment: one sequence adjustment for the sum.
  Lab lab;
  lab.policy.refuse_unanswered_port = false;
  lab.gateway.set_policy(lab.policy, lab.nat);
  lab.path.engine().set_policy(lab.policy);
  const CtTuple reply{ip("203.0.113.2"), ip("203.0.113.100"), 21, 40000};  // longer address
  lab.ct.add_connection(kMasqOrig, reply);
  Wire w(lab, "198.51.100.2", "203.0.113.2");
  const std::string lines = "PORT 198,51,100,2,195,80\r\nEPRT |1|198.51.100.2|50001|\r\n";
  const PacketDecision d = w.send(true, lines);
  ASSERT_EQ(d.fate, PacketDecision::Fate::kAcceptChanged);
  const std::string rewritten = "PORT 203,0,113,100,195,80\r\nEPRT |1|203.0.113.100|50001|\r\n";
  EXPECT_EQ(payload_of(d.packet), rewritten);
  ASSERT_EQ(lab.ct.seq_adjust_writes, 1);
  const auto& adj = lab.ct.conntracks[0].seq_adj[0];
  ASSERT_TRUE(adj);
  EXPECT_EQ(adj->offset_after, static_cast<int32_t>(rewritten.size() - lines.size()));
  EXPECT_EQ(adj->correction_pos, w.client_seq() - lines.size());
}

TEST(PacketPath, SplitPortIsHeldAndMergedIntoTheCompletingSegment) {
  Lab lab;
  lab.ct.add_connection(kMasqOrig, kMasqReply);
  Wire w(lab, "198.51.100.2", "203.0.113.2");
  const PacketDecision first = w.send(true, "PORT 198,51,");
  EXPECT_EQ(first.fate, PacketDecision::Fate::kHold);
  const QueuedId held = w.last_id();
  EXPECT_EQ(lab.path.held(), 1u);
  const PacketDecision second = w.send(true, "100,2,195,80\r\n");
  ASSERT_EQ(second.fate, PacketDecision::Fate::kAcceptChanged);
  EXPECT_EQ(payload_of(second.packet), "PORT 203,0,113,1,195,80\r\n");
  EXPECT_EQ(decode_ip_packet(second.packet).segment.seq, w.client_seq() - 26);
  EXPECT_EQ(second.drop, std::vector<QueuedId>{held});
  EXPECT_EQ(lab.path.held(), 0u);
  EXPECT_EQ(lab.path.counters().merged, 1u);
}

TEST(PacketPath, HeldSegmentTimesOutAndTheRewriteIsWithdrawn) {
  Lab lab;
  lab.ct.add_connection(kMasqOrig, kMasqReply);
  Wire w(lab, "198.51.100.2", "203.0.113.2");
  EXPECT_EQ(w.send(true, "PORT 198,51,").fate, PacketDecision::Fate::kHold);
  const QueuedId held = w.last_id();
  EXPECT_TRUE(lab.path.release_expired(lab.now + 100'000).empty());
  EXPECT_EQ(lab.path.release_expired(lab.now + lab.nat.hold_timeout),
            std::vector<QueuedId>{held});
  EXPECT_EQ(lab.path.counters().hold_timeouts, 1u);
  // The rest of the line arrives: its start is already on its way, unchanged, so no rewrite
  // is possible: the expectation is withdrawn and counted.
  const PacketDecision d = w.send(true, "100,2,195,80\r\n");
  EXPECT_EQ(d.fate, PacketDecision::Fate::kAccept);
  EXPECT_EQ(lab.gateway.counters().nat_rewrite_impossible, 1u);
  EXPECT_TRUE(lab.ct.expectations.empty());
  EXPECT_NE(lab.log_text().find("not installed: nat rewrite"), std::string::npos);
}

TEST(PacketPath, HeldSegmentsOfASessionThatEndsAreReleased) {
  Lab lab;
  lab.ct.add_connection(kMasqOrig, kMasqReply);
  Wire w(lab, "198.51.100.2", "203.0.113.2");
  w.send(true, "PORT 198,51,");
  const QueuedId held = w.last_id();
  const PacketDecision rst = w.send(false, "", tcp_flags::kRst);
  EXPECT_EQ(rst.release, std::vector<QueuedId>{held});
  EXPECT_EQ(lab.path.held(), 0u);
}

TEST(PacketPath, RetransmissionOfARewrittenSegmentIsRewrittenAgain) {
  Lab lab;
  const CtTuple reply{ip("203.0.113.2"), ip("203.0.113.100"), 21, 40000};
  lab.ct.add_connection(kMasqOrig, reply);
  Wire w(lab, "198.51.100.2", "203.0.113.2");
  const uint32_t at = w.client_seq();
  const PacketDecision d = w.send(true, "PORT 198,51,100,2,195,80\r\n");
  ASSERT_EQ(d.fate, PacketDecision::Fate::kAcceptChanged);
  const PacketDecision again = w.send_at(true, at, "PORT 198,51,100,2,195,80\r\n");
  ASSERT_EQ(again.fate, PacketDecision::Fate::kAcceptChanged);
  EXPECT_EQ(payload_of(again.packet), "PORT 203,0,113,100,195,80\r\n");
  EXPECT_EQ(lab.path.counters().retransmits_rewritten, 1u);
  // A retransmission that starts inside the rewritten text has no consistent rewrite: dropped.
  const PacketDecision partial = w.send_at(true, at + 5, "198,51,100,2,195,80\r\n");
  EXPECT_EQ(partial.fate, PacketDecision::Fate::kDrop);
  EXPECT_EQ(lab.path.counters().partial_retransmits_dropped, 1u);
  // One expectation, one adjustment: the retransmissions changed neither.
  EXPECT_EQ(lab.ct.expectations.size(), 1u);
  EXPECT_EQ(lab.ct.seq_adjust_writes, 1);
}

TEST(PacketPath, PeerAcksAreReadInTheSendersNumberingAfterALengthChange) {
  // After the PORT line grew by a byte, the server acknowledges one more byte than the client
  // sent; the engine must not take that for a stream gap.
  Lab lab;
  const CtTuple reply{ip("203.0.113.2"), ip("203.0.113.100"), 21, 40000};
  lab.ct.add_connection(kMasqOrig, reply);
  Wire w(lab, "198.51.100.2", "203.0.113.2");
  w.send(true, "PORT 198,51,100,2,195,80\r\n");
  const std::string pkt = testing::build_tcp_packet(ip("203.0.113.2"), ip("198.51.100.2"), 21, 40000,
                                                    w.server_seq(), w.client_seq() + 1,
                                                    tcp_flags::kAck | tcp_flags::kPsh, "200 ok\r\n");
  PacketDecision d;
  lab.path.judge(QueuedId{0, 99}, pkt, lab.now, d);
  EXPECT_EQ(lab.path.engine().counters().of(Reason::kStreamGap), 0u);
}

TEST(PacketPath, SeqAdjustmentTheKernelDoesNotKeepWithdrawsTheRewrite) {
  Lab lab;
  lab.ct.keeps_seq_adjust_extension = false;
  const CtTuple reply{ip("203.0.113.2"), ip("203.0.113.100"), 21, 40000};
  lab.ct.add_connection(kMasqOrig, reply);
  Wire w(lab, "198.51.100.2", "203.0.113.2");
  const PacketDecision d = w.send(true, "PORT 198,51,100,2,195,80\r\n");
  EXPECT_EQ(d.fate, PacketDecision::Fate::kAccept);  // released as it was
  EXPECT_EQ(lab.gateway.counters().nat_seq_adjust_unavailable, 1u);
  EXPECT_TRUE(lab.ct.expectations.empty());
}

TEST(Gateway, PortTheServerRefusesIsRemovedFromTheKernel) {
  Lab lab;
  lab.ct.add_connection(kMasqOrig);
  Wire w(lab, "198.51.100.2", "203.0.113.2");
  w.send(true, "PORT 198,51,100,2,195,80\r\n");
  ASSERT_EQ(lab.ct.expectations.size(), 1u);
  w.send(false, "500 Illegal PORT command.\r\n");
  EXPECT_TRUE(lab.ct.expectations.empty());
  EXPECT_EQ(lab.gateway.counters().expectations_withdrawn_removed, 1u);
  EXPECT_NE(lab.log_text().find("withdrawn"), std::string::npos);
  // Its end removes nothing more.
  w.send(true, "", tcp_flags::kRst);
  EXPECT_EQ(lab.ct.removes, 1);
}

TEST(Gateway, KernelRefusalsAreCountedByKind) {
  Lab lab;
  lab.ct.add_connection(kMasqOrig);
  lab.ct.install_errors = {-EBUSY, -EMFILE, -EOPNOTSUPP, -EINVAL};
  Wire w(lab, "198.51.100.2", "203.0.113.2");
  for (int port = 0; port < 4; ++port) {
    w.send(true, "PORT 198,51,100,2,195," + std::to_string(80 + port) + "\r\n");
    w.send(false, "200 ok\r\n");
  }
  const GatewayCounters& c = lab.gateway.counters();
  EXPECT_EQ(c.install_busy, 1u);
  EXPECT_EQ(c.install_table_full, 1u);
  EXPECT_EQ(c.install_no_helper, 1u);
  EXPECT_EQ(c.install_errors, 1u);
  EXPECT_EQ(c.expectations_installed, 0u);
  EXPECT_NE(lab.log_text().find("refused the expectation: device or resource busy (EBUSY)"),
            std::string::npos);
}

TEST(Gateway, ControlConnectionWithoutHelperIsExplained) {
  Lab lab;
  lab.ct.add_connection(kMasqOrig, std::nullopt, "");
  Wire w(lab, "198.51.100.2", "203.0.113.2");
  w.send(true, "PORT 198,51,100,2,195,80\r\n");
  EXPECT_EQ(lab.gateway.counters().install_no_helper, 1u);
  EXPECT_EQ(lab.ct.installs, 0);
  EXPECT_NE(lab.log_text().find("carries no conntrack helper"), std::string::npos);
}

TEST(Gateway, VanishedConntrackIsLookedUpAgainOnce) {
  Lab lab;
  lab.ct.add_connection(kMasqOrig);
  lab.ct.install_errors = {-ENOENT};
  Wire w(lab, "198.51.100.2", "203.0.113.2");
  w.send(true, "PORT 198,51,100,2,195,80\r\n");
  EXPECT_EQ(lab.gateway.counters().expectations_installed, 1u);
  EXPECT_EQ(lab.ct.lookups, 2);
}

TEST(Gateway, EndingASessionRemovesOnlyItsOwnExpectations) {
  // Session A expects 203.0.113.2 -> 198.51.100.2:50000; the data connection uses it; session B
  // (same client, another control port) then expects the same tuple. When A ends, B's stays
  // (v1 deleted by tuple alone and removed B's).
  Lab lab;
  const CtTuple b_orig{ip("198.51.100.2"), ip("203.0.113.2"), 40001, 21};
  lab.ct.add_connection(kMasqOrig);
  lab.ct.add_connection(b_orig);
  Wire a(lab, "198.51.100.2", "203.0.113.2", 40000);
  a.send(true, "PORT 198,51,100,2,195,80\r\n");
  const CtTuple data{ip("203.0.113.2"), ip("198.51.100.2"), 0, 50000};
  lab.ct.use(data);
  Wire b(lab, "198.51.100.2", "203.0.113.2", 40001);
  b.send(true, "PORT 198,51,100,2,195,80\r\n");
  ASSERT_NE(lab.ct.find_expected(data), nullptr);
  a.send(true, "", tcp_flags::kRst);
  const auto* still = lab.ct.find_expected(data);
  ASSERT_NE(still, nullptr);
  EXPECT_EQ(still->request.master, b_orig);
  EXPECT_EQ(lab.gateway.counters().expectations_not_ours, 1u);
  // B's own end removes it.
  b.send(true, "", tcp_flags::kRst);
  EXPECT_EQ(lab.ct.find_expected(data), nullptr);
  EXPECT_EQ(lab.gateway.counters().expectations_removed, 1u);
}

TEST(Gateway, AnExpectationItsTransferUsedIsNotLookedForAtSessionEnd) {
  // The 150 to RETR says the data connection came: the kernel removed the expectation, so the
  // session's end costs no EXP_GET/EXP_DELETE for it.
  Lab lab;
  lab.ct.add_connection(kMasqOrig);
  Wire w(lab, "198.51.100.2", "203.0.113.2", 40000);
  w.send(true, "PORT 198,51,100,2,195,80\r\n");
  w.send(false, "200 ok\r\n");
  lab.ct.use(CtTuple{ip("203.0.113.2"), ip("198.51.100.2"), 0, 50000});
  w.send(true, "RETR a\r\n");
  w.send(false, "150 Opening\r\n226 done\r\n");
  const int removes_before = lab.ct.removes;
  w.send(true, "", tcp_flags::kRst);
  EXPECT_EQ(lab.ct.removes, removes_before);
  EXPECT_EQ(lab.path.engine().counters().expectations_used, 1u);
  EXPECT_EQ(lab.log_text().find("used"), std::string::npos);  // not a log line
}

TEST(Gateway, ReplacedExpectationIsForgottenNotRemovedAtSessionEnd) {
  // max_expectations_per_session = 1: the second PORT replaces the first (the kernel evicts it).
  // At session end only the second is removed.
  Lab lab;
  lab.ct.add_connection(kMasqOrig);
  Wire w(lab, "198.51.100.2", "203.0.113.2");
  w.send(true, "PORT 198,51,100,2,195,80\r\n");
  w.send(false, "200 ok\r\n");
  w.send(true, "PORT 198,51,100,2,195,81\r\n");
  w.send(false, "200 ok\r\n");
  lab.ct.removes = 0;
  w.send(true, "", tcp_flags::kRst);
  EXPECT_EQ(lab.ct.removes, 1);
}

TEST(Gateway, FailedLookupIsNotRepeatedOnEverySegment) {
  // A NATed gateway checks each unfinished endpoint line; when the control connection's
  // conntrack cannot be found it looks again only after kLookupRetryInterval.
  Lab lab;  // the fake has no conntrack at all
  Wire w(lab, "198.51.100.2", "203.0.113.2");
  for (int i = 0; i < 10; ++i) {
    w.send(true, "PORT 198,51,");
    w.send(true, "100,2,195,80\r\n");
    w.send(false, "200 ok\r\n");
  }
  // The first per-segment check looks (GET, reply GET, table walk) and fails; each of the ten
  // installs looks again (a decision is worth it); the other nine checks do not look.
  EXPECT_EQ(lab.gateway.counters().conntrack_lookups, 11u);
  EXPECT_EQ(lab.ct.table_walks, 11);
  EXPECT_EQ(lab.gateway.counters().conntrack_missing, 11u);
  lab.now += Gateway::kLookupRetryInterval;
  w.send(true, "PORT 198,51,");
  EXPECT_EQ(lab.gateway.counters().conntrack_lookups, 12u);
}

TEST(Gateway, ExpectationsThatTimedOutUnusedLeaveTheSessionsList) {
  // A long session announcing a port now and then: the list of what it has in the kernel must
  // not keep every expectation that expired unused.
  Lab lab;
  lab.ct.add_connection(CtTuple{ip("198.51.100.2"), ip("203.0.113.2"), 40000, 21});
  Wire w(lab, "198.51.100.2", "203.0.113.2");
  for (int i = 0; i < 5; ++i) {
    w.send(true, "PORT 198,51,100,2,195," + std::to_string(80 + i) + "\r\n");
    w.send(false, "200 ok\r\n");
    lab.now += lab.policy.expectation_timeout + 1;
  }
  const Session* s = lab.path.engine().find(ControlFlow{ip("198.51.100.2"), ip("203.0.113.2"), 40000, 21});
  ASSERT_NE(s, nullptr);
  ASSERT_NE(find_control_state(s), nullptr);
  EXPECT_EQ(find_control_state(s)->installed.size(), 1u);  // the last one only
}

TEST(Gateway, AMovedPortMarksTheControlConnectionForTheOtherRouter) {
  // Masquerade: the public 203.0.113.1:50000 is expected already by another connection, so the
  // PORT is announced as 50001; the mark tells an HA peer not to guess the inside port.
  Lab lab;
  lab.ct.add_connection(kMasqOrig, kMasqReply);
  const CtTuple other{ip("198.51.100.7"), ip("203.0.113.2"), 40100, 21};
  lab.ct.add_connection(other);
  lab.ct.add_synced(other, CtTuple{ip("203.0.113.2"), ip("203.0.113.1"), 0, 50000});
  Wire w(lab, "198.51.100.2", "203.0.113.2");
  w.send(true, "PORT 198,51,100,2,195,80\r\n");
  EXPECT_EQ(lab.gateway.counters().nat_port_changed, 1u);
  EXPECT_EQ(lab.ct.conntracks[0].mark & kPortMovedMark, kPortMovedMark);
}

}  // namespace
}  // namespace ftpgate
