// NAT64 (RFC 6384) through the daemon half: the translator's line edits made on built packets
// of the IPv4 leg, with the sequence adjustment, the NAT rewrite inside a translated PORT, and
// the data connection's expectations on both legs (fake conntrack holding both legs).
#include <gtest/gtest.h>

#include "core/ftp64_translator.h"
#include "daemon/config.h"
#include "daemon/ftp64_legs.h"
#include "packet_path_lab.h"
#include "test_support.h"

namespace ftpgate {
namespace {

using testing::ip;
using testing::Lab;
using testing::payload_of;
using testing::Wire;

// IPv6 client 2001:db8:1::2 reaches server 203.0.113.10 as 64:ff9b::cb00:710a; tayga gives it
// the pool address 192.168.255.2; masquerade sends that out as the router's 198.51.100.1.
const CtTuple kV4Orig{ip("192.168.255.2"), ip("203.0.113.10"), 40000, 21};
const CtTuple kV4Reply{ip("203.0.113.10"), ip("198.51.100.1"), 21, 40000};
const CtTuple kV6Orig{ip("2001:db8:1::2"), ip("64:ff9b::cb00:710a"), 40000, 21};

struct Nat64Lab {
  explicit Nat64Lab(Policy base = Policy{}) {
    lab.policy = base;
    auto p = std::make_shared<Ftp64Policy>();
    p->enabled = true;
    p->prefix = *AddressPrefix::parse("64:ff9b::/96");
    lab.policy.ftp64 = p;
    attach_ftp64_legs(lab.policy, lab.ct);
    lab.path.engine().set_policy(lab.policy);
    lab.gateway.set_policy(lab.policy, lab.nat);
    lab.ct.add_connection(kV4Orig, kV4Reply);
    lab.ct.add_connection(kV6Orig);
  }
  // The IPv4 leg's control connection (the pool address to the server), opened.
  Wire wire() { return Wire(lab, "192.168.255.2", "203.0.113.10"); }
  Lab lab;
};

TEST(Ftp64PacketPath, EpsvIsSentAsPasvAnd227ReachesTheClientAs229) {
  Nat64Lab n;
  Wire w = n.wire();
  const PacketDecision c = w.send(true, "EPSV\r\n");
  ASSERT_EQ(c.fate, PacketDecision::Fate::kAcceptChanged);
  EXPECT_EQ(payload_of(c.packet), "PASV\r\n");
  const PacketDecision r = w.send(false, "227 Entering Passive Mode (203,0,113,10,195,80).\r\n");
  ASSERT_EQ(r.fate, PacketDecision::Fate::kAcceptChanged);
  EXPECT_EQ(payload_of(r.packet), "229 Entering Extended Passive Mode (|||50000|)\r\n");
  // The length changed: the reply direction's adjustment is in the conntrack.
  ASSERT_TRUE(n.lab.ct.conntracks[0].seq_adj[1]);
  EXPECT_EQ(n.lab.ct.conntracks[0].seq_adj[1]->offset_after, -2);
  // The data connection is expected on both legs.
  ASSERT_EQ(n.lab.ct.expectations.size(), 2u);
  EXPECT_EQ(n.lab.ct.expectations[0].request.tuple.dst, ip("203.0.113.10"));
  EXPECT_EQ(n.lab.ct.expectations[1].request.master, kV6Orig);
  EXPECT_EQ(n.lab.ct.expectations[1].request.tuple.src, ip("2001:db8:1::2"));
  EXPECT_EQ(n.lab.ct.expectations[1].request.tuple.dst, ip("64:ff9b::cb00:710a"));
  EXPECT_EQ(n.lab.ct.expectations[1].request.tuple.dport, 50000);
  EXPECT_EQ(n.lab.gateway.counters().ftp64_line_edits, 2u);
  EXPECT_EQ(n.lab.gateway.counters().ftp64_v6_expectations, 1u);
}

TEST(Ftp64PacketPath, EprtBecomesAPortThatMasqueradeRewritesInTheSameLine) {
  Nat64Lab n;
  Wire w = n.wire();
  const PacketDecision c = w.send(true, "EPRT |2|2001:db8:1::2|50000|\r\n");
  ASSERT_EQ(c.fate, PacketDecision::Fate::kAcceptChanged);
  // PORT with the pool address, then NAT's rewrite to the address the server sees.
  EXPECT_EQ(payload_of(c.packet), "PORT 198,51,100,1,195,80\r\n");
  ASSERT_TRUE(n.lab.ct.conntracks[0].seq_adj[0]);
  EXPECT_EQ(n.lab.ct.conntracks[0].seq_adj[0]->offset_after, -4);  // 28 bytes -> 24
  ASSERT_EQ(n.lab.ct.expectations.size(), 2u);
  const ExpectationRequest& v4 = n.lab.ct.expectations[0].request;
  EXPECT_TRUE(v4.nat);
  EXPECT_EQ(v4.tuple.dst, ip("198.51.100.1"));
  EXPECT_EQ(v4.nat_to, ip("192.168.255.2"));
  const ExpectationRequest& v6 = n.lab.ct.expectations[1].request;
  EXPECT_EQ(v6.tuple.src, ip("64:ff9b::cb00:710a"));
  EXPECT_EQ(v6.tuple.dst, ip("2001:db8:1::2"));
  EXPECT_EQ(v6.tuple.dport, 50000);
}

TEST(Ftp64PacketPath, EprtOfAnotherHostIsAnsweredByTheAlgThroughNoop) {
  Nat64Lab n;
  Wire w = n.wire();
  EXPECT_EQ(payload_of(w.send(true, "EPRT |2|2001:db8:1::99|50000|\r\n").packet), "NOOP\r\n");
  w.client_shift = 4 - 29;  // the server acknowledges the client's bytes in its numbering
  EXPECT_EQ(payload_of(w.send(false, "200 NOOP ok.\r\n").packet),
            "501 EPRT address is not the client's own\r\n");
  EXPECT_TRUE(n.lab.ct.expectations.empty());
}

TEST(Ftp64PacketPath, AlgsIsAnsweredInPlaceOfTheNoopReply) {
  Nat64Lab n;
  Wire w = n.wire();
  EXPECT_EQ(payload_of(w.send(true, "ALGS STATUS64\r\n").packet), "NOOP\r\n");
  w.client_shift = -9;  // the server acknowledges the client's bytes in its numbering: 9 fewer
  EXPECT_EQ(payload_of(w.send(false, "200 NOOP ok.\r\n").packet), "216 EPSVEPRT\r\n");
  // Later lines pass, their sequence numbers moved by the kernel's seqadj.
  EXPECT_EQ(w.send(true, "PWD\r\n").fate, PacketDecision::Fate::kAccept);
}

TEST(Ftp64PacketPath, ANoopNotAnsweredWith200TearsTheSessionDown) {
  Nat64Lab n;
  Wire w = n.wire();
  w.send(true, "EPSV ALL\r\n");
  w.client_shift = -4;
  const PacketDecision r = w.send(false, "530 Please login.\r\n");
  ASSERT_EQ(r.fate, PacketDecision::Fate::kAcceptChanged);
  EXPECT_EQ(payload_of(r.packet).substr(0, 4), "421 ");
  EXPECT_EQ(n.lab.gateway.counters().policy_resets_armed, 1u);
  EXPECT_NE(n.lab.log_text().find("ftp64_noop_refused"), std::string::npos) << n.lab.log_text();
}

TEST(Ftp64PacketPath, ServersOutsideTheConfiguredPrefixesAreNotTranslated) {
  Nat64Lab n;
  auto p = std::make_shared<Ftp64Policy>(*n.lab.policy.ftp64);
  p->servers = {*AddressPrefix::parse("198.51.100.0/24")};
  n.lab.policy.ftp64 = p;
  n.lab.path.engine().set_policy(n.lab.policy);
  Wire w = n.wire();
  EXPECT_EQ(w.send(true, "EPSV\r\n").fate, PacketDecision::Fate::kAccept);
}

TEST(Ftp64PacketPath, TheIpv6LegsExpectationGoesWithTheSession) {
  Nat64Lab n;
  Wire w = n.wire();
  w.send(true, "EPSV\r\n");
  w.send(false, "227 Entering Passive Mode (203,0,113,10,195,80).\r\n");
  ASSERT_EQ(n.lab.ct.expectations.size(), 2u);
  w.client_shift = 0;
  w.server_shift = -2;
  w.send(true, "", tcp_flags::kRst | tcp_flags::kAck);  // the session ends: both removed
  EXPECT_TRUE(n.lab.ct.expectations.empty());
}

TEST(Ftp64PacketPath, TheServerRefusingTheTranslatedPortWithdrawsBothLegs) {
  Nat64Lab n;
  Wire w = n.wire();
  w.send(true, "EPRT |2|2001:db8:1::2|50000|\r\n");
  ASSERT_EQ(n.lab.ct.expectations.size(), 2u);
  w.client_shift = -4;
  w.send(false, "500 Illegal PORT command.\r\n");
  EXPECT_TRUE(n.lab.ct.expectations.empty());
}

TEST(Ftp64PacketPath, RulesJudgeWhatTheServerExecutes) {
  // A translated EPRT reaches the server as PORT: a rule about PORT denies it.
  Nat64Lab n(testing::with_rules({"deny verb PORT"}));
  Wire w = n.wire();
  const PacketDecision d = w.send(true, "EPRT |2|2001:db8:1::2|50000|\r\n");
  EXPECT_EQ(n.lab.path.engine().counters().commands_denied, 1u);
  EXPECT_NE(d.fate, PacketDecision::Fate::kAccept);
  EXPECT_EQ(payload_of(d.packet).find("EPRT"), std::string::npos);  // never sent as it was
}

TEST(Ftp64PacketPath, ACommandSplitAcrossSegmentsIsHeldAndSentTranslatedWhole) {
  Nat64Lab n;
  Wire w = n.wire();
  const PacketDecision first = w.send(true, "EP");
  EXPECT_EQ(first.fate, PacketDecision::Fate::kHold);  // may become EPSV/EPRT/ALGS
  const QueuedId held = w.last_id();
  const PacketDecision rest = w.send(true, "RT |2|2001:db8:1::2|50000|\r\n");
  ASSERT_EQ(rest.fate, PacketDecision::Fate::kAcceptChanged);
  EXPECT_EQ(payload_of(rest.packet), "PORT 198,51,100,1,195,80\r\n");
  ASSERT_EQ(rest.drop.size(), 1u);  // the held start is now carried by this packet
  EXPECT_EQ(rest.drop[0], held);
  EXPECT_EQ(n.lab.gateway.counters().ftp64_line_edits_failed, 0u);
}

TEST(Ftp64PacketPath, AMultiLine227ShrinksToOne229) {
  Nat64Lab n;
  Wire w = n.wire();
  w.send(true, "EPSV\r\n");
  const PacketDecision r = w.send(false, "227-Entering Passive Mode (203,0,113,10,195,80).\r\n227 OK\r\n");
  ASSERT_EQ(r.fate, PacketDecision::Fate::kAcceptChanged);
  EXPECT_EQ(payload_of(r.packet), "229 Entering Extended Passive Mode (|||50000|)\r\n");
  EXPECT_EQ(n.lab.ct.expectations.size(), 2u);
}

TEST(Ftp64Config, KeysAndFlags) {
  DaemonConfig c;
  EXPECT_FALSE(apply_setting(c, "nat64", "yes"));
  ASSERT_TRUE(c.policy.ftp64);
  EXPECT_TRUE(c.policy.ftp64->enabled);
  EXPECT_EQ(c.policy.ftp64->prefix.base, ip("64:ff9b::"));
  EXPECT_FALSE(apply_setting(c, "nat64_prefix", "2001:db8:64::/96"));
  EXPECT_EQ(ftp64_embed(c.policy.ftp64->prefix, ip("203.0.113.2")), ip("2001:db8:64::cb00:7102"));
  EXPECT_FALSE(apply_setting(c, "nat64_servers", "203.0.113.0/24, 198.51.100.7"));
  EXPECT_EQ(c.policy.ftp64->servers.size(), 2u);
  EXPECT_FALSE(apply_setting(c, "nat64_eprt", "no"));
  EXPECT_EQ(c.policy.ftp64->settings.enabled, Ftp64Mode::kEpsv);
  EXPECT_EQ(c.policy.ftp64->settings.initial, Ftp64Mode::kEpsv);
  EXPECT_FALSE(apply_setting(c, "nat64_initial", "off"));
  EXPECT_EQ(c.policy.ftp64->settings.initial, Ftp64Mode::kNone);
  EXPECT_FALSE(apply_setting(c, "nat64_foreign_227", "ignore"));
  EXPECT_FALSE(c.policy.ftp64->settings.refuse_foreign_227);
  for (auto [key, bad] : {std::pair{"nat64", "maybe"},
                          {"nat64_prefix", "2001:db8::/64"},
                          {"nat64_prefix", "192.0.2.0/24"},
                          {"nat64_servers", "2001:db8::/32"},
                          {"nat64_initial", "yes"},
                          {"nat64_foreign_227", "drop"}})
    EXPECT_TRUE(apply_setting(c, key, bad)) << key << " = " << bad;
  EXPECT_FALSE(apply_setting(c, "nat64", "no"));
  EXPECT_FALSE(c.policy.ftp64->enabled);
}

}  // namespace
}  // namespace ftpgate
