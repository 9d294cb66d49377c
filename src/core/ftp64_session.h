#pragma once
// NAT64 in a session: the RFC 6384 translator (ftp64_translator.h) sits between a session's
// stream readers and its dialogue. A client line is translated first and the dialogue reads
// what the server will execute (PASV for EPSV, PORT for EPRT, NOOP for a command the ALG
// answers); a server line is read by the dialogue as sent (a 227 is what the expectation on
// the IPv4 leg needs) and translated after. Each edit goes to the ActionSink as a kLineEdit
// action, which the daemon applies to the packet with the NAT rewrite machinery.
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "core/action.h"
#include "core/ftp64_translator.h"
#include "core/stream_reader.h"

namespace ftpgate {

class Session;
struct SessionContext;

// The per-session state: the translator, and the IPv6 client it learns from the policy's
// client finder (once, when an EPRT needs it).
class Ftp64SessionState : public Ftp64Peers {
 public:
  Ftp64SessionState(const Ftp64Policy& policy, const ControlFlow& flow)
      : policy_(policy),
        flow_(flow),
        translator_(policy.settings, *this, flow.client, flow.server) {}
  Ftp64Translator& translator() { return translator_; }
  const Ftp64Translator& translator() const { return translator_; }
  bool is_client(const IpAddress& v6) const override;
  // A partial line of `dir` that may need translating once whole (the daemon holds its
  // segments, as for an endpoint line under NAT).
  bool partial_line_may_translate(Direction dir, std::string_view partial) const;

 private:
  const Ftp64Policy& policy_;
  ControlFlow flow_;
  Ftp64Translator translator_;
  mutable std::optional<std::optional<IpAddress>> client6_;  // asked once
};

// The session's policy translates this flow: the state to attach, else null.
std::unique_ptr<Ftp64SessionState> make_ftp64_state(const Policy& policy, const ControlFlow& flow);

// The stream readers' lines, through the translator, to the dialogue (`next`).
class Ftp64Lines : public StreamReaderEvents {
 public:
  Ftp64Lines(Session& s, Ftp64SessionState& st, StreamReaderEvents& next, SessionContext& ctx,
             Micros now)
      : s_(s), st_(st), next_(next), ctx_(ctx), now_(now) {}
  void on_line(Direction dir, std::string_view line, LineKind kind, uint64_t at) override;
  void on_stream_event(Direction dir, StreamEvent e, std::string_view detail) override {
    next_.on_stream_event(dir, e, detail);
  }

 private:
  void emit(Direction dir, uint64_t at, std::string_view old_text, std::string_view new_text,
            bool server_view, std::string_view what);

  Session& s_;
  Ftp64SessionState& st_;
  StreamReaderEvents& next_;
  SessionContext& ctx_;
  Micros now_;
  std::string removed_;  // a removed line with its line end (valid during the action)
};

}  // namespace ftpgate
