#include "core/command_rule.h"

#include "core/ascii.h"

namespace ftpgate {
namespace {

// Splits on spaces and tabs.
std::vector<std::string_view> words(std::string_view s) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
    const size_t start = i;
    while (i < s.size() && s[i] != ' ' && s[i] != '\t') ++i;
    if (i > start) out.push_back(s.substr(start, i - start));
  }
  return out;
}

bool is_verb(std::string_view v) {
  if (v.size() < 3 || v.size() > 4) return false;
  for (char c : v)
    if (ascii_upper(c) < 'A' || ascii_upper(c) > 'Z') return false;
  return true;
}

// The mask of byte `i` of an address under a prefix of `length` bits.
uint8_t prefix_byte_mask(size_t length, size_t i) {
  const size_t bits = length >= (i + 1) * 8 ? 8 : (length > i * 8 ? length - i * 8 : 0);
  return static_cast<uint8_t>(bits == 0 ? 0 : 0xff << (8 - bits));
}

}  // namespace

std::string_view rule_action_name(RuleAction a) {
  switch (a) {
    case RuleAction::kAllow: return "allow";
    case RuleAction::kDeny: return "deny";
    case RuleAction::kLog: return "log";
  }
  return "?";
}

bool AddressPrefix::contains(const IpAddress& a) const {
  if (a.family() != base.family()) return false;
  for (size_t i = 0; i * 8 < length; ++i)
    if ((a.bytes()[i] & prefix_byte_mask(length, i)) != base.bytes()[i]) return false;
  return true;
}

std::optional<AddressPrefix> AddressPrefix::parse(std::string_view text) {
  const size_t slash = text.find('/');
  std::optional<IpAddress> a = IpAddress::parse(text.substr(0, slash));
  if (!a) return std::nullopt;
  const size_t max_bits = a->size() * 8;
  size_t length = max_bits;
  if (slash != std::string_view::npos) {
    const std::string_view digits = text.substr(slash + 1);
    if (digits.empty() || digits.size() > 3) return std::nullopt;
    length = 0;
    for (char c : digits) {
      if (c < '0' || c > '9') return std::nullopt;
      length = length * 10 + static_cast<size_t>(c - '0');
    }
    if (length > max_bits) return std::nullopt;
  }
  // The base with its host bits cleared, so that contains() compares bytes.
  uint8_t bytes[16] = {};
  for (size_t i = 0; i < a->size(); ++i) bytes[i] = a->bytes()[i] & prefix_byte_mask(length, i);
  AddressPrefix p;
  p.base = a->is_v4() ? IpAddress::v4_bytes(bytes) : IpAddress::v6_bytes(bytes);
  p.length = static_cast<uint8_t>(length);
  return p;
}

bool glob_match(std::string_view pattern, std::string_view text) {
  // Iterative, with one backtrack point (the last `*`): linear in practice, never recursive.
  size_t p = 0, t = 0, star = std::string_view::npos, star_t = 0;
  while (t < text.size()) {
    if (p < pattern.size() && (pattern[p] == '?' || ascii_upper(pattern[p]) == ascii_upper(text[t]))) {
      ++p;
      ++t;
    } else if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      star_t = t;
    } else if (star != std::string_view::npos) {
      p = star + 1;
      t = ++star_t;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

bool CommandRule::matches(const CommandFacts& f) const {
  if (!verbs.empty()) {
    bool any = false;
    for (const std::string& v : verbs) any = any || ascii_iequals(v, f.verb);
    if (!any) return false;
  }
  if (user && (f.user_unknown ? action == RuleAction::kAllow : !glob_match(*user, f.user))) return false;
  if (argument && !glob_match(*argument, f.argument)) return false;
  if (server && !server->contains(f.server)) return false;
  if (client && !client->contains(f.client)) return false;
  return port == 0 || port == f.server_port;
}

RuleParse parse_command_rule(std::string_view text) {
  RuleParse out;
  const std::vector<std::string_view> w = words(text);
  auto fail = [&](std::string why) {
    out.error = std::move(why);
    return out;
  };
  if (w.empty()) return fail("a rule needs an action: allow, deny or log");
  CommandRule r;
  if (w[0] == "allow") r.action = RuleAction::kAllow;
  else if (w[0] == "deny") r.action = RuleAction::kDeny;
  else if (w[0] == "log") r.action = RuleAction::kLog;
  else return fail("unknown action '" + std::string(w[0]) + "' (allow, deny or log)");
  bool seen_verb = false, seen_port = false;
  for (size_t i = 1; i < w.size(); i += 2) {
    const std::string_view key = w[i];
    if (i + 1 >= w.size()) return fail("'" + std::string(key) + "' needs a value");
    const std::string_view value = w[i + 1];
    auto twice = [&] { return fail("'" + std::string(key) + "' given twice"); };
    if (key == "verb") {
      if (seen_verb) return twice();
      seen_verb = true;
      size_t start = 0;
      while (start <= value.size()) {
        const size_t comma = value.find(',', start);
        const std::string_view v = value.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
        if (!is_verb(v)) return fail("'" + std::string(v) + "' is not a command verb (3-4 letters)");
        r.verbs.push_back(ascii_upper_case(v));
        if (comma == std::string_view::npos) break;
        start = comma + 1;
      }
    } else if (key == "user") {
      if (r.user) return twice();
      r.user = std::string(value);
    } else if (key == "arg" || key == "file") {
      if (r.argument) return twice();
      r.argument = std::string(value);
    } else if (key == "server" || key == "client") {
      std::optional<AddressPrefix>& slot = key == "server" ? r.server : r.client;
      if (slot) return twice();
      slot = AddressPrefix::parse(value);
      if (!slot) return fail("'" + std::string(value) + "' is not an address or prefix (192.0.2.0/24, 2001:db8::/32)");
    } else if (key == "port") {
      if (seen_port) return twice();
      seen_port = true;
      uint32_t n = 0;
      for (char c : value) n = (c >= '0' && c <= '9' && n <= 65535) ? n * 10 + static_cast<uint32_t>(c - '0') : 70000;
      if (value.empty() || n == 0 || n > 65535) return fail("'" + std::string(value) + "' is not a port (1-65535)");
      r.port = static_cast<uint16_t>(n);
    } else {
      return fail("unknown condition '" + std::string(key) + "' (verb, user, arg, file, server, client, port)");
    }
  }
  std::string written;
  for (std::string_view x : w) written += (written.empty() ? "" : " ") + std::string(x);
  r.text = std::move(written);
  out.rule = std::move(r);
  return out;
}

}  // namespace ftpgate
