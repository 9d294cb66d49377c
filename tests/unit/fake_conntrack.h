#pragma once
// A conntrack table in memory behind the gateway's ConntrackPort, with the kernel's rules that
// matter to ftpgate (an expectation belongs to one master; EXP_NEW on a tuple another master
// expects is EBUSY; delete only what the caller owns) and scripted failures: the next installs'
// errors (EBUSY, EMFILE, ENOENT, ...) and a conntrack that does not keep sequence adjustments.
#include <cerrno>
#include <deque>
#include <optional>
#include <vector>

#include "daemon/conntrack_port.h"
#include "test_support.h"

namespace ftpgate::testing {

class FakeConntrack : public ConntrackPort {
 public:
  struct Expected {
    ExpectationRequest request;
    std::string helper = "sane";
    uint32_t id = 0;
  };

  // A conntrack without NAT (reply = original reversed) or with the given reply tuple.
  void add_connection(const CtTuple& orig, std::optional<CtTuple> reply = std::nullopt,
                      std::string helper = "sane") {
    ConntrackInfo c;
    c.orig = orig;
    c.reply = reply ? *reply : CtTuple{orig.dst, orig.src, orig.dport, orig.sport};
    c.helper = std::move(helper);
    conntracks.push_back(c);
  }

  std::optional<ConntrackInfo> lookup(const CtTuple& t, int& err, bool by_reply) override {
    ++lookups;
    for (const ConntrackInfo& c : conntracks)
      if ((by_reply ? c.reply : c.orig) == t) {
        err = 0;
        return c;
      }
    err = -ENOENT;
    return std::nullopt;
  }
  std::optional<ConntrackInfo> find_by_ends(const CtTuple& t, int& err) override {
    ++table_walks;
    for (const ConntrackInfo& c : conntracks)
      if (c.orig.src == t.src && c.orig.sport == t.sport && c.reply.src == t.dst &&
          c.reply.sport == t.dport) {
        err = 0;
        return c;
      }
    err = -ENOENT;
    return std::nullopt;
  }
  std::optional<ConntrackInfo> find_by_destination(const CtTuple& t, int& err) override {
    ++table_walks;
    for (const ConntrackInfo& c : conntracks)
      if (c.orig.dst == t.dst && c.orig.sport == t.sport && c.orig.dport == t.dport) {
        err = 0;
        return c;
      }
    err = -ENOENT;
    return std::nullopt;
  }
  int set_seq_adjust(const CtTuple& orig, bool reply_direction, const SequenceAdjustment& adj) override {
    ++seq_adjust_writes;
    for (ConntrackInfo& c : conntracks)
      if (c.orig == orig) {
        if (keeps_seq_adjust_extension) c.seq_adj[reply_direction ? 1 : 0] = adj;
        return 0;  // ctnetlink answers 0 even when it keeps nothing
      }
    return -ENOENT;
  }
  int set_mark(const CtTuple& orig, uint32_t mark, uint32_t mask) override {
    ++mark_writes;
    if (mark_error != 0) return mark_error;
    for (ConntrackInfo& c : conntracks)
      if (c.orig == orig) {
        c.mark = (c.mark & ~mask) ^ (mark & mask);
        return 0;
      }
    return -ENOENT;
  }
  int install(const ExpectationRequest& req) override {
    ++installs;
    if (!install_errors.empty()) {
      const int rc = install_errors.front();
      install_errors.pop_front();
      if (rc != 0) return rc;
    }
    for (Expected& e : expectations) {
      if (!same_tuple(e.request.tuple, req.tuple)) continue;
      if (!(e.request.master == req.master)) return -EBUSY;
      e.request = req;  // refreshed
      return 0;
    }
    expectations.push_back(Expected{req, helper_of(req.master), ++next_id_});
    return 0;
  }
  // The conntrack glue, scripted: with verdict_glue, expectations of packets the test marks as
  // carrying their conntrack (packet_has_conntrack) ride on the verdict; verdict_creates says
  // whether the kernel then creates them (false: as if it refused, silently).
  bool attach_to_verdict(const ExpectationRequest& req) override {
    if (!verdict_glue || !packet_has_conntrack || attached_ || req.nat) return false;
    attached_ = req;
    return true;
  }
  const ExpectationRequest* attached() const override { return attached_ ? &*attached_ : nullptr; }
  int attached_outcome(bool with_verdict) override {
    if (!attached_) return -EINVAL;
    const ExpectationRequest req = *attached_;
    attached_.reset();
    if (with_verdict && verdict_creates) {
      expectations.push_back(Expected{req, helper_of(req.master), ++next_id_});
      ++created_by_verdict;
      return 0;
    }
    return install(req);  // what the daemon does when no event confirms it
  }
  bool verdict_glue = false, packet_has_conntrack = false, verdict_creates = true;
  int created_by_verdict = 0;

  // An expectation as conntrackd's sync creates it on the backup: no NAT part, the helper's
  // default timeout.
  void add_synced(const CtTuple& master, const CtTuple& tuple, uint32_t timeout_s = 300) {
    ExpectationRequest r;
    r.master = master;
    r.tuple = tuple;
    r.timeout_s = timeout_s;
    expectations.push_back(Expected{r, helper_of(master), ++next_id_});
  }
  int list_expectations(Family family, const CtTuple* master, std::vector<ExpectationInfo>& out) override {
    ++dumps;
    for (const Expected& e : expectations) {
      if (e.request.master.src.family() != family) continue;
      if (master != nullptr && !(e.request.master == *master)) continue;
      out.push_back(ExpectationInfo{e.request.master, e.request.tuple, e.id, e.request.timeout_s,
                                    e.helper, e.request.nat});
    }
    return 0;
  }
  int remove(const CtTuple& tuple, const CtTuple& master) override {
    ++removes;
    for (auto it = expectations.begin(); it != expectations.end(); ++it) {
      if (!same_tuple(it->request.tuple, tuple)) continue;
      if (!(it->request.master == master)) return -EPERM;
      expectations.erase(it);
      return 0;
    }
    return -ENOENT;
  }

  // The data connection for `tuple` arrived: the kernel removes the expectation it matched.
  void use(const CtTuple& tuple) {
    std::erase_if(expectations, [&](const Expected& e) { return same_tuple(e.request.tuple, tuple); });
  }
  const Expected* find_expected(const CtTuple& tuple) const {
    for (const Expected& e : expectations)
      if (same_tuple(e.request.tuple, tuple)) return &e;
    return nullptr;
  }

  std::vector<ConntrackInfo> conntracks;
  std::vector<Expected> expectations;
  std::deque<int> install_errors;  // the next installs answer these (0: as the table says)
  bool keeps_seq_adjust_extension = true;
  int lookups = 0, table_walks = 0, installs = 0, removes = 0, seq_adjust_writes = 0, dumps = 0, mark_writes = 0;
  int mark_error = 0;  // set_mark answers this when non-zero

 private:
  std::string helper_of(const CtTuple& master) const {
    for (const ConntrackInfo& c : conntracks)
      if (c.orig == master) return c.helper;
    return "";
  }
  uint32_t next_id_ = 0;
  std::optional<ExpectationRequest> attached_;
  // The source port is a wildcard in every expectation ftpgate makes.
  static bool same_tuple(const CtTuple& a, const CtTuple& b) {
    return a.src == b.src && a.dst == b.dst && a.dport == b.dport;
  }
};

}  // namespace ftpgate::testing
