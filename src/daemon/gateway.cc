#include "daemon/gateway.h"

#include <algorithm>
#include <cerrno>

#include "core/endpoint_formatter.h"

namespace ftpgate {

Gateway::Gateway(ConntrackClient& ct, const Policy& policy, const NatSettings& nat,
                 DecisionLog& log)
    : ct_(ct), policy_(policy), nat_(nat), log_(log) {}

void Gateway::on_action(const Action& a) {
  switch (a.kind) {
    case Action::Kind::kExpect:
      install(a, sessions_[a.session_id]);
      break;
    case Action::Kind::kReject:
    case Action::Kind::kAnomaly:
      log_.action(a);
      break;
    case Action::Kind::kEvent:
      if (a.event == SessionEvent::kClosed || a.event == SessionEvent::kExpired) {
        end_session(a.session_id);
      } else {
        log_.action(a);
      }
      break;
  }
}

bool Gateway::look_up_control(const ControlFlow& f, SessionState& s) {
  int err = 0;
  // Queued in the forward path, a segment shows the client's address before source NAT and the
  // server's after destination NAT. Without DNAT that is the original tuple; with DNAT only, the
  // reply tuple seen backwards.
  s.conntrack = ct_.lookup(CtTuple{f.client, f.server, f.client_port, f.server_port}, err);
  if (!s.conntrack && err == -ENOENT)
    s.conntrack = ct_.lookup(CtTuple{f.server, f.client, f.server_port, f.client_port}, err, true);
  // Both (the client's source and the server's destination translated): search the table.
  if (!s.conntrack && err == -ENOENT)
    s.conntrack = ct_.find_by_ends(CtTuple{f.client, f.server, f.client_port, f.server_port}, err);
  if (s.conntrack) return true;
  ++counters_.conntrack_missing;
  missing_reason_ = "the control connection's conntrack entry was not found (" + errno_text(err) + ")";
  return false;
}

void Gateway::install(const Action& a, SessionState& s) {
  const ControlFlow& f = *a.flow;
  const Expectation& e = a.expectation;
  InstallOutcome out;
  if (!s.conntrack && !look_up_control(f, s)) {
    out.detail = missing_reason_;
    return log_.expectation(a, out);
  }
  if (s.conntrack->helper.empty()) {
    ++counters_.install_no_helper;
    out.detail = "the control connection carries no conntrack helper; load the rules "
                 "(scripts/rules.sh load) so new control connections get one";
    return log_.expectation(a, out);
  }
  ExpectationRequest req;
  req.timeout_s = static_cast<uint32_t>(policy_.expectation_timeout / 1'000'000);
  auto attempt = [&] {
    req.master = s.conntrack->orig;
    if (nat_.rewrite && s.conntrack->nated()) return install_nated(a, s, req);
    req.tuple = CtTuple{e.src, e.dst, 0, e.dport};
    return ct_.install(req);
  };
  int rc = attempt();
  if (rc == -ENOENT) {
    // The control connection's conntrack went away (flushed, or timed out and re-created):
    // look it up again once.
    if (!look_up_control(f, s)) {
      out.detail = missing_reason_;
      return log_.expectation(a, out);
    }
    rc = attempt();
  }
  if (req.nat) {
    out.nat_to = address_port_text(e.dst, e.dport);
    out.nat_as = address_port_text(req.tuple.dst, req.tuple.dport);
  }
  if (rc == 0) {
    ++counters_.expectations_installed;
    s.installed.push_back(req.tuple);
    if (s.installed.size() > policy_.max_expectations_per_session)
      s.installed.erase(s.installed.begin());  // the kernel replaced it (helper max_expected)
    out.installed = true;
    out.detail = "timeout " + std::to_string(req.timeout_s) + "s (helper " + s.conntrack->helper + ")";
    if (rewrite_) {
      out.rewrite_old = rewrite_->old_text;
      out.rewrite_new = rewrite_->new_text;
    }
    return log_.expectation(a, out);
  }
  switch (-rc) {
    case EOPNOTSUPP: ++counters_.install_no_helper; break;
    case EMFILE: case ENOSPC: ++counters_.install_table_full; break;
    case EBUSY: ++(req.nat ? counters_.nat_no_port : counters_.install_busy); break;
    default: ++counters_.install_errors; break;
  }
  out.detail = "the kernel refused the expectation: " + errno_text(rc);
  if (rc == -EBUSY && req.nat)
    out.detail += " (" + std::to_string(nat_.port_attempts) + " ports tried from " +
                  std::to_string(e.dport) + ", all expected already)";
  log_.expectation(a, out);
}

int Gateway::install_nated(const Action& a, SessionState& s, ExpectationRequest& req) {
  const ConntrackInfo& ct = *s.conntrack;
  const Expectation& e = a.expectation;
  const bool to_server = a.direction == Direction::kToServer;
  // As nf_nat_ftp: the data connection comes "from wherever this packet goes", so the peer must
  // be told the address it knows this side by: the other direction's destination.
  const CtTuple& other = to_server ? ct.reply : ct.orig;
  if (other.dst.family() != e.dst.family()) return -EAFNOSUPPORT;
  req.nat = true;
  req.nat_dir = to_server ? 1 : 0;  // the data connection opens in the master's other direction
  req.nat_to = e.dst;
  req.nat_to_port = e.dport;
  // The announced port if free, else the next ones (nf_nat_exp_find_port), bounded.
  int rc = -EBUSY;
  uint32_t port = e.dport;
  for (uint32_t tried = 0; tried < nat_.port_attempts && port <= 65535; ++tried, ++port) {
    req.tuple = CtTuple{e.src, other.dst, 0, static_cast<uint16_t>(port)};
    rc = ct_.install(req);
    if (rc != -EBUSY) break;
  }
  if (rc != 0) return rc;
  ++counters_.nat_expectations;
  if (port != e.dport) ++counters_.nat_port_changed;
  const char delimiter = a.endpoint_text.empty() ? '|' : a.endpoint_text.front();
  std::string text = format_endpoint_text(e.announcement, other.dst, req.tuple.dport, delimiter);
  if (text != a.endpoint_text) {
    EndpointRewrite r;
    r.session_id = a.session_id;
    r.direction = a.direction;
    r.text_seq = e.text_seq;
    r.text_length = e.text_length;
    r.old_text = a.endpoint_text;
    r.new_text = std::move(text);
    r.expectation = req.tuple;
    rewrite_ = std::move(r);
  }
  return 0;
}

std::optional<EndpointRewrite> Gateway::take_rewrite() {
  std::optional<EndpointRewrite> r = std::move(rewrite_);
  rewrite_.reset();
  return r;
}

bool Gateway::is_nated(uint64_t session_id, const ControlFlow& flow) {
  if (!nat_.rewrite) return false;
  SessionState& s = sessions_[session_id];
  if (!s.conntrack && !look_up_control(flow, s)) return false;
  return s.conntrack->nated();
}

const SequenceAdjustment* Gateway::adjustment(uint64_t session_id, Direction dir) const {
  auto it = sessions_.find(session_id);
  if (it == sessions_.end()) return nullptr;
  return &it->second.adjust[static_cast<size_t>(dir == Direction::kToClient)];
}

bool Gateway::adjust_sequence(uint64_t session_id, Direction dir, uint32_t seq, int32_t delta) {
  auto it = sessions_.find(session_id);
  if (it == sessions_.end() || !it->second.conntrack) return false;
  SessionState& s = it->second;
  const size_t d = dir == Direction::kToClient;
  SequenceAdjustment next = s.adjust[d];
  next.record(seq, delta);
  int rc = ct_.set_seq_adjust(s.conntrack->orig, d == 1, next);
  if (rc == 0 && !s.adjust_verified) {
    // ctnetlink accepts CTA_SEQ_ADJ_* silently when the conntrack has no seqadj extension (it is
    // added at NAT set-up only if a helper is attached by then): read it back once.
    int err = 0;
    auto now = ct_.lookup(s.conntrack->orig, err);
    const bool kept = now && keeps_seq_adjust(*now, d == 1, next);
    if (!kept) rc = -EOPNOTSUPP;
    s.adjust_verified = kept;
  }
  if (rc != 0) {
    log_.note("nat_seq_adjust_unavailable",
              "nat: the kernel keeps no TCP sequence adjustment for control " +
                  address_port_text(s.conntrack->orig.src, s.conntrack->orig.sport) + " (" +
                  errno_text(rc) + "); a rewrite that changes the length is refused");
    return false;
  }
  s.adjust[d] = next;
  return true;
}

void Gateway::abandon_rewrite(const EndpointRewrite& r, RewriteFailure why) {
  ++(why == RewriteFailure::kTextAlreadyReleased ? counters_.nat_rewrite_impossible
     : why == RewriteFailure::kSequenceAdjustment ? counters_.nat_seq_adjust_unavailable
                                                  : counters_.install_errors);
  ct_.remove(r.expectation);
  if (auto it = sessions_.find(r.session_id); it != sessions_.end()) {
    auto& v = it->second.installed;
    v.erase(std::remove(v.begin(), v.end(), r.expectation), v.end());
  }
  log_.note("nat_rewrite_withdrawn",
            "nat: rewrite \"" + r.old_text + "\" -> \"" + r.new_text + "\" not made (" +
                (why == RewriteFailure::kTextAlreadyReleased
                     ? "the endpoint text was split across segments already released"
                 : why == RewriteFailure::kSequenceAdjustment ? "no TCP sequence adjustment"
                                                              : "the packet could not be rebuilt") +
                "); its expectation is withdrawn");
}

void Gateway::end_session(uint64_t id) {
  auto it = sessions_.find(id);
  if (it == sessions_.end()) return;
  for (const CtTuple& t : it->second.installed)
    if (ct_.remove(t) == 0) ++counters_.expectations_removed;  // ENOENT: used or expired
  sessions_.erase(it);
}

}  // namespace ftpgate
