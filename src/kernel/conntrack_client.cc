#include "kernel/conntrack_client.h"

#include <linux/netlink.h>

#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>

#include <cerrno>
#include <system_error>

namespace ftpgate {

ConntrackClient::ConntrackClient() : sock_(NETLINK_NETFILTER) {}

namespace {
// A conntrack whose original source is the client's and whose reply source is the server's:
// what a forwarded segment of a connection NATed at both ends shows.
bool ends_match(const ConntrackInfo& c, const CtTuple& t) {
  return c.orig.src == t.src && c.orig.sport == t.sport && c.reply.src == t.dst && c.reply.sport == t.dport;
}
}  // namespace

const ConntrackInfo* ConntrackClient::queued_conntrack() {
  if (queued_ == nullptr) return nullptr;
  if (!queued_info_) queued_info_ = parse_conntrack_nested(queued_);
  return queued_info_ ? &*queued_info_ : nullptr;
}

std::optional<ConntrackInfo> ConntrackClient::lookup(const CtTuple& t, int& err, bool by_reply) {
  if (const ConntrackInfo* q = queued_conntrack(); q && (by_reply ? q->reply : q->orig) == t) {
    ++answered_from_packet_;
    err = 0;
    return *q;
  }
  std::optional<ConntrackInfo> found;
  nlmsghdr* nlh = build_conntrack_get(buf_, sock_.next_seq(), t, by_reply);
  err = sock_.request(nlh, [&](const nlmsghdr* reply) {
    if (!found) found = parse_conntrack(reply);
  });
  if (err == 0 && !found) err = -EBADMSG;
  return err == 0 ? found : std::nullopt;
}

int ConntrackClient::install(const ExpectationRequest& req) {
  int rc = sock_.request(build_expect_new(buf_, sock_.next_seq(), req, ExpectWrite::kCreate));
  if (rc == -EEXIST) {
    // Someone expects this tuple already. Ours (a PORT repeated on the same session): refresh
    // it. Another control connection's: refuse, never take it over.
    std::optional<CtTuple> master;
    const int get = sock_.request(build_expect_get(buf_, sock_.next_seq(), req.tuple),
                                  [&](const nlmsghdr* reply) { master = parse_expect_master(reply); });
    if (get != 0) return get == -ENOENT ? -EAGAIN : get;  // gone meanwhile: let the caller retry
    if (!master || !(*master == req.master)) return -EBUSY;
    rc = 0;
  }
  if (rc != 0) return rc;
  return sock_.request(build_expect_new(buf_, sock_.next_seq(), req, ExpectWrite::kUpdate));
}

std::optional<ConntrackInfo> ConntrackClient::find_by_ends(const CtTuple& t, int& err) {
  if (const ConntrackInfo* q = queued_conntrack(); q && ends_match(*q, t)) {
    ++answered_from_packet_;
    err = 0;
    return *q;
  }
  std::optional<ConntrackInfo> found;
  err = sock_.request(build_conntrack_dump(buf_, sock_.next_seq(), t.src.family()),
                      [&](const nlmsghdr* msg) {
                        if (found) return;
                        auto info = parse_conntrack(msg);
                        if (info && ends_match(*info, t)) found = std::move(info);
                      });
  if (err == 0 && !found) err = -ENOENT;
  return err == 0 ? found : std::nullopt;
}

std::optional<ConntrackInfo> ConntrackClient::find_by_destination(const CtTuple& t, int& err) {
  std::optional<ConntrackInfo> found;
  err = sock_.request(build_conntrack_dump(buf_, sock_.next_seq(), t.dst.family()),
                      [&](const nlmsghdr* msg) {
                        if (found) return;
                        auto info = parse_conntrack(msg);
                        if (info && info->orig.dst == t.dst && info->orig.sport == t.sport &&
                            info->orig.dport == t.dport)
                          found = std::move(info);
                      });
  if (err == 0 && !found) err = -ENOENT;
  return err == 0 ? found : std::nullopt;
}

int ConntrackClient::set_seq_adjust(const CtTuple& orig, bool reply_direction,
                                    const SequenceAdjustment& adj) {
  // The queued packet's copy of the conntrack is older than this change: the read-back that
  // follows must ask the kernel.
  offer_queued(nullptr);
  return sock_.request(build_conntrack_seq_adjust(buf_, sock_.next_seq(), orig, reply_direction, adj));
}

int ConntrackClient::set_mark(const CtTuple& orig, uint32_t mark, uint32_t mask) {
  offer_queued(nullptr);  // the queued packet's copy does not carry the new mark
  return sock_.request(build_conntrack_mark(buf_, sock_.next_seq(), orig, mark, mask));
}

int ConntrackClient::remove(const CtTuple& tuple, const CtTuple& master) {
  std::optional<CtTuple> owner;
  std::optional<uint32_t> id;
  const int get = sock_.request(build_expect_get(buf_, sock_.next_seq(), tuple),
                                [&](const nlmsghdr* reply) {
                                  owner = parse_expect_master(reply);
                                  id = parse_expect_id(reply);
                                });
  if (get != 0) return get;
  if (!owner || !id) return -EBADMSG;
  if (!(*owner == master)) return -EPERM;
  return sock_.request(build_expect_delete(buf_, sock_.next_seq(), tuple, *id));
}

int ConntrackClient::enable_verdict_expectations() {
  try {
    NetlinkSocket s(NETLINK_NETFILTER);
    if (int rc = s.add_membership(NFNLGRP_CONNTRACK_EXP_NEW); rc != 0) return rc;
    if (int rc = s.set_nonblocking(true); rc != 0) return rc;
    s.set_receive_buffer(1 << 20);
    events_ = std::move(s);
    event_buf_.resize(kNetlinkBufferSize);
    return 0;
  } catch (const std::system_error& e) {
    return -e.code().value();
  }
}

bool ConntrackClient::attach_to_verdict(const ExpectationRequest& req) {
  // Only for the packet that carries its conntrack (the kernel attaches to that one), once per
  // packet (one NFQA_EXP per verdict), and without NAT (a rewritten packet's verdict carries
  // its payload, and with NFQA_CT the kernel would adjust its sequence numbers a second time).
  if (!events_ || queued_ == nullptr || attached_ || req.nat) return false;
  attached_ = req;
  return true;
}

namespace {
struct EventMatch {
  const ExpectationRequest* req;
  bool found;
};
int match_event(const nlmsghdr* nlh, void* data) {
  auto* m = static_cast<EventMatch*>(data);
  if (auto e = parse_expectation(nlh)) {
    const CtTuple& t = m->req->tuple;
    if (e->master == m->req->master && e->tuple.src == t.src && e->tuple.dst == t.dst &&
        e->tuple.dport == t.dport)
      m->found = true;
  }
  return MNL_CB_OK;
}
}  // namespace

bool ConntrackClient::seen_in_events(const ExpectationRequest& req) {
  // The kernel creates the expectation while it handles the verdict, inside our send, and
  // queues its event to the group's sockets there and then: it is waiting by now.
  EventMatch m{&req, false};
  for (;;) {
    const long n = events_->receive(event_buf_.data(), event_buf_.size());
    if (n == -EINTR || n == -ENOBUFS) continue;  // ENOBUFS: events were lost; read on
    if (n <= 0) return m.found;
    mnl_cb_run(event_buf_.data(), static_cast<size_t>(n), 0, 0, match_event, &m);
  }
}

int ConntrackClient::attached_outcome(bool with_verdict) {
  if (!attached_) return -EINVAL;
  const ExpectationRequest req = *attached_;
  attached_.reset();
  if (with_verdict && seen_in_events(req)) {
    ++verdict_expectations_;
    // Created with its helper's timeout: set ftpgate's (CTA_EXPECT_TIMEOUT counts only here).
    // ENOENT: the packet is on its way, and its data connection came and used the
    // expectation already.
    const int rc = sock_.request(build_expect_new(buf_, sock_.next_seq(), req, ExpectWrite::kUpdate));
    return rc == -ENOENT ? 0 : rc;
  }
  if (with_verdict) ++unconfirmed_;
  return install(req);
}

int ConntrackClient::list_expectations(Family family, const CtTuple* master,
                                       std::vector<ExpectationInfo>& out) {
  return sock_.request(build_expect_dump(buf_, sock_.next_seq(), family, master),
                       [&](const nlmsghdr* msg) {
                         if (auto e = parse_expectation(msg)) out.push_back(std::move(*e));
                       });
}

}  // namespace ftpgate
