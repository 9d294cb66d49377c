// The inputs of docs/kernel-ftp-behaviour.md section (b), fed to ftpgate. Each row says
// what ftpgate does and, where that differs from nf_conntrack_ftp, why ("differs:").
//
// Setup as in the document: client C = 10.0.1.2:40000, server S = 10.0.2.2:21, no NAT, strict.
// The banner/USER/PASS exchange has happened. Replies (227/229) are sent after the matching
// PASV/EPSV, because ftpgate believes them only then (the kernel does not track commands).
#include <gtest/gtest.h>

#include <optional>

#include "test_support.h"

namespace ftpgate {
namespace {

using testing::Conversation;
using testing::RecordingSink;

struct Row {
  int number;
  bool from_client;
  std::vector<std::string> segments;  // sent in order, one TCP segment each
  const char* passive_verb;           // sent by the client before the segments, or nullptr
  std::optional<uint16_t> expect_port;  // an expectation to this port, or none
  std::optional<Reason> reason;         // the named reject/anomaly, if any
  const char* note;
};

// Readable test output instead of a byte dump.
void PrintTo(const Row& row, std::ostream* os) { *os << "#" << row.number << " " << row.note; }

class KernelBehaviour : public ::testing::TestWithParam<Row> {};

TEST_P(KernelBehaviour, Row) {
  const Row& row = GetParam();
  RecordingSink sink;
  Policy policy;
  Engine engine(policy, {21}, sink);
  Conversation c(engine, "10.0.1.2", "10.0.2.2");
  c.server("220 ready\r\n");
  c.client("USER anonymous\r\n");
  c.server("331 password\r\n");
  c.client("PASS x\r\n");
  c.server("230 ok\r\n");
  if (row.passive_verb) c.client(std::string(row.passive_verb) + "\r\n");
  for (const auto& s : row.segments) c.send(row.from_client, s);

  const auto expects = sink.expects();
  if (row.expect_port) {
    ASSERT_EQ(expects.size(), 1u) << "#" << row.number << " " << row.note;
    const Expectation& e = expects[0];
    EXPECT_EQ(e.dport, *row.expect_port);
    if (row.from_client) {
      EXPECT_EQ(e.mode, DataMode::kActive);
      EXPECT_EQ(e.src.to_string(), "10.0.2.2");
      EXPECT_EQ(e.dst.to_string(), "10.0.1.2");
    } else {
      EXPECT_EQ(e.mode, DataMode::kPassive);
      EXPECT_EQ(e.src.to_string(), "10.0.1.2");
      EXPECT_EQ(e.dst.to_string(), "10.0.2.2");
    }
  } else {
    EXPECT_TRUE(expects.empty()) << "#" << row.number << " " << row.note;
  }
  const auto reasons = sink.reasons();
  if (row.reason) {
    ASSERT_FALSE(reasons.empty()) << "#" << row.number;
    EXPECT_EQ(reason_name(reasons.front()), reason_name(*row.reason)) << "#" << row.number;
  } else {
    EXPECT_TRUE(reasons.empty()) << "#" << row.number << " first: "
                                 << (reasons.empty() ? "" : reason_name(reasons.front()));
  }
}

const Row kRows[] = {
    {1, true, {"PORT 10,0,1,2,4,1\r\n"}, nullptr, 1025, std::nullopt, "same as kernel"},
    {2, true, {"port 10,0,1,2,4,1\r\n"}, nullptr, 1025, std::nullopt, "case-insensitive"},
    {3, true, {"PORTXYZ 10,0,1,2,4,1\r\n"}, nullptr, std::nullopt, std::nullopt,
     "differs: the kernel skips to the first space; PORTXYZ is not a command a server runs"},
    {4, true, {"PORT 10,0,1,2,4,1\n"}, nullptr, 1025, std::nullopt,
     "differs: bare LF ends a line (the kernel drops the packet)"},
    {5, true, {"PORT  10,0,1,2,4,1\r\n"}, nullptr, 1025, std::nullopt,
     "differs: extra spaces before the argument are tolerated (the kernel drops)"},
    {6, true, {"PORT 10,0,1,2,4,1 \r\n"}, nullptr, 1025, std::nullopt,
     "differs: trailing space tolerated (the kernel drops)"},
    {7, true, {"PORT 10,0,1,2,4\r\n"}, nullptr, std::nullopt, Reason::kMalformedPort, "5 fields"},
    {8, true, {"PORT 10,0,1,2,4,1,7\r\n"}, nullptr, std::nullopt, Reason::kMalformedPort,
     "7 fields"},
    {9, true, {"PORT\r\n"}, nullptr, std::nullopt, Reason::kMalformedPort, "no argument"},
    {10, true, {"PORT 010,000,001,002,004,001\r\n"}, nullptr, 1025, std::nullopt,
     "leading zeros are decimal"},
    {11, true, {"PORT 10,0,1,3,4,1\r\n"}, nullptr, std::nullopt, Reason::kBounceAddress,
     "another host: refused, named"},
    {12, true, {"PORT 1,,3,4,5,6\r\n"}, nullptr, std::nullopt, Reason::kMalformedPort,
     "differs: an empty field is malformed, not 0"},
    {13, true, {"PORT 10,0,0,258,4,1\r\n"}, nullptr, std::nullopt, Reason::kOutOfRange,
     "as 2026+ kernels: no bleeding octets"},
    {14, true, {"PORT 10,0,1,2,256,22\r\n"}, nullptr, std::nullopt, Reason::kOutOfRange,
     "as 2026+ kernels"},
    {15, true, {"PORT 10,0,1,2,0,0\r\n"}, nullptr, std::nullopt, Reason::kOutOfRange,
     "differs: port 0 is never a data port"},
    {16, true, {" PORT 10,0,1,2,4,1\r\n"}, nullptr, std::nullopt, std::nullopt,
     "leading space: not a command"},
    {17, true, {"NOOP\r\nPORT 10,0,1,2,4,1\r\n"}, nullptr, 1025, std::nullopt,
     "differs: every line of a segment is parsed (the kernel only the first)"},
    {18, true, {"PORT 10,0,1,", "2,4,1\r\n"}, nullptr, 1025, std::nullopt,
     "differs: reassembled (the kernel drops the first part)"},
    {19, true, {"PO", "RT 10,0,1,2,4,1\r\n"}, nullptr, 1025, std::nullopt,
     "differs: split keyword reassembled"},
    {20, true, {"p", "o", "r", "t", " ", "1", "0", ",0,1,2,4,1", "\r", "\n"}, nullptr, 1025,
     std::nullopt, "differs: single-byte segments reassembled"},
    {21, true, {"USER x", "\r\nPORT 10,0,1,2,4,1\r\n", "PORT 10,0,1,2,4,2\r\n"}, nullptr, 1025,
     Reason::kPortUnanswered,
     "differs: the PORT after the line end is seen; the next PORT before a reply is refused"},
    {24, true, {"EPRT |1|10.0.1.2|1025|\r\n"}, nullptr, 1025, std::nullopt, "same"},
    {25, true, {"EPRT !1!10.0.1.2!1025!\n"}, nullptr, 1025, std::nullopt, "same"},
    {26, true, {"EPRT |1|10.0.1.2|1025|junk\r\n"}, nullptr, std::nullopt, Reason::kMalformedEprt,
     "differs: trailing junk is malformed"},
    {27, true, {"EPRT |2|2001:db8::2|1025|\r\n"}, nullptr, std::nullopt, Reason::kFamilyMismatch,
     "v6 address on a v4 connection"},
    {28, true, {"EPRT |3|10.0.1.2|1025|\r\n"}, nullptr, std::nullopt, Reason::kUnsupportedFamily,
     "unknown net-prt"},
    {29, true, {"EPRT |1|10.0.1.2|0|\r\n"}, nullptr, std::nullopt, Reason::kOutOfRange, "port 0"},
    {30, true, {"EPSV\r\n", "PASV\r\n"}, nullptr, std::nullopt, std::nullopt, "not offers"},
    {31, false, {"227 Entering Passive Mode (10,0,2,2,195,80).\r\n"}, "PASV", 50000, std::nullopt,
     "same"},
    {32, false, {"227 Entering Passive Mode 10,0,2,2,195,80\r\n"}, "PASV", 50000, std::nullopt,
     "RFC 1123 form"},
    {33, false, {"227 Entering Passive Mode v2 (10,0,2,2,195,80)\r\n"}, "PASV", 50000,
     std::nullopt, "differs: the tuple is found after other digits"},
    {34, false, {"227 Logout.\r\n"}, "PASV", std::nullopt, Reason::kMalformed227, "no numbers"},
    {35, false, {"227-Entering Passive Mode (10,0,2,2,195,80)\r\n", "227 OK\r\n"}, "PASV", 50000,
     std::nullopt, "differs: multi-line 227 understood"},
    {36, false, {"227 Entering Passive Mode (10,0,2,2,", "195,80)\r\n"}, "PASV", 50000,
     std::nullopt, "differs: reassembled"},
    {37, false, {"2", "2", "7", " Entering Passive Mode (10,0,2,2,195,80)\r\n"}, "PASV", 50000,
     std::nullopt, "differs: tiny segments reassembled"},
    {38, false, {"227 Entering Passive Mode (10,0,2,3,195,80)\r\n"}, "PASV", std::nullopt,
     Reason::kBounceAddress, "another address: refused"},
    {39, false, {"229 Entering Extended Passive Mode (|||50000|)\r\n"}, "EPSV", 50000,
     std::nullopt, "same"},
    {40, false, {"229 Entering Extended Passive Mode (!!!50000!)\r\n"}, "EPSV", 50000,
     std::nullopt, "same"},
    {41, false, {"229 Entering Extended Passive Mode (|||50000)\r\n"}, "EPSV", std::nullopt,
     Reason::kMalformed229, "no closing delimiter"},
    {42, false, {"229 (|||65558|)\r\n"}, "EPSV", std::nullopt, Reason::kOutOfRange,
     "as 2026+ kernels"},
    // Not in the kernel table, but the same family: unsolicited replies.
    {100, false, {"227 Entering Passive Mode (10,0,2,2,195,80).\r\n"}, nullptr, std::nullopt,
     Reason::kUnsolicitedReply, "differs: no PASV pending, not believed"},
    {101, false, {"229 Entering Extended Passive Mode (|||50000|)\r\n"}, "PASV", std::nullopt,
     Reason::kUnsolicitedReply, "229 answering PASV"},
    {102, true, {"PORT 10,0,1,2,0,80\r\n"}, nullptr, std::nullopt, Reason::kPrivilegedPort,
     "port 80"},
};

INSTANTIATE_TEST_SUITE_P(Table, KernelBehaviour, ::testing::ValuesIn(kRows),
                         [](const ::testing::TestParamInfo<Row>& row_info) {
                           std::string name = "n";
                           name += std::to_string(row_info.param.number);
                           return name;
                         });

TEST(KernelBehaviourSequences, Retransmitted22KeepsOneExpectation) {
  // #22: the same PORT segment retransmitted: reassembly drops the copy, still one expectation.
  RecordingSink sink;
  Engine engine(Policy{}, {21}, sink);
  Conversation c(engine, "10.0.1.2", "10.0.2.2");
  c.send_at(true, 0, "PORT 10,0,1,2,4,1\r\n");
  c.send_at(true, 0, "PORT 10,0,1,2,4,1\r\n");
  EXPECT_EQ(sink.expects().size(), 1u);
  EXPECT_EQ(engine.counters().expectations_outstanding, 1u);
}

TEST(KernelBehaviourSequences, NewestReplacesOldest23) {
  RecordingSink sink;
  Engine engine(Policy{}, {21}, sink);
  Conversation c(engine, "10.0.1.2", "10.0.2.2");
  c.client("PORT 10,0,1,2,4,1\r\n");
  c.server("200 ok\r\n");
  c.client("PORT 10,0,1,2,4,2\r\n");
  ASSERT_EQ(sink.expects().size(), 2u);
  EXPECT_EQ(sink.expects()[1].dport, 1026);
  EXPECT_EQ(engine.counters().expectations_replaced, 1u);
  EXPECT_EQ(engine.counters().expectations_outstanding, 1u);
}

TEST(KernelBehaviourSequences, Ipv6Rows43To45) {
  RecordingSink sink;
  Engine engine(Policy{}, {21}, sink);
  Conversation c(engine, "2001:db8:1::2", "2001:db8:2::2");
  c.client("EPRT |2|2001:db8:1::2|1025|\r\n");  // #43
  c.server("200 ok\r\n");
  c.client("EPRT |2|2001:db8:1::3|1025|\r\n");  // #44 mismatch
  c.server("200 ok\r\n");
  c.client("PORT 10,0,1,2,4,1\r\n");            // #44 PORT on v6
  c.server("200 ok\r\n");
  c.client("EPRT |1|10.0.1.2|1025|\r\n");       // #44 |1| on v6
  c.server("200 ok\r\n");
  c.client("EPSV\r\n");
  c.server("229 Entering Extended Passive Mode (|||50000|)\r\n");  // #45
  const auto e = sink.expects();
  ASSERT_EQ(e.size(), 2u);
  EXPECT_EQ(e[0].src.to_string(), "2001:db8:2::2");
  EXPECT_EQ(e[0].dst.to_string(), "2001:db8:1::2");
  EXPECT_EQ(e[0].dport, 1025);
  EXPECT_EQ(e[1].src.to_string(), "2001:db8:1::2");
  EXPECT_EQ(e[1].dst.to_string(), "2001:db8:2::2");
  EXPECT_EQ(e[1].dport, 50000);
  const std::vector<Reason> want = {Reason::kBounceAddress, Reason::kIpv4TupleOnIpv6,
                                    Reason::kFamilyMismatch};
  EXPECT_EQ(sink.reasons(), want);
}

TEST(KernelBehaviourSequences, FirstPayloadSegmentIsParsed51) {
  // #51: the kernel never parses the first payload segment; ftpgate does (it saw the SYN).
  RecordingSink sink;
  Engine engine(Policy{}, {21}, sink);
  Conversation c(engine, "10.0.1.2", "10.0.2.2");
  c.client("PORT 10,0,1,2,4,1\r\n");
  EXPECT_EQ(sink.expects().size(), 1u);
}

TEST(KernelBehaviourSequences, LargePayload52) {
  // #52: a payload larger than 64 KiB whose first line is PORT: parsed; the rest is lines too.
  RecordingSink sink;
  Engine engine(Policy{}, {21}, sink);
  Conversation c(engine, "10.0.1.2", "10.0.2.2");
  std::string big = "PORT 10,0,1,2,4,1\r\n";
  while (big.size() < 70000) big += "NOOP\r\n";
  c.client(big);
  EXPECT_EQ(sink.expects().size(), 1u);
}

}  // namespace
}  // namespace ftpgate
