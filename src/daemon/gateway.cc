#include "daemon/gateway.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>

#include "core/endpoint_formatter.h"
#include "daemon/ftp64_legs.h"
#include "daemon/synced_expectations.h"
#include "kernel/netlink_socket.h"

namespace ftpgate {

Gateway::Gateway(ConntrackPort& ct, const Policy& policy, const NatSettings& nat,
                 DecisionLog& log)
    : ct_(ct), policy_(policy), nat_(nat), log_(log), synced_(ct, {}, timeout_seconds()) {}

void Gateway::on_action(const Action& a) {
  switch (a.kind) {
    case Action::Kind::kExpect:
      install(a, control_state(*a.session));
      break;
    case Action::Kind::kReject:
    case Action::Kind::kAnomaly:
      log_.action(a);
      break;
    case Action::Kind::kPolicy:
      if (a.policy.action == RuleAction::kDeny) return enforce(a, control_state(*a.session));
      log_.policy(a, {});
      break;
    case Action::Kind::kMask:
      edits_.push_back(SegmentEdit{a.direction, a.edit});
      break;
    case Action::Kind::kTransfer:
      if (audit_ != nullptr) audit_->record(*a.transfer);
      break;
    case Action::Kind::kLineEdit:  // NAT64: made with the segment's rewrites (daemon/ftp64_legs.h)
      if (a.session != nullptr) {
        ControlState& s = control_state(*a.session);
        if (!s.conntrack) look_up_control(*a.flow, s);
        rewrites_.push_back(ftp64_line_rewrite(a));
      }
      break;
    case Action::Kind::kEvent:
      if (a.event == SessionEvent::kClosed || a.event == SessionEvent::kExpired) {
        if (ControlState* s = find_control_state(a.session)) end_session(*s);
      } else {
        // Before the segment that picked the session up is read: its peer's ACKs may already
        // be in adjusted numbering.
        if (a.event == SessionEvent::kPickup && a.session != nullptr) adopt(a, control_state(*a.session));
        if (a.event == SessionEvent::kWithdrawn)
          if (ControlState* s = find_control_state(a.session)) withdraw(*s, a.expectation.id);
        if (a.event == SessionEvent::kUsed) {
          // Gone from the kernel with its data connection: nothing to remove at session end.
          if (ControlState* s = find_control_state(a.session))
            std::erase_if(s->installed, [&](const InstalledExpectation& i) { return i.id == a.expectation.id; });
          break;
        }
        log_.action(a);
      }
      break;
  }
}

bool Gateway::look_up_control(const ControlFlow& f, ControlState& s) {
  int err = 0;
  ++counters_.conntrack_lookups;
  s.conntrack = find_forwarded(ct_, CtTuple{f.client, f.server, f.client_port, f.server_port}, err);
  if (s.conntrack) return true;
  ++counters_.conntrack_missing;
  missing_reason_ = "the control connection's conntrack entry was not found (" + errno_text(err) + ")";
  return false;
}

void Gateway::adopt(const Action& a, ControlState& s) {
  if (!look_up_control(*a.flow, s)) {
    s.lookup_retry_at = a.now + kLookupRetryInterval;
    return;
  }
  for (size_t d = 0; d < 2; ++d) {
    const std::optional<SequenceAdjustment>& kept = s.conntrack->seq_adj[d];
    if (!kept || !kept->active()) continue;
    // Rewrites made before the pickup (by the daemon before a restart, or the other router
    // before a failover, whose update conntrackd synced): the next one adds to them.
    s.adjust[d] = *kept;
    s.adjust_verified = true;
    ++counters_.pickup_seq_adjust_adopted;
  }
  // Expectations synced from the other router lack their NAT part and ftpgate's timeout.
  synced_.repair_master(*s.conntrack);
}

void Gateway::enforce(const Action& a, ControlState& s) {
  edits_.push_back(SegmentEdit{a.direction, a.edit});
  std::string outcome;
  int rc = -ENOENT;
  if (s.conntrack || look_up_control(*a.flow, s))
    rc = ct_.set_mark(s.conntrack->orig, enforce_mark_, enforce_mark_);
  char mark[16];
  std::snprintf(mark, sizeof mark, "0x%08x", enforce_mark_);
  if (rc == 0) {
    ++counters_.policy_resets_armed;
    outcome = std::string("line neutralised, connection reset armed (ct mark ") + mark + ")";
  } else {
    ++counters_.policy_mark_errors;
    outcome = std::string("line neutralised; ct mark ") + mark + " not set (" + errno_text(rc) +
              "): the connection's packets are dropped here";
  }
  log_.policy(a, outcome);
}

void Gateway::install(const Action& a, ControlState& s) {
  const ControlFlow& f = *a.flow;
  const Expectation& e = a.expectation;
  // A second expectation of the same packet (two 227 in one segment): the one waiting to ride
  // on the verdict must reach the kernel first, so it goes over ctnetlink now; otherwise the
  // kernel would get them in the wrong order and, at max_expected 1, keep the older one.
  if (attached_) finish_attached(false);
  // Those that timed out unused are gone from the kernel: the list holds only live ones.
  const auto expired = [&](const InstalledExpectation& i) { return i.expires <= a.now; };
  std::erase_if(s.installed, expired);
  std::erase_if(s.ftp64_v6_installed, expired);
  if (e.replaces_id != 0) {
    // The engine let this one replace the oldest (max_expectations_per_session); the kernel
    // helper's max_expected, registered from the same policy, evicts it there.
    std::erase_if(s.installed, [&](const InstalledExpectation& i) { return i.id == e.replaces_id; });
  }
  InstallOutcome out;
  if (!s.conntrack && !look_up_control(f, s)) {
    s.lookup_retry_at = a.now + kLookupRetryInterval;
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
  req.timeout_s = timeout_seconds();
  if (!(nat_.rewrite && s.conntrack->nated())) {
    req.master = s.conntrack->orig;
    req.tuple = CtTuple{e.src, e.dst, 0, e.dport};
    if (ct_.attach_to_verdict(req)) {
      // Logged once the verdict has gone out and the kernel has said (finish_attached).
      s.installed.push_back(InstalledExpectation{e.id, req.tuple, e.expires});
      if (a.session != nullptr && a.session->ftp64() != nullptr) install_twin(a, s);
      attached_.emplace(Attached{ExpectationRecord(a, InstallOutcome{}), &s, req.tuple, req.timeout_s,
                                 s.conntrack->helper});
      return;
    }
  }
  std::optional<EndpointRewrite> rewrite;
  int rc = 0;
  for (int attempt = 0; attempt < 2; ++attempt) {
    req.master = s.conntrack->orig;
    if (nat_.rewrite && s.conntrack->nated()) {
      rc = install_nated(a, s, req, rewrite, out);
    } else {
      req.tuple = CtTuple{e.src, e.dst, 0, e.dport};
      rc = ct_.install(req);
    }
    if (rc != -ENOENT || attempt == 1) break;
    // The control connection's conntrack went away (flushed, or timed out and re-created):
    // look it up again once.
    if (!look_up_control(f, s)) {
      out.detail = missing_reason_;
      return log_.expectation(a, out);
    }
  }
  if (rc == 0) {
    ++counters_.expectations_installed;
    s.installed.push_back(InstalledExpectation{e.id, req.tuple, e.expires});
    if (a.session != nullptr && a.session->ftp64() != nullptr) install_twin(a, s);
    out.installed = true;
    out.detail = "timeout " + std::to_string(req.timeout_s) + "s (helper " + s.conntrack->helper + ")";
    if (rewrite) {
      // Logged when the packet path has made the rewrite, or withdrawn it.
      rewrite->decision.outcome = std::move(out);
      rewrites_.push_back(std::move(*rewrite));
      return;
    }
    return log_.expectation(a, out);
  }
  count_refusal(rc, req.nat, e.dport, out);
  log_.expectation(a, out);
}

void Gateway::count_refusal(int rc, bool nat, uint16_t announced_port, InstallOutcome& out) {
  switch (-rc) {
    case EOPNOTSUPP: ++counters_.install_no_helper; break;
    case EMFILE: case ENOSPC: ++counters_.install_table_full; break;
    case EBUSY: ++(nat ? counters_.nat_no_port : counters_.install_busy); break;
    default: ++counters_.install_errors; break;
  }
  out.detail = "the kernel refused the expectation: " + errno_text(rc);
  if (rc == -EBUSY && nat)
    out.detail += " (" + std::to_string(nat_.port_attempts) + " ports tried from " +
                  std::to_string(announced_port) + ", all expected already)";
}

void Gateway::finish_attached(bool with_verdict) {
  if (!attached_) return;
  Attached at = std::move(*attached_);
  attached_.reset();
  const int rc = ct_.attached_outcome(with_verdict);
  InstallOutcome& out = at.decision.outcome;
  if (rc == 0) {
    ++counters_.expectations_installed;
    if (with_verdict) ++counters_.verdict_attached;
    out.installed = true;
    out.detail = "timeout " + std::to_string(at.timeout_s) + "s (helper " + at.helper + ")" +
                 (with_verdict ? ", in the verdict" : "");
  } else {
    count_refusal(rc, false, at.tuple.dport, out);  // verdicts carry no NAT expectation
    if (at.state != nullptr)
      std::erase_if(at.state->installed, [&](const InstalledExpectation& i) { return i.tuple == at.tuple; });
  }
  log_.expectation(at.decision);
}

int Gateway::install_nated(const Action& a, ControlState& s, ExpectationRequest& req,
                           std::optional<EndpointRewrite>& rewrite, InstallOutcome& out) {
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
  if (port != e.dport) {
    ++counters_.nat_port_changed;
    // For the other router of an HA pair: this connection's synced expectations cannot be
    // repaired there (synced_expectations.h).
    if (ct_.set_mark(ct.orig, kPortMovedMark, kPortMovedMark) != 0) ++counters_.policy_mark_errors;
  }
  out.nat_to = address_port_text(e.dst, e.dport);
  out.nat_as = address_port_text(req.tuple.dst, req.tuple.dport);
  if (auto text = plan_endpoint_rewrite(e.announcement, a.endpoint_text, other.dst, req.tuple.dport)) {
    rewrite.emplace(EndpointRewrite{a.direction, e.text_seq, e.text_length,
                                    std::string(a.endpoint_text), std::move(*text), req.tuple,
                                    ExpectationRecord(a, InstallOutcome{})});
  }
  return 0;
}

std::vector<EndpointRewrite> Gateway::take_rewrites() {
  std::vector<EndpointRewrite> r;
  r.swap(rewrites_);
  compose_ftp64_edits(r);  // NAT64: endpoint rewrites inside translated lines
  // At one position, an empty rewrite (composed into a line edit) before the line edit.
  std::stable_sort(r.begin(), r.end(), [](const EndpointRewrite& x, const EndpointRewrite& y) {
    const int32_t d = static_cast<int32_t>(x.text_seq - y.text_seq);
    return d != 0 ? d < 0 : (x.text_length == 0 && y.text_length != 0);
  });
  return r;
}

void Gateway::install_twin(const Action& a, ControlState& s) {
  std::string detail;
  CtTuple twin;
  const int rc = install_ftp64_twin(ct_, policy_, *a.flow, a.expectation, timeout_seconds(), s.ftp64_v6_master,
                                    twin, detail);
  ++(rc == 0 ? counters_.ftp64_v6_expectations : counters_.ftp64_v6_expectation_errors);
  if (rc == 0) s.ftp64_v6_installed.push_back(InstalledExpectation{a.expectation.id, twin, a.expectation.expires});
  log_.note(rc == 0 ? "ftp64_v6_expectation" : "ftp64_v6_expectation_error", detail);
}

bool Gateway::is_nated(Session& session, Micros now) {
  if (!nat_.rewrite) return false;
  ControlState& s = control_state(session);
  if (!s.conntrack) {
    if (now < s.lookup_retry_at) return false;
    if (!look_up_control(session.flow(), s)) {
      s.lookup_retry_at = now + kLookupRetryInterval;
      return false;
    }
  }
  return s.conntrack->nated();
}

bool Gateway::adjust_sequence(ControlState& s, Direction dir, uint32_t seq, int32_t delta) {
  if (!s.conntrack) return false;
  const size_t d = ControlState::index(dir);
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

void Gateway::rewrites_made(const std::vector<EndpointRewrite>& rewrites) {
  for (const EndpointRewrite& r : rewrites) {
    if (r.line_edit) {
      ++counters_.ftp64_line_edits;
      continue;
    }
    ++counters_.nat_rewrites;
    ExpectationRecord logged = r.decision;
    logged.outcome.rewrite_old = r.old_text;
    logged.outcome.rewrite_new = r.new_text;
    log_.expectation(logged);
  }
}

void Gateway::rewrites_withdrawn(ControlState& s, const std::vector<EndpointRewrite>& rewrites,
                                 RewriteFailure why) {
  const char* because = why == RewriteFailure::kTextAlreadyReleased
                            ? "the endpoint text was split across segments already released"
                        : why == RewriteFailure::kSequenceAdjustment ? "no TCP sequence adjustment"
                                                                     : "the packet could not be rebuilt";
  for (const EndpointRewrite& r : rewrites) {
    if (r.line_edit) {
      ++counters_.ftp64_line_edits_failed;
      log_.note("ftp64_line_edit_failed", std::string("nat64: \"") + r.old_text + "\" -> \"" + r.new_text +
                                               "\" not made (" + because + ")");
      continue;
    }
    ++(why == RewriteFailure::kTextAlreadyReleased ? counters_.nat_rewrite_impossible
       : why == RewriteFailure::kSequenceAdjustment ? counters_.nat_seq_adjust_unavailable
                                                    : counters_.install_errors);
    if (s.conntrack) ct_.remove(r.expectation, s.conntrack->orig);
    std::erase_if(s.installed, [&](const InstalledExpectation& i) { return i.tuple == r.expectation; });
    ExpectationRecord logged = r.decision;
    logged.outcome.installed = false;
    logged.outcome.detail = std::string("nat rewrite \"") + r.old_text + "\" -> \"" + r.new_text +
                            "\" not made (" + because + "); the expectation was withdrawn";
    log_.expectation(logged);
  }
}

void Gateway::withdraw(ControlState& s, uint64_t id) {
  remove_ftp64_twins(ct_, s, id);  // NAT64: its IPv6 leg's too
  auto it = std::find_if(s.installed.begin(), s.installed.end(),
                         [&](const InstalledExpectation& i) { return i.id == id; });
  if (it == s.installed.end() || !s.conntrack) return;  // never installed
  if (ct_.remove(it->tuple, s.conntrack->orig) == 0) ++counters_.expectations_withdrawn_removed;
  s.installed.erase(it);
}

void Gateway::end_session(ControlState& s) {
  if (attached_ && attached_->state == &s) attached_->state = nullptr;  // the verdict still carries it
  for (std::vector<HeldSegment>& held : s.held) {
    for (const HeldSegment& h : held) released_.push_back(h.id);
    held.clear();
  }
  remove_ftp64_twins(ct_, s, 0);  // NAT64: the IPv6 leg's expectations
  if (!s.conntrack) return;
  for (const InstalledExpectation& i : s.installed) {
    // Only this control connection's own: another may expect the same tuple by now.
    const int rc = ct_.remove(i.tuple, s.conntrack->orig);
    if (rc == 0) ++counters_.expectations_removed;
    if (rc == -EPERM) ++counters_.expectations_not_ours;
  }  // ENOENT: used or expired
  s.installed.clear();
}

}  // namespace ftpgate
