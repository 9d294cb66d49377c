#pragma once
// One NFQUEUE queue over libmnl + libnetfilter_queue's message helpers: binds with
// NFQA_CFG_F_GSO (whole GSO packets, no segmentation before queueing) and NFQA_CFG_F_FAIL_OPEN
// (the kernel accepts instead of dropping when the queue is full), copies whole packets, sets
// NETLINK_NO_ENOBUFS and a large receive buffer, and gives verdicts.
#include <sys/socket.h>

#include <cstdint>
#include <memory>
#include <set>
#include <string_view>
#include <vector>

#include "core/counter_list.h"
#include "kernel/conntrack_messages.h"
#include "kernel/netlink_socket.h"
#include "kernel/verdict_batch.h"

struct nlattr;

namespace ftpgate {

struct QueuedPacket {
  uint32_t id = 0;
  uint16_t queue = 0;
  std::string_view payload;         // the IP packet; valid until the next read
  const nlattr* conntrack = nullptr;  // NFQA_CT (with the conntrack glue), same lifetime
  uint32_t indev = 0;  // NFQA_IFINDEX_INDEV: the interface it came in on (0: not given)
};

// X(field, "metric_name")
#define FTPGATE_QUEUE_COUNTERS(X)                                                                \
  X(received, "queue_packets_total")                                                             \
  X(enobufs, "queue_enobufs_total")     /* receive overruns: packets the kernel could not deliver */ \
  X(malformed, "queue_malformed_total") /* messages without a packet header or payload */        \
  /* recvmmsg calls that brought packets: fewer than the packets when several are read at once */ \
  X(receives, "queue_receives_total")                                                            \
  X(verdict_errors, "queue_verdict_errors_total")                                                \
  X(verdicts, "queue_verdicts_total")   /* verdict messages: one per packet, sent once decided */ \
  /* sendmsg calls that carried verdicts: fewer than the verdicts when several leave together */ \
  X(verdict_sends, "queue_verdict_sends_total")                                                 \
  X(changed, "queue_changed_total")     /* accepted with new bytes (NAT rewrites) */             \
  X(with_expectation, "queue_verdicts_with_expectation_total") /* NFQA_EXP attached */           \
  X(dropped, "queue_dropped_total")     /* dropped (held segments merged into a rewritten one) */

struct NfQueueStats {
  FTPGATE_COUNTERS_OF(FTPGATE_QUEUE_COUNTERS)
  uint16_t queue = 0;  // which queue (the metrics' `queue` label)
};

// NFQNL_MSG_VERDICT accepting packet `id` of `queue` with NFQA_CT (empty) and NFQA_EXP (`req`
// without its master: the kernel takes the packet's conntrack). Pure, for NfQueue and tests.
nlmsghdr* build_verdict_with_expectation(char* buf, uint16_t queue, uint32_t id,
                                         const ExpectationRequest& req);

class NfQueue {
 public:
  // Throws std::runtime_error with a sentence naming what is wrong, std::system_error when no
  // netlink socket can be opened (start-up only).
  // fail_open: NFQA_CFG_F_FAIL_OPEN (a full queue accepts packets unjudged); false: it drops.
  // verdict_batch: plain verdicts gathered per send (1: each sent alone), see flush().
  NfQueue(uint16_t queue, uint32_t max_len, bool fail_open = true, uint32_t verdict_batch = 1);
  NfQueue(NfQueue&&) noexcept = default;

  int fd() const { return sock_.fd(); }
  uint16_t number() const { return queue_; }
  // Whether queued packets carry their conntrack (NFQA_CFG_F_CONNTRACK: kernels with
  // CONFIG_NETFILTER_NETLINK_GLUE_CT; bound without it where the kernel refuses it).
  bool conntrack_glue() const { return conntrack_glue_; }

  // Reads what one receive brings (non-blocking, recvmmsg: up to kMaxMessagesPerReceive
  // messages, fewer when verdict_batch is smaller) into `out` (cleared first): the packets,
  // whose payload views stay valid until the next read. kNothing when no message is waiting.
  enum class Read : uint8_t { kPackets, kNothing, kFailed };
  Read read(std::vector<QueuedPacket>& out);
  // The last read took fewer messages than it had room for: the socket was empty then, so
  // reading again before the next wake-up would only cost a system call that finds nothing.
  bool emptied() const { return emptied_; }
  // One receive's room: each message has a buffer of kNetlinkBufferSize (a whole 64 KiB
  // packet and its attributes), so 8 messages hold about 580 KiB, allocated once per queue
  // and touched only as far as packets fill it.
  static constexpr uint32_t kMaxMessagesPerReceive = 8;
  // Where one message's buffer starts after the previous one's: rounded up so that every
  // message is aligned as netlink headers need (kNetlinkBufferSize itself is odd).
  static constexpr size_t kSlotStride = (kNetlinkBufferSize + 15) & ~size_t{15};
  // The caller's fate for each packet read: accept() or verdict() once decided, or hold() (a
  // verdict comes later, by verdict()). Plain verdicts are gathered (VerdictBatch) and leave
  // when verdict_batch of them are waiting, before a verdict that carries bytes or an
  // expectation, or at flush(): the caller flushes once it has judged what one wake-up read.
  void hold(uint32_t id) { held_.insert(id); }
  // NF_ACCEPT for one packet. Returns 0 or -errno.
  int accept(uint32_t id);
  // A verdict for one packet: NF_ACCEPT (with `replacement` as its new bytes when not empty) or
  // NF_DROP. Ends a hold. Returns 0 or -errno.
  int verdict(uint32_t id, bool accept, std::string_view replacement = {});
  // NF_ACCEPT carrying an expectation for the packet's own conntrack (NFQA_CT, empty: nothing
  // of the conntrack changes; NFQA_EXP: the expectation), which the kernel creates before the
  // packet goes on, as conntrack-tools' userspace helpers do. Needs the conntrack glue. The
  // kernel ignores a failure to create it: the caller confirms it from expectation events.
  int verdict_with_expectation(uint32_t id, const ExpectationRequest& req);
  // Sends the gathered verdicts in one sendmsg. Returns 0 or -errno.
  int flush();
  size_t held() const { return held_.size(); }
  const NfQueueStats& stats() const { return stats_; }


 private:
  int configure(uint8_t cmd_or_zero, bool params, uint32_t max_len, uint32_t flags = 0);
  NetlinkSocket sock_;
  uint16_t queue_;
  bool conntrack_glue_ = false;
  uint32_t slots_;                  // messages per receive
  std::unique_ptr<char[]> buf_;     // slots_ x kSlotStride, not zeroed
  std::vector<mmsghdr> messages_;   // one per slot, pointing into buf_
  std::vector<iovec> iov_;
  bool emptied_ = false;
  NfQueueStats stats_;
  std::set<uint32_t> held_;
  VerdictBatch batch_;
};

}  // namespace ftpgate
