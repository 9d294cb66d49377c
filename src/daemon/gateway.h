#pragma once
// The live daemon's ActionSink: turns the engine's decisions into conntrack expectations (before
// the packet that carried the command or reply is released), plans the NAT rewrite each one
// needs, removes a session's own expectations when its control connection ends, and logs one
// line per decision. Its per-session state lives in the session (control_state.h).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/action.h"
#include "core/counter_list.h"
#include "core/policy.h"
#include "core/sequence_adjustment.h"
#include "daemon/audit_log.h"
#include "daemon/config.h"
#include "daemon/conntrack_port.h"
#include "daemon/control_state.h"
#include "daemon/decision_log.h"
#include "daemon/synced_expectations.h"

namespace ftpgate {

// X(field, "metric_name")  (one list for the fields and their metric names)
#define FTPGATE_GATEWAY_COUNTERS(X)                                                             \
  X(expectations_installed, "expectations_installed_total")                                     \
  X(expectations_removed, "expectations_removed_total")   /* at session end, still unused */   \
  /* at session end, the tuple belonged to another master: left alone */                        \
  X(expectations_not_ours, "expectations_not_ours_total")                                       \
  /* removed when the server refused the PORT/EPRT/LPRT that asked for them */                 \
  X(expectations_withdrawn_removed, "expectations_withdrawn_removed_total")                     \
  X(install_errors, "expectation_install_errors_total")   /* EXP_NEW refused: see the log */   \
  X(install_no_helper, "expectation_install_no_helper_total") /* master without a helper */    \
  X(install_table_full, "expectation_install_table_full_total") /* EMFILE/ENOSPC */            \
  X(install_busy, "expectation_install_busy_total") /* EBUSY: another master's tuple */         \
  /* taken for the verdict of their packet (NFQA_EXP, conntrack glue), confirmed after it */   \
  X(verdict_attached, "expectations_in_verdict_total")                                          \
  /* policy: a denied command's conntrack marked, for the ruleset to reset the connection */   \
  X(policy_resets_armed, "policy_resets_armed_total")                                           \
  /* ... the mark could not be set: the daemon drops the connection's packets itself */         \
  X(policy_mark_errors, "policy_mark_errors_total")                                             \
  X(conntrack_lookups, "conntrack_lookups_total")   /* GET, reply GET or table walk */          \
  X(conntrack_missing, "conntrack_missing_total")   /* the control conntrack was not found */   \
  /* a picked-up session continues the TCP sequence adjustment its conntrack carries */         \
  X(pickup_seq_adjust_adopted, "pickup_seq_adjustments_adopted_total")                          \
  /* NAT (control connections the kernel translates) */                                         \
  X(nat_expectations, "nat_expectations_total")     /* installed with CTA_EXPECT_NAT */         \
  X(nat_rewrites, "nat_rewrites_total")             /* endpoint texts replaced on the wire */   \
  X(nat_port_changed, "nat_port_changed_total")     /* announced port taken: another chosen */  \
  X(nat_no_port, "nat_no_port_total")               /* nat_port_attempts ports all taken */     \
  /* the kernel kept no sequence adjustment: rewrite refused */                                 \
  X(nat_seq_adjust_unavailable, "nat_seq_adjust_unavailable_total")                             \
  /* the endpoint text left in a segment already released */                                    \
  X(nat_rewrite_impossible, "nat_rewrite_impossible_total")                                     \
  /* NAT64 (RFC 6384, daemon/ftp64_legs.h): control lines translated on the wire, */           \
  X(ftp64_line_edits, "ftp64_line_edits_total")                                                 \
  /* ... not made (split across released segments, no sequence adjustment) */                  \
  X(ftp64_line_edits_failed, "ftp64_line_edits_failed_total")                                   \
  /* ... expectations on the IPv6 leg, and those the kernel refused */                          \
  X(ftp64_v6_expectations, "ftp64_v6_expectations_total")                                       \
  X(ftp64_v6_expectation_errors, "ftp64_v6_expectation_errors_total")

struct GatewayCounters {
  FTPGATE_COUNTERS_OF(FTPGATE_GATEWAY_COUNTERS)
};

// Why the rewrites planned for a segment were withdrawn (their expectations are removed again).
enum class RewriteFailure : uint8_t { kTextAlreadyReleased, kSequenceAdjustment, kPacket };

// A NAT rewrite an expectation needs: replace `text_length` bytes at `text_seq` of `direction`'s
// stream (the endpoint text) with `new_text`. Carries its decision, logged once the rewrite is
// made or withdrawn.
struct EndpointRewrite {
  Direction direction = Direction::kToServer;
  uint32_t text_seq = 0;
  uint32_t text_length = 0;
  std::string old_text;
  std::string new_text;
  CtTuple expectation;  // to withdraw it if the rewrite cannot be made
  ExpectationRecord decision;
  // NAT64 (Action::Kind::kLineEdit): a whole line translated; no expectation of its own.
  bool line_edit = false;
  bool server_view = false;  // the dialogue read new_text: endpoint texts inside it count from text_seq
};

// A same-length edit of the segment being judged: masked text, or a denied line neutralised.
struct SegmentEdit {
  Direction direction = Direction::kToServer;
  StreamEdit edit;
};

class Gateway : public ActionSink {
 public:
  // After a failed lookup of a control connection's conntrack, the per-segment NAT check waits
  // this long before looking again (an expectation install always looks).
  static constexpr Micros kLookupRetryInterval = 1'000'000;

