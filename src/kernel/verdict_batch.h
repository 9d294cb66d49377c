#pragma once
// Plain verdicts (NF_ACCEPT or NF_DROP, nothing attached) gathered into one buffer, so that the
// verdicts decided together leave in one sendmsg: nfnetlink reads every message of a send in
// turn (netlink_rcv_skb), as if each had come alone. A verdict that carries bytes (a rewritten
// packet) or an expectation is not gathered: the caller sends what is gathered first, then it,
// so the kernel still sees the verdicts in the order they were decided.
//
//   one NFQNL_MSG_VERDICT, as nfq_nlmsg_put + nfq_nlmsg_verdict_put write it (32 bytes):
//   | nlmsghdr (16) | nfgenmsg (4: family, version, res_id = queue) |
//   | NFQA_VERDICT_HDR (4 + 8: verdict, packet id, both big-endian) |
#include <cstddef>
#include <cstdint>
#include <vector>

namespace ftpgate {

class VerdictBatch {
 public:
  // At most `max_verdicts` per send (config verdict_batch; 1: each verdict sent alone).
  explicit VerdictBatch(uint32_t max_verdicts);

  // Adds a verdict for packet `id` of `queue`. Returns true when the batch is full: send it.
  bool add(uint16_t queue, uint32_t id, bool accept);
  bool empty() const { return count_ == 0; }
  uint32_t count() const { return count_; }
  const char* data() const { return buf_.data(); }
  size_t size() const { return used_; }
  void clear() { used_ = 0; count_ = 0; }

 private:
  uint32_t max_;
  std::vector<char> buf_;  // sized once for max_ messages
  size_t used_ = 0;
  uint32_t count_ = 0;
};

}  // namespace ftpgate
