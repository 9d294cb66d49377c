#include "kernel/nfqueue.h"

#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_queue.h>
#include <libnetfilter_queue/libnetfilter_queue.h>

#include <algorithm>
#include <cerrno>
#include <stdexcept>
#include <system_error>

namespace ftpgate {

static_assert(NfQueue::kSlotStride >= kNetlinkBufferSize && NfQueue::kSlotStride % NLMSG_ALIGNTO == 0,
              "every message of a receive must start where a netlink header may");

NfQueue::NfQueue(uint16_t queue, uint32_t max_len, bool fail_open, uint32_t verdict_batch)
    : sock_(NETLINK_NETFILTER),
      queue_(queue),
      slots_(std::clamp<uint32_t>(verdict_batch, 1, kMaxMessagesPerReceive)),
      buf_(new char[size_t{slots_} * kSlotStride]),
      messages_(slots_),
      iov_(slots_),
      batch_(verdict_batch) {
  for (uint32_t i = 0; i < slots_; ++i) {
    iov_[i] = iovec{buf_.get() + size_t{i} * kSlotStride, kNetlinkBufferSize};
    messages_[i].msg_hdr = msghdr{};
    messages_[i].msg_hdr.msg_iov = &iov_[i];
    messages_[i].msg_hdr.msg_iovlen = 1;
  }
  const std::string q = std::to_string(queue);
  if (int rc = configure(NFQNL_CFG_CMD_BIND, false, 0); rc != 0) {
    // The kernel answers EPERM (older kernels EBUSY) when another socket holds the queue.
    throw std::runtime_error(rc == -EPERM || rc == -EBUSY
                                 ? "another program is bound to NFQUEUE " + q + " (" + errno_text(rc) + ")"
                                 : "cannot bind NFQUEUE " + q + ": " + errno_text(rc));
  }
  // With the conntrack glue each packet carries its conntrack (tuples, helper, seqadj): no
  // ctnetlink lookup to learn who the control connection is. Kernels without it refuse the
  // flag (EOPNOTSUPP): then without.
  const uint32_t base = NFQA_CFG_F_GSO | (fail_open ? NFQA_CFG_F_FAIL_OPEN : 0u);
  int rc = configure(0, true, max_len, base | NFQA_CFG_F_CONNTRACK);
  conntrack_glue_ = rc == 0;
  if (rc != 0) rc = configure(0, true, max_len, base);
  if (rc != 0)
    throw std::runtime_error("cannot configure NFQUEUE " + q + " (copy mode, GSO" + (fail_open ? ", fail-open" : "") + "): " +
                             errno_text(rc));
  sock_.set_no_enobufs(true);
  sock_.set_receive_buffer(8 << 20);
  sock_.set_nonblocking(true);
}

int NfQueue::configure(uint8_t cmd, bool params, uint32_t max_len, uint32_t flags) {
  char buf[MNL_SOCKET_BUFFER_SIZE];
  nlmsghdr* nlh = nfq_nlmsg_put(buf, NFQNL_MSG_CONFIG, queue_);
  nlh->nlmsg_flags |= NLM_F_ACK;
  nlh->nlmsg_seq = sock_.next_seq();
  if (cmd != 0) nfq_nlmsg_cfg_put_cmd(nlh, AF_INET, cmd);
  if (params) {
    nfq_nlmsg_cfg_put_params(nlh, NFQNL_COPY_PACKET, 0xffff);
    nfq_nlmsg_cfg_put_qmaxlen(nlh, max_len);
    // The mask names every flag ftpgate decides on, so a flag left out is switched off.
    const uint32_t mask = NFQA_CFG_F_GSO | NFQA_CFG_F_FAIL_OPEN | NFQA_CFG_F_CONNTRACK;
    mnl_attr_put_u32(nlh, NFQA_CFG_FLAGS, htonl(flags));
    mnl_attr_put_u32(nlh, NFQA_CFG_MASK, htonl(mask));
  }
  return sock_.request(nlh);
}

namespace {
struct ReadCtx {
  std::vector<QueuedPacket>* out;
  NfQueueStats* stats;
};

int parse_packet(const nlmsghdr* nlh, void* data) {
  auto* c = static_cast<ReadCtx*>(data);
  nlattr* attr[NFQA_MAX + 1] = {};
  if (nfq_nlmsg_parse(nlh, attr) < 0 || attr[NFQA_PACKET_HDR] == nullptr) {
    ++c->stats->malformed;
    return MNL_CB_OK;
  }
  const auto* ph = static_cast<const nfqnl_msg_packet_hdr*>(mnl_attr_get_payload(attr[NFQA_PACKET_HDR]));
  QueuedPacket p;
  p.id = ntohl(ph->packet_id);
  const auto* nfg = static_cast<const nfgenmsg*>(mnl_nlmsg_get_payload(nlh));
  p.queue = ntohs(nfg->res_id);
  ++c->stats->received;
  if (attr[NFQA_PAYLOAD] != nullptr) {
    p.payload = std::string_view(static_cast<const char*>(mnl_attr_get_payload(attr[NFQA_PAYLOAD])),
                                 mnl_attr_get_payload_len(attr[NFQA_PAYLOAD]));
  } else {
    ++c->stats->malformed;  // judged as undecodable: accepted
  }
  p.conntrack = attr[NFQA_CT];
  if (attr[NFQA_IFINDEX_INDEV] != nullptr) p.indev = ntohl(mnl_attr_get_u32(attr[NFQA_IFINDEX_INDEV]));
  c->out->push_back(p);
  return MNL_CB_OK;
}
}  // namespace

NfQueue::Read NfQueue::read(std::vector<QueuedPacket>& out) {
  out.clear();
  emptied_ = false;
  for (;;) {
    // Non-blocking, recvmmsg returns what was waiting (at least one message) as soon as the
    // socket runs empty or the slots are full: one system call for every packet of a wake-up.
    const int n = recvmmsg(sock_.fd(), messages_.data(), slots_, MSG_DONTWAIT, nullptr);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == ENOBUFS) {  // the kernel dropped messages for us; keep going
        ++stats_.enobufs;
        continue;
      }
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        emptied_ = true;
        return Read::kNothing;
      }
      return Read::kFailed;
    }
    ++stats_.receives;
    emptied_ = static_cast<uint32_t>(n) < slots_;
    ReadCtx ctx{&out, &stats_};
    for (int i = 0; i < n; ++i)
      mnl_cb_run(iov_[i].iov_base, messages_[i].msg_len, 0, sock_.portid(), parse_packet, &ctx);
    return Read::kPackets;
  }
}

