#include "core/session.h"

#include <algorithm>
#include <initializer_list>

#include "core/ascii.h"
#include "core/command_reading.h"

namespace ftpgate {

// What the dialogue decides while one segment is handled, turned into actions.
class Session::Handler : public DialogueEvents {
 public:
  Handler(Session& s, SessionContext& ctx, Micros now) : s_(s), ctx_(ctx), now_(now) {}

  void on_stream_event(Direction dir, StreamEvent e, std::string_view detail) override {
    switch (e) {
      case StreamEvent::kTlsEnded:
        s_.event(dir, SessionEvent::kTlsEnd, now_, ctx_);
        break;
      case StreamEvent::kNotTls:
        s_.report(dir, Reason::kTlsNotTls, detail, now_, ctx_);
        break;
      case StreamEvent::kResumed:
        s_.event(dir, SessionEvent::kResume, now_, ctx_);
        break;
    }
  }
  // The command rules judge each command; log and deny go to the sink, deny ends the session's
  // inspection (its later lines are not acted on).
  bool on_command(const Command& cmd, std::string_view line) override {
    if (s_.enforced_) return false;
    if (!judge_command(cmd, line)) return false;
    if (cmd.verb == Verb::kTransfer) transfer_requested(cmd);
    return true;
  }
  // A line with no reading the rules can judge: refused while the guard is on; otherwise it
  // goes on as before (and a transfer it asks for is still audited, with the head's argument).
  bool on_unjudged_command(const Command& head, std::string_view line, Reason why) override {
    if (s_.enforced_) return false;
    if (s_.refuse_unjudged(why, line, now_, ctx_)) return false;
    if (why != Reason::kControlByteInLine && head.verb == Verb::kTransfer) transfer_requested(head);
    return true;
  }
  void transfer_requested(const Command& cmd) {
    if (ctx_.transfers == nullptr) return;
    ctx_.transfers->requested(s_.flow_, s_.id_, s_.dialogue_.user(), cmd.name, cmd.argument, now_,
                              s_.dialogue_.passive_pending(), ctx_.policy, ctx_.counters);
  }
  // The command rules' verdict on one command: false when it is denied. The command is judged
  // as every server may read it (command_reading.h) and as every user the server may take
  // the client for (a login not yet answered: the old user and the claimed one; an unknown
  // identity: user conditions fail closed); the strictest verdict wins: deny, then log.
  bool judge_command(const Command& cmd, std::string_view line) {
    const CommandRules* rules = ctx_.policy.rules.get();
    if (rules == nullptr || rules->empty()) return true;
    const ControlFlow& f = s_.flow_;
    const FtpDialogue& d = s_.dialogue_;
    const CommandReading lenient = lenient_reading(line);
    const bool lenient_differs = !ascii_iequals(lenient.verb, cmd.name) || lenient.argument != cmd.argument;
    const bool is_user = cmd.verb == Verb::kUser;
    // For USER itself, the user is its own argument.
    const std::string_view users[2] = {is_user ? cmd.argument : d.user(), d.claimed_user()};
    const bool two_users = !is_user && d.login_open() && d.claimed_user() != d.user();
    const CommandRule* verdict = nullptr;
    auto strictness = [](const CommandRule* r) {
      return r == nullptr || r->action == RuleAction::kAllow ? 0 : r->action == RuleAction::kLog ? 1 : 2;
    };
    for (int reading = 0; reading < (lenient_differs ? 2 : 1); ++reading) {
      for (int u = 0; u < (two_users ? 2 : 1); ++u) {
        CommandFacts facts{reading == 0 ? cmd.name : std::string_view(lenient.verb),
                           reading == 0 ? cmd.argument : std::string_view(lenient.argument),
                           users[u], f.client, f.server, f.server_port,
                           !is_user && d.identity_unknown()};
        const CommandRule* r = rules->first_match(facts);
        if (strictness(r) > strictness(verdict) || (verdict == nullptr && r != nullptr)) verdict = r;
      }
    }
    rules->count_hit(verdict);
    const CommandRule* rule = verdict;
    if (rule == nullptr || rule->action == RuleAction::kAllow) return true;
    const PolicyHit hit{rule->action, rule};
    if (rule->action == RuleAction::kLog) {
      ++ctx_.counters.commands_logged;
      Action a = s_.policy_action(Direction::kToServer, hit, line, now_);
      ctx_.sink.on_action(a);
      return true;
    }
    ++ctx_.counters.commands_denied;
    s_.enforce(Direction::kToServer, hit, Reason::kCount, line, now_, ctx_);
    return false;
  }
  void on_transfer_started(std::string_view text) override {
    if (s_.enforced_) return;
    if (!s_.transfer_started_) s_.data_connection_used(now_, ctx_);
    s_.transfer_started_ = true;
    if (ctx_.transfers != nullptr) ctx_.transfers->started(s_.id_, text);
  }
  void on_transfer_answered(uint16_t code, std::string_view text) override {
    if (s_.enforced_) return;
    if (code < 400 && !s_.transfer_started_) s_.data_connection_used(now_, ctx_);  // 2xx, no 1xx
    s_.transfer_started_ = false;
    if (ctx_.transfers != nullptr) ctx_.transfers->answered(s_.id_, code, text, now_);
  }
  void on_mask(uint64_t at, size_t length) override {
    if (s_.enforced_) return;
    ++ctx_.counters.texts_masked;
    Action a = make_action(Action::Kind::kMask, &s_.flow_, &s_, s_.id_, Direction::kToClient, now_);
    a.edit = StreamEdit{StreamEdit::Kind::kMask, static_cast<uint32_t>(at), static_cast<uint32_t>(length)};
    ctx_.sink.on_action(a);
  }
  // An offer the policy admits becomes an expectation.
  void on_offer(Direction dir, const Offer& offer) override {
    if (s_.enforced_) return;
    if (dir == Direction::kToServer) s_.active_offer_expectation_ = 0;  // this offer's, if admitted
    const Judgement j = judge_offer(offer, s_.flow_, ctx_.policy);
    if (!j.admitted) return s_.report(dir, j.refusal, offer.line, now_, ctx_);
    s_.expire_expectations(now_, ctx_.counters);
    const size_t per_session = std::max<uint32_t>(1, ctx_.policy.max_expectations_per_session);
    uint64_t replaces = 0;
    if (s_.outstanding_.size() >= per_session) {
      // Newest replaces oldest, as the kernel helper does with max_expected = 1. The one place
      // this limit is applied: the gateway follows replaces_id.
      replaces = s_.outstanding_.front().id;
      s_.outstanding_.erase(s_.outstanding_.begin());
      ++ctx_.counters.expectations_replaced;
      --ctx_.counters.expectations_outstanding;
    }
    if (ctx_.counters.expectations_outstanding >= ctx_.policy.max_expectations_total)
      return s_.report(dir, Reason::kExpectationTableFull, offer.line, now_, ctx_);
    Action a = make_action(Action::Kind::kExpect, &s_.flow_, &s_, s_.id_, dir, now_);
    a.line = offer.line;
    Expectation& e = a.expectation;
    e.id = ++ctx_.next_expectation_id;
    e.mode = j.mode;
    e.announcement = offer.form->announcement;
    e.src = j.src;
    e.dst = j.dst;
    e.dport = j.dport;
    e.expires = now_ + ctx_.policy.expectation_timeout;
    e.replaces_id = replaces;
    e.text_seq = static_cast<uint32_t>(offer.text_at);  // widened back to 32 bits
    e.text_length = static_cast<uint32_t>(offer.text.size());
    a.endpoint_text = offer.text;
    a.user = s_.dialogue_.user();
    s_.outstanding_.push_back(Session::Outstanding{e.id, e.expires});
    if (dir == Direction::kToServer) s_.active_offer_expectation_ = e.id;
    if (ctx_.transfers != nullptr) ctx_.transfers->expected(s_.id_, e);
    ++ctx_.counters.expectations;
    ++ctx_.counters.expectations_outstanding;
    ctx_.sink.on_action(a);
  }
  // A tight pinhole: the kernel helper leaves it until it times out or is replaced.
  void on_active_offer_answered(uint16_t code, std::string_view reply_line) override {
    if (s_.enforced_) return;
    const uint64_t id = s_.active_offer_expectation_;
    s_.active_offer_expectation_ = 0;
    if (code < 400) return;
    auto it = std::find_if(s_.outstanding_.begin(), s_.outstanding_.end(),
                           [&](const Session::Outstanding& o) { return o.id == id; });
    if (id == 0 || it == s_.outstanding_.end()) return;  // none admitted, or gone already
    s_.outstanding_.erase(it);
    --ctx_.counters.expectations_outstanding;
    ++ctx_.counters.expectations_withdrawn;
    Action a = make_action(Action::Kind::kEvent, &s_.flow_, &s_, s_.id_, Direction::kToClient, now_);
    a.event = SessionEvent::kWithdrawn;
    a.expectation.id = id;
    a.line = reply_line;
    a.user = s_.dialogue_.user();
    ctx_.sink.on_action(a);
  }
  void on_refusal(Direction dir, Reason r, std::string_view line) override {
    if (s_.enforced_) return;
    s_.report(dir, r, line, now_, ctx_);
  }
  void on_tls_start() override {
    if (s_.enforced_) return;
    s_.to_server_.start_tls();
    s_.to_client_.start_tls();
    ++ctx_.counters.tls_sessions;
    s_.event(Direction::kToClient, SessionEvent::kTlsStart, now_, ctx_);
  }

