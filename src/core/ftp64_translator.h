#pragma once
// FTP ALG for IPv6-to-IPv4 translation (RFC 6384), as a pure per-session translator: control
// lines in, line edits out. It runs on the control connection's IPv4 leg (after NAT64 has
// translated the IPv6 client's packets), where the client is the NAT64's IPv4 pool address.
//
// Design
//   * One Ftp64Translator per control connection. on_command() takes each complete client
//     line, on_reply() each server reply line (without CR LF), in stream order. Each returns
//     an Ftp64Edit: pass the line unchanged, replace its text (the length may change: the
//     daemon rewrites the packet and records a TCP sequence adjustment, as for an endpoint
//     rewrite), remove it with its line end (the rest of a multi-line reply that is replaced),
//     or tear the control connection down.
//   * Nothing is ever forged: a client command the ALG answers itself (ALGS, EPSV ALL,
//     EPSV <n>, an EPRT it will not translate) goes on as "NOOP", and the server's answer to
//     that NOOP is replaced by the ALG's reply (RFC 6384 section 12). A server that does not
//     answer the NOOP with 200 gets the control connection torn down (kTeardown).
//   * Replies are paired with commands as RFC 959 section 4.2 says (each final reply answers
//     the oldest unanswered command; 1xx are preliminary; "ddd-" ... "ddd " is one reply), in
//     the translator's own queue of what it did to each command.
//   * `server_line` of a command edit is what the server will execute (PASV for EPSV, PORT
//     for EPRT, NOOP for a command answered here): the session's dialogue and the policy read
//     that line, so expectations and rules follow what the receiver executes.
//
//   EPSV | EPSV 2         -> PASV; 227 (h1,...,p2) -> 229 Entering Extended Passive Mode (|||p|)
//                            (227 naming another address than the server's: 425, or ignored)
//   EPSV ALL              -> NOOP, answered 504          EPSV <n>, n != 2 -> NOOP, answered 522
//   EPRT |2|<client>|p|   -> PORT <client's IPv4>,p       (EPRT of another address: NOOP, 501;
//                                                          net-prt other than 2: NOOP, 522)
//   ALGS STATUS64 | ENABLE64 | DISABLE64 -> NOOP, answered "216 NONE|EPSV|EPSVEPRT"; other 504
//   AUTH                  -> transparent copy from here; a 4xx/5xx answering it: translating again
//   everything else (LANG included: the ALG's own replies stay in English)  -> unchanged
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/command_rule.h"
#include "core/data_endpoint_parser.h"
#include "core/flow.h"
#include "core/ip_address.h"

namespace ftpgate {

// What the ALG translates (RFC 6384 section 11: the ALGS command's three states).
enum class Ftp64Mode : uint8_t { kNone, kEpsv, kEpsvEprt };
std::string_view ftp64_mode_name(Ftp64Mode m);  // "NONE", "EPSV", "EPSVEPRT"

struct Ftp64Settings {
  // The state a new session starts in, and what ALGS ENABLE64 turns on (kEpsv: EPRT is never
  // translated, even after ENABLE64).
  Ftp64Mode initial = Ftp64Mode::kEpsvEprt;
  Ftp64Mode enabled = Ftp64Mode::kEpsvEprt;
  // A 227 naming another IPv4 address than the control connection's server (RFC 6384 section
  // 6): true: the client gets 425 (the data connection would go elsewhere than the 229 says);
  // false: the address is ignored, the 229 carries the port alone.
  bool refuse_foreign_227 = true;
};

// Who the client is, for EPRT (RFC 6384 section 7): only the client's own IPv6 address is
// translated, to the address the server knows the client by (client_v4, the pool address).
class Ftp64Peers {
 public:
  virtual ~Ftp64Peers() = default;
  virtual bool is_client(const IpAddress& v6) const = 0;
};

// A known client address (unit tests; stateless mappings).
class Ftp64KnownClient : public Ftp64Peers {
 public:
  explicit Ftp64KnownClient(const IpAddress& v6) : v6_(v6) {}
  bool is_client(const IpAddress& v6) const override { return v6 == v6_; }

