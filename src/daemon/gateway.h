#pragma once
// The live daemon's ActionSink: turns the engine's decisions into conntrack expectations (before
// the packet that carried the command or reply is released), removes a session's expectations
// when its control connection ends, and logs one line per decision.
#include <cstdint>
#include <optional>
#include <ostream>
#include <unordered_map>
#include <vector>

#include "core/action.h"
#include "core/policy.h"
#include "kernel/conntrack_client.h"

namespace ftpgate {

struct GatewayCounters {
  uint64_t expectations_installed = 0;
  uint64_t expectations_removed = 0;       // at session end, still unused
  uint64_t install_errors = 0;             // EXP_NEW refused (see the log for errno)
  uint64_t install_no_helper = 0;          // control connection without a conntrack helper
  uint64_t install_table_full = 0;         // EMFILE/ENOSPC from the kernel's expectation table
  uint64_t install_busy = 0;               // EBUSY: another master expects the same tuple
  uint64_t conntrack_missing = 0;          // the control connection's conntrack was not found
};

class Gateway : public ActionSink {
 public:
  Gateway(ConntrackClient& ct, const Policy& policy, std::ostream& log);
  void on_action(const Action& a) override;
  const GatewayCounters& counters() const { return counters_; }
  void set_policy(const Policy& p) { policy_ = p; }

 private:
  struct SessionState {
    std::optional<ConntrackInfo> conntrack;  // looked up once per session
    std::vector<CtTuple> installed;          // newest last
    bool warned_no_helper = false;
  };
  void install(const Action& a, SessionState& s);
  // Looks the control connection's conntrack up into s; logs and counts when it is missing.
  bool look_up_control(const ControlFlow& f, SessionState& s);
  void end_session(uint64_t id);

  ConntrackClient& ct_;
  Policy policy_;
  std::ostream& log_;
  GatewayCounters counters_;
  std::unordered_map<uint64_t, SessionState> sessions_;
};

// "198.51.100.2:40000 -> 203.0.113.2:21" (IPv6 in brackets).
std::string describe_control(const ControlFlow& f);

}  // namespace ftpgate
