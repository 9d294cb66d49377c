#include "core/ftp64_session.h"

#include "core/ascii.h"
#include "core/session.h"

namespace ftpgate {
namespace {

// `partial` could still become a line starting with `word` (case-insensitively).
bool may_start_with(std::string_view partial, std::string_view word) {
  const size_t n = std::min(partial.size(), word.size());
  return ascii_iequals(partial.substr(0, n), word.substr(0, n));
}

}  // namespace

std::unique_ptr<Ftp64SessionState> make_ftp64_state(const Policy& policy, const ControlFlow& flow) {
  if (!policy.ftp64 || !policy.ftp64->enabled || !policy.ftp64->applies_to(flow)) return nullptr;
  return std::make_unique<Ftp64SessionState>(*policy.ftp64, flow);
}

bool Ftp64SessionState::is_client(const IpAddress& v6) const {
  if (!client6_) client6_ = policy_.clients ? policy_.clients->client_of(flow_) : std::nullopt;
  return *client6_ && **client6_ == v6;
}

bool Ftp64SessionState::partial_line_may_translate(Direction dir, std::string_view partial) const {
  if (partial.empty()) return false;
  if (dir == Direction::kToServer)
    return may_start_with(partial, "EPSV") || may_start_with(partial, "EPRT") ||
           may_start_with(partial, "ALGS");
  return translator_.awaits_translated_reply();
}

void Ftp64Lines::emit(Direction dir, uint64_t at, std::string_view old_text,
                      std::string_view new_text, bool server_view, std::string_view what) {
  Action a = make_action(Action::Kind::kLineEdit, &s_.flow(), &s_, s_.id(), dir, now_);
  a.line_edit = LineEdit{static_cast<uint32_t>(at), old_text, new_text, server_view, what};
  ctx_.sink.on_action(a);
}

void Ftp64Lines::on_line(Direction dir, std::string_view line, LineKind kind, uint64_t at) {
  Ftp64Translator& t = st_.translator();
  if (s_.enforced() || kind != LineKind::kWhole) {
    // Not translated; a command the server will still answer keeps the pairing.
    if (dir == Direction::kToServer && kind == LineKind::kTooLong) t.passed_command();
    return next_.on_line(dir, line, kind, at);
  }
  if (dir == Direction::kToServer) {
    const Ftp64Edit e = t.on_command(line);
    if (e.kind == Ftp64Edit::Kind::kReplace) emit(dir, at, line, e.text, true, e.what);
    return next_.on_line(dir, e.server_line, kind, at);
  }
  next_.on_line(dir, line, kind, at);
  if (s_.enforced()) return;
  const Ftp64Edit e = t.on_reply(line);
  switch (e.kind) {
    case Ftp64Edit::Kind::kPass:
      return;
    case Ftp64Edit::Kind::kReplace:
      return emit(dir, at, line, e.text, false, e.what);
    case Ftp64Edit::Kind::kRemove: {
      // The line goes with its line end: CR LF, or a bare LF.
      const std::string_view after = s_.judged_bytes(dir, at + line.size(), 2);
      const size_t end = after.starts_with("\r\n") ? 2 : after.starts_with("\n") ? 1 : 2;
      removed_.assign(line);
      removed_.append(end == 2 ? "\r\n" : "\n");
      return emit(dir, at, removed_, {}, false, "removed");
    }
    case Ftp64Edit::Kind::kTeardown:
      return s_.ftp64_teardown(line, now_, ctx_);
  }
}

}  // namespace ftpgate
