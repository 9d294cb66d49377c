#pragma once
// One FTP control connection: a StreamReader per direction (segments to lines), the FTP
// dialogue (lines to offers), the policy's judgement of each offer (offer.h), and the data
// connections it admitted, each an Expectation handed to the engine's ActionSink.
//
//   segment -> StreamReader -> line -> FtpDialogue -> Offer -> judge_offer -> admit -> Action
#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "core/action.h"
#include "core/counters.h"
#include "core/flow.h"
#include "core/ftp_dialogue.h"
#include "core/policy.h"
#include "core/segment_verdict.h"
#include "core/session_extension.h"
#include "core/stream_reader.h"
#include "core/tcp_segment.h"
#include "core/transfer_watch.h"

namespace ftpgate {

// What a session needs from its engine: policy, counters, where actions go, id source.
struct SessionContext {
  const Policy& policy;
  Counters& counters;
  ActionSink& sink;
  uint64_t& next_expectation_id;
  TransferWatch* transfers = nullptr;  // policy.audit_transfers: where transfers are followed
};

class Session {
 public:
  Session(const ControlFlow& flow, uint64_t id, const Policy& policy, Micros now);

  enum class State : uint8_t { kOpen, kClosed };
  struct Outcome {
    State state = State::kOpen;
    SegmentVerdict verdict;  // what the wire must do with the segment (segment_verdict.h)
  };
  Outcome on_segment(Direction dir, const TcpSegment& seg, Micros now, SessionContext& ctx);

  // A SYN opening a new connection on this session's addresses and ports (its sequence number
  // does not continue the stream we track).
  bool is_reopened_by(const TcpSegment& syn) const { return to_server_.is_reopened_by(syn); }

  // Forgets expectations whose timeout passed (the kernel has dropped them by then).
  void expire_expectations(Micros now, Counters& counters);
  // A transfer command was answered with its data connection open: the newest expectation was
  // used (the kernel removed it), so it is no longer outstanding.
  void data_connection_used(Micros now, SessionContext& ctx);
  // Forgets all expectations (the session ends); returns how many there were.
  size_t drop_expectations(Counters& counters);

  // True when `dir` ends in an unfinished line that may turn out to announce a data endpoint
  // (it starts like PORT/EPRT/LPRT, or like a 227/228/229 reply, or a multi-line passive reply
  // is open). A NAT rewrite of that line needs the bytes that are already here.
  bool partial_line_may_announce(Direction dir) const;

  // The server answered the handshake (SYN-ACK or data seen from it).
  bool established() const { return to_client_.initialized(); }
  // An RST was seen and no data since: the session ends once policy.reset_linger has passed
  // (a receiver discards an RST outside its window, and the connection goes on).
  bool reset_ended(Micros now, const Policy& policy) const {
    return reset_seen_ && now - reset_at_ >= policy.reset_linger;
  }

  const ControlFlow& flow() const { return flow_; }
  uint64_t id() const { return id_; }
  Micros last_seen() const { return last_seen_; }
  size_t outstanding_expectations() const { return outstanding_.size(); }
  // A command rule denied a command, or strict mode a refusal: the session's conntrack is to be
  // reset, and nothing it says is acted on any more.
  bool enforced() const { return enforced_; }

  // The adapter's per-session state (see session_extension.h); null until one is attached.
  SessionExtension* extension() const { return extension_.get(); }
  void attach(std::unique_ptr<SessionExtension> e) { extension_ = std::move(e); }

 private:
  class Handler;  // acts on what the dialogue decides, during on_segment
  struct Outstanding {
    uint64_t id;
    Micros expires;
  };

  // A refusal or anomaly, as an action (bounded by policy.max_reports_per_session); in strict
  // mode a strict refusal is enforced too.
  void report(Direction dir, Reason r, std::string_view line, Micros now, SessionContext& ctx);
  void emit_report(Direction dir, Reason r, std::string_view line, Micros now, SessionContext& ctx);
  Action policy_action(Direction dir, const PolicyHit& hit, std::string_view line, Micros now);
  // Denies the line being read (`why`: the strict refusal, or kCount for a rule) and ends
  // inspection: an action carrying the edit that neutralises the line.
  void enforce(Direction dir, const PolicyHit& hit, Reason why, std::string_view line, Micros now,
               SessionContext& ctx);
  void event(Direction dir, SessionEvent e, Micros now, SessionContext& ctx);
  // The client's bytes that reached us cannot be judged (a gap, a line no reading fits): with
  // the guard on, the session is refused like a denied command.
  bool refuse_unjudged(Reason why, std::string_view line, Micros now, SessionContext& ctx);
  // The segment must not pass (counted once per segment).
  Outcome& drop(Outcome& out, Reason why, SessionContext& ctx);
  void drop(SegmentVerdict& v, Reason why, SessionContext& ctx);
  // Reads a segment's payload into its direction's stream, under the guard's rules.
  void read_payload(Direction dir, uint32_t data_seq, std::string_view payload, bool guard,
                    FtpDialogue::Turn& lines, Micros now, SessionContext& ctx, SegmentVerdict& v);
  StreamReader& reader(Direction d) { return d == Direction::kToServer ? to_server_ : to_client_; }

  ControlFlow flow_;
  uint64_t id_;
  Micros last_seen_;
  StreamReader to_server_;
  StreamReader to_client_;
  FtpDialogue dialogue_;
  uint32_t reports_ = 0;  // reject/anomaly actions emitted (policy.max_reports_per_session)
  std::vector<Outstanding> outstanding_;
  bool enforced_ = false;
  uint64_t active_offer_expectation_ = 0;  // of the last PORT/EPRT/LPRT, until it is answered
  bool transfer_started_ = false;  // a 1xx answered the oldest transfer command already
  bool reset_seen_ = false;
  Micros reset_at_ = 0;
  std::unique_ptr<SessionExtension> extension_;
};

}  // namespace ftpgate
