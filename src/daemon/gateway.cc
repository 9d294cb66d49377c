#include "daemon/gateway.h"

#include <cerrno>

namespace ftpgate {
namespace {

std::string endpoint(const IpAddress& a, uint16_t port) {
  // Built by appending: GCC 12 at -O3 warns falsely (-Wrestrict) on "[" + std::string.
  std::string s;
  if (a.is_v6()) s += '[';
  s += a.to_string();
  if (a.is_v6()) s += ']';
  s += ':';
  s += std::to_string(port);
  return s;
}

}  // namespace

std::string describe_control(const ControlFlow& f) {
  return endpoint(f.client, f.client_port) + " -> " + endpoint(f.server, f.server_port);
}

Gateway::Gateway(ConntrackClient& ct, const Policy& policy, std::ostream& log)
    : ct_(ct), policy_(policy), log_(log) {}

void Gateway::on_action(const Action& a) {
  switch (a.kind) {
    case Action::Kind::kExpect:
      install(a, sessions_[a.session_id]);
      break;
    case Action::Kind::kReject:
    case Action::Kind::kAnomaly:
      log_ << (a.kind == Action::Kind::kReject ? "reject " : "anomaly ") << reason_name(a.reason)
           << " control " << describe_control(*a.flow) << " line \""
           << a.line.substr(0, 120) << "\"\n";
      break;
    case Action::Kind::kEvent:
      if (a.event == SessionEvent::kClosed || a.event == SessionEvent::kExpired) {
        end_session(a.session_id);
      } else {
        log_ << session_event_name(a.event) << " control " << describe_control(*a.flow) << '\n';
      }
      break;
  }
  log_.flush();
}

bool Gateway::look_up_control(const ControlFlow& f, SessionState& s) {
  int err = 0;
  s.conntrack = ct_.lookup(CtTuple{f.client, f.server, f.client_port, f.server_port}, err);
  if (s.conntrack) return true;
  ++counters_.conntrack_missing;
  log_ << "not installed: the control connection's conntrack entry was not found ("
       << errno_text(err) << ")\n";
  return false;
}

void Gateway::install(const Action& a, SessionState& s) {
  const ControlFlow& f = *a.flow;
  const Expectation& e = a.expectation;
  log_ << "expect " << (e.mode == DataMode::kActive ? "active " : "passive ")
       << announcement_name(e.announcement) << " control " << describe_control(f) << " data "
       << e.src.to_string() << " -> " << endpoint(e.dst, e.dport) << ": ";
  if (!s.conntrack && !look_up_control(f, s)) return;
  if (s.conntrack->helper.empty()) {
    ++counters_.install_no_helper;
    log_ << "not installed: the control connection carries no conntrack helper; load the rules "
            "(scripts/rules.sh load) so new control connections get one\n";
    return;
  }
  ExpectationRequest req;
  req.master = s.conntrack->orig;
  req.tuple = CtTuple{e.src, e.dst, 0, e.dport};
  req.timeout_s = static_cast<uint32_t>(policy_.expectation_timeout / 1'000'000);
  int rc = ct_.install(req);
  if (rc == -ENOENT) {
    // The control connection's conntrack went away (flushed, or timed out and re-created):
    // look it up again once.
    if (!look_up_control(f, s)) return;
    req.master = s.conntrack->orig;
    rc = ct_.install(req);
  }
  if (rc == 0) {
    ++counters_.expectations_installed;
    s.installed.push_back(req.tuple);
    if (s.installed.size() > policy_.max_expectations_per_session)
      s.installed.erase(s.installed.begin());  // the kernel replaced it (helper max_expected)
    log_ << "installed, timeout " << req.timeout_s << "s (helper " << s.conntrack->helper << ")\n";
    return;
  }
  switch (-rc) {
    case EOPNOTSUPP: ++counters_.install_no_helper; break;
    case EMFILE: case ENOSPC: ++counters_.install_table_full; break;
    case EBUSY: ++counters_.install_busy; break;
    default: ++counters_.install_errors; break;
  }
  log_ << "not installed: the kernel refused the expectation: " << errno_text(rc) << '\n';
}

void Gateway::end_session(uint64_t id) {
  auto it = sessions_.find(id);
  if (it == sessions_.end()) return;
  for (const CtTuple& t : it->second.installed)
    if (ct_.remove(t) == 0) ++counters_.expectations_removed;  // ENOENT: used or expired
  sessions_.erase(it);
}

}  // namespace ftpgate