 private:
  Session& s_;
  SessionContext& ctx_;
  Micros now_;
};

Session::Session(const ControlFlow& flow, uint64_t id, const Policy& policy, Micros now)
    : flow_(flow),
      id_(id),
      last_seen_(now),
      to_server_(Direction::kToServer, policy),
      to_client_(Direction::kToClient, policy) {}

Session::Outcome Session::on_segment(Direction dir, const TcpSegment& seg, Micros now,
                                     SessionContext& ctx) {
  Outcome out;
  last_seen_ = now;
  if (enforced_) return out;  // denied: the daemon drops what still comes, and remembers it
  if (seg.has(tcp_flags::kRst)) {
    // RFC 5961 3.2: a receiver resets the connection only for an RST at exactly the next
    // sequence number it expects; one elsewhere in its window gets a challenge ACK, one
    // outside it is discarded. An RST at the sender's next byte ends the session; any other
    // must not make us forget the stream (a forged RST between "DE" and "LE x" would have the
    // rest read as a new line): that session ends after reset_linger unless more data comes.
    const StreamReader& sender = reader(dir);
    if (!sender.initialized() || sender.widen(seg.seq) == sender.next()) {
      out.state = State::kClosed;
      return out;
    }
    if (!reset_seen_) reset_at_ = now;
    reset_seen_ = true;
    return out;
  }
  if (reset_seen_ && !seg.payload.empty()) {
    reset_seen_ = false;
    ++ctx.counters.resets_not_taken;
  }
  // The guard watches the client's stream while the policy refuses what it cannot judge.
  const bool guard = dir == Direction::kToServer && ctx.policy.guarded();
  std::string_view payload = seg.payload;
  if (seg.has(tcp_flags::kSyn) && !payload.empty()) {
    report(dir, Reason::kSynWithData, {}, now, ctx);
    if (guard) return drop(out, Reason::kSynWithData, ctx);
    payload = {};  // not stream bytes (anchor()): a receiver without Fast Open drops them
  }
  if (guard && seg.has(tcp_flags::kUrg)) {
    out.verdict.clear_urgent = true;
    ++ctx.counters.urgent_cleared;
  }
  StreamReader& s = reader(dir);
  uint32_t data_seq = 0;
  bool picked_up = false;
  if (!s.anchor(seg, data_seq, picked_up)) return out;
  if (picked_up) {
    ++ctx.counters.midstream_pickups;
    dialogue_.picked_up();
  }
  Handler handler(*this, ctx, now);
  FtpDialogue::Turn lines(dialogue_, ctx.policy, ctx.counters, handler);
  if (seg.has(tcp_flags::kAck)) {
    // The peer acknowledges the other direction's bytes: judged bytes it holds need not be
    // kept; bytes it acknowledges that we never saw are a hole: skip it, resynchronise its
    // lines and the pairing of replies with commands.
    const Direction other = opposite(dir);
    StreamReader& o = reader(other);
    o.acknowledged(seg.ack);
    if (const uint64_t skipped = o.skip_unseen(seg.ack)) {
      ctx.counters.skipped_bytes += skipped;
      report(other, Reason::kStreamGap, {}, now, ctx);
      dialogue_.lost_in_gap(to_server_.initialized() ? to_server_.next() : 0);
      // Which reply answers which transfer is lost with the pairing: those waiting are
      // recorded now, their reply unknown (0).
      if (ctx.transfers != nullptr) ctx.transfers->unpaired(id_, now);
      // Client bytes reached the server unjudged (they bypassed the queue): refused at once.
      if (other == Direction::kToServer && refuse_unjudged(Reason::kStreamGap, {}, now, ctx))
        return out;
      o.resync_after_gap(lines);
    }
  }
  if (!payload.empty()) {
    // Which client bytes the server had received when it sent these replies.
    if (dir == Direction::kToClient && seg.has(tcp_flags::kAck) && to_server_.initialized())
      dialogue_.reply_acknowledges(to_server_.widen(seg.ack));
    read_payload(dir, data_seq, payload, guard, lines, now, ctx, out.verdict);
  }
  if (seg.has(tcp_flags::kFin) && !out.verdict.drop) s.note_fin(data_seq, payload.size());
  out.state = (to_server_.fin() && to_client_.fin()) ? State::kClosed : State::kOpen;
  return out;
}

void Session::read_payload(Direction dir, uint32_t data_seq, std::string_view payload, bool guard,
                           FtpDialogue::Turn& lines, Micros now, SessionContext& ctx,
                           SegmentVerdict& v) {
  StreamReader& s = reader(dir);
  const ReassemblyReport rep = s.push(data_seq, payload, guard, lines);
  ctx.counters.retransmitted_bytes += rep.retransmitted_bytes;
  if (rep.out_of_order_limit) report(dir, Reason::kOutOfOrderLimit, {}, now, ctx);
  if (rep.overlap_mismatch) report(dir, Reason::kOverlapMismatch, {}, now, ctx);
  if (rep.out_of_order_refused) {
    // Not judged yet, so it must not pass: the sender retransmits it after the hole fills.
    // (Holding it would save that round trip; a control channel rarely reorders.)
    report(dir, Reason::kOutOfOrderRefused, {}, now, ctx);
    drop(v, Reason::kOutOfOrderRefused, ctx);
    return;
  }
  if (rep.unverifiable) {
    report(dir, Reason::kUnverifiableCopy, {}, now, ctx);
    if (guard) return drop(v, Reason::kUnverifiableCopy, ctx);
  }
  if (rep.differs) {
    // The receiver must get the copy that was judged: put it back, same length.
    const std::string_view judged = s.judged(s.widen(data_seq) + rep.differs_from, rep.differs_length);
    report(dir, Reason::kCopyDiffers, {}, now, ctx);
    if (judged.size() == rep.differs_length) {
      v.restore_at = rep.differs_from;
      v.restore.assign(judged);
      ++ctx.counters.guard_restores;
    } else if (guard) {
      drop(v, Reason::kUnverifiableCopy, ctx);
    }
  }
}

Session::Outcome& Session::drop(Outcome& out, Reason why, SessionContext& ctx) {
  drop(out.verdict, why, ctx);
  return out;
}

void Session::drop(SegmentVerdict& v, Reason why, SessionContext& ctx) {
  if (!v.drop) ++ctx.counters.guard_drops;
  v.drop = true;
  v.why = why;
}

bool Session::refuse_unjudged(Reason why, std::string_view line, Micros now, SessionContext& ctx) {
  if (!ctx.policy.guarded()) return false;
  ++ctx.counters.unjudged_refused;
  ctx.counters.count(Reason::kUnjudged);
  enforce(Direction::kToServer, PolicyHit{RuleAction::kDeny, nullptr}, why, line, now, ctx);
  return true;
}

namespace {
// `partial` could still become a line starting with one of `words` (case-insensitively).
bool may_start_with(std::string_view partial, std::initializer_list<std::string_view> words) {
  for (std::string_view w : words) {
    const size_t n = std::min(partial.size(), w.size());
    bool same = true;
    for (size_t i = 0; i < n && same; ++i) same = (partial[i] | 0x20) == (w[i] | 0x20);
    if (same) return true;
  }
  return false;
}
}  // namespace

bool Session::partial_line_may_announce(Direction dir) const {
  const StreamReader& s = dir == Direction::kToServer ? to_server_ : to_client_;
  if (!s.reading_lines()) return false;
  if (dir == Direction::kToClient && dialogue_.multiline_passive_open()) return true;
  const std::string_view partial = s.partial_line();
  if (partial.empty()) return false;
  return dir == Direction::kToServer ? may_start_with(partial, {"PORT", "EPRT", "LPRT"})
                                     : may_start_with(partial, {"227", "228", "229"});
}

void Session::expire_expectations(Micros now, Counters& counters) {
  const auto live_end = std::remove_if(outstanding_.begin(), outstanding_.end(),
                                       [now](const Outstanding& o) { return o.expires <= now; });
  counters.expectations_outstanding -= static_cast<uint64_t>(outstanding_.end() - live_end);
  outstanding_.erase(live_end, outstanding_.end());
}

void Session::data_connection_used(Micros now, SessionContext& ctx) {
  // The server opened or accepted the data connection (150/125, or a 2xx without one): the
  // kernel removed the expectation it used, the session's newest.
  if (outstanding_.empty()) return;
  Action a = make_action(Action::Kind::kEvent, &flow_, this, id_, Direction::kToClient, now);
  a.event = SessionEvent::kUsed;
  a.expectation.id = outstanding_.back().id;
  outstanding_.pop_back();
  --ctx.counters.expectations_outstanding;
  ++ctx.counters.expectations_used;
  ctx.sink.on_action(a);
}

size_t Session::drop_expectations(Counters& counters) {
  const size_t n = outstanding_.size();
  counters.expectations_outstanding -= n;
  outstanding_.clear();
  return n;
}

void Session::report(Direction dir, Reason r, std::string_view line, Micros now,
                     SessionContext& ctx) {
  ctx.counters.count(r);
  emit_report(dir, r, line, now, ctx);
  if (ctx.policy.strict && reason_is_strict_refusal(r)) {
    // Strict mode: the refusal is said, then enforced as a denied command is.
    ++ctx.counters.strict_enforced;
    enforce(dir, PolicyHit{RuleAction::kDeny, nullptr}, r, line, now, ctx);
  }
}

void Session::emit_report(Direction dir, Reason r, std::string_view line, Micros now,
                          SessionContext& ctx) {
  if (reports_ >= ctx.policy.max_reports_per_session) {
    if (reports_ > ctx.policy.max_reports_per_session) return;
    r = Reason::kReportsSuppressed;  // said once, then silence (the counters go on)
    ctx.counters.count(r);
    line = {};
  }
  ++reports_;
  Action a = make_action(reason_is_rejection(r) ? Action::Kind::kReject : Action::Kind::kAnomaly,
                         &flow_, this, id_, dir, now);
  a.reason = r;
  a.line = line;
  a.user = dialogue_.user();
  ctx.sink.on_action(a);
}

Action Session::policy_action(Direction dir, const PolicyHit& hit, std::string_view line, Micros now) {
  Action a = make_action(Action::Kind::kPolicy, &flow_, this, id_, dir, now);
  a.policy = hit;
  a.line = line;
  a.user = dialogue_.user();
  return a;
}

void Session::enforce(Direction dir, const PolicyHit& hit, Reason why, std::string_view line,
                      Micros now, SessionContext& ctx) {
  enforced_ = true;
  Action a = policy_action(dir, hit, line, now);
  a.reason = why;
  a.edit = StreamEdit{dir == Direction::kToServer ? StreamEdit::Kind::kNeutralCommand
                                                  : StreamEdit::Kind::kNeutralReply,
                      static_cast<uint32_t>(dialogue_.line_at()), static_cast<uint32_t>(line.size())};
  ctx.sink.on_action(a);
}

void Session::event(Direction dir, SessionEvent e, Micros now, SessionContext& ctx) {
  Action a = make_action(Action::Kind::kEvent, &flow_, this, id_, dir, now);
  a.event = e;
  a.user = dialogue_.user();
  ctx.sink.on_action(a);
}

}  // namespace ftpgate