int NfQueue::flush() {
  if (batch_.empty()) return 0;
  const int rc = sock_.send_bytes(batch_.data(), batch_.size());
  ++stats_.verdict_sends;
  if (rc != 0) stats_.verdict_errors += batch_.count();
  batch_.clear();
  return rc;
}

int NfQueue::verdict(uint32_t id, bool accept, std::string_view replacement) {
  held_.erase(id);
  if (replacement.empty() || !accept) {
    ++stats_.verdicts;
    if (!accept) ++stats_.dropped;
    return batch_.add(queue_, id, accept) ? flush() : 0;
  }
  // Bytes ride along: what was gathered goes first, so the verdicts keep their order.
  const int flushed = flush();
  // A plain verdict fits the stack buffer; one carrying a rewritten packet needs room for it.
  char small[MNL_SOCKET_BUFFER_SIZE];
  std::vector<char> large;
  char* buf = small;
  if (!replacement.empty()) {
    large.resize(MNL_SOCKET_BUFFER_SIZE + replacement.size());
    buf = large.data();
  }
  nlmsghdr* nlh = nfq_nlmsg_put(buf, NFQNL_MSG_VERDICT, queue_);
  nfq_nlmsg_verdict_put(nlh, static_cast<int>(id), accept ? NF_ACCEPT : NF_DROP);
  if (accept && !replacement.empty())
    nfq_nlmsg_verdict_put_pkt(nlh, replacement.data(), static_cast<uint32_t>(replacement.size()));
  const int rc = sock_.send(nlh);
  ++stats_.verdicts;
  ++stats_.verdict_sends;
  ++stats_.changed;
  if (rc != 0) ++stats_.verdict_errors;
  return rc != 0 ? rc : flushed;
}

nlmsghdr* build_verdict_with_expectation(char* buf, uint16_t queue, uint32_t id,
                                         const ExpectationRequest& req) {
  nlmsghdr* nlh = nfq_nlmsg_put(buf, NFQNL_MSG_VERDICT, queue);
  nfq_nlmsg_verdict_put(nlh, static_cast<int>(id), NF_ACCEPT);
  // The kernel attaches NFQA_EXP only to a conntrack named by NFQA_CT; an empty one changes
  // nothing of it.
  mnl_attr_nest_end(nlh, mnl_attr_nest_start(nlh, NFQA_CT));
  nlattr* exp = mnl_attr_nest_start(nlh, NFQA_EXP);
  put_expectation_body(nlh, req);
  mnl_attr_nest_end(nlh, exp);
  return nlh;
}

int NfQueue::verdict_with_expectation(uint32_t id, const ExpectationRequest& req) {
  held_.erase(id);
  flush();  // the verdicts decided before it go first
  char buf[MNL_SOCKET_BUFFER_SIZE];
  const int rc = sock_.send(build_verdict_with_expectation(buf, queue_, id, req));
  ++stats_.verdict_sends;
  if (rc != 0) ++stats_.verdict_errors;
  ++stats_.with_expectation;
  return rc;
}

int NfQueue::accept(uint32_t id) { return verdict(id, true); }

}  // namespace ftpgate
