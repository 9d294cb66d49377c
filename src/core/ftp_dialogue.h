#pragma once
// The FTP dialogue of one control connection: commands and replies as lines, paired in order
// (RFC 959 section 4.2: each final reply answers the oldest unanswered command), multi-line
// replies, and the data endpoints the lines offer. A 227/228/229 is an offer only as the answer
// to PASV/LPSV/EPSV; a PORT/EPRT/LPRT only from the client. What the offers are worth is for
// judge_offer (offer.h) to say.
#include <cstdint>
#include <string>
#include <string_view>

#include "core/control_line.h"
#include "core/counters.h"
#include "core/data_endpoint_parser.h"
#include "core/flow.h"
#include "core/line_assembler.h"
#include "core/offer.h"
#include "core/pending_commands.h"
#include "core/policy.h"
#include "core/stream_reader.h"

namespace ftpgate {

// What the dialogue decides, for the session to act on.
class DialogueEvents {
 public:
  virtual ~DialogueEvents() = default;
  // A command the client sent (parsed; USER remembered already). False: the command is denied
  // and the dialogue does nothing more with it.
  virtual bool on_command(const Command& cmd, std::string_view line) = 0;
  // A client line that cannot be judged (`why`: line_too_long, nul_in_line,
  // control_byte_in_line, or stream_gap for the tail of a line whose start was lost). `cmd`
  // is what its head reads as (for the audit). False: refused, nothing more is done with it.
  virtual bool on_unjudged_command(const Command& cmd, std::string_view line, Reason why) = 0;
  virtual void on_offer(Direction dir, const Offer& offer) = 0;
  virtual void on_refusal(Direction dir, Reason r, std::string_view line) = 0;
  // AUTH TLS/SSL answered 234: both directions are TLS from the next byte on.
  virtual void on_tls_start() = 0;
  // The server answered a PORT/EPRT/LPRT (final reply `code`; 4xx/5xx: no data connection
  // will come for it).
  virtual void on_active_offer_answered(uint16_t code, std::string_view reply_line) = 0;
  // A final reply answered a transfer command (RETR, STOR, ..., LIST: Verb::kTransfer).
  virtual void on_transfer_answered(uint16_t code, std::string_view text) = 0;
  // A preliminary reply (150, 125) to the oldest command, a transfer command.
  virtual void on_transfer_started(std::string_view text) = 0;
  // Reply text to mask (policy.mask_banner, mask_syst): `length` bytes from stream position `at`.
  virtual void on_mask(uint64_t at, size_t length) = 0;
  // A reader's TLS records ended, or turned out not to be TLS, or lines resumed.
  virtual void on_stream_event(Direction dir, StreamEvent e, std::string_view detail) = 0;
};

class FtpDialogue {
 public:
  // The dialogue's side of one segment: the stream readers deliver their lines to it, and it
  // reports to `events` with the policy and counters of this turn.
  class Turn : public StreamReaderEvents {
   public:
    Turn(FtpDialogue& d, const Policy& policy, Counters& counters, DialogueEvents& events)
        : d_(d), policy_(policy), counters_(counters), events_(events) {}
    // A line of `dir` whose first byte is at stream position `at`.
    void on_line(Direction dir, std::string_view line, LineKind kind, uint64_t at) override;
    void on_stream_event(Direction dir, StreamEvent e, std::string_view detail) override;

   private:
    FtpDialogue& d_;
    const Policy& policy_;
    Counters& counters_;
    DialogueEvents& events_;
  };

  // Commands (or their replies) were lost in a gap: how many is unknown, so the queue of pending
  // commands no longer says which reply answers which. Every client byte up to
  // `client_position`, seen or lost, was sent before the gap ended; a reply the server sent
  // before it received anything beyond that answers one of those commands.
  void lost_in_gap(uint64_t client_position);
  // The server segment being read acknowledges the client's stream up to this position.
  void reply_acknowledges(uint64_t client_position) { reply_acks_client_up_to_ = client_position; }
  // What was said inside TLS is unknown: commands (to server) or a multi-line reply (to client)
  // start afresh where a direction reads lines again.
  void resume(Direction dir);
  void tls_started();
  // The session was picked up mid-stream: commands were sent before it that were never seen
  // (another router's, before a failover). Until a reply answers a command seen here, the first
  // passive reply is taken to answer one of them.
  void picked_up() {
    commands_before_pickup_ = true;
    identity_unknown_ = true;
  }

  // A multi-line 227/228/229 is open: its endpoint may lie in a line already released.
  bool multiline_passive_open() const { return in_multiline_ && form_of_reply(multiline_code_) != nullptr; }
  // Who the server accepted: the USER that a 230/232 answered ("" before a login, after REIN).
  std::string_view user() const { return user_; }
  // A USER was sent and its login is not answered yet (no 230/232, no refusal): until then the
  // server may take the client for claimed_user() as well as for user().
  bool login_open() const { return login_open_; }
  std::string_view claimed_user() const { return claimed_user_; }
  // Whether a login was missed (picked up mid-stream, or a gap): who the server took the client
  // for is unknown until the next accepted login.
  bool identity_unknown() const { return identity_unknown_; }
  // A PASV/EPSV/LPSV is waiting for its reply: a transfer asked now uses its data connection.
  bool passive_pending() const { return pending_.contains_passive(); }
  // Stream position of the first byte of the line being read (valid during a Turn's on_line).
  uint64_t line_at() const { return line_at_; }

 private:
  // A command line that can be judged (whole, no NUL, no control byte).
  void on_command(std::string_view line, uint64_t at, const Policy& policy, Counters& counters,
                  DialogueEvents& ev);
  void on_reply(std::string_view line, bool parse_it, uint64_t at, const Policy& policy,
                Counters& counters, DialogueEvents& ev);
  void finish_reply(uint16_t code, std::string_view text, std::string_view line, bool parse_it,
                    uint64_t at, const Policy& policy, Counters& counters, DialogueEvents& ev);
  void remember_user(std::string_view name, const Policy& policy, Counters& counters);
  // The server's final reply to a USER, PASS or REIN.
  void login_answered(Verb answered, uint16_t code);
  bool answers_unseen_command() const {
    return unpaired_until_ != 0 && reply_acks_client_up_to_ <= unpaired_until_;
  }

  PendingCommands pending_;
  // Client stream position up to which commands may have been lost in a gap (0: no gap), and
  // the client position the server segment being read acknowledges.
  uint64_t unpaired_until_ = 0;
  uint64_t reply_acks_client_up_to_ = 0;
  uint64_t line_at_ = 0;
  bool commands_before_pickup_ = false;  // picked_up(), until a reply answers a seen command
  // Multi-line reply in progress ("227-" ... "227 ").
  bool in_multiline_ = false;
  uint16_t multiline_code_ = 0;
  DataEndpoint multiline_endpoint_;  // first endpoint found in a multi-line 227/228/229
  uint64_t multiline_text_at_ = 0;   // ... where its text lies in the stream, and a copy of it
  std::string multiline_text_;
  std::string user_;          // accepted by the server (policy.max_user_name_length)
  std::string claimed_user_;  // the last USER argument
  bool login_open_ = false;
  bool identity_unknown_ = false;
};

}  // namespace ftpgate
