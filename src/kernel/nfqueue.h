#pragma once
// One NFQUEUE queue over libmnl + libnetfilter_queue's message helpers: binds with
// NFQA_CFG_F_GSO (whole GSO packets, no segmentation before queueing) and NFQA_CFG_F_FAIL_OPEN
// (the kernel accepts instead of dropping when the queue is full), copies whole packets, sets
// NETLINK_NO_ENOBUFS and a large receive buffer, and gives verdicts.
#include <cstdint>
#include <functional>
#include <set>
#include <string_view>
#include <vector>

#include "core/counter_list.h"
#include "kernel/netlink_socket.h"

namespace ftpgate {

struct QueuedPacket {
  uint32_t id = 0;
  uint16_t queue = 0;
  std::string_view payload;  // the IP packet; valid during the callback
};

// X(field, "metric_name")
#define FTPGATE_QUEUE_COUNTERS(X)                                                                \
  X(received, "queue_packets_total")                                                             \
  X(enobufs, "queue_enobufs_total")     /* receive overruns: packets the kernel could not deliver */ \
  X(malformed, "queue_malformed_total") /* messages without a packet header or payload */        \
  X(verdict_errors, "queue_verdict_errors_total")                                                \
  X(batch_verdicts, "queue_batch_verdicts_total") /* verdict messages covering up to kMaxBatch */ \
  X(changed, "queue_changed_total")     /* accepted with new bytes (NAT rewrites) */             \
  X(dropped, "queue_dropped_total")     /* dropped (held segments merged into a rewritten one) */

struct NfQueueStats {
  FTPGATE_COUNTERS_OF(FTPGATE_QUEUE_COUNTERS)
};

class NfQueue {
 public:
  // Throws std::runtime_error with a sentence naming what is wrong, std::system_error when no
  // netlink socket can be opened (start-up only).
  NfQueue(uint16_t queue, uint32_t max_len);
  NfQueue(NfQueue&&) noexcept = default;

  int fd() const { return sock_.fd(); }
  uint16_t number() const { return queue_; }

  // What on_packet did with a packet.
  enum class Fate : uint8_t {
    kBatch,    // accept it with the batch verdict
    kDecided,  // on_packet gave its verdict already (verdict())
    kHeld,     // on_packet will give its verdict later (verdict()); the batch must not cover it
  };
  // Reads what is available (non-blocking) and calls on_packet for each packet, then accepts
  // the kBatch packets read with one batch verdict (NFQNL_MSG_VERDICT_BATCH: all ids up to the
  // highest; at most kMaxBatch per verdict), so a burst costs one verdict syscall; on_packet
  // has finished its work (the expectation is installed) before the verdict. While any packet
  // is held, a batch verdict would release it too: the kBatch packets are then accepted one by
  // one.
  // Returns false on a fatal socket error.
  bool receive(const std::function<Fate(const QueuedPacket&)>& on_packet);
  // NF_ACCEPT for one packet. Returns 0 or -errno.
  int accept(uint32_t id);
  // A verdict for one packet: NF_ACCEPT (with `replacement` as its new bytes when not empty) or
  // NF_DROP. Ends a hold. Returns 0 or -errno.
  int verdict(uint32_t id, bool accept, std::string_view replacement = {});
  size_t held() const { return held_.size(); }
  // NF_ACCEPT for every queued packet with an id up to `max_id`.
  int accept_up_to(uint32_t max_id);
  const NfQueueStats& stats() const { return stats_; }

  // Packets accepted with one verdict at most; bounds the wait of the first one.
  static constexpr int kMaxBatch = 64;

 private:
  int configure(uint8_t cmd_or_zero, bool params, uint32_t max_len);
  NetlinkSocket sock_;
  uint16_t queue_;
  // Accepts the kBatch packets read since the last settle.
  void settle();
  std::vector<char> buf_;
  NfQueueStats stats_;
  std::set<uint32_t> held_;
  std::vector<uint32_t> batch_;  // kBatch ids not yet accepted, in arrival order
};

}  // namespace ftpgate
