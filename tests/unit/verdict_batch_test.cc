// Verdicts gathered for one sendmsg: each is a whole NFQNL_MSG_VERDICT the kernel reads in turn.
#include "kernel/verdict_batch.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_queue.h>

#include <vector>

namespace ftpgate {
namespace {

struct Seen {
  uint16_t queue;
  uint32_t id;
  uint32_t verdict;
};

// Walks the buffer as netlink_rcv_skb does: message after message.
std::vector<Seen> messages_in(const VerdictBatch& b) {
  std::vector<Seen> out;
  int left = static_cast<int>(b.size());
  for (auto* nlh = reinterpret_cast<const nlmsghdr*>(b.data()); mnl_nlmsg_ok(nlh, left);
       nlh = mnl_nlmsg_next(nlh, &left)) {
    EXPECT_EQ(nlh->nlmsg_type, (NFNL_SUBSYS_QUEUE << 8) | NFQNL_MSG_VERDICT);
    const auto* nfg = static_cast<const nfgenmsg*>(mnl_nlmsg_get_payload(nlh));
    const auto* attr = static_cast<const nlattr*>(mnl_nlmsg_get_payload_offset(nlh, sizeof(nfgenmsg)));
    EXPECT_EQ(mnl_attr_get_type(attr), NFQA_VERDICT_HDR);
    const auto* vh = static_cast<const nfqnl_msg_verdict_hdr*>(mnl_attr_get_payload(attr));
    out.push_back({ntohs(nfg->res_id), ntohl(vh->id), ntohl(vh->verdict)});
  }
  EXPECT_EQ(left, 0) << "bytes after the last whole message";
  return out;
}

TEST(VerdictBatch, GathersWholeVerdictsInTheOrderGiven) {
  VerdictBatch b(8);
  EXPECT_TRUE(b.empty());
  EXPECT_FALSE(b.add(3, 100, true));
  EXPECT_FALSE(b.add(3, 101, false));
  EXPECT_FALSE(b.add(7, 5, true));
  ASSERT_EQ(b.count(), 3u);
  const std::vector<Seen> m = messages_in(b);
  ASSERT_EQ(m.size(), 3u);
  EXPECT_EQ(m[0].queue, 3);
  EXPECT_EQ(m[0].id, 100u);
  EXPECT_EQ(m[0].verdict, static_cast<uint32_t>(NF_ACCEPT));
  EXPECT_EQ(m[1].id, 101u);
  EXPECT_EQ(m[1].verdict, static_cast<uint32_t>(NF_DROP));
  EXPECT_EQ(m[2].queue, 7);
  EXPECT_EQ(m[2].id, 5u);
}

TEST(VerdictBatch, SaysFullAtItsLimitAndStartsOverWhenCleared) {
  VerdictBatch b(2);
  EXPECT_FALSE(b.add(0, 1, true));
  EXPECT_TRUE(b.add(0, 2, true));
  EXPECT_EQ(messages_in(b).size(), 2u);
  b.clear();
  EXPECT_TRUE(b.empty());
  EXPECT_EQ(b.size(), 0u);
  EXPECT_FALSE(b.add(0, 3, true));
  ASSERT_EQ(messages_in(b).size(), 1u);
  EXPECT_EQ(messages_in(b)[0].id, 3u);
}

TEST(VerdictBatch, ALimitOfOneSendsEachVerdictAlone) {
  VerdictBatch b(1);
  EXPECT_TRUE(b.add(0, 9, true));
  EXPECT_EQ(messages_in(b).size(), 1u);
  VerdictBatch zero(0);  // no limit below one
  EXPECT_TRUE(zero.add(0, 9, true));
}

}  // namespace
}  // namespace ftpgate
