#pragma once
// One FTP control connection: per-direction TCP reassembly and line assembly, the command/reply
// dialogue, and the data connections it negotiates.
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/action.h"
#include "core/control_line.h"
#include "core/counters.h"
#include "core/data_endpoint_parser.h"
#include "core/flow.h"
#include "core/line_assembler.h"
#include "core/pending_commands.h"
#include "core/policy.h"
#include "core/session_extension.h"
#include "core/tcp_reassembler.h"
#include "core/tcp_segment.h"
#include "core/tls_record_follower.h"

namespace ftpgate {

// What a session needs from its engine: policy, counters, where actions go, id source.
struct SessionContext {
  const Policy& policy;
  Counters& counters;
  ActionSink& sink;
  uint64_t& next_expectation_id;
};

class Session {
 public:
  Session(const ControlFlow& flow, uint64_t id, const Policy& policy, Micros now);

  enum class State : uint8_t { kOpen, kClosed };
  State on_segment(Direction dir, const TcpSegment& seg, Micros now, SessionContext& ctx);

  // A SYN opening a new connection on this session's addresses and ports (its sequence number
  // does not continue the stream we track).
  bool is_reopened_by(const TcpSegment& syn) const {
    return to_server_.tcp.initialized() && to_server_.tcp.widen(syn.seq + 1) != to_server_.tcp.next();
  }

  // Forgets expectations whose timeout passed (the kernel has dropped them by then).
  void expire_expectations(Micros now, Counters& counters);
  // Forgets all expectations (the session ends); returns how many there were.
  size_t drop_expectations(Counters& counters);

  // True when `dir` ends in an unfinished line that may turn out to announce a data endpoint
  // (it starts like PORT/EPRT/LPRT, or like a 227/228/229 reply, or a multi-line passive reply
  // is open). A NAT rewrite of that line needs the bytes that are already here.
  bool partial_line_may_announce(Direction dir) const;

  const ControlFlow& flow() const { return flow_; }
  uint64_t id() const { return id_; }
  Micros last_seen() const { return last_seen_; }
  size_t outstanding_expectations() const { return outstanding_.size(); }

  // The adapter's per-session state (see session_extension.h); null until one is attached.
  SessionExtension* extension() const { return extension_.get(); }
  void attach(std::unique_ptr<SessionExtension> e) { extension_ = std::move(e); }

 private:
  // How a direction's bytes are read. After AUTH TLS + 234 both directions follow TLS records;
  // a direction goes back to lines where its records end (CCC, or TLS shut down). If the bytes
  // after 234 are no TLS record at all (the client never started TLS), the direction stays
  // opaque until a line that is unambiguously clear-text FTP arrives (kAwaitClear).
  enum class StreamMode : uint8_t { kLines, kTls, kAwaitClear };
  struct Stream {
    explicit Stream(const Policy& p)
        : tcp(p.max_out_of_order_bytes), lines(p.max_line_length) {}
    TcpReassembler tcp;
    LineAssembler lines;
    StreamMode mode = StreamMode::kLines;
    TlsRecordFollower tls;
    bool fin = false;
    uint64_t fin_at = 0;  // widened sequence number of the FIN
  };
  // An endpoint text and the stream position of its first byte.
  struct EndpointText {
    uint64_t at = 0;
    std::string_view text;
  };
  struct Outstanding {
    uint64_t id;
    Micros expires;
  };

  void deliver(Direction dir, std::string_view bytes, SessionContext& ctx);
  bool on_line(Direction dir, std::string_view line, LineKind kind, SessionContext& ctx);
  void on_command(std::string_view line, bool parse_it, SessionContext& ctx);
  bool on_reply(std::string_view line, bool parse_it, SessionContext& ctx);
  bool finish_reply(uint16_t code, std::string_view text, std::string_view line, bool parse_it,
                    SessionContext& ctx);
  void offer_active(Verb verb, const DataEndpoint& ep, std::string_view line, SessionContext& ctx);
  void offer_passive(uint16_t code, const DataEndpoint& ep, std::string_view line,
                     SessionContext& ctx);
  void admit(DataMode mode, Announcement ann, const IpAddress& src, const IpAddress& dst,
             uint16_t dport, std::string_view line, SessionContext& ctx);
  // Where ep's text lies: its offsets count from `base`, a view into `line`, the line being
  // handled in direction current_dir_.
  void remember_multiline_endpoint(const DataEndpoint& ep, std::string_view base,
                                   std::string_view line);
  EndpointText locate(const DataEndpoint& ep, std::string_view base, std::string_view line);
  void remember_user(std::string_view name, SessionContext& ctx);
  // After a stream gap: replies sent before the server saw any later client byte answer
  // commands from before the gap (some never seen), not the pending ones.
  void forget_pairing_before_gap();
  bool answers_unseen_command() const;
  void report(Reason r, std::string_view line, SessionContext& ctx);
  void event(SessionEvent e, SessionContext& ctx);
  void start_tls(SessionContext& ctx);
  void resume_lines(Direction dir, SessionContext& ctx);
  Stream& stream(Direction d) { return d == Direction::kToServer ? to_server_ : to_client_; }

  ControlFlow flow_;
  uint64_t id_;
  Micros last_seen_;
  Micros now_ = 0;              // time of the segment being processed
  Direction current_dir_ = Direction::kToServer;
  Stream to_server_;
  Stream to_client_;
  PendingCommands pending_;
  // Client stream position (widened) up to which commands may have been lost in a gap (0: no
  // gap), and the client position the server segment being read acknowledges.
  uint64_t unpaired_until_ = 0;
  uint64_t reply_acks_client_up_to_ = 0;
  // Multi-line reply in progress ("227-" ... "227 ").
  bool in_multiline_ = false;
  uint16_t multiline_code_ = 0;
  DataEndpoint multiline_endpoint_;  // first endpoint found in a multi-line 227/228/229
  uint64_t multiline_text_at_ = 0;   // ... where its text lies in the stream, and a copy of it
  std::string multiline_text_;
  EndpointText endpoint_text_;       // of the line being offered (admit reads it)
  std::string user_;                 // the last USER argument (policy.max_user_name_length)
  uint32_t reports_ = 0;  // reject/anomaly actions emitted (policy.max_reports_per_session)
  std::vector<Outstanding> outstanding_;
  std::unique_ptr<SessionExtension> extension_;
};

}  // namespace ftpgate
