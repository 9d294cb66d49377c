#pragma once
// What the gateway needs of the kernel's connection tracking, and nothing more: the seam that
// lets unit tests drive the gateway and the packet path with a fake that scripts the kernel's
// answers (EBUSY, ENOENT, EMFILE, a seqadj the kernel did not keep). ConntrackClient
// (kernel/conntrack_client.h) is the real one, over ctnetlink.
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
  // Sets one direction's TCP sequence adjustment of the conntrack `orig`. 0 or -errno; the
  // kernel ignores it silently where the conntrack has no seqadj extension (read it back).
  virtual int set_seq_adjust(const CtTuple& orig, bool reply_direction,
                             const SequenceAdjustment& adj) = 0;
  // Creates the expectation and sets its timeout; -EBUSY when another master expects the tuple.
  virtual int install(const ExpectationRequest& req) = 0;
  // Removes the expectation with this tuple only if `master` owns it: 0, -ENOENT (used, expired
  // or never there) or -EPERM (another control connection's).
  virtual int remove(const CtTuple& tuple, const CtTuple& master) = 0;
  // The expectations of `master` (or, with null, all of `family`) into `out`: 0 or -errno.
  virtual int list_expectations(Family family, const CtTuple* master, std::vector<ExpectationInfo>& out) = 0;
};

}  // namespace ftpgate
