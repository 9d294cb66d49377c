#include "util/decision_json.h"

namespace ftpgate {

std::string_view direction_name(Direction d) {
  return d == Direction::kToServer ? "to_server" : "to_client";
}

void write_decision_json(JsonObject& o, const Action& a, int64_t ts_micros) {
  const bool refusal = a.kind == Action::Kind::kReject || a.kind == Action::Kind::kAnomaly;
  const std::string_view event = a.kind == Action::Kind::kExpect ? "expect"
                                 : a.kind == Action::Kind::kReject ? "reject"
                                 : a.kind == Action::Kind::kAnomaly ? "anomaly"
                                 : a.kind == Action::Kind::kPolicy ? "policy"
                                 : a.kind == Action::Kind::kMask ? "mask"
                                                                    : session_event_name(a.event);
  o.str("event", event).fixed6("ts", ts_micros);
  const Expectation& e = a.expectation;
  if (a.kind == Action::Kind::kExpect)
    o.str("mode", e.mode == DataMode::kActive ? "active" : "passive").str("cmd", announcement_name(e.announcement));
  if (a.flow != nullptr) {
    o.open("control")
        .str("client", a.flow->client.to_string())
        .num("client_port", a.flow->client_port)
        .str("server", a.flow->server.to_string())
        .num("server_port", a.flow->server_port)
        .end();
  }
  if (!a.user.empty()) o.str("user", a.user);
  if (a.kind == Action::Kind::kExpect) {
    o.str("line", a.line.substr(0, kMaxDecisionLine));
    o.open("data").str("src", e.src.to_string()).str("dst", e.dst.to_string()).num("dport", e.dport).end();
  } else if (refusal) {
    o.str("reason", reason_name(a.reason)).str("direction", direction_name(a.direction));
    o.str("line", a.line.substr(0, kMaxDecisionLine));
  } else if (a.kind == Action::Kind::kPolicy) {
    o.str("action", rule_action_name(a.policy.action));
    if (a.policy.rule != nullptr)
      o.open("rule").num("line", a.policy.rule->line).str("text", a.policy.rule->text).end();
    else
      o.str(reason_is_strict_refusal(a.reason) ? "strict" : "unjudged", reason_name(a.reason));
    o.str("direction", direction_name(a.direction)).str("line", a.line.substr(0, kMaxDecisionLine));
  } else if (a.kind == Action::Kind::kMask) {
    o.num("seq", a.edit.seq).num("length", a.edit.length);
  } else if (a.event == SessionEvent::kTlsStart) {
    o.str("note", "control channel encrypted: nothing is admitted until it is clear again");
  } else if (a.event == SessionEvent::kTlsEnd || a.event == SessionEvent::kResume) {
    o.str("direction", direction_name(a.direction));
  }
}

}  // namespace ftpgate
