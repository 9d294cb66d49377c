#pragma once
// What the engine decides, delivered synchronously to an ActionSink while the segment that caused
// it is being processed (so the live daemon installs an expectation before the verdict).
#include <cstdint>
#include <string>
#include <string_view>

#include "core/command_rule.h"
#include "core/flow.h"
#include "core/ip_address.h"
#include "core/policy.h"
#include "core/reason.h"

namespace ftpgate {

class Session;
struct TransferRecord;

enum class DataMode : uint8_t { kActive, kPassive };

// The control line that announced the data endpoint.
enum class Announcement : uint8_t { kPort, kEprt, kLprt, k227, k228, k229 };
std::string_view announcement_name(Announcement a);

// The data connection to admit: from `src` (any source port) to `dst`:`dport`, TCP.
struct Expectation {
  uint64_t id = 0;  // unique per engine
  DataMode mode = DataMode::kActive;
  Announcement announcement = Announcement::kPort;
  IpAddress src;
  IpAddress dst;
  uint16_t dport = 0;
  Micros expires = 0;
  // The expectation of the same session this one replaces (policy.max_expectations_per_session
  // reached: newest replaces oldest, as the kernel's max_expected), or 0.
  uint64_t replaces_id = 0;
  // Where the announcing line's endpoint text ("198,51,100,2,4,1" of a PORT, "|||50000|" of a
  // 229) lies in its direction's TCP stream: the sequence number of its first byte and its
  // length. A NAT rewrite replaces exactly these bytes.
  uint32_t text_seq = 0;
  uint32_t text_length = 0;
};

enum class SessionEvent : uint8_t {
  kTlsStart,   // AUTH TLS/SSL answered 234: the channel is encrypted from here on
  kTlsEnd,     // TLS records stopped in one direction
  kResume,     // clear-text parsing resumed in one direction
  kPickup,     // a session picked up mid-stream (no SYN seen)
  kClosed,     // FIN both ways or RST: drop the session's expectations
  kExpired,    // idle timeout: drop the session's expectations
  kUsed,       // a transfer's data connection used the expectation (expectation.id): the
               // kernel removed it (not logged)
  kWithdrawn,  // the server refused the PORT/EPRT/LPRT (4xx/5xx): its expectation
               // (expectation.id) is withdrawn at once
};
std::string_view session_event_name(SessionEvent e);

// A same-length replacement of bytes in one direction's stream: no sequence adjustment needed.
struct StreamEdit {
  enum class Kind : uint8_t {
    kMask,            // banner or SYST text -> "*****"
    kNeutralCommand,  // a denied command line -> "NOOP    " (the server executes nothing)
    kNeutralReply,    // a denied reply line -> "421 ****" (the client takes nothing from it)
  };
  Kind kind = Kind::kMask;
  uint32_t seq = 0;     // first byte, in the direction's TCP sequence numbers
  uint32_t length = 0;  // bytes replaced (a line without its CRLF, or a reply's text)
};
// The bytes that replace an edit's `length` bytes.
std::string stream_edit_bytes(StreamEdit::Kind kind, size_t length);

// NAT64 (core/ftp64_translator.h): a whole control line replaced, or removed with its line
// end; the length may change (the daemon records a TCP sequence adjustment).
struct LineEdit {
  uint32_t seq = 0;            // first byte, in the direction's TCP sequence numbers
  std::string_view old_text;   // the bytes replaced (the line; with its line end when removed)
  std::string_view new_text;   // what replaces them (valid in callback)
  // The session's dialogue read new_text (a translated command): endpoint texts it found there
  // are counted from `seq` in new_text, and are rewritten inside it.
  bool server_view = false;
  std::string_view what;       // Ftp64Edit::what
};

// A command rule matched (log or deny), or strict mode turned a refusal into a denial.
struct PolicyHit {
  RuleAction action = RuleAction::kLog;
  const CommandRule* rule = nullptr;  // null: strict mode (Action::reason says which refusal)
};

struct Action {
  // kPolicy: a rule's log or deny (a deny carries the edit that neutralises the line, and ends
  // inspection of the session: the daemon marks its conntrack so the ruleset resets it).
  // kMask: text to mask (policy.mask_banner / mask_syst).
  // kTransfer: a data transfer ended (policy.audit_transfers; core/transfer_watch.h).
  // kLineEdit: NAT64 translation of a control line (line_edit).
  enum class Kind : uint8_t { kExpect, kReject, kAnomaly, kEvent, kPolicy, kMask, kTransfer, kLineEdit };
  Kind kind = Kind::kAnomaly;
  const ControlFlow* flow = nullptr;  // valid during the callback only
  Session* session = nullptr;         // the control connection's session (callback only); null
                                      // for a connection that could not be tracked
  uint64_t session_id = 0;
  Direction direction = Direction::kToServer;
  Micros now = 0;
  Expectation expectation;            // kExpect
  Reason reason = Reason::kCount;     // kReject, kAnomaly
  SessionEvent event = SessionEvent::kClosed;  // kEvent
  PolicyHit policy;                   // kPolicy
  StreamEdit edit;                    // kMask; kPolicy with action deny
  LineEdit line_edit;                 // kLineEdit
  const TransferRecord* transfer = nullptr;  // kTransfer (valid in callback)
  std::string_view line;              // the control line concerned, if any (valid in callback)
  std::string_view endpoint_text;     // kExpect: the endpoint text itself (valid in callback)
  std::string_view user;              // the session's last USER argument, if any (valid in callback)
};

// An action about `flow` with the fields every kind shares filled in.
inline Action make_action(Action::Kind kind, const ControlFlow* flow, Session* session,
                          uint64_t session_id, Direction direction, Micros now) {
  Action a;
  a.kind = kind;
  a.flow = flow;
  a.session = session;
  a.session_id = session_id;
  a.direction = direction;
  a.now = now;
  return a;
}

class ActionSink {
 public:
  virtual ~ActionSink() = default;
  virtual void on_action(const Action& action) = 0;
};

}  // namespace ftpgate