 private:
  IpAddress v6_;
};

// Where a session on the IPv4 leg learns who its IPv6 client is (the daemon asks conntrack
// for the IPv6 leg of the same control connection; replay knows no IPv6 leg: null).
class Ftp64ClientFinder {
 public:
  virtual ~Ftp64ClientFinder() = default;
  // The IPv6 address of the client whose control connection shows as `v4` on the IPv4 leg.
  virtual std::optional<IpAddress> client_of(const ControlFlow& v4) = 0;
};

// The NAT64 mode of the policy (config nat64*): which sessions are translated and how.
struct Ftp64Policy {
  bool enabled = false;  // config nat64
  Ftp64Settings settings;
  // The NAT64 prefix (64:ff9b::/96, RFC 6052): the IPv6 leg reaches server S at prefix + S.
  AddressPrefix prefix;
  // Servers (IPv4 leg) whose sessions are translated; empty: every IPv4 server.
  std::vector<AddressPrefix> servers;
  // Set by the daemon; null: EPRT is never translated (no client known).
  std::shared_ptr<Ftp64ClientFinder> clients;
  bool applies_to(const ControlFlow& f) const;
};

// The IPv6 address of IPv4 host `v4` behind a /96 NAT64 prefix (RFC 6052 section 2.2).
IpAddress ftp64_embed(const AddressPrefix& prefix, const IpAddress& v4);

struct Ftp64Edit {
  enum class Kind : uint8_t {
    kPass,      // the line goes on unchanged
    kReplace,   // the line's text becomes `text` (its line end stays)
    kRemove,    // the line goes, with its line end (a replaced multi-line reply's later lines)
    kTeardown,  // the server did not answer the ALG's NOOP with 200: end the control connection
  };
  Kind kind = Kind::kPass;
  std::string text;         // kReplace: the new text; kTeardown: what went wrong
  std::string server_line;  // a command: what the server will execute (the line, or `text`)
  // Why, in a word, for logs and counters: "epsv", "eprt", "algs", "epsv_all", "epsv_af",
  // "eprt_foreign", "eprt_af", "227", "227_foreign", "alg_reply", "noop_refused", or "".
  std::string_view what;
};

// Counters of one translator (the engine sums them).
struct Ftp64Counts {
  uint64_t epsv_translated = 0;
  uint64_t eprt_translated = 0;
  uint64_t replies_translated = 0;  // 227 -> 229 (or 425)
  uint64_t answered_by_alg = 0;     // commands sent on as NOOP, answered by the ALG
  uint64_t teardowns = 0;
};

class Ftp64Translator {
 public:
  // client_v4: the client's address on the IPv4 leg (what PORT must name); server_v4: the
  // control connection's server. `peers` must outlive the translator.
  Ftp64Translator(const Ftp64Settings& settings, const Ftp64Peers& peers,
                  const IpAddress& client_v4, const IpAddress& server_v4);

  Ftp64Edit on_command(std::string_view line);
  Ftp64Edit on_reply(std::string_view line);
  // Lines were lost (a gap): which reply answers which command is unknown; the translator
  // stops translating (everything passes) rather than guess.
  void lost_sync();
  // A command passed on unread (too long to parse): its reply passes too.
  void passed_command() { pending_.push_back(Pending{Did::kPlain, {}}); }
  // A reply the translator will replace is awaited (a PASV it sent for EPSV, a NOOP).
  bool awaits_translated_reply() const {
    for (const Pending& p : pending_)
      if (p.did == Did::kPasvForEpsv || p.did == Did::kNoop) return true;
    return in_multiline_ && removing_;
  }

  Ftp64Mode mode() const { return mode_; }
  bool transparent() const { return transparent_; }
  const Ftp64Counts& counts() const { return counts_; }

 private:
  enum class Did : uint8_t {
    kPlain,        // passed unchanged
    kPasvForEpsv,  // EPSV sent as PASV: its 227 becomes a 229
    kNoop,         // answered by the ALG: `reply` replaces the server's 200
    kAuth,         // AUTH: transparent until a 4xx/5xx answers it
  };
  struct Pending {
    Did did;
    std::string reply;
  };
  Ftp64Edit answer_here(std::string reply, std::string_view what);
  Ftp64Edit translate_epsv(std::string_view arg);
  Ftp64Edit translate_eprt(std::string_view line, std::string_view arg);
  Ftp64Edit algs(std::string_view arg);
  // The first line of a final reply (or of a multi-line one) answering `p`.
  Ftp64Edit answer(const Pending& p, uint16_t code, std::string_view text, std::string_view line);

  Ftp64Settings settings_;
  const Ftp64Peers& peers_;
  IpAddress client_v4_;
  IpAddress server_v4_;
  Ftp64Mode mode_;
  bool transparent_ = false;  // after AUTH (or a lost pairing): everything passes
  std::deque<Pending> pending_;
  // A multi-line reply is open: its code, and whether its later lines are removed (its first
  // line was replaced) and which command it answers.
  bool in_multiline_ = false;
  uint16_t multiline_code_ = 0;
  bool removing_ = false;
  std::optional<Pending> multiline_answers_;
  DataEndpoint multiline_endpoint_;  // of a multi-line 227 being replaced
  Ftp64Counts counts_;
};

}  // namespace ftpgate
