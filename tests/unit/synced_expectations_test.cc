// What a synced expectation needs, decided from its master's conntrack, and the repair of a
// whole table (`ftpgate ha takeover`) against a fake conntrack.
#include "daemon/synced_expectations.h"

#include <gtest/gtest.h>

#include "fake_conntrack.h"

namespace ftpgate {
namespace {

using testing::FakeConntrack;
using testing::ip;

ConntrackInfo conntrack(const CtTuple& orig, const CtTuple& reply) {
  ConntrackInfo c;
  c.orig = orig;
  c.reply = reply;
  c.helper = "sane";
  return c;
}

ExpectationInfo synced(const CtTuple& master, const CtTuple& tuple, uint32_t timeout = 300) {
  return ExpectationInfo{master, tuple, 1, timeout, "sane", false};
}

struct Row {
  const char* name;
  CtTuple orig, reply, tuple;
  bool has_nat;
  uint32_t timeout;
  bool restore_nat, retime, unrepairable;
  uint32_t nat_dir;
  const char* nat_to;
};

// client 198.51.100.2 (inside), its public 203.0.113.1; server 203.0.113.2; DNAT: public
// 203.0.113.1:21 served by inside 198.51.100.3 for outside client 203.0.113.9.
const Row kRows[] = {
    {"masquerade_port", {ip("198.51.100.2"), ip("203.0.113.2"), 40000, 21},
     {ip("203.0.113.2"), ip("203.0.113.1"), 21, 40000}, {ip("203.0.113.2"), ip("203.0.113.1"), 0, 50000},
     false, 300, true, true, false, 1, "198.51.100.2"},
    {"masquerade_pasv", {ip("198.51.100.2"), ip("203.0.113.2"), 40000, 21},
     {ip("203.0.113.2"), ip("203.0.113.1"), 21, 40000}, {ip("198.51.100.2"), ip("203.0.113.2"), 0, 50000},
     false, 300, true, true, false, 0, "203.0.113.2"},
    {"dnat_pasv", {ip("203.0.113.9"), ip("203.0.113.1"), 40000, 21},
     {ip("198.51.100.3"), ip("203.0.113.9"), 21, 40000}, {ip("203.0.113.9"), ip("203.0.113.1"), 0, 50000},
     false, 300, true, true, false, 0, "198.51.100.3"},
    {"dnat_port", {ip("203.0.113.9"), ip("203.0.113.1"), 40000, 21},
     {ip("198.51.100.3"), ip("203.0.113.9"), 21, 40000}, {ip("198.51.100.3"), ip("203.0.113.9"), 0, 50000},
     false, 300, true, true, false, 1, "203.0.113.9"},
    {"no_nat_retime_only", {ip("198.51.100.2"), ip("203.0.113.2"), 40000, 21},
     {ip("203.0.113.2"), ip("198.51.100.2"), 21, 40000}, {ip("203.0.113.2"), ip("198.51.100.2"), 0, 50000},
     false, 300, false, true, false, 0, nullptr},
    {"complete_already", {ip("198.51.100.2"), ip("203.0.113.2"), 40000, 21},
     {ip("203.0.113.2"), ip("203.0.113.1"), 21, 40000}, {ip("203.0.113.2"), ip("203.0.113.1"), 0, 50000},
     true, 12, false, false, false, 0, nullptr},
    {"nated_master_other_address", {ip("198.51.100.2"), ip("203.0.113.2"), 40000, 21},
     {ip("203.0.113.2"), ip("203.0.113.1"), 21, 40000}, {ip("203.0.113.2"), ip("192.0.2.7"), 0, 50000},
     false, 20, false, false, true, 0, nullptr},
};

void PrintTo(const Row& row, std::ostream* os) { *os << row.name; }

class PlanRepair : public ::testing::TestWithParam<Row> {};

TEST(PlanRepairMovedPort, AMasterWhosePortTheFirstRouterMovedIsLeftClosed) {
  // masquerade_port, but r1 announced 50001 for the client's 50000 (50000 was expected already):
  // the synced expectation says 50001, the inside port is unknown here.
  const CtTuple orig{ip("198.51.100.2"), ip("203.0.113.2"), 40000, 21};
  ConntrackInfo master = conntrack(orig, {ip("203.0.113.2"), ip("203.0.113.1"), 21, 40000});
  master.mark = 0x01000000 | kPortMovedMark;
  const ExpectationRepair r =
      plan_expectation_repair(synced(orig, {ip("203.0.113.2"), ip("203.0.113.1"), 0, 50001}), master, 30);
  EXPECT_TRUE(r.unrepairable);
  EXPECT_FALSE(r.restore_nat);
}

TEST_P(PlanRepair, AsTheMastersTranslationSays) {
  const Row& row = GetParam();
  ExpectationInfo e = synced(row.orig, row.tuple, row.timeout);
  e.has_nat = row.has_nat;
  const ExpectationRepair r = plan_expectation_repair(e, conntrack(row.orig, row.reply), 30);
  EXPECT_EQ(r.restore_nat, row.restore_nat);
  EXPECT_EQ(r.retime, row.retime);
  EXPECT_EQ(r.unrepairable, row.unrepairable);
  EXPECT_EQ(r.request.timeout_s, 30u);
  if (row.restore_nat) {
    EXPECT_TRUE(r.request.nat);
    EXPECT_EQ(r.request.nat_dir, row.nat_dir);
    EXPECT_EQ(r.request.nat_to, ip(row.nat_to));
    EXPECT_EQ(r.request.nat_to_port, row.tuple.dport);
    EXPECT_EQ(r.request.tuple, row.tuple);
  }
}

INSTANTIATE_TEST_SUITE_P(Table, PlanRepair, ::testing::ValuesIn(kRows),
                         [](const ::testing::TestParamInfo<Row>& i) { return std::string(i.param.name); });

TEST(SyncedExpectations, TakeoverRepairsOnlyExpectationsOfFtpgatesHelpers) {
  FakeConntrack ct;
  const CtTuple masq{ip("198.51.100.2"), ip("203.0.113.2"), 40000, 21};
  const CtTuple other{ip("198.51.100.4"), ip("203.0.113.2"), 40001, 21};
  ct.add_connection(masq, CtTuple{ip("203.0.113.2"), ip("203.0.113.1"), 21, 40000});
  ct.add_connection(other, CtTuple{ip("203.0.113.2"), ip("203.0.113.1"), 21, 40001}, "ftp");
  ct.add_synced(masq, CtTuple{ip("203.0.113.2"), ip("203.0.113.1"), 0, 50000});
  ct.add_synced(other, CtTuple{ip("203.0.113.2"), ip("203.0.113.1"), 0, 50001});  // the kernel helper's
  SyncedExpectations repair(ct, {"sane", "ftpgate"}, 30);
  EXPECT_EQ(repair.repair_all(), 0);
  EXPECT_EQ(repair.counters().checked, 1u);
  EXPECT_EQ(repair.counters().nat_restored, 1u);
  const auto* fixed = ct.find_expected(CtTuple{ip("203.0.113.2"), ip("203.0.113.1"), 0, 50000});
  ASSERT_NE(fixed, nullptr);
  EXPECT_TRUE(fixed->request.nat);
  const auto* left = ct.find_expected(CtTuple{ip("203.0.113.2"), ip("203.0.113.1"), 0, 50001});
  ASSERT_NE(left, nullptr);
  EXPECT_FALSE(left->request.nat);
  EXPECT_EQ(left->request.timeout_s, 300u);
  // Twice in a row changes nothing more.
  EXPECT_EQ(repair.repair_all(), 0);
  EXPECT_EQ(repair.counters().nat_restored, 1u);
  EXPECT_EQ(repair.counters().retimed, 0u);
}

TEST(SyncedExpectations, ARefusedReplacementIsCounted) {
  FakeConntrack ct;
  const CtTuple masq{ip("198.51.100.2"), ip("203.0.113.2"), 40000, 21};
  ct.add_connection(masq, CtTuple{ip("203.0.113.2"), ip("203.0.113.1"), 21, 40000});
  ct.add_synced(masq, CtTuple{ip("203.0.113.2"), ip("203.0.113.1"), 0, 50000});
  ct.install_errors = {-ENOMEM};
  SyncedExpectations repair(ct, {"sane"}, 30);
  EXPECT_EQ(repair.repair_all(), 0);
  EXPECT_EQ(repair.counters().errors, 1u);
}

}  // namespace
}  // namespace ftpgate
