// The ctnetlink messages are values: build them, then read them back with libmnl.
#include "kernel/conntrack_messages.h"
#include "kernel/nfqueue.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>

#include <cstring>
#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <linux/netfilter/nfnetlink_queue.h>

namespace ftpgate {
namespace {

IpAddress ip(const char* s) { return *IpAddress::parse(s); }

struct Top {
  const nlattr* tb[CTA_EXPECT_MAX + 1] = {};
};
int collect(const nlattr* a, void* data) {
  auto* t = static_cast<Top*>(data);
  if (mnl_attr_get_type(a) <= CTA_EXPECT_MAX) t->tb[mnl_attr_get_type(a)] = a;
  return MNL_CB_OK;
}

TEST(ConntrackMessages, ExpectNewCarriesMasterTupleMaskAndTimeout) {
  char buf[4096];
  ExpectationRequest req;
  req.master = {ip("198.51.100.2"), ip("203.0.113.2"), 40000, 21};
  req.tuple = {ip("198.51.100.2"), ip("203.0.113.2"), 12345, 50000};
  req.timeout_s = 30;
  const nlmsghdr* nlh = build_expect_new(buf, 7, req, ExpectWrite::kCreate);
  EXPECT_EQ(nlh->nlmsg_type, (NFNL_SUBSYS_CTNETLINK_EXP << 8) | IPCTNL_MSG_EXP_NEW);
  EXPECT_TRUE(nlh->nlmsg_flags & NLM_F_CREATE);
  EXPECT_TRUE(nlh->nlmsg_flags & NLM_F_ACK);
  // Exclusive: never silently update another control connection's expectation.
  EXPECT_TRUE(nlh->nlmsg_flags & NLM_F_EXCL);
  EXPECT_EQ(nlh->nlmsg_seq, 7u);
  const auto* nfg = static_cast<const nfgenmsg*>(mnl_nlmsg_get_payload(nlh));
  EXPECT_EQ(nfg->nfgen_family, AF_INET);
  Top t;
  ASSERT_GE(mnl_attr_parse(nlh, sizeof(nfgenmsg), collect, &t), 0);
  ASSERT_TRUE(t.tb[CTA_EXPECT_MASTER] && t.tb[CTA_EXPECT_TUPLE] && t.tb[CTA_EXPECT_MASK]);
  EXPECT_EQ(ntohl(mnl_attr_get_u32(t.tb[CTA_EXPECT_TIMEOUT])), 30u);
  // The expected tuple goes out with source port 0 (wildcard), whatever the request said.
  auto tuple = parse_expect_tuple(nlh);
  ASSERT_TRUE(tuple);
  EXPECT_EQ(*tuple, (CtTuple{ip("198.51.100.2"), ip("203.0.113.2"), 0, 50000}));
  // The update that sets the timeout carries neither flag.
  const nlmsghdr* upd = build_expect_new(buf, 8, req, ExpectWrite::kUpdate);
  EXPECT_FALSE(upd->nlmsg_flags & (NLM_F_CREATE | NLM_F_EXCL));
  EXPECT_EQ(*parse_expect_master(upd), req.master);
}

TEST(ConntrackMessages, Ipv6Family) {
  char buf[4096];
  ExpectationRequest req;
  req.master = {ip("2001:db8:1::2"), ip("2001:db8:2::2"), 40000, 21};
  req.tuple = {ip("2001:db8:2::2"), ip("2001:db8:1::2"), 0, 41000};
  const nlmsghdr* nlh = build_expect_new(buf, 1, req, ExpectWrite::kCreate);
  EXPECT_EQ(static_cast<const nfgenmsg*>(mnl_nlmsg_get_payload(nlh))->nfgen_family, AF_INET6);
  auto tuple = parse_expect_tuple(nlh);
  ASSERT_TRUE(tuple);
  EXPECT_EQ(tuple->src.to_string(), "2001:db8:2::2");
  EXPECT_EQ(tuple->dport, 41000);
}

TEST(ConntrackMessages, DeleteAndGet) {
  char buf[4096];
  const CtTuple t{ip("10.0.0.1"), ip("10.0.0.2"), 99, 2000};
  const nlmsghdr* del = build_expect_delete(buf, 3, t, 0xdeadbeef);
  EXPECT_EQ(del->nlmsg_type, (NFNL_SUBSYS_CTNETLINK_EXP << 8) | IPCTNL_MSG_EXP_DELETE);
  EXPECT_EQ(parse_expect_tuple(del)->sport, 0);
  // Deleted by tuple and id: the kernel removes it only if it is still the one we read.
  EXPECT_EQ(parse_expect_id(del), 0xdeadbeefu);
  const nlmsghdr* eget = build_expect_get(buf, 5, t);
  EXPECT_EQ(eget->nlmsg_type, (NFNL_SUBSYS_CTNETLINK_EXP << 8) | IPCTNL_MSG_EXP_GET);
  EXPECT_EQ(parse_expect_tuple(eget)->dport, 2000);
  const nlmsghdr* get = build_conntrack_get(buf, 4, t);
  EXPECT_EQ(get->nlmsg_type, (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_GET);
}

TEST(ConntrackMessages, ParseConntrackRejectsIncompleteMessages) {
  char buf[4096];
  // A CT_GET request has only the original tuple: not a full conntrack.
  EXPECT_FALSE(parse_conntrack(build_conntrack_get(buf, 1, CtTuple{ip("10.0.0.1"), ip("10.0.0.2"), 1, 2})));
}

}  // namespace
}  // namespace ftpgate

namespace ftpgate {
namespace {

TEST(ConntrackMessages, NatExpectationCarriesDirectionSavedTupleAndFollowMaster) {
  char buf[4096];
  ExpectationRequest req;
  req.master = {ip("198.51.100.2"), ip("203.0.113.2"), 40000, 21};
  req.tuple = {ip("203.0.113.2"), ip("203.0.113.1"), 0, 50001};  // the public side
  req.nat = true;
  req.nat_dir = 1;
  req.nat_to = ip("198.51.100.2");  // where the data connection goes
  req.nat_to_port = 50000;
  const nlmsghdr* nlh = build_expect_new(buf, 1, req, ExpectWrite::kCreate);
  Top t;
  ASSERT_GE(mnl_attr_parse(nlh, sizeof(nfgenmsg), collect, &t), 0);
  ASSERT_TRUE(t.tb[CTA_EXPECT_NAT] && t.tb[CTA_EXPECT_FN]);
  EXPECT_STREQ(mnl_attr_get_str(t.tb[CTA_EXPECT_FN]), "nat-follow-master");
  Top nat;
  ASSERT_GE(mnl_attr_parse_nested(t.tb[CTA_EXPECT_NAT], collect, &nat), 0);
  ASSERT_TRUE(nat.tb[CTA_EXPECT_NAT_DIR] && nat.tb[CTA_EXPECT_NAT_TUPLE]);
  EXPECT_EQ(ntohl(mnl_attr_get_u32(nat.tb[CTA_EXPECT_NAT_DIR])), 1u);
  // The kernel reads the saved address and port from the NAT tuple's source.
  Top tuple, ipn, proto;
  ASSERT_GE(mnl_attr_parse_nested(nat.tb[CTA_EXPECT_NAT_TUPLE], collect, &tuple), 0);
  ASSERT_GE(mnl_attr_parse_nested(tuple.tb[CTA_TUPLE_IP], collect, &ipn), 0);
  ASSERT_GE(mnl_attr_parse_nested(tuple.tb[CTA_TUPLE_PROTO], collect, &proto), 0);
  EXPECT_EQ(IpAddress::v4_bytes(static_cast<const uint8_t*>(mnl_attr_get_payload(ipn.tb[CTA_IP_V4_SRC]))),
            ip("198.51.100.2"));
  EXPECT_EQ(ntohs(mnl_attr_get_u16(proto.tb[CTA_PROTO_SRC_PORT])), 50000);
  // Without NAT neither attribute is sent.
  req.nat = false;
  Top plain;
  ASSERT_GE(mnl_attr_parse(build_expect_new(buf, 2, req, ExpectWrite::kCreate), sizeof(nfgenmsg), collect, &plain), 0);
  EXPECT_FALSE(plain.tb[CTA_EXPECT_NAT] || plain.tb[CTA_EXPECT_FN]);
}

TEST(ConntrackMessages, ExpectationDumpIsFilteredByMasterAndParsedWhole) {
  char buf[4096];
  const CtTuple master{ip("198.51.100.2"), ip("203.0.113.2"), 40000, 21};
  const nlmsghdr* all = build_expect_dump(buf, 3, Family::kV6);
  EXPECT_EQ(all->nlmsg_type, (NFNL_SUBSYS_CTNETLINK_EXP << 8) | IPCTNL_MSG_EXP_GET);
  EXPECT_TRUE(all->nlmsg_flags & NLM_F_DUMP);
  EXPECT_EQ(static_cast<const nfgenmsg*>(mnl_nlmsg_get_payload(all))->nfgen_family, AF_INET6);
  EXPECT_EQ(all->nlmsg_len, mnl_nlmsg_size(sizeof(nfgenmsg)));  // no filter
  const nlmsghdr* mine = build_expect_dump(buf, 4, Family::kV4, &master);
  EXPECT_EQ(*parse_expect_master(mine), master);

  // An expectation message has the layout EXP_NEW builds (the kernel adds id and helper).
  ExpectationRequest req;
  req.master = master;
  req.tuple = {ip("203.0.113.2"), ip("203.0.113.1"), 0, 50001};
  req.timeout_s = 17;
  auto e = parse_expectation(build_expect_new(buf, 5, req, ExpectWrite::kCreate));
  ASSERT_TRUE(e);
  EXPECT_EQ(e->master, master);
  EXPECT_EQ(e->tuple, req.tuple);
  EXPECT_EQ(e->timeout_s, 17u);
  EXPECT_FALSE(e->has_nat);
  req.nat = true;
  req.nat_to = ip("198.51.100.2");
  e = parse_expectation(build_expect_new(buf, 6, req, ExpectWrite::kCreate));
  ASSERT_TRUE(e);
  EXPECT_TRUE(e->has_nat);
}

TEST(ConntrackMessages, VerdictCarriesAnEmptyConntrackAndTheExpectation) {
  char buf[4096];
  ExpectationRequest req;
  req.master = {ip("198.51.100.2"), ip("203.0.113.2"), 40000, 21};
  req.tuple = {ip("203.0.113.2"), ip("198.51.100.2"), 777, 50000};
  req.timeout_s = 30;
  const nlmsghdr* nlh = build_verdict_with_expectation(buf, 3, 41, req);
  EXPECT_EQ(nlh->nlmsg_type, (NFNL_SUBSYS_QUEUE << 8) | NFQNL_MSG_VERDICT);
  EXPECT_EQ(ntohs(static_cast<const nfgenmsg*>(mnl_nlmsg_get_payload(nlh))->res_id), 3);
  const nlattr* tb[NFQA_MAX + 1] = {};
  ASSERT_GE(mnl_attr_parse(nlh, sizeof(nfgenmsg), [](const nlattr* a, void* d) {
              auto* t = static_cast<const nlattr**>(d);
              if (mnl_attr_get_type(a) <= NFQA_MAX) t[mnl_attr_get_type(a)] = a;
              return MNL_CB_OK;
            }, tb), 0);
  ASSERT_TRUE(tb[NFQA_VERDICT_HDR] && tb[NFQA_CT] && tb[NFQA_EXP]);
  const auto* v = static_cast<const nfqnl_msg_verdict_hdr*>(mnl_attr_get_payload(tb[NFQA_VERDICT_HDR]));
  EXPECT_EQ(ntohl(v->id), 41u);
  EXPECT_EQ(ntohl(v->verdict), static_cast<uint32_t>(NF_ACCEPT));
  EXPECT_EQ(mnl_attr_get_payload_len(tb[NFQA_CT]), 0u);  // nothing of the conntrack changes
  Top exp;
  ASSERT_GE(mnl_attr_parse_nested(tb[NFQA_EXP], collect, &exp), 0);
  EXPECT_TRUE(exp.tb[CTA_EXPECT_TUPLE] && exp.tb[CTA_EXPECT_MASK]);
  EXPECT_FALSE(exp.tb[CTA_EXPECT_MASTER]);  // the packet's own conntrack
}

TEST(ConntrackMessages, SequenceAdjustmentIsAnUpdateOfOneDirection) {
  char buf[4096];
  SequenceAdjustment adj;
  adj.record(1000, -1);
  adj.record(2000, -1);
  const CtTuple orig{ip("198.51.100.2"), ip("203.0.113.2"), 40000, 21};
  const nlmsghdr* nlh = build_conntrack_seq_adjust(buf, 3, orig, true, adj);
  EXPECT_EQ(nlh->nlmsg_type, (NFNL_SUBSYS_CTNETLINK << 8) | IPCTNL_MSG_CT_NEW);
  EXPECT_FALSE(nlh->nlmsg_flags & (NLM_F_CREATE | NLM_F_EXCL));  // never creates a conntrack
  struct All {
    const nlattr* tb[CTA_MAX + 1] = {};
  } all;
  ASSERT_GE(mnl_attr_parse(nlh, sizeof(nfgenmsg), [](const nlattr* a, void* d) {
    auto* x = static_cast<All*>(d);
    if (mnl_attr_get_type(a) <= CTA_MAX) x->tb[mnl_attr_get_type(a)] = a;
    return MNL_CB_OK;
  }, &all), 0);
  ASSERT_TRUE(all.tb[CTA_TUPLE_ORIG] && all.tb[CTA_SEQ_ADJ_REPLY]);
  EXPECT_FALSE(all.tb[CTA_SEQ_ADJ_ORIG]);
  Top s;
  ASSERT_GE(mnl_attr_parse_nested(all.tb[CTA_SEQ_ADJ_REPLY], collect, &s), 0);
  EXPECT_EQ(ntohl(mnl_attr_get_u32(s.tb[CTA_SEQADJ_CORRECTION_POS])), 2000u);
  EXPECT_EQ(static_cast<int32_t>(ntohl(mnl_attr_get_u32(s.tb[CTA_SEQADJ_OFFSET_BEFORE]))), -1);
  EXPECT_EQ(static_cast<int32_t>(ntohl(mnl_attr_get_u32(s.tb[CTA_SEQADJ_OFFSET_AFTER]))), -2);
}

}  // namespace
}  // namespace ftpgate

namespace ftpgate {
namespace {

// A conntrack as the kernel dumps it after CTA_SEQ_ADJ_REPLY was set: the seq-adjust update
// message plus a reply tuple, parsed back.
TEST(ConntrackMessages, SequenceAdjustmentReadBackDecidesWhetherTheKernelKeepsIt) {
  char buf[4096];
  SequenceAdjustment adj;
  adj.record(5000, -1);
  const CtTuple orig{ip("203.0.113.2"), ip("203.0.113.1"), 40000, 21};
  nlmsghdr* nlh = build_conntrack_seq_adjust(buf, 1, orig, true, adj);
  nlattr* reply = mnl_attr_nest_start(nlh, CTA_TUPLE_REPLY);
  nlattr* ipn = mnl_attr_nest_start(nlh, CTA_TUPLE_IP);
  uint32_t a, b;
  std::memcpy(&a, ip("198.51.100.2").bytes(), 4);
  std::memcpy(&b, ip("203.0.113.2").bytes(), 4);
  mnl_attr_put_u32(nlh, CTA_IP_V4_SRC, a);
  mnl_attr_put_u32(nlh, CTA_IP_V4_DST, b);
  mnl_attr_nest_end(nlh, ipn);
  nlattr* proto = mnl_attr_nest_start(nlh, CTA_TUPLE_PROTO);
  mnl_attr_put_u8(nlh, CTA_PROTO_NUM, 6);
  mnl_attr_put_u16(nlh, CTA_PROTO_SRC_PORT, htons(21));
  mnl_attr_put_u16(nlh, CTA_PROTO_DST_PORT, htons(40000));
  mnl_attr_nest_end(nlh, proto);
  mnl_attr_nest_end(nlh, reply);
  auto info = parse_conntrack(nlh);
  ASSERT_TRUE(info);
  EXPECT_TRUE(info->nated());  // DNAT: the reply comes from another address
  ASSERT_TRUE(info->seq_adj[1]);
  EXPECT_FALSE(info->seq_adj[0]);
  EXPECT_TRUE(keeps_seq_adjust(*info, true, adj));
  EXPECT_FALSE(keeps_seq_adjust(*info, false, adj));  // nothing dumped for that direction
  SequenceAdjustment other = adj;
  other.record(6000, -1);
  EXPECT_FALSE(keeps_seq_adjust(*info, true, other));  // an older value is not the one just set
  ConntrackInfo without_extension = *info;
  without_extension.seq_adj[1].reset();
  EXPECT_FALSE(keeps_seq_adjust(without_extension, true, adj));

  // The same attributes nested as NFQA_CT of a queued packet (the NFQUEUE conntrack glue).
  char qbuf[4096];
  nlmsghdr* q = mnl_nlmsg_put_header(qbuf);
  mnl_nlmsg_put_extra_header(q, sizeof(nfgenmsg));
  const auto* attrs = static_cast<const char*>(mnl_nlmsg_get_payload(nlh)) + MNL_ALIGN(sizeof(nfgenmsg));
  const size_t attrs_len = nlh->nlmsg_len - static_cast<size_t>(attrs - reinterpret_cast<const char*>(nlh));
  mnl_attr_put(q, NFQA_CT, attrs_len, attrs);
  // The only attribute, right after the nfgenmsg header.
  const auto* nested = static_cast<const nlattr*>(mnl_nlmsg_get_payload_offset(q, sizeof(nfgenmsg)));
  ASSERT_EQ(mnl_attr_get_type(nested), NFQA_CT);
  auto from_packet = parse_conntrack_nested(nested);
  ASSERT_TRUE(from_packet);
  EXPECT_EQ(from_packet->orig, info->orig);
  EXPECT_EQ(from_packet->reply, info->reply);
  EXPECT_TRUE(keeps_seq_adjust(*from_packet, true, adj));
  EXPECT_FALSE(parse_conntrack_nested(nullptr));
}

}  // namespace
}  // namespace ftpgate
