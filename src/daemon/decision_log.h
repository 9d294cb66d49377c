#pragma once
// One log line per decision, for "who opened which data port when":
//   text (default)
//     expect active PORT control 198.51.100.2:40000 -> 203.0.113.2:21 user alice data
//       203.0.113.2 -> 198.51.100.2:50000: installed, timeout 30s (helper sane)
//     reject bounce_address control ... user alice line "PORT 10,0,0,9,4,1"
//   json (--log-format json): the same facts as one object per line, in the form `ftpgate
//   replay` writes too (util/decision_json.h), with what only the daemon knows after it:
//     {"event":"expect","ts":1795428406.766150,"mode":"active","cmd":"PORT",
//      "control":{"client":...,"client_port":...,"server":...,"server_port":...},
//      "user":"alice","line":"PORT 198,51,100,2,195,80","data":{"src":...,"dst":...,"dport":...},
//      "result":"installed","detail":"timeout 30s (helper sane)",
//      "nat":{"to":"198.51.100.2:50000","as":"203.0.113.1:50000"},
//      "rewrite":{"old":"198,51,100,2,195,80","new":"203,0,113,1,195,80"}}
// "ts" is wall-clock time (seconds since the epoch); text lines carry none (journald adds it).
// JSON lines also carry "level" (syslog's names); with `journal`, every line starts with its
// priority for journald ("<6>"): expectations installed info, refusals and anomalies notice,
// denials, expectations not installed and after-the-fact notes warning.
#include <optional>
#include <ostream>
#include <string>
#include <string_view>

#include "core/action.h"
#include "daemon/daemon_log.h"

namespace ftpgate {

// What became of an expectation the engine decided on.
struct InstallOutcome {
  bool installed = false;
  std::string detail;     // "timeout 30s (helper sane)", or why not
  std::string nat_to;     // behind NAT: the inside endpoint ("198.51.100.2:50000") ...
  std::string nat_as;     // ... and the one announced instead ("203.0.113.1:50000")
  std::string rewrite_old;
  std::string rewrite_new;
};

// An expectation decision with everything its log line needs, owned: written once the packet
// that carried it is decided (a planned NAT rewrite is logged only as what was applied).
struct ExpectationRecord {
  ExpectationRecord(const Action& a, InstallOutcome outcome);
  ControlFlow flow;
  uint64_t session_id;
  Direction direction;
  Micros now;
  Expectation expectation;
  std::string line;
  std::string endpoint_text;
  std::string user;
  InstallOutcome outcome;
};

// Lines are collected and written by flush() (the daemon flushes after the verdicts of each
// batch, so writing the log never delays a verdict), or once kFlushBytes are waiting.
class DecisionLog {
 public:
  static constexpr size_t kFlushBytes = 16384;
  DecisionLog(std::ostream& out, LogFormat format, bool journal = false)
      : out_(out), format_(format), journal_(journal) {}
  ~DecisionLog() { flush(); }
  void expectation(const Action& a, const InstallOutcome& outcome);
  void expectation(const ExpectationRecord& r);
  // A reject, anomaly or session event.
  void action(const Action& a);
  // A command rule's log or deny, or a strict refusal enforced; `outcome` says what the daemon
  // did ("connection reset armed (ct mark 0x40000000)").
  //   policy deny rule line 12 "deny verb STOR" control ... user alice line "STOR x": ...
  void policy(const Action& a, std::string_view outcome);
  // A message about a decision made after the fact (a withdrawn rewrite, a missing conntrack).
  void note(std::string_view event, std::string_view text);
  // Writes the collected lines to the stream.
  void flush();

 private:
  void emit(Level level, const std::string& line);
  std::ostream& out_;
  LogFormat format_;
  bool journal_;
  std::string pending_;
};

// "198.51.100.2:40000 -> 203.0.113.2:21"
std::string describe_control(const ControlFlow& f);

}  // namespace ftpgate
