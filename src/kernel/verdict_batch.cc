#include "kernel/verdict_batch.h"

#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink_queue.h>
#include <libnetfilter_queue/libnetfilter_queue.h>

#include <algorithm>

namespace ftpgate {

namespace {
// One plain verdict message, aligned (what add() writes each time).
constexpr size_t kVerdictMessage =
    MNL_ALIGN(sizeof(nlmsghdr)) + MNL_ALIGN(sizeof(nfgenmsg)) + MNL_ALIGN(sizeof(nlattr)) +
    MNL_ALIGN(sizeof(nfqnl_msg_verdict_hdr));
}  // namespace

VerdictBatch::VerdictBatch(uint32_t max_verdicts)
    : max_(std::max<uint32_t>(max_verdicts, 1)), buf_(kVerdictMessage * max_) {}

bool VerdictBatch::add(uint16_t queue, uint32_t id, bool accept) {
  nlmsghdr* nlh = nfq_nlmsg_put(buf_.data() + used_, NFQNL_MSG_VERDICT, queue);
  nfq_nlmsg_verdict_put(nlh, static_cast<int>(id), accept ? NF_ACCEPT : NF_DROP);
  used_ += MNL_ALIGN(nlh->nlmsg_len);
  ++count_;
  return count_ >= max_;
}

}  // namespace ftpgate
