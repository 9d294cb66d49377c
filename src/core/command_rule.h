#pragma once
// One command rule of the policy (config key `rule`, evaluated per command, first match wins):
//
//   rule = ACTION [verb V[,V...]] [user GLOB] [arg GLOB] [server PREFIX] [client PREFIX] [port N]
//
//   ACTION   allow | deny | log     (log: allow, and write a log line)
//   verb     command verbs, 3-4 letters ("STOR,APPE,DELE"); any verb if absent
//   user     who the server accepted (the USER a 230/232 answered; REIN forgets it); for USER
//            itself its argument; "" before any login. While a login is unanswered, a command
//            is judged as both users and the stricter verdict wins; when the identity is
//            unknown (pickup, gap) a user condition matches deny/log rules, never allow
//   arg      the command's argument ("report.pdf", for SITE "EXEC /bin/sh"); `file` is the same
//   server   the server's address or prefix (192.0.2.0/24, 2001:db8::/32), as queued: after DNAT
//   client   the client's address or prefix, as queued: before SNAT
//   port     the control connection's server port
//
// Globs: `*` any run of characters (also `/` and spaces), `?` one character; case-insensitive,
// as FTP verbs are and as servers compare anonymous/ANONYMOUS. A rule without conditions
// matches every command (`rule = deny` last: deny what no rule allowed).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/ip_address.h"

namespace ftpgate {

enum class RuleAction : uint8_t { kAllow, kDeny, kLog };
std::string_view rule_action_name(RuleAction a);

struct AddressPrefix {
  IpAddress base;  // host bits cleared
  uint8_t length = 0;
  bool contains(const IpAddress& a) const;
  // "192.0.2.0/24", "2001:db8::/32", or an address alone (/32, /128).
  static std::optional<AddressPrefix> parse(std::string_view text);
};

// `*` and `?`, ASCII case-insensitive.
bool glob_match(std::string_view pattern, std::string_view text);

// What a rule is matched against: one command of one control connection.
struct CommandFacts {
  std::string_view verb;  // as sent (any case)
  std::string_view argument;
  std::string_view user;
  IpAddress client;
  IpAddress server;
  uint16_t server_port = 0;
  // Who the server takes the client for is not known (the session was picked up mid-stream, or
  // a gap may have hidden a login): a `user` condition then matches for deny and log rules and
  // not for allow rules, so an unknown identity gets the strictest verdict (fail closed).
  bool user_unknown = false;
};

struct CommandRule {
  RuleAction action = RuleAction::kAllow;
  std::vector<std::string> verbs;  // upper case; empty: any
  std::optional<std::string> user;
  std::optional<std::string> argument;
  std::optional<AddressPrefix> server;
  std::optional<AddressPrefix> client;
  uint16_t port = 0;  // 0: any
  uint32_t line = 0;  // where it was written (config file line; 0: command line)
  std::string text;   // as written, for the log and the metrics

  bool matches(const CommandFacts& f) const;
};

// The rule, or why the text is not one ("unknown condition 'usr'").
struct RuleParse {
  std::optional<CommandRule> rule;
  std::string error;
};
RuleParse parse_command_rule(std::string_view text);

}  // namespace ftpgate
