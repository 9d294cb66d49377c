#pragma once
// Helpers for driving the engine with hand-made segments and recording its actions.
#include <gtest/gtest.h>

#include <initializer_list>
#include <memory>
#include <string>
#include <vector>

#include "core/action.h"
#include "core/engine.h"

namespace ftpgate::testing {

struct Recorded {
  Action::Kind kind;
  Reason reason;
  SessionEvent event;
  Expectation expectation;
  std::string line;
  Direction direction;
  std::string endpoint_text;
  StreamEdit edit;
  PolicyHit policy;
};

class RecordingSink : public ActionSink {
 public:
  void on_action(const Action& a) override {
    actions.push_back(Recorded{a.kind, a.reason, a.event, a.expectation, std::string(a.line),
                               a.direction, std::string(a.endpoint_text), a.edit, a.policy});
  }
  std::vector<Recorded> of(Action::Kind k) const {
    std::vector<Recorded> out;
    for (const auto& r : actions)
      if (r.kind == k) out.push_back(r);
    return out;
  }
  std::vector<Expectation> expects() const {
    std::vector<Expectation> out;
    for (const auto& r : actions)
      if (r.kind == Action::Kind::kExpect) out.push_back(r.expectation);
    return out;
  }
  std::vector<Reason> reasons() const {
    std::vector<Reason> out;
    for (const auto& r : actions)
      if (r.kind == Action::Kind::kReject || r.kind == Action::Kind::kAnomaly)
        out.push_back(r.reason);
    return out;
  }
  std::vector<Recorded> actions;
};

// A control connection between a client and a server, driven segment by segment with correct
// sequence numbers. Starts with the three-way handshake.
class Conversation {
 public:
  Conversation(Engine& engine, std::string client, std::string server, uint16_t client_port = 40000,
               uint16_t server_port = 21, uint32_t client_isn = 1000, uint32_t server_isn = 5000,
               bool handshake = true)
      : engine_(engine),
        client_(*IpAddress::parse(client)),
        server_(*IpAddress::parse(server)),
        cport_(client_port),
        sport_(server_port),
        cseq_(client_isn),
        sseq_(server_isn) {
    if (handshake) {
      send(true, "", tcp_flags::kSyn);
      send(false, "", tcp_flags::kSyn | tcp_flags::kAck);
      send(true, "", tcp_flags::kAck);
    }
  }

  // Sends `payload` as one segment from the client (to_server = true) or the server.
  void send(bool to_server, std::string_view payload, uint8_t flags = tcp_flags::kAck | tcp_flags::kPsh) {
    TcpSegment s;
    uint32_t& seq = to_server ? cseq_ : sseq_;
    const uint32_t ack = to_server ? sseq_ : cseq_;
    s.src = to_server ? client_ : server_;
    s.dst = to_server ? server_ : client_;
    s.sport = to_server ? cport_ : sport_;
    s.dport = to_server ? sport_ : cport_;
    s.seq = seq;
    s.ack = ack;
    s.flags = flags;
    s.payload = payload;
    engine_.on_segment(s, now_);
    seq += static_cast<uint32_t>(payload.size());
    if (flags & (tcp_flags::kSyn | tcp_flags::kFin)) seq += 1;
  }
  // Sends a segment at an explicit sequence offset (relative to the next byte) without advancing.
  void send_at(bool to_server, int64_t offset, std::string_view payload) {
    TcpSegment s;
    const uint32_t seq = (to_server ? cseq_ : sseq_) + static_cast<uint32_t>(offset);
    s.src = to_server ? client_ : server_;
    s.dst = to_server ? server_ : client_;
    s.sport = to_server ? cport_ : sport_;
    s.dport = to_server ? sport_ : cport_;
    s.seq = seq;
    s.ack = to_server ? sseq_ : cseq_;
    s.flags = tcp_flags::kAck;
    s.payload = payload;
    engine_.on_segment(s, now_);
  }
  void advance(bool to_server, uint32_t n) { (to_server ? cseq_ : sseq_) += n; }
  void client(std::string_view p) { send(true, p); }
  void server(std::string_view p) { send(false, p); }
  void set_time(Micros t) { now_ = t; }

 private:
  Engine& engine_;
  IpAddress client_, server_;
  uint16_t cport_, sport_;
  uint32_t cseq_, sseq_;
  Micros now_ = 1'000'000;
};

inline IpAddress ip(const char* s) { return *IpAddress::parse(s); }

// Command rules from their texts (config lines 10, 11, ...), and a policy with them.
inline std::shared_ptr<const CommandRules> rules_of(std::initializer_list<const char*> texts) {
  auto rules = std::make_shared<CommandRules>();
  uint32_t line = 10;
  for (const char* t : texts) {
    RuleParse p = parse_command_rule(t);
    EXPECT_TRUE(p.rule) << t;
    p.rule->line = line++;
    rules->add(std::move(*p.rule));
  }
  return rules;
}

inline Policy with_rules(std::initializer_list<const char*> texts) {
  Policy p;
  p.rules = rules_of(texts);
  return p;
}

}  // namespace ftpgate::testing