  Gateway(ConntrackPort& ct, const Policy& policy, const NatSettings& nat, DecisionLog& log);
  void on_action(const Action& a) override;
  const GatewayCounters& counters() const { return counters_; }
  const SyncRepairCounters& sync_repair_counters() const { return synced_.counters(); }
  // The helpers whose expectations are ftpgate's (the binding's), for takeover's table walk.
  void set_own_helpers(std::vector<std::string> helpers) { synced_.set_helpers(std::move(helpers)); }
  // HA takeover: repairs every synced expectation of ftpgate's helpers (0 or -errno).
  int repair_synced_expectations() { return synced_.repair_all(); }
  void set_policy(const Policy& p, const NatSettings& nat) {
    policy_ = p;
    nat_ = nat;
    synced_.set_timeout(timeout_seconds());
  }

  // Where transfer records go (config audit_log); null: nowhere.
  void set_audit(AuditLog* audit) { audit_ = audit; }
  // The conntrack mark bit(s) a denied command's connection gets (config enforce_mark).
  void set_enforce_mark(uint32_t mark) { enforce_mark_ = mark; }
  // The edits decided since the last call (all from the segment being judged).
  std::vector<SegmentEdit> take_edits() {
    std::vector<SegmentEdit> e;
    e.swap(edits_);
    return e;
  }

  // --- NAT, for the packet path ---
  // The rewrites the expectations decided since the last call asked for (all from the segment
  // being judged), in stream order.
  std::vector<EndpointRewrite> take_rewrites();
  // Whether the session's control connection is NATed (its conntrack is looked up once; after a
  // failure, again only after kLookupRetryInterval).
  bool is_nated(Session& session, Micros now);
  // A segment of `dir` starting at `seq` grows by `delta` bytes: records it and writes it to the
  // conntrack before the segment is released; the first time, reads it back to verify that
  // the kernel keeps it. False (nothing changed) when it cannot: the caller must not release a
  // rewritten segment of another length.
  bool adjust_sequence(ControlState& s, Direction dir, uint32_t seq, int32_t delta);
  // The rewrites of one segment were all made: count them and log their decisions.
  void rewrites_made(const std::vector<EndpointRewrite>& rewrites);
  // None of them could be made: remove their expectations, count and log why.
  void rewrites_withdrawn(ControlState& s, const std::vector<EndpointRewrite>& rewrites,
                          RewriteFailure why);
  // The verdict of the packet just judged went out carrying its expectation (with_verdict), or
  // could not: learns from the kernel what became of it, counts and logs it.
  void finish_attached(bool with_verdict);
  // Appends the segments that sessions which ended were still holding (to accept unchanged).
  void take_released(std::vector<QueuedId>& ids) {
    ids.insert(ids.end(), released_.begin(), released_.end());
    released_.clear();
  }

 private:
  void install(const Action& a, ControlState& s);
  // NAT64: the admitted data connection's expectation on the IPv6 leg too.
  void install_twin(const Action& a, ControlState& s);
  // Chooses the data port and installs the expectation with NAT; plans the rewrite.
  int install_nated(const Action& a, ControlState& s, ExpectationRequest& req,
                    std::optional<EndpointRewrite>& rewrite, InstallOutcome& out);
  // Looks the control connection's conntrack up into s; logs and counts when it is missing.
  bool look_up_control(const ControlFlow& f, ControlState& s);
  void end_session(ControlState& s);
  // The server refused the active offer of expectation `id`: removes it from the kernel.
  void withdraw(ControlState& s, uint64_t id);
  // The kernel refused an install: counts it by kind and says why in `out`.
  void count_refusal(int rc, bool nat, uint16_t announced_port, InstallOutcome& out);
  // A session picked up mid-stream (daemon restart, HA failover): its conntrack may carry a
  // sequence adjustment and expectations made before, by this router or the other one.
  void adopt(const Action& a, ControlState& s);
  // A rule's log or deny; a deny marks the conntrack (once per session) and plans the edit.
  void enforce(const Action& a, ControlState& s);
  uint32_t timeout_seconds() const { return static_cast<uint32_t>(policy_.expectation_timeout / 1'000'000); }

  ConntrackPort& ct_;
  Policy policy_;
  NatSettings nat_;
  DecisionLog& log_;
  std::string missing_reason_;  // why the last look_up_control failed
  GatewayCounters counters_;
  SyncedExpectations synced_;
  uint32_t enforce_mark_ = 0x40000000;
  AuditLog* audit_ = nullptr;
  std::vector<EndpointRewrite> rewrites_;  // planned while the current segment is judged
  std::vector<SegmentEdit> edits_;         // ... and the same-length edits
  std::vector<QueuedId> released_;         // held by sessions that ended
  // The decision whose expectation rides on the verdict being prepared, and its session's
  // state (null once the session ended).
  struct Attached {
    ExpectationRecord decision;
    ControlState* state;
    CtTuple tuple;
    uint32_t timeout_s;
    std::string helper;
  };
  std::optional<Attached> attached_;
};

}  // namespace ftpgate
