#include "daemon/decision_log.h"

#include <chrono>
#include <mutex>

#include "util/decision_json.h"
#include "util/json_writer.h"

namespace ftpgate {
namespace {


int64_t wall_micros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch()).count();
}

// Peer-supplied text in a text log line: bytes outside printable ASCII as \xNN, so a USER
// name or a control line cannot forge log lines or drive a terminal.
void append_printable(std::string& s, std::string_view text) {
  static const char kHex[] = "0123456789abcdef";
  for (unsigned char c : text) {
    if (c >= 0x20 && c < 0x7f && c != '\\') {
      s += static_cast<char>(c);
    } else {
      s += "\\x";
      s += kHex[c >> 4];
      s += kHex[c & 15];
    }
  }
}

void text_head(std::string& s, const Action& a) {
  if (a.flow != nullptr) s += " control " + describe_control(*a.flow);
  if (!a.user.empty()) {
    s += " user ";
    append_printable(s, a.user);
  }
}

}  // namespace

std::string describe_control(const ControlFlow& f) {
  return address_port_text(f.client, f.client_port) + " -> " +
         address_port_text(f.server, f.server_port);
}

void DecisionLog::expectation(const Action& a, const InstallOutcome& r) {
  const Expectation& e = a.expectation;
  const std::string_view mode = e.mode == DataMode::kActive ? "active" : "passive";
  std::string s;
  if (format_ == LogFormat::kJson) {
    JsonObject o(s);
    write_decision_json(o, a, wall_micros());
    o.str("result", r.installed ? "installed" : "not_installed").str("detail", r.detail);
    if (!r.nat_to.empty()) o.open("nat").str("to", r.nat_to).str("as", r.nat_as).end();
    if (!r.rewrite_old.empty()) o.open("rewrite").str("old", r.rewrite_old).str("new", r.rewrite_new).end();
    o.str("level", level_name(r.installed ? Level::kInfo : Level::kWarning));
    o.close();
  } else {
    s = "expect ";
    s += mode;
    s += ' ';
    s += announcement_name(e.announcement);
    text_head(s, a);
    s += " data " + e.src.to_string() + " -> " + address_port_text(e.dst, e.dport) + ": ";
    s += r.installed ? "installed, " : "not installed: ";
    s += r.detail;
    if (!r.nat_to.empty()) s += ", nat to " + r.nat_to + " as " + r.nat_as;
    if (!r.rewrite_old.empty()) s += ", rewrite \"" + r.rewrite_old + "\" -> \"" + r.rewrite_new + '"';
  }
  emit(r.installed ? Level::kInfo : Level::kWarning, s);
}

void DecisionLog::action(const Action& a) {
  const bool refusal = a.kind == Action::Kind::kReject || a.kind == Action::Kind::kAnomaly;
  const std::string_view event = a.kind == Action::Kind::kReject    ? "reject"
                                 : a.kind == Action::Kind::kAnomaly ? "anomaly"
                                                                    : session_event_name(a.event);
  const Level level = refusal ? Level::kNotice : Level::kInfo;
  std::string s;
  if (format_ == LogFormat::kJson) {
    JsonObject o(s);
    write_decision_json(o, a, wall_micros());
    o.str("level", level_name(level));
    o.close();
  } else {
    s = event;
    if (refusal) {
      s += ' ';
      s += reason_name(a.reason);
    }
    text_head(s, a);
    if (refusal) {
      s += " line \"";
      append_printable(s, a.line.substr(0, kMaxDecisionLine));
      s += '"';
    }
  }
  emit(level, s);
}

void DecisionLog::policy(const Action& a, std::string_view outcome) {
  const Level level = a.policy.action == RuleAction::kLog ? Level::kInfo : Level::kWarning;
  std::string s;
  if (format_ == LogFormat::kJson) {
    JsonObject o(s);
    write_decision_json(o, a, wall_micros());
    o.str("level", level_name(level));
    if (!outcome.empty()) o.str("result", outcome);
    o.close();
  } else {
    s = "policy ";
    s += rule_action_name(a.policy.action);
    if (a.policy.rule != nullptr) {
      s += " rule line " + std::to_string(a.policy.rule->line) + " \"";
      append_printable(s, a.policy.rule->text);
      s += '"';
    } else {
      s += reason_is_strict_refusal(a.reason) ? " strict " : " unjudged ";
      s += reason_name(a.reason);
    }
    text_head(s, a);
    s += " line \"";
    append_printable(s, a.line.substr(0, kMaxDecisionLine));
    s += '"';
    if (!outcome.empty()) {
      s += ": ";
      s += outcome;
    }
  }
  emit(level, s);
}

void DecisionLog::note(std::string_view event, std::string_view text) {
  std::string s;
  if (format_ == LogFormat::kJson) {
    JsonObject o(s);
    o.fixed6("ts", wall_micros()).str("level", level_name(Level::kWarning)).str("event", event).str("msg", text);
    o.close();
  } else {
    s = text;
  }
  emit(Level::kWarning, s);
}

void DecisionLog::emit(Level level, const std::string& line) {
  pending_ += priority_prefix(level, journal_);
  pending_ += line;
  pending_ += '\n';
  if (pending_.size() >= kFlushBytes) flush();
}

void DecisionLog::flush() {
  if (pending_.empty()) return;
  {
    // The queue workers' logs share one stream: whole buffers, never interleaved.
    static std::mutex shared_stream;
    std::lock_guard<std::mutex> g(shared_stream);
    out_.write(pending_.data(), static_cast<std::streamsize>(pending_.size()));
    out_.flush();
  }
  pending_.clear();
}

ExpectationRecord::ExpectationRecord(const Action& a, InstallOutcome o)
    : flow(*a.flow),
      session_id(a.session_id),
      direction(a.direction),
      now(a.now),
      expectation(a.expectation),
      line(a.line),
      endpoint_text(a.endpoint_text),
      user(a.user),
      outcome(std::move(o)) {}

void DecisionLog::expectation(const ExpectationRecord& r) {
  Action a = make_action(Action::Kind::kExpect, &r.flow, nullptr, r.session_id, r.direction, r.now);
  a.expectation = r.expectation;
  a.line = r.line;
  a.endpoint_text = r.endpoint_text;
  a.user = r.user;
  expectation(a, r.outcome);
}

}  // namespace ftpgate
