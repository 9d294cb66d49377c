// Expectations that ride on the verdict of their packet (NFQA_EXP, kernels with the NFQUEUE
// conntrack glue): taken while the packet is judged, logged only once the verdict has gone out
// and the kernel has said what became of them; a silent refusal is found and told.
#include <gtest/gtest.h>

#include "packet_path_lab.h"

namespace ftpgate {
namespace {

using testing::ip;
using testing::kMasqOrig;
using testing::kMasqReply;
using testing::Lab;
using testing::Wire;

struct GlueLab : Lab {
  GlueLab() {
    ct.verdict_glue = true;
    ct.packet_has_conntrack = true;
  }
};

TEST(VerdictExpectation, RidesOnTheVerdictAndIsLoggedAfterIt) {
  GlueLab lab;
  lab.ct.add_connection(kMasqOrig);
  Wire w(lab, "198.51.100.2", "203.0.113.2");
  const PacketDecision d = w.send(true, "PORT 198,51,100,2,195,80\r\n");
  EXPECT_EQ(d.fate, PacketDecision::Fate::kAccept);
  ASSERT_NE(lab.ct.attached(), nullptr);
  EXPECT_EQ(lab.ct.attached()->tuple.dport, 50000);
  EXPECT_TRUE(lab.ct.expectations.empty());  // no ctnetlink install: the verdict carries it
  EXPECT_EQ(lab.log_text().find("installed"), std::string::npos);
  lab.gateway.finish_attached(true);
  EXPECT_EQ(lab.ct.created_by_verdict, 1);
  EXPECT_EQ(lab.ct.installs, 0);
  EXPECT_EQ(lab.gateway.counters().verdict_attached, 1u);
  EXPECT_EQ(lab.gateway.counters().expectations_installed, 1u);
  EXPECT_NE(lab.log_text().find("installed, timeout 30s (helper sane), in the verdict"), std::string::npos);
}

TEST(VerdictExpectation, ASilentRefusalIsFoundAndLoggedWithItsReason) {
  GlueLab lab;
  lab.ct.verdict_creates = false;
  lab.ct.add_connection(kMasqOrig);
  // Another control connection expects the same tuple: the kernel drops ours without a word
  // (nfqnl_recv_verdict ignores it); the install that follows says EBUSY.
  const CtTuple other{ip("198.51.100.7"), ip("203.0.113.2"), 40100, 21};
  lab.ct.add_connection(other);
  lab.ct.add_synced(other, CtTuple{ip("203.0.113.2"), ip("198.51.100.2"), 0, 50000});
  Wire w(lab, "198.51.100.2", "203.0.113.2");
  w.send(true, "PORT 198,51,100,2,195,80\r\n");
  lab.gateway.finish_attached(true);
  EXPECT_EQ(lab.gateway.counters().expectations_installed, 0u);
  EXPECT_EQ(lab.gateway.counters().install_busy, 1u);
  EXPECT_NE(lab.log_text().find("not installed: the kernel refused the expectation"), std::string::npos);
  // Not remembered as this session's: its end removes nothing.
  w.send(true, "", tcp_flags::kRst);
  EXPECT_EQ(lab.ct.removes, 0);
}

TEST(VerdictExpectation, AVerdictThatCannotCarryItInstallsItOverCtnetlink) {
  GlueLab lab;
  lab.ct.add_connection(kMasqOrig);
  Wire w(lab, "198.51.100.2", "203.0.113.2");
  w.send(true, "PORT 198,51,100,2,195,80\r\n");
  lab.gateway.finish_attached(false);
  EXPECT_EQ(lab.ct.installs, 1);
  ASSERT_EQ(lab.ct.expectations.size(), 1u);
  EXPECT_EQ(lab.gateway.counters().verdict_attached, 0u);
  EXPECT_EQ(lab.gateway.counters().expectations_installed, 1u);
}

TEST(VerdictExpectation, NatExpectationsStayOnCtnetlink) {
  GlueLab lab;
  lab.ct.add_connection(kMasqOrig, kMasqReply);
  Wire w(lab, "198.51.100.2", "203.0.113.2");
  const PacketDecision d = w.send(true, "PORT 198,51,100,2,195,80\r\n");
  EXPECT_EQ(d.fate, PacketDecision::Fate::kAcceptChanged);
  EXPECT_EQ(lab.ct.attached(), nullptr);
  EXPECT_EQ(lab.ct.expectations.size(), 1u);
}

TEST(VerdictExpectation, WithoutTheGluePacketNothingRidesOnTheVerdict) {
  GlueLab lab;
  lab.ct.packet_has_conntrack = false;
  lab.ct.add_connection(kMasqOrig);
  Wire w(lab, "198.51.100.2", "203.0.113.2");
  w.send(true, "PORT 198,51,100,2,195,80\r\n");
  EXPECT_EQ(lab.ct.attached(), nullptr);
  EXPECT_EQ(lab.ct.installs, 1);
}

TEST(VerdictExpectation, TwoOffersInOnePacketReachTheKernelInTheirOrder) {
  GlueLab lab;
  lab.policy.max_expectations_per_session = 2;
  lab.ct.add_connection(CtTuple{ip("198.51.100.2"), ip("203.0.113.2"), 40000, 21});
  Wire w(lab, "198.51.100.2", "203.0.113.2");
  w.send(true, "PASV\r\nPASV\r\n");
  w.send(false, "227 Entering Passive Mode (203,0,113,2,195,80)\r\n"
                "227 Entering Passive Mode (203,0,113,2,195,81)\r\n");
  lab.gateway.finish_attached(true);
  ASSERT_EQ(lab.ct.expectations.size(), 2u);
  EXPECT_EQ(lab.ct.expectations[0].request.tuple.dport, 50000);  // the first offer, first
  EXPECT_EQ(lab.ct.expectations[1].request.tuple.dport, 50001);
}

}  // namespace
}  // namespace ftpgate
