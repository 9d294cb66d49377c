// HA failover and restart, the daemon half: a control connection picked up mid-stream whose
// conntrack carries what another router (or this daemon before a restart) did to it: a TCP
// sequence adjustment, expectations synced by conntrackd without their NAT part.
#include <gtest/gtest.h>

#include "packet_path_lab.h"

namespace ftpgate {
namespace {

using testing::ip;
using testing::kDnatOrig;
using testing::kDnatReply;
using testing::kMasqOrig;
using testing::Lab;
using testing::payload_of;
using testing::Wire;

// Masquerade to a longer address: "198,51,100,2" becomes "203,0,113,100", one byte more.
const CtTuple kLongReply{ip("203.0.113.2"), ip("203.0.113.100"), 21, 40000};
constexpr uint32_t kPortAt = 7000;  // where the first router rewrote a PORT line
constexpr uint32_t kServerAt = 9000;
const std::string kPort = "PORT 198,51,100,2,195,80\r\n";

// The first router rewrote the PORT at kPortAt one byte longer; conntrackd synced that.
Lab& with_adjusted_conntrack(Lab& lab) {
  lab.ct.add_connection(kMasqOrig, kLongReply);
  lab.ct.conntracks[0].seq_adj[0] = SequenceAdjustment{kPortAt, 0, 1};
  return lab;
}

// The client direction's sequence adjustment the (fake) kernel holds is {pos, before, after}.
void expect_client_adjustment(const Lab& lab, uint32_t pos, int32_t before, int32_t after) {
  const std::optional<SequenceAdjustment>& kept = lab.ct.conntracks[0].seq_adj[0];
  ASSERT_TRUE(kept);
  EXPECT_EQ(kept->correction_pos, pos);
  EXPECT_EQ(kept->offset_before, before);
  EXPECT_EQ(kept->offset_after, after);
}

TEST(Pickup, ContinuesTheSequenceAdjustmentItsConntrackCarries) {
  Lab lab;
  with_adjusted_conntrack(lab);
  Wire w(lab, "198.51.100.2", "203.0.113.2",
         Wire::MidStream{kPortAt + static_cast<uint32_t>(kPort.size()), kServerAt});
  w.client_shift = 1;  // the server counts the client's bytes one higher
  w.send(true, "NOOP\r\n");
  w.send(false, "200 NOOP ok\r\n");
  // v1 read the server's adjusted ACK as bytes it never saw (stream_gap) and lost the pairing.
  EXPECT_EQ(lab.path.engine().counters().of(Reason::kStreamGap), 0u);
  EXPECT_EQ(lab.gateway.counters().pickup_seq_adjust_adopted, 1u);

  const uint32_t second_at = w.client_seq();
  const PacketDecision d = w.send(true, "PORT 198,51,100,2,195,81\r\n");
  ASSERT_EQ(d.fate, PacketDecision::Fate::kAcceptChanged);
  EXPECT_EQ(payload_of(d.packet), "PORT 203,0,113,100,195,81\r\n");
  // Added to the first router's +1 (v1 wrote before 0, after 1 as if none existed).
  expect_client_adjustment(lab, second_at, 1, 2);
  w.client_shift = 2;
  w.send(false, "200 PORT ok\r\n");
  EXPECT_EQ(lab.path.engine().counters().of(Reason::kStreamGap), 0u);
}

TEST(Pickup, RetransmissionOfTheFirstRoutersRewriteIsRewrittenTheSameWay) {
  Lab lab;
  with_adjusted_conntrack(lab);
  // conntrackd's copy of the first router's expectation: no NAT part, the helper's 300 s.
  const CtTuple expected{ip("203.0.113.2"), ip("203.0.113.100"), 0, 50000};
  lab.ct.add_synced(kMasqOrig, expected);
  Wire w(lab, "198.51.100.2", "203.0.113.2", Wire::MidStream{kPortAt, kServerAt});
  const PacketDecision d = w.send(true, kPort);  // the client had no ACK for it yet
  ASSERT_EQ(d.fate, PacketDecision::Fate::kAcceptChanged);
  EXPECT_EQ(payload_of(d.packet), "PORT 203,0,113,100,195,80\r\n");
  // The adjustment is the one the first router made for this very segment.
  expect_client_adjustment(lab, kPortAt, 0, 1);
  // One expectation, now complete: translated back to the client, with ftpgate's timeout.
  ASSERT_EQ(lab.ct.expectations.size(), 1u);
  const ExpectationRequest& r = lab.ct.expectations[0].request;
  EXPECT_TRUE(r.nat);
  EXPECT_EQ(r.nat_to, ip("198.51.100.2"));
  EXPECT_EQ(r.nat_to_port, 50000);
  EXPECT_EQ(r.tuple.dport, 50000);
  EXPECT_EQ(r.timeout_s, 30u);
  EXPECT_EQ(lab.gateway.sync_repair_counters().nat_restored, 1u);
}

TEST(Pickup, FailoverBetweenPasvAnd227IsBelievedAndRewritten) {
  Lab lab;
  lab.ct.add_connection(kDnatOrig, kDnatReply);
  Wire w(lab, "203.0.113.9", "198.51.100.3", Wire::MidStream{3000, 4000});
  const PacketDecision d = w.send(false, "227 Entering Passive Mode (198,51,100,3,195,80).\r\n");
  ASSERT_EQ(d.fate, PacketDecision::Fate::kAcceptChanged);
  EXPECT_EQ(payload_of(d.packet), "227 Entering Passive Mode (203,0,113,1,195,80).\r\n");
  EXPECT_EQ(lab.path.engine().counters().passive_replies_after_pickup, 1u);
  ASSERT_EQ(lab.ct.expectations.size(), 1u);
  EXPECT_TRUE(lab.ct.expectations[0].request.nat);
  EXPECT_EQ(lab.ct.expectations[0].request.nat_to, ip("198.51.100.3"));
}

TEST(Pickup, SyncedExpectationOfAConnectionWithoutNatOnlyGetsFtpgatesTimeout) {
  Lab lab;
  lab.ct.add_connection(kMasqOrig);
  const CtTuple expected{ip("203.0.113.2"), ip("198.51.100.2"), 0, 50000};
  lab.ct.add_synced(kMasqOrig, expected);
  Wire w(lab, "198.51.100.2", "203.0.113.2", Wire::MidStream{kPortAt, kServerAt});
  w.send(true, "NOOP\r\n");
  ASSERT_EQ(lab.ct.expectations.size(), 1u);
  EXPECT_FALSE(lab.ct.expectations[0].request.nat);
  EXPECT_EQ(lab.ct.expectations[0].request.timeout_s, 30u);
  EXPECT_EQ(lab.gateway.sync_repair_counters().retimed, 1u);
  EXPECT_EQ(lab.gateway.sync_repair_counters().nat_restored, 0u);
}

TEST(Pickup, MissingConntrackIsCountedAndTheSessionStillInspected) {
  Lab lab;  // no conntrack at all (flushed)
  Wire w(lab, "198.51.100.2", "203.0.113.2", Wire::MidStream{kPortAt, kServerAt});
  w.send(true, "PASV\r\n");
  EXPECT_EQ(lab.gateway.counters().conntrack_missing, 1u);
  EXPECT_EQ(lab.path.engine().session_count(), 1u);
}

}  // namespace
}  // namespace ftpgate
