#pragma once
// The live daemon's ActionSink: turns the engine's decisions into conntrack expectations (before
// the packet that carried the command or reply is released), removes a session's expectations
// when its control connection ends, and logs one line per decision.
#include <cstdint>
#include <optional>
#include <string>
#include <ostream>
#include <unordered_map>
#include <vector>

#include "core/action.h"
#include "core/policy.h"
#include "core/sequence_adjustment.h"
#include "daemon/config.h"
#include "daemon/decision_log.h"
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
  // NAT (control connections the kernel translates)
  uint64_t nat_expectations = 0;           // expectations installed with CTA_EXPECT_NAT
  uint64_t nat_rewrites = 0;               // endpoint texts replaced in a released segment
  uint64_t nat_port_changed = 0;           // announced port taken: another one was chosen
  uint64_t nat_no_port = 0;                // nat_port_attempts ports tried, all expected already
  uint64_t nat_seq_adjust_unavailable = 0; // the kernel kept no sequence adjustment: refused
  uint64_t nat_rewrite_impossible = 0;     // the endpoint text left in a segment already released
};

// Why a planned rewrite was withdrawn (its expectation is removed again).
enum class RewriteFailure : uint8_t { kTextAlreadyReleased, kSequenceAdjustment, kPacket };

// A NAT rewrite the last expectation asked for: replace `text_length` bytes at `text_seq` of
// `direction`'s stream (the endpoint text) with `new_text`.
struct EndpointRewrite {
  uint64_t session_id = 0;
  Direction direction = Direction::kToServer;
  uint32_t text_seq = 0;
  uint32_t text_length = 0;
  std::string old_text;
  std::string new_text;
  CtTuple expectation;  // to withdraw it if the rewrite cannot be made
};

class Gateway : public ActionSink {
 public:
  Gateway(ConntrackClient& ct, const Policy& policy, const NatSettings& nat, DecisionLog& log);
  void on_action(const Action& a) override;
  const GatewayCounters& counters() const { return counters_; }
  void set_policy(const Policy& p, const NatSettings& nat) {
    policy_ = p;
    nat_ = nat;
  }

  // --- NAT, for the packet path ---
  // The rewrite the last on_action asked for, once.
  std::optional<EndpointRewrite> take_rewrite();
  // Whether the session's control connection is NATed (its conntrack is looked up once).
  bool is_nated(uint64_t session_id, const ControlFlow& flow);
  // The sequence adjustment of one direction of the session, or nullptr.
  const SequenceAdjustment* adjustment(uint64_t session_id, Direction dir) const;
  // A segment of `dir` starting at `seq` grows by `delta` bytes: records it and writes it to the
  // conntrack before the segment is released; the first time, reads it back to verify that
  // the kernel keeps it. False (nothing changed) when it cannot: the caller must not release a
  // rewritten segment of another length.
  bool adjust_sequence(uint64_t session_id, Direction dir, uint32_t seq, int32_t delta);
  // Withdraws a rewrite that could not be made: removes its expectation, counts and logs why.
  void abandon_rewrite(const EndpointRewrite& r, RewriteFailure why);
  void rewrite_made() { ++counters_.nat_rewrites; }

 private:
  struct SessionState {
    std::optional<ConntrackInfo> conntrack;  // looked up once per session
    std::vector<CtTuple> installed;          // newest last
    bool warned_no_helper = false;
    SequenceAdjustment adjust[2];            // by Direction: to server, to client
    bool adjust_verified = false;
  };
  void install(const Action& a, SessionState& s);
  // Chooses the data port and installs the expectation with NAT; plans the rewrite.
  int install_nated(const Action& a, SessionState& s, ExpectationRequest& req);
  // Looks the control connection's conntrack up into s; logs and counts when it is missing.
  bool look_up_control(const ControlFlow& f, SessionState& s);
  void end_session(uint64_t id);

  ConntrackClient& ct_;
  Policy policy_;
  NatSettings nat_;
  std::optional<EndpointRewrite> rewrite_;
  DecisionLog& log_;
  std::string missing_reason_;  // why the last look_up_control failed
  GatewayCounters counters_;
  std::unordered_map<uint64_t, SessionState> sessions_;
};


}  // namespace ftpgate
