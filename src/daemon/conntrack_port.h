#pragma once
// What the gateway needs of the kernel's connection tracking, and nothing more: the seam that
// lets unit tests drive the gateway and the packet path with a fake that scripts the kernel's
// answers (EBUSY, ENOENT, EMFILE, a seqadj the kernel did not keep). ConntrackClient
// (kernel/conntrack_client.h) is the real one, over ctnetlink.
#include <cerrno>
#include <optional>
#include <vector>

#include "core/sequence_adjustment.h"
#include "kernel/conntrack_messages.h"

namespace ftpgate {

class ConntrackPort {
 public:
  virtual ~ConntrackPort() = default;

  // The conntrack whose original tuple is `t` (with by_reply: whose reply tuple is `t`);
  // nullopt with err (-errno) otherwise.
  virtual std::optional<ConntrackInfo> lookup(const CtTuple& t, int& err, bool by_reply = false) = 0;
  // The conntrack whose original source is `client` and whose reply source is `server` (a
  // connection NATed at both ends), or nullopt with err.
  virtual std::optional<ConntrackInfo> find_by_ends(const CtTuple& client_to_server, int& err) = 0;
  // NAT64: the conntrack whose original tuple goes to t.dst:t.dport from port t.sport, any
  // source address (the IPv6 leg of a control connection whose client is not known yet).
  virtual std::optional<ConntrackInfo> find_by_destination(const CtTuple& t, int& err) {
    (void)t;
    err = -EOPNOTSUPP;
    return std::nullopt;
  }
  // Sets one direction's TCP sequence adjustment of the conntrack `orig`. 0 or -errno; the
  // kernel ignores it silently where the conntrack has no seqadj extension (read it back).
  virtual int set_seq_adjust(const CtTuple& orig, bool reply_direction,
                             const SequenceAdjustment& adj) = 0;
  // Sets the bits `mask` of the conntrack's mark to `mark` (policy enforcement: the ruleset
  // resets connections carrying the bit). 0 or -errno.
  virtual int set_mark(const CtTuple& orig, uint32_t mark, uint32_t mask) = 0;
  // Creates the expectation and sets its timeout; -EBUSY when another master expects the tuple.
  virtual int install(const ExpectationRequest& req) = 0;
  // Removes the expectation with this tuple only if `master` owns it: 0, -ENOENT (used, expired
  // or never there) or -EPERM (another control connection's).
  virtual int remove(const CtTuple& tuple, const CtTuple& master) = 0;
  // With the NFQUEUE conntrack glue an expectation can ride on the verdict of the packet being
  // judged (NFQA_EXP) instead of costing ctnetlink requests. Offers `req` for it: true when
  // taken (one per packet, never a NAT one). The caller then puts attached() in the verdict
  // and asks attached_outcome() what became of it.
  virtual bool attach_to_verdict(const ExpectationRequest& req) {
    (void)req;
    return false;
  }
  // The expectation taken for the verdict of the packet being judged, or null.
  virtual const ExpectationRequest* attached() const { return nullptr; }
  // After the verdict went out with it (with_verdict) or could not carry it: 0 when the kernel
  // created it (then its timeout is set), else the answer of a ctnetlink install of it (which
  // also covers a creation the events did not show). Forgets it.
  virtual int attached_outcome(bool with_verdict) {
    (void)with_verdict;
    return -EINVAL;
  }
  // The expectations of `master` (or, with null, all of `family`) into `out`: 0 or -errno.
  virtual int list_expectations(Family family, const CtTuple* master, std::vector<ExpectationInfo>& out) = 0;
};

// The conntrack of a connection the forward path shows going from `seen.src`:sport to
// `seen.dst`:dport. Queued there, a packet shows its source before source NAT and its
// destination after destination NAT: without DNAT that is the original tuple; with DNAT only,
// the reply tuple seen backwards; with both, the table is searched. nullopt with err.
inline std::optional<ConntrackInfo> find_forwarded(ConntrackPort& ct, const CtTuple& seen, int& err) {
  std::optional<ConntrackInfo> c = ct.lookup(seen, err);
  if (!c && err == -ENOENT) c = ct.lookup(CtTuple{seen.dst, seen.src, seen.dport, seen.sport}, err, true);
  if (!c && err == -ENOENT) c = ct.find_by_ends(seen, err);
  return c;
}

}  // namespace ftpgate
