#pragma once
// One long-lived ctnetlink socket: looks up control connections and installs and removes
// expectations, synchronously (the caller releases the packet only after the ACK).
#include <optional>

#include "daemon/conntrack_port.h"
#include "kernel/conntrack_messages.h"
#include "kernel/netlink_socket.h"

namespace ftpgate {

class ConntrackClient : public ConntrackPort {
 public:
  ConntrackClient();  // throws std::system_error at start-up

  // The conntrack whose original tuple is `orig` (or, with by_reply, whose reply tuple is it);
  // nullopt with err (-errno) otherwise.
  std::optional<ConntrackInfo> lookup(const CtTuple& t, int& err, bool by_reply = false) override;
  // The conntrack whose original source is `client` and whose reply source is `server`: what a
  // forwarded segment of a connection NATed at both ends shows (its client before source NAT,
  // its server after destination NAT), which no single GET can name. Walks the whole table.
  std::optional<ConntrackInfo> find_by_ends(const CtTuple& client_to_server, int& err) override;
  std::optional<ConntrackInfo> find_by_destination(const CtTuple& t, int& err) override;
  // Sets the sequence adjustment of one direction of the conntrack whose original tuple is
  // `orig`. Returns 0 or -errno. The kernel silently ignores it when the conntrack lacks the
  // seqadj extension: read it back with lookup() to know.
  int set_seq_adjust(const CtTuple& orig, bool reply_direction, const SequenceAdjustment& adj) override;
  int set_mark(const CtTuple& orig, uint32_t mark, uint32_t mask) override;
  // Creates the expectation (exclusively), then sets its timeout (a second EXP_NEW without
  // NLM_F_EXCL: the kernel ignores CTA_EXPECT_TIMEOUT on creation). If the tuple is expected
  // already, refreshes it when this master owns it and returns -EBUSY when another does.
  // Returns 0 or -errno.
  int install(const ExpectationRequest& req) override;
  // Reads the expectation (EXP_GET: its master and CTA_EXPECT_ID), then deletes it by tuple and
  // id, so an expectation that another control connection created meanwhile under the same
  // tuple is never removed (the kernel answers ENOENT when the id differs).
  int remove(const CtTuple& tuple, const CtTuple& master) override;
  // A dump of the expectations (EXP_GET with NLM_F_DUMP, filtered by master when given).
  int list_expectations(Family family, const CtTuple* master, std::vector<ExpectationInfo>& out) override;
  // Lets expectations ride on verdicts (NFQA_EXP): joins the expectation events
  // (NFNLGRP_CONNTRACK_EXP_NEW) that confirm them. For queues bound with the conntrack glue.
  // 0 or -errno (then expectations keep going over ctnetlink).
  int enable_verdict_expectations();
  bool attach_to_verdict(const ExpectationRequest& req) override;
  const ExpectationRequest* attached() const override { return attached_ ? &*attached_ : nullptr; }
  int attached_outcome(bool with_verdict) override;
  // Expectations created by a verdict and seen in the events; ... and not seen (installed
  // over ctnetlink after all).
  uint64_t verdict_expectations() const { return verdict_expectations_; }
  uint64_t verdict_expectations_unconfirmed() const { return unconfirmed_; }
  // ctnetlink round trips made so far.
  uint64_t requests() const { return sock_.requests(); }
  // The conntrack the packet being judged carries (NFQA_CT, or null): a lookup it answers
  // costs no round trip. Valid until the next call.
  void offer_queued(const nlattr* conntrack) {
    queued_ = conntrack;
    queued_info_.reset();
  }
  uint64_t answered_from_packet() const { return answered_from_packet_; }

 private:
  // The queued packet's conntrack, parsed when first asked for, or null.
  const ConntrackInfo* queued_conntrack();

  NetlinkSocket sock_;
  char buf_[8192];
  // Whether an EXP_NEW event for `req` (its tuple, on its master) is waiting: drains them all.
  bool seen_in_events(const ExpectationRequest& req);

  std::optional<NetlinkSocket> events_;  // expectation events, with verdict expectations
  std::vector<char> event_buf_;
  std::optional<ExpectationRequest> attached_;
  uint64_t verdict_expectations_ = 0, unconfirmed_ = 0;
  const nlattr* queued_ = nullptr;
  std::optional<ConntrackInfo> queued_info_;
  uint64_t answered_from_packet_ = 0;
};

}  // namespace ftpgate
