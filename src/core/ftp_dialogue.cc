#include "core/ftp_dialogue.h"

#include <algorithm>
#include <cstring>

#include "core/command_reading.h"
#include "core/control_line.h"

namespace ftpgate {
namespace {

// An offer of `form` parsed from `base` (a view into `line`, whose first byte is at stream
// position `at`); ep's offsets count from `base`. A text that did not parse has no position.
Offer make_offer(const EndpointForm& form, const DataEndpoint& ep, std::string_view base,
                 std::string_view line, uint64_t at) {
  Offer o;
  o.form = &form;
  o.endpoint = ep;
  o.line = line;
  if (ep.ok()) {
    o.text_at = at + static_cast<uint64_t>(base.data() - line.data()) + ep.begin;
    o.text = base.substr(ep.begin, ep.end - ep.begin);
  }
  return o;
}

}  // namespace

void FtpDialogue::Turn::on_stream_event(Direction dir, StreamEvent e, std::string_view detail) {
  if (e == StreamEvent::kResumed) d_.resume(dir);
  events_.on_stream_event(dir, e, detail);
}

void FtpDialogue::Turn::on_line(Direction dir, std::string_view line, LineKind kind, uint64_t at) {
  FtpDialogue& d = d_;
  const Policy& policy = policy_;
  Counters& counters = counters_;
  DialogueEvents& ev = events_;
  if (kind == LineKind::kTailAfterGap) {
    // One command whose start was lost: it is answered like any other, but by a reply that
    // cannot be paired with what it asked.
    if (dir == Direction::kToServer) {
      if (!ev.on_unjudged_command(Command{}, line, Reason::kStreamGap)) return;
      if (!d.pending_.push(Verb::kUnseen, policy.max_pending_commands))
        ev.on_refusal(dir, Reason::kPendingCommandLimit, line);
    }
    return;
  }
  d.line_at_ = at;
  bool parse_it = true;
  Reason unparsed = Reason::kCount;
  if (kind == LineKind::kTooLong) {
    unparsed = Reason::kLineTooLong;
  } else if (std::memchr(line.data(), '\0', line.size()) != nullptr) {
    unparsed = Reason::kNulInLine;
  }
  if (unparsed != Reason::kCount) {
    ev.on_refusal(dir, unparsed, line);
    parse_it = false;
  }
  if (dir == Direction::kToServer) {
    ++counters.lines_to_server;
    // A line the rules cannot judge as every server would read it: the policy decides its
    // fate (the guard refuses it); its head still says what it asked, for the pairing of
    // replies and the audit.
    if (unparsed != Reason::kCount) {
      const Command head = parse_command(line);
      if (!ev.on_unjudged_command(head, line, unparsed)) return;
      if (!d.pending_.push(head.verb == Verb::kTransfer ? head.verb : Verb::kOther, policy.max_pending_commands))
        ev.on_refusal(dir, Reason::kPendingCommandLimit, line);
      return;
    }
    if (!line_is_judgeable(line) &&
        !ev.on_unjudged_command(parse_command(line), line, Reason::kControlByteInLine))
      return;
    d.on_command(line, at, policy, counters, ev);
  } else {
    ++counters.lines_to_client;
    d.on_reply(line, parse_it, at, policy, counters, ev);
  }
}

void FtpDialogue::on_command(std::string_view line, uint64_t at, const Policy& policy,
                             Counters& counters, DialogueEvents& ev) {
  constexpr Direction kDir = Direction::kToServer;
  Verb remembered = Verb::kOther;
  const ReplyLine as_reply = parse_reply_line(line);
  if (policy.refuse_wrong_direction && as_reply.is_reply_start && form_of_reply(as_reply.code)) {
    ev.on_refusal(kDir, Reason::kReplyFromClient, line);
  } else {
    const Command cmd = parse_command(line);
    remembered = cmd.verb;
    if (cmd.verb == Verb::kUser) remember_user(cmd.argument, policy, counters);
    if (!ev.on_command(cmd, line)) return;
    if (const EndpointForm* form = form_of_command(cmd.verb)) {
      if (policy.refuse_unanswered_port && pending_.contains_active_offer()) {
        ev.on_refusal(kDir, Reason::kPortUnanswered, line);
      } else {
        DataEndpoint ep = form->parse(cmd.argument);
        ep.begin += cmd.argument_offset;
        ep.end += cmd.argument_offset;
        ev.on_offer(kDir, make_offer(*form, ep, line, line, at));
      }
    }
  }
  if (!pending_.push(remembered, policy.max_pending_commands))
    ev.on_refusal(kDir, Reason::kPendingCommandLimit, line);
}

void FtpDialogue::on_reply(std::string_view line, bool parse_it, uint64_t at,
                           const Policy& policy, Counters& counters, DialogueEvents& ev) {
  const ReplyLine r = parse_reply_line(line);
  // 220 (greeting) and 215 (SYST) give the server's software away: every line of them, text
  // after "ddd " / "ddd-", or the whole of a continuation line.
  const uint16_t code = in_multiline_ ? multiline_code_ : r.is_reply_start ? r.code : 0;
  if (parse_it && ((code == 220 && policy.mask_banner) || (code == 215 && policy.mask_syst))) {
    const size_t text_from = r.is_reply_start ? std::min<size_t>(line.size(), 4) : 0;
    if (line.size() > text_from) ev.on_mask(at + text_from, line.size() - text_from);
  }
  if (in_multiline_) {
    // RFC 959 4.2: only "<same code><SP>" ends a multi-line reply; lines in between are text,
    // whatever digits they start with.
    const bool ends = r.is_reply_start && !r.continues && r.code == multiline_code_;
    if (!ends) {
      const EndpointForm* form = form_of_reply(multiline_code_);
      if (parse_it && form != nullptr && !multiline_endpoint_.ok()) {
        const Offer o = make_offer(*form, form->parse(line), line, line, at);
        multiline_endpoint_ = o.endpoint;
        multiline_text_at_ = o.text_at;
        multiline_text_.assign(o.text);
      }
      return;
    }
    in_multiline_ = false;
    return finish_reply(r.code, parse_it ? r.text : std::string_view{}, line, parse_it, at, policy,
                        counters, ev);
  }
  if (!r.is_reply_start) {
    if (parse_it && policy.refuse_wrong_direction && form_of_command(parse_command(line).verb))
      ev.on_refusal(Direction::kToClient, Reason::kCommandFromServer, line);
    return;
  }
  multiline_endpoint_ = DataEndpoint{};
  if (r.continues) {
    in_multiline_ = true;
    multiline_code_ = r.code;
    const EndpointForm* form = form_of_reply(r.code);
    if (parse_it && form != nullptr) {
      const Offer o = make_offer(*form, form->parse(r.text), r.text, line, at);
      multiline_endpoint_ = o.endpoint;
      multiline_text_at_ = o.text_at;
      multiline_text_.assign(o.text);
    }
    return;
  }
  finish_reply(r.code, r.text, line, parse_it, at, policy, counters, ev);
}

void FtpDialogue::finish_reply(uint16_t code, std::string_view text, std::string_view line,
                               bool parse_it, uint64_t at, const Policy& policy,
                               Counters& counters, DialogueEvents& ev) {
  constexpr Direction kDir = Direction::kToClient;
  Verb answered = Verb::kOther;
  bool unseen = false;
  bool before_pickup = false;  // answers a command sent before the session was picked up
  if (code >= 100 && code <= 199 && !answers_unseen_command() && pending_.oldest() == Verb::kTransfer)
    ev.on_transfer_started(text);
  if (is_final_code(code)) {
    unseen = answers_unseen_command();
    if (!unseen) {
      before_pickup = commands_before_pickup_ && pending_.empty();
      // Replies come in order: once one answers a command seen here, every command sent before
      // the pickup has been answered.
      if (!pending_.empty()) commands_before_pickup_ = false;
      answered = pending_.pop();
      unseen = answered == Verb::kUnseen;
    }
    if (unseen) ++counters.replies_to_unseen_commands;
  }
  if (const EndpointForm* form = form_of_reply(code)) {
    // A passive reply to a command lost in a gap is believed (its address is still checked);
    // so is the first one answering a command sent before a pickup (HA failover between PASV
    // and 227: the other router saw the PASV).
    if (before_pickup && answered != form->verb) {
      commands_before_pickup_ = false;
      ++counters.passive_replies_after_pickup;
    } else if (policy.require_pending_passive && !unseen && answered != form->verb) {
      return ev.on_refusal(kDir, Reason::kUnsolicitedReply, line);
    }
    if (multiline_endpoint_.ok()) {
      Offer o;
      o.form = form;
      o.endpoint = multiline_endpoint_;
      o.text_at = multiline_text_at_;
      o.text = multiline_text_;
      o.line = line;
      return ev.on_offer(kDir, o);
    }
    if (!parse_it) return;
    return ev.on_offer(kDir, make_offer(*form, form->parse(text), text, line, at));
  }
  if (answered == Verb::kUser || answered == Verb::kPass || answered == Verb::kRein)
    login_answered(answered, code);
  if (is_active_offer(answered)) ev.on_active_offer_answered(code, line);
  if (answered == Verb::kTransfer) ev.on_transfer_answered(code, text);
  if (code == 234 && answered == Verb::kAuthTls) {
    tls_started();
    ev.on_tls_start();
  }
}

void FtpDialogue::lost_in_gap(uint64_t client_position) {
  pending_.clear();
  identity_unknown_ = true;  // a USER, or the 230 that accepted one, may be among the lost
  login_open_ = false;
  unpaired_until_ = client_position;
}

void FtpDialogue::resume(Direction dir) {
  if (dir == Direction::kToServer) {
    pending_.clear();
  } else {
    in_multiline_ = false;
  }
}

void FtpDialogue::tls_started() {
  pending_.clear();
  in_multiline_ = false;
}

void FtpDialogue::remember_user(std::string_view name, const Policy& policy, Counters& counters) {
  // Who the client claims to be; the server's answer decides (login_answered). Bounded.
  while (!name.empty() && name.back() == ' ') name.remove_suffix(1);
  if (name.size() > policy.max_user_name_length) {
    name = name.substr(0, policy.max_user_name_length);
    ++counters.user_names_truncated;
  }
  claimed_user_.assign(name);
  login_open_ = true;
}

void FtpDialogue::login_answered(Verb answered, uint16_t code) {
  if (answered == Verb::kRein) {
    // 220: service ready for a new user (RFC 959 4.1.1); the old login is gone.
    if (code >= 200 && code < 300) {
      user_.clear();
      login_open_ = false;
      identity_unknown_ = false;
    }
    return;
  }
  // USER -> 230/232 logged in, 331/332 needs PASS/ACCT; PASS -> 230/202 logged in, 332 needs
  // ACCT; anything else (530 "Can't change from guest user", 503): the login failed and the
  // server keeps whom it had (RFC 959 5.4, the USER/PASS sequence).
  if (code == 230 || code == 232 || (answered == Verb::kPass && code == 202)) {
    user_ = claimed_user_;
    login_open_ = false;
    identity_unknown_ = false;
  } else if (code != 331 && code != 332) {
    login_open_ = false;
  }
}

}  // namespace ftpgate
