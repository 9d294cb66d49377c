#include "core/session.h"

#include <initializer_list>

#include <algorithm>
#include <cstring>

namespace ftpgate {
namespace {

bool is_passive_code(uint16_t code) { return code == 227 || code == 228 || code == 229; }

Verb verb_answered_by(uint16_t code) {
  switch (code) {
    case 227: return Verb::kPasv;
    case 228: return Verb::kLpsv;
    default: return Verb::kEpsv;
  }
}

DataEndpoint parse_passive_text(uint16_t code, std::string_view text) {
  switch (code) {
    case 227: return parse_227_text(text);
    case 228: return parse_228_text(text);
    default: return parse_229_text(text);
  }
}

Reason parse_failure_reason(ParseStatus status, Reason malformed) {
  switch (status) {
    case ParseStatus::kOutOfRange: return Reason::kOutOfRange;
    case ParseStatus::kUnsupportedFamily: return Reason::kUnsupportedFamily;
    default: return malformed;
  }
}

}  // namespace

Session::Session(const ControlFlow& flow, uint64_t id, const Policy& policy, Micros now)
    : flow_(flow), id_(id), last_seen_(now), to_server_(policy), to_client_(policy) {}

Session::State Session::on_segment(Direction dir, const TcpSegment& seg, Micros now,
                                   SessionContext& ctx) {
  last_seen_ = now;
  now_ = now;
  if (seg.has(tcp_flags::kRst)) return State::kClosed;
  Stream& s = stream(dir);
  uint32_t data_seq = seg.seq;
  if (seg.has(tcp_flags::kSyn)) {
    data_seq = seg.seq + 1;  // the SYN occupies one sequence number
    if (!s.tcp.initialized()) s.tcp.start_at(data_seq);
  }
  if (!s.tcp.initialized()) {
    if (seg.payload.empty()) return State::kOpen;  // nothing to anchor the stream on yet
    // Picked up mid-stream (the gateway started after the connection did). As the kernel's
    // SEQ_PICKUP: take the first payload as the start of a line.
    s.tcp.start_at(data_seq);
    ++ctx.counters.midstream_pickups;
  }
  if (seg.has(tcp_flags::kAck)) {
    // Bytes the peer acknowledges that we never saw: skip the hole and resynchronise lines.
    const Direction other = opposite(dir);
    Stream& o = stream(other);
    uint64_t acked = o.tcp.initialized() ? o.tcp.widen(seg.ack) : 0;
    if (o.fin) acked = std::min(acked, o.fin_at);  // the ACK of a FIN counts one past the data
    if (const uint64_t skipped = o.tcp.initialized() ? o.tcp.skip_gap(acked) : 0) {
      ctx.counters.skipped_bytes += skipped;
      current_dir_ = other;
      report(Reason::kStreamGap, {}, ctx);
      forget_pairing_before_gap();
      // Whether the lost bytes ended a line is unknown: discard up to the next LF, so the
      // tail of a half-seen line ("STOR a |PORT 10,0,1,2,4,1") is never read as a line (the
      // kernel helper, likewise, parses only after a newline it saw).
      o.lines.resync();
      o.tcp.drain([&](std::string_view b) { deliver(other, b, ctx); });
    }
  }
  if (!seg.payload.empty()) {
    current_dir_ = dir;
    // Which client bytes the server had received when it sent these replies (see
    // answers_unseen_command).
    if (dir == Direction::kToClient && seg.has(tcp_flags::kAck) && to_server_.tcp.initialized())
      reply_acks_client_up_to_ = to_server_.tcp.widen(seg.ack);
    ReassemblyReport rep =
        s.tcp.push(data_seq, seg.payload, [&](std::string_view b) { deliver(dir, b, ctx); });
    ctx.counters.retransmitted_bytes += rep.retransmitted_bytes;
    current_dir_ = dir;
    if (rep.out_of_order_limit) report(Reason::kOutOfOrderLimit, {}, ctx);
    if (rep.overlap_mismatch) report(Reason::kOverlapMismatch, {}, ctx);
  }
  if (seg.has(tcp_flags::kFin) && s.tcp.initialized()) {
    s.fin = true;
    s.fin_at = s.tcp.widen(data_seq) + seg.payload.size();
  }
  return (to_server_.fin && to_client_.fin) ? State::kClosed : State::kOpen;
}

void Session::deliver(Direction dir, std::string_view bytes, SessionContext& ctx) {
  Stream& s = stream(dir);
  while (!bytes.empty()) {
    if (s.mode == StreamMode::kTls) {
      const TlsRecordFollower::Outcome out = s.tls.feed(bytes);
      bytes.remove_prefix(out.consumed);
      if (out.status == TlsRecordFollower::Status::kInTls) return;
      current_dir_ = dir;
      if (out.status == TlsRecordFollower::Status::kEnded) {
        event(SessionEvent::kTlsEnd, ctx);
        resume_lines(dir, ctx);
      } else {
        report(Reason::kTlsNotTls, bytes.substr(0, 40), ctx);
        s.lines.reset();
        s.mode = StreamMode::kAwaitClear;
      }
      continue;
    }
    // on_line returns false when the stream switched to TLS; the rest of the bytes are records.
    s.lines.seek(s.tcp.next() - bytes.size());
    const size_t used = s.lines.feed(bytes, [&](std::string_view line, LineKind kind) {
      return on_line(dir, line, kind, ctx);
    });
    bytes.remove_prefix(used);
  }
}

void Session::start_tls(SessionContext& ctx) {
  // AUTH TLS accepted (RFC 4217 section 4): from the next byte on, both directions are TLS.
  for (Stream* s : {&to_server_, &to_client_}) {
    s->mode = StreamMode::kTls;
    s->tls = TlsRecordFollower{};
    s->lines.reset();
  }
  pending_.clear();
  in_multiline_ = false;
  ++ctx.counters.tls_sessions;
  event(SessionEvent::kTlsStart, ctx);
}

void Session::resume_lines(Direction dir, SessionContext& ctx) {
  Stream& s = stream(dir);
  s.mode = StreamMode::kLines;
  s.lines.reset();
  // What was said inside TLS is unknown: commands and replies start afresh in this direction.
  if (dir == Direction::kToServer) {
    pending_.clear();
  } else {
    in_multiline_ = false;
  }
  event(SessionEvent::kResume, ctx);
}

namespace {
// A line that can only be clear-text FTP: a command ("USER x", "PASV": 3-4 letters, then a space
// and printable ASCII) or a reply ("200 ok": three digits, ' ' or '-', printable ASCII).
bool unambiguous_ftp_line(Direction dir, std::string_view line) {
  size_t i = 0;
  if (dir == Direction::kToServer) {
    while (i < line.size() && ((line[i] >= 'A' && line[i] <= 'Z') || (line[i] >= 'a' && line[i] <= 'z'))) ++i;
    if (i < 3 || i > 4 || (i < line.size() && line[i] != ' ')) return false;
  } else {
    const ReplyLine r = parse_reply_line(line);
    if (!r.is_reply_start || r.code < 100) return false;
    i = 3;
  }
  for (; i < line.size(); ++i)
    if (line[i] < 0x20 || line[i] > 0x7e) return false;
  return true;
}
}  // namespace

bool Session::on_line(Direction dir, std::string_view line, LineKind kind, SessionContext& ctx) {
  current_dir_ = dir;
  Stream& s = stream(dir);
  if (s.mode == StreamMode::kAwaitClear) {
    if (kind != LineKind::kWhole || !unambiguous_ftp_line(dir, line)) return true;  // still opaque
    resume_lines(dir, ctx);
  }
  if (kind == LineKind::kTailAfterGap) {
    // One command whose start was lost: it is answered like any other, but by a reply that
    // cannot be paired with what it asked.
    if (dir == Direction::kToServer && !pending_.push(Verb::kUnseen, ctx.policy.max_pending_commands))
      report(Reason::kPendingCommandLimit, line, ctx);
    return true;
  }
  bool parse_it = true;
  if (kind == LineKind::kTooLong) {
    report(Reason::kLineTooLong, line, ctx);
    parse_it = false;
  } else if (std::memchr(line.data(), '\0', line.size()) != nullptr) {
    report(Reason::kNulInLine, line, ctx);
    parse_it = false;
  }
  if (dir == Direction::kToServer) {
    ++ctx.counters.lines_to_server;
    on_command(line, parse_it, ctx);
  } else {
    ++ctx.counters.lines_to_client;
    on_reply(line, parse_it, ctx);
  }
  return s.mode != StreamMode::kTls;
}

void Session::on_command(std::string_view line, bool parse_it, SessionContext& ctx) {
  Verb remembered = Verb::kOther;
  if (parse_it) {
    const ReplyLine as_reply = parse_reply_line(line);
    if (ctx.policy.refuse_wrong_direction && as_reply.is_reply_start &&
        is_passive_code(as_reply.code)) {
      report(Reason::kReplyFromClient, line, ctx);
    } else {
      const Command cmd = parse_command(line);
      remembered = cmd.verb;
      if (cmd.verb == Verb::kUser) remember_user(cmd.argument, ctx);
      if (cmd.verb == Verb::kPort || cmd.verb == Verb::kEprt || cmd.verb == Verb::kLprt) {
        if (ctx.policy.refuse_unanswered_port && pending_.contains_active_offer()) {
          report(Reason::kPortUnanswered, line, ctx);
        } else {
          DataEndpoint ep = cmd.verb == Verb::kPort   ? parse_port_argument(cmd.argument)
                            : cmd.verb == Verb::kEprt ? parse_eprt_argument(cmd.argument)
                                                      : parse_lprt_argument(cmd.argument);
          ep.begin += cmd.argument_offset;
          ep.end += cmd.argument_offset;
          endpoint_text_ = locate(ep, line, line);
          offer_active(cmd.verb, ep, line, ctx);
        }
      }
    }
  }
  if (!pending_.push(remembered, ctx.policy.max_pending_commands))
    report(Reason::kPendingCommandLimit, line, ctx);
}

bool Session::on_reply(std::string_view line, bool parse_it, SessionContext& ctx) {
  const ReplyLine r = parse_reply_line(line);
  if (in_multiline_) {
    // RFC 959 4.2: only "<same code><SP>" ends a multi-line reply; lines in between are text,
    // whatever digits they start with.
    const bool ends = r.is_reply_start && !r.continues && r.code == multiline_code_;
    if (!ends) {
      if (parse_it && is_passive_code(multiline_code_) && !multiline_endpoint_.ok())
        remember_multiline_endpoint(parse_passive_text(multiline_code_, line), line, line);
      return true;
    }
    in_multiline_ = false;
    return finish_reply(r.code, parse_it ? r.text : std::string_view{}, line, parse_it, ctx);
  }
  if (!r.is_reply_start) {
    if (parse_it && ctx.policy.refuse_wrong_direction) {
      const Verb v = parse_command(line).verb;
      if (v == Verb::kPort || v == Verb::kEprt || v == Verb::kLprt)
        report(Reason::kCommandFromServer, line, ctx);
    }
    return true;
  }
  multiline_endpoint_ = DataEndpoint{};
  if (r.continues) {
    in_multiline_ = true;
    multiline_code_ = r.code;
    if (parse_it && is_passive_code(r.code))
      remember_multiline_endpoint(parse_passive_text(r.code, r.text), r.text, line);
    return true;
  }
  return finish_reply(r.code, r.text, line, parse_it, ctx);
}

void Session::forget_pairing_before_gap() {
  // Commands (or their replies) were lost in a gap: how many is unknown, so the queue of pending
  // commands no longer says which reply answers which. Every client byte up to here, seen or
  // lost, was sent before the gap ended; a reply the server sent before it received anything
  // beyond that answers one of those commands, not one seen later.
  pending_.clear();
  unpaired_until_ = to_server_.tcp.initialized() ? to_server_.tcp.next() : 0;
}

bool Session::answers_unseen_command() const {
  return unpaired_until_ != 0 && reply_acks_client_up_to_ <= unpaired_until_;
}

bool Session::finish_reply(uint16_t code, std::string_view text, std::string_view line,
                           bool parse_it, SessionContext& ctx) {
  Verb answered = Verb::kOther;
  bool unseen = false;
  if (is_final_code(code)) {
    unseen = answers_unseen_command();
    if (!unseen) {
      answered = pending_.pop();
      unseen = answered == Verb::kUnseen;
    }
    if (unseen) ++ctx.counters.replies_to_unseen_commands;
  }
  if (is_passive_code(code)) {
    // A passive reply to a command lost in a gap is believed (its address is still checked).
    if (ctx.policy.require_pending_passive && !unseen && answered != verb_answered_by(code)) {
      report(Reason::kUnsolicitedReply, line, ctx);
      return true;
    }
    if (!parse_it && !multiline_endpoint_.ok()) return true;
    DataEndpoint ep;
    if (multiline_endpoint_.ok()) {
      ep = multiline_endpoint_;
      endpoint_text_ = EndpointText{multiline_text_at_, multiline_text_};
    } else {
      ep = parse_passive_text(code, text);
      endpoint_text_ = locate(ep, text, line);
    }
    offer_passive(code, ep, line, ctx);
    return true;
  }
  if (code == 234 && answered == Verb::kAuthTls) {
    start_tls(ctx);
    return false;
  }
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

void Session::remember_user(std::string_view name, SessionContext& ctx) {
  // Who opened which data port: logged with each decision. Bounded per session.
  while (!name.empty() && name.back() == ' ') name.remove_suffix(1);
  if (name.size() > ctx.policy.max_user_name_length) {
    name = name.substr(0, ctx.policy.max_user_name_length);
    ++ctx.counters.user_names_truncated;
  }
  user_.assign(name);
}

bool Session::partial_line_may_announce(Direction dir) const {
  const Stream& s = dir == Direction::kToServer ? to_server_ : to_client_;
  if (s.mode != StreamMode::kLines) return false;
  if (dir == Direction::kToClient && in_multiline_ && is_passive_code(multiline_code_)) return true;
  const std::string_view partial = s.lines.partial();
  if (partial.empty()) return false;
  return dir == Direction::kToServer ? may_start_with(partial, {"PORT", "EPRT", "LPRT"})
                                     : may_start_with(partial, {"227", "228", "229"});
}

Session::EndpointText Session::locate(const DataEndpoint& ep, std::string_view base,
                                     std::string_view line) {
  if (!ep.ok()) return EndpointText{};
  const uint64_t base_at =
      stream(current_dir_).lines.line_start() + static_cast<uint64_t>(base.data() - line.data());
  return EndpointText{base_at + ep.begin, base.substr(ep.begin, ep.end - ep.begin)};
}

void Session::remember_multiline_endpoint(const DataEndpoint& ep, std::string_view base,
                                          std::string_view line) {
  multiline_endpoint_ = ep;
  const EndpointText t = locate(ep, base, line);
  multiline_text_at_ = t.at;
  multiline_text_.assign(t.text);
}

void Session::offer_active(Verb verb, const DataEndpoint& ep, std::string_view line,
                           SessionContext& ctx) {
  const Announcement ann = verb == Verb::kPort   ? Announcement::kPort
                           : verb == Verb::kEprt ? Announcement::kEprt
                                                 : Announcement::kLprt;
  const Reason malformed = verb == Verb::kPort   ? Reason::kMalformedPort
                           : verb == Verb::kEprt ? Reason::kMalformedEprt
                                                 : Reason::kMalformedLprt;
  if (!ep.ok()) return report(parse_failure_reason(ep.status, malformed), line, ctx);
  if (verb == Verb::kPort && flow_.client.is_v6())
    return report(Reason::kIpv4TupleOnIpv6, line, ctx);
  if (ep.address.family() != flow_.client.family())
    return report(Reason::kFamilyMismatch, line, ctx);
  if (ctx.policy.require_peer_address && ep.address != flow_.client)
    return report(Reason::kBounceAddress, line, ctx);
  if (ep.port < ctx.policy.min_data_port) return report(Reason::kPrivilegedPort, line, ctx);
  // Active: the server connects from its own address (any port) to the announced endpoint.
  admit(DataMode::kActive, ann, flow_.server, ep.address, ep.port, line, ctx);
}

void Session::offer_passive(uint16_t code, const DataEndpoint& ep, std::string_view line,
                            SessionContext& ctx) {
  const Announcement ann = code == 227   ? Announcement::k227
                           : code == 228 ? Announcement::k228
                                         : Announcement::k229;
  const Reason malformed = code == 227   ? Reason::kMalformed227
                           : code == 228 ? Reason::kMalformed228
                                         : Reason::kMalformed229;
  if (!ep.ok()) return report(parse_failure_reason(ep.status, malformed), line, ctx);
  if (code == 227 && flow_.server.is_v6()) return report(Reason::kIpv4TupleOnIpv6, line, ctx);
  // 229 carries no address: the data connection goes to the control connection's server.
  const IpAddress& dst = ep.has_address ? ep.address : flow_.server;
  if (dst.family() != flow_.server.family()) return report(Reason::kFamilyMismatch, line, ctx);
  if (ctx.policy.require_peer_address && dst != flow_.server)
    return report(Reason::kBounceAddress, line, ctx);
  if (ep.port < ctx.policy.min_data_port) return report(Reason::kPrivilegedPort, line, ctx);
  // Passive: the client connects from its own address (any port) to the announced endpoint.
  admit(DataMode::kPassive, ann, flow_.client, dst, ep.port, line, ctx);
}

void Session::admit(DataMode mode, Announcement ann, const IpAddress& src, const IpAddress& dst,
                    uint16_t dport, std::string_view line, SessionContext& ctx) {
  expire_expectations(now_, ctx.counters);
  const size_t per_session = std::max<uint32_t>(1, ctx.policy.max_expectations_per_session);
  uint64_t replaces = 0;
  if (outstanding_.size() >= per_session) {
    // Newest replaces oldest, as the kernel helper does with max_expected = 1. The one place
    // this limit is applied: the gateway follows replaces_id.
    replaces = outstanding_.front().id;
    outstanding_.erase(outstanding_.begin());
    ++ctx.counters.expectations_replaced;
    --ctx.counters.expectations_outstanding;
  }
  if (ctx.counters.expectations_outstanding >= ctx.policy.max_expectations_total)
    return report(Reason::kExpectationTableFull, line, ctx);
  Action a = make_action(Action::Kind::kExpect, &flow_, this, id_, current_dir_, now_);
  a.line = line;
  Expectation& e = a.expectation;
  e.id = ++ctx.next_expectation_id;
  e.mode = mode;
  e.announcement = ann;
  e.src = src;
  e.dst = dst;
  e.dport = dport;
  e.expires = now_ + ctx.policy.expectation_timeout;
  e.replaces_id = replaces;
  e.text_seq = static_cast<uint32_t>(endpoint_text_.at);  // widened back to 32 bits
  e.text_length = static_cast<uint32_t>(endpoint_text_.text.size());
  a.endpoint_text = endpoint_text_.text;
  a.user = user_;
  outstanding_.push_back(Outstanding{e.id, e.expires});
  ++ctx.counters.expectations;
  ++ctx.counters.expectations_outstanding;
  ctx.sink.on_action(a);
}

void Session::expire_expectations(Micros now, Counters& counters) {
  const auto live_end = std::remove_if(outstanding_.begin(), outstanding_.end(),
                                       [now](const Outstanding& o) { return o.expires <= now; });
  counters.expectations_outstanding -= static_cast<uint64_t>(outstanding_.end() - live_end);
  outstanding_.erase(live_end, outstanding_.end());
}

size_t Session::drop_expectations(Counters& counters) {
  const size_t n = outstanding_.size();
  counters.expectations_outstanding -= n;
  outstanding_.clear();
  return n;
}

void Session::report(Reason r, std::string_view line, SessionContext& ctx) {
  ctx.counters.count(r);
  if (reports_ >= ctx.policy.max_reports_per_session) {
    if (reports_ > ctx.policy.max_reports_per_session) return;
    r = Reason::kReportsSuppressed;  // said once, then silence (the counters go on)
    ctx.counters.count(r);
    line = {};
  }
  ++reports_;
  Action a = make_action(reason_is_rejection(r) ? Action::Kind::kReject : Action::Kind::kAnomaly,
                         &flow_, this, id_, current_dir_, now_);
  a.reason = r;
  a.line = line;
  a.user = user_;
  ctx.sink.on_action(a);
}

void Session::event(SessionEvent e, SessionContext& ctx) {
  Action a = make_action(Action::Kind::kEvent, &flow_, this, id_, current_dir_, now_);
  a.event = e;
  a.user = user_;
  ctx.sink.on_action(a);
}

}  // namespace ftpgate
