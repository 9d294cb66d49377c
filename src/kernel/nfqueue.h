#pragma once
// One NFQUEUE queue over libmnl + libnetfilter_queue's message helpers: binds with
// NFQA_CFG_F_GSO (whole GSO packets, no segmentation before queueing) and NFQA_CFG_F_FAIL_OPEN
// (the kernel accepts instead of dropping when the queue is full), copies whole packets, sets
// NETLINK_NO_ENOBUFS and a large receive buffer, and gives verdicts.
#include <cstdint>
#include <functional>
#include <string_view>
#include <vector>

#include "kernel/netlink_socket.h"

namespace ftpgate {

struct QueuedPacket {
  uint32_t id = 0;
  uint16_t queue = 0;
  std::string_view payload;  // the IP packet; valid during the callback
};

struct NfQueueStats {
  uint64_t received = 0;
  uint64_t enobufs = 0;        // receive overruns (packets the kernel could not deliver)
  uint64_t malformed = 0;      // messages without a packet header or payload
  uint64_t verdict_errors = 0;
  uint64_t batch_verdicts = 0;  // verdict messages sent (each covers up to kMaxBatch packets)
};

class NfQueue {
 public:
  // Throws std::runtime_error with a sentence naming what is wrong, std::system_error when no
  // netlink socket can be opened (start-up only).
  NfQueue(uint16_t queue, uint32_t max_len);
  NfQueue(NfQueue&&) noexcept = default;

  int fd() const { return sock_.fd(); }
  uint16_t number() const { return queue_; }

  // Reads what is available (non-blocking) and calls on_packet for each packet, then accepts
  // the packets read with one batch verdict (NFQNL_MSG_VERDICT_BATCH: all ids up to the
  // highest; at most kMaxBatch per verdict), so a burst costs one verdict syscall; on_packet has finished its work (the
  // expectation is installed) before the verdict. Returns false on a fatal socket error.
  bool receive(const std::function<void(const QueuedPacket&)>& on_packet);
  // NF_ACCEPT for one packet. Returns 0 or -errno.
  int accept(uint32_t id);
  // NF_ACCEPT for every queued packet with an id up to `max_id`.
  int accept_up_to(uint32_t max_id);
  const NfQueueStats& stats() const { return stats_; }

  // Packets accepted with one verdict at most; bounds the wait of the first one.
  static constexpr int kMaxBatch = 64;

 private:
  int configure(uint8_t cmd_or_zero, bool params, uint32_t max_len);
  NetlinkSocket sock_;
  uint16_t queue_;
  std::vector<char> buf_;
  NfQueueStats stats_;
};

}  // namespace ftpgate
