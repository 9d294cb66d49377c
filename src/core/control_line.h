#pragma once
// The shape of one control line: a client command (verb + argument, RFC 959 section 5.3) or a
// server reply line (three-digit code, then ' ' for the last line or '-' for the first line of a
// multi-line reply, RFC 959 section 4.2).
#include <cstdint>
#include <string_view>

namespace ftpgate {

// The commands the gateway cares about; everything else is kOther.
enum class Verb : uint8_t {
  kOther,
  kPort,   // PORT h1,h2,h3,h4,p1,p2
  kEprt,   // EPRT |af|addr|port|
  kLprt,   // LPRT af,hal,h...,pal,p...
  kPasv,   // PASV      -> 227
  kEpsv,   // EPSV [af] -> 229  (EPSV ALL -> 200)
  kLpsv,   // LPSV      -> 228
  kAuthTls,  // AUTH TLS / AUTH SSL / AUTH TLS-C / AUTH TLS-P -> 234
  kCcc,    // CCC (RFC 4217 section 12.3): clear the command channel
  kUser,   // USER name
  kPass,   // PASS secret (the login's answer says who the client is)
  kRein,   // REIN: log out, back to before USER (RFC 959 4.1.1)
  kTransfer,  // RETR, STOR, STOU, APPE, LIST, NLST, MLSD: a data transfer (the audit log's)
  kUnseen,  // a command whose start was lost in a stream gap (what it asked is unknown)
};

// A command that announces a data endpoint of the client's (active mode).
inline bool is_active_offer(Verb v) { return v == Verb::kPort || v == Verb::kEprt || v == Verb::kLprt; }

struct Command {
  Verb verb = Verb::kOther;
  std::string_view name;      // the verb as sent ("stor"), for the command rules
  std::string_view argument;  // after the verb and its spaces
  size_t argument_offset = 0; // where `argument` starts in the line
};

// Splits a command line (no CR/LF). The verb is case-insensitive and must start the line.
Command parse_command(std::string_view line);

struct ReplyLine {
  bool is_reply_start = false;  // the line starts with three digits and ' ', '-' or its end
  uint16_t code = 0;
  bool continues = false;       // "227-..." opens a multi-line reply
  std::string_view text;        // after "ddd " / "ddd-" (a view into the line)
};

ReplyLine parse_reply_line(std::string_view line);

// True for a reply that completes a command (2xx-5xx); 1xx is preliminary (RFC 959 4.2).
inline bool is_final_code(uint16_t code) { return code >= 200 && code <= 599; }

}  // namespace ftpgate
