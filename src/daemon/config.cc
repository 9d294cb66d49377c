#include "daemon/config.h"

#include <charconv>
#include <iterator>
#include <sstream>
#include <utility>

#include "core/ftp64_translator.h"
#include "util/port_list.h"

namespace ftpgate {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

template <class T>
bool parse_number(std::string_view v, T& out, T min, T max) {
  T x{};
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), x);
  if (ec != std::errc() || p != v.data() + v.size() || x < min || x > max) return false;
  out = x;
  return true;
}

// "3" or "0-3" (NFQUEUE numbers; 0 is valid, unlike a port).
std::optional<std::vector<uint16_t>> parse_queue_range(std::string_view v) {
  const size_t dash = v.find('-');
  uint16_t lo = 0, hi = 0;
  if (!parse_number<uint16_t>(v.substr(0, dash), lo, 0, 65535)) return std::nullopt;
  hi = lo;
  if (dash != std::string_view::npos && !parse_number<uint16_t>(v.substr(dash + 1), hi, lo, 65535))
    return std::nullopt;
  if (hi - lo >= 64) return std::nullopt;
  std::vector<uint16_t> out;
  for (uint32_t q = lo; q <= hi; ++q) out.push_back(static_cast<uint16_t>(q));
  return out;
}

// Whole seconds, 1..max, as Micros.
bool parse_seconds(std::string_view v, Micros& out, uint32_t max) {
  uint32_t s = 0;
  if (!parse_number<uint32_t>(v, s, 1, max)) return false;
  out = Micros{s} * 1'000'000;
  return true;
}

// Whole milliseconds, 1..max, as Micros.
bool parse_millis(std::string_view v, Micros& out, uint32_t max) {
  uint32_t ms = 0;
  if (!parse_number<uint32_t>(v, ms, 1, max)) return false;
  out = Micros{ms} * 1000;
  return true;
}

bool parse_bool(std::string_view v, bool& out) {
  if (v == "yes" || v == "true" || v == "on" || v == "1") return out = true, true;
  if (v == "no" || v == "false" || v == "off" || v == "0") return out = false, true;
  return false;
}

// A setter returns nullopt when the value is good, else a hint for the error ("" for none).
using Setter = std::optional<std::string> (*)(DaemonConfig&, std::string_view);
const std::optional<std::string> kGood;
std::optional<std::string> hint(bool good, const char* text = "") {
  return good ? kGood : std::optional<std::string>(text);
}

// Every key, once: its meaning (for `ftpgate run --help`), an example value (the tests set
// each), and how it is applied.
struct Key {
  std::string_view name;
  std::string_view meaning;
  std::string_view example;
  Setter set;
};
std::vector<std::string> split_words(std::string_view s) {
  std::istringstream in{std::string(s)};
  return {std::istream_iterator<std::string>(in), std::istream_iterator<std::string>()};
}

// A `server`/`client` prefix whose address has bits past its length ("192.0.2.1/24") matches
// a whole network while it reads like one host: refused, naming the network it would be.
std::optional<std::string> prefix_host_bits(const CommandRule& r) {
  const std::vector<std::string> w = split_words(r.text);
  for (size_t i = 1; i + 1 < w.size(); i += 2) {
    const std::optional<AddressPrefix>* p = w[i] == "server" ? &r.server : w[i] == "client" ? &r.client : nullptr;
    const size_t slash = w[i + 1].find('/');
    if (p == nullptr || !*p || slash == std::string::npos) continue;
    const auto written = IpAddress::parse(std::string_view(w[i + 1]).substr(0, slash));
    if (written && !(*written == (*p)->base))
      return "'" + std::string(w[i + 1]) + "' has host bits set: write " + (*p)->base.to_string() + "/" +
             std::to_string((*p)->length) + " for the network, or " + written->to_string() + " for the host";
  }
  return std::nullopt;
}

// Appends a command rule (copy on write: running engines share the set they were given).
// "name NAME" anywhere among the conditions names it for the metrics (default: its text).
std::optional<std::string> add_rule(DaemonConfig& c, std::string_view v) {
  // [name NAME] ACTION {CONDITION VALUE | name NAME}...
  std::string name, text;
  const std::vector<std::string> w = split_words(v);
  size_t kept = 0;  // words of the rule itself so far: the action, then condition-value pairs
  for (size_t i = 0; i < w.size(); ++i) {
    const bool at_key = kept == 0 || kept % 2 == 1;
    if (at_key && w[i] == "name") {
      if (!name.empty()) return std::string("'name' given twice");
      if (i + 1 >= w.size()) return std::string("'name' needs a value");
      name = w[++i];
      continue;
    }
    text += (text.empty() ? "" : " ") + std::string(w[i]);
    ++kept;
  }
  RuleParse parsed = parse_command_rule(text);
  if (!parsed.rule) return parsed.error;
  if (auto bits = prefix_host_bits(*parsed.rule)) return bits;
  if (c.policy.rules && c.policy.rules->size() >= CommandRules::kMaxRules)
    return "more than " + std::to_string(CommandRules::kMaxRules) + " rules";
  if (name.empty()) name = parsed.rule->text;
  for (size_t i = 0; i < c.rule_names.size(); ++i)
    if (c.rule_names[i] == name)
      return "rule name '" + name + "' is taken by rule " + std::to_string(i + 1) + " (add 'name NAME' to tell them apart)";
  auto next = c.policy.rules ? std::make_shared<CommandRules>(*c.policy.rules) : std::make_shared<CommandRules>();
  parsed.rule->line = c.source_line;
  next->add(std::move(*parsed.rule));
  c.policy.rules = std::move(next);
  c.rule_names.push_back(std::move(name));
  return kGood;
}

// The NAT64 mode, copied on write (running engines share the one they were given).
Ftp64Policy& ftp64_of(DaemonConfig& c) {
  auto next = c.policy.ftp64 ? std::make_shared<Ftp64Policy>(*c.policy.ftp64) : std::make_shared<Ftp64Policy>();
  if (!c.policy.ftp64) next->prefix = *AddressPrefix::parse("64:ff9b::/96");
  c.policy.ftp64 = next;
  return *next;
}

std::optional<std::string> set_nat64_servers(DaemonConfig& c, std::string_view v) {
  std::vector<AddressPrefix> servers;
  while (!v.empty()) {
    const size_t comma = v.find(',');
    const std::string_view item = trim(v.substr(0, comma));
    v = comma == std::string_view::npos ? std::string_view{} : v.substr(comma + 1);
    auto p = AddressPrefix::parse(item);
    if (!p || !p->base.is_v4()) return std::string("IPv4 prefixes separated by commas, e.g. 203.0.113.0/24,198.51.100.7");
    servers.push_back(*p);
  }
  ftp64_of(c).servers = std::move(servers);
  return kGood;
}

constexpr Key kKeys[] = {
    {"queue", "NFQUEUE number or range (0, or 0-3 for several CPUs)", "1",
     [](DaemonConfig& c, std::string_view v) {
       auto q = parse_queue_range(v);
       if (q) c.queues = *q;
       return hint(q.has_value(), "a queue number 0-65535, or a range N-M of at most 64 queues");
     }},
    {"ports", "FTP control ports (21,2121)", "21",
     [](DaemonConfig& c, std::string_view v) {
       PortListParse parsed = parse_port_list(v);
       if (parsed.ports) c.control_ports = *parsed.ports;
       return hint(parsed.ports.has_value(), (parsed.error + "; a list like 21,2121 or 2100-2110").c_str());
     }},
    {"helper_mode", "auto | cthelper | carrier: how control connections get a conntrack helper", "auto",
     [](DaemonConfig& c, std::string_view v) {
       const bool ok = v == "auto" || v == "cthelper" || v == "carrier";
       if (ok) c.helper_mode = v == "auto" ? HelperMode::kAuto : v == "cthelper" ? HelperMode::kCthelper
                                                                                  : HelperMode::kCarrier;
       return hint(ok, "auto, cthelper or carrier");
     }},
    {"queue_max_len", "packets the kernel holds for ftpgate before accepting without inspection", "10",
     [](DaemonConfig& c, std::string_view v) { return hint(parse_number<uint32_t>(v, c.queue_max_len, 1, 1u << 20), "1-1048576 packets"); }},
    {"verdict_batch", "verdicts judged together that leave in one sendmsg (1: each alone)", "32",
     [](DaemonConfig& c, std::string_view v) { return hint(parse_number<uint32_t>(v, c.verdict_batch, 1, 1024), "1-1024 verdicts"); }},
    {"status_socket", "Unix socket for 'ftpgate status' and HTTP metrics scrapes (root only)", "/run/x.sock",
     [](DaemonConfig& c, std::string_view v) {
       const bool ok = !v.empty() && v[0] == '/';
       if (ok) c.status_socket = v;
       return hint(ok, "an absolute path");
     }},
    {"metrics_port", "also serve Prometheus metrics on metrics_address:PORT (0 = off)", "9821",
     [](DaemonConfig& c, std::string_view v) { return hint(parse_number<uint16_t>(v, c.metrics_port, 0, 65535), "0-65535"); }},
    {"metrics_address", "the address metrics_port listens on (127.0.0.1; ::1, or 0.0.0.0 to scrape from the network)", "::1",
     [](DaemonConfig& c, std::string_view v) {
       const bool ok = IpAddress::parse(v).has_value();
       if (ok) c.metrics_address = v;
       return hint(ok, "an IPv4 or IPv6 address, e.g. 127.0.0.1 or ::1");
     }},
    {"user", "run as this user once the sockets are bound (keeps only CAP_NET_ADMIN)", "nobody",
     [](DaemonConfig& c, std::string_view v) {
       const bool ok = !v.empty() && v.find_first_of(" /:") == std::string_view::npos;
       if (ok) c.user = v;
       return hint(ok, "a user name, without spaces, '/' or ':'");
     }},
    {"log_format", "text | json: one line per decision on standard error", "json",
     [](DaemonConfig& c, std::string_view v) {
       const bool ok = v == "text" || v == "json";
       if (ok) c.log_format = v == "json" ? LogFormat::kJson : LogFormat::kText;
       return hint(ok, "text or json");
     }},
    {"loose", "no | yes: admit data connections to third-party addresses (bounce) if yes", "no",
     [](DaemonConfig& c, std::string_view v) {
       bool loose = false;
       const bool ok = parse_bool(v, loose);
       if (ok) c.policy.require_peer_address = !loose;
       return hint(ok, "yes or no");
     }},
    {"min_data_port", "data ports below this are refused (0 = allow all)", "1024",
     [](DaemonConfig& c, std::string_view v) { return hint(parse_number<uint16_t>(v, c.policy.min_data_port, 0, 65535), "0-65535"); }},
    {"require_pending_passive", "227/228/229 only as the answer to PASV/LPSV/EPSV", "yes",
     [](DaemonConfig& c, std::string_view v) { return hint(parse_bool(v, c.policy.require_pending_passive), "yes or no"); }},
    {"refuse_wrong_direction", "refuse replies from the client side, commands from the server", "yes",
     [](DaemonConfig& c, std::string_view v) { return hint(parse_bool(v, c.policy.refuse_wrong_direction), "yes or no"); }},
    {"refuse_unanswered_port", "refuse a PORT while the previous one is unanswered", "yes",
     [](DaemonConfig& c, std::string_view v) { return hint(parse_bool(v, c.policy.refuse_unanswered_port), "yes or no"); }},
    {"expectation_timeout", "seconds an expectation waits for its data connection", "30",
     [](DaemonConfig& c, std::string_view v) { return hint(parse_seconds(v, c.policy.expectation_timeout, 3600), "1-3600 seconds"); }},
    {"max_expectations_per_session", "outstanding per control connection; newest replaces oldest", "1",
     [](DaemonConfig& c, std::string_view v) { return hint(parse_number<uint32_t>(v, c.policy.max_expectations_per_session, 1, 64), "1-64"); }},
    {"max_expectations_total", "outstanding in total; keep below nf_conntrack_expect_max", "10",
     [](DaemonConfig& c, std::string_view v) { return hint(parse_number<uint32_t>(v, c.policy.max_expectations_total, 1, 1u << 24), "1-16777216"); }},
    {"max_line_length", "longest control line; raise if line_too_long hits long path names", "512",
     [](DaemonConfig& c, std::string_view v) { return hint(parse_number<uint32_t>(v, c.policy.max_line_length, 64, 1u << 20), "64-1048576"); }},
    {"max_out_of_order_bytes", "per direction, while a segment is missing", "100",
     [](DaemonConfig& c, std::string_view v) { return hint(parse_number<uint32_t>(v, c.policy.max_out_of_order_bytes, 0, 1u << 24), "0-16777216 bytes"); }},
    {"max_pending_commands", "unanswered pipelined commands remembered (at most 64)", "8",
     [](DaemonConfig& c, std::string_view v) { return hint(parse_number<uint32_t>(v, c.policy.max_pending_commands, 1, 64), "1-64"); }},
    {"max_reports_per_session", "log lines of refusals per session; later ones are only counted", "5",
     [](DaemonConfig& c, std::string_view v) { return hint(parse_number<uint32_t>(v, c.policy.max_reports_per_session, 1, 1u << 20), "1-1048576"); }},
    {"max_sessions", "control connections tracked at once", "10",
     [](DaemonConfig& c, std::string_view v) { return hint(parse_number<uint32_t>(v, c.policy.max_sessions, 1, 1u << 24), "1-16777216"); }},
    {"max_user_name_length", "USER names longer than this are cut in the log (counted)", "32",
     [](DaemonConfig& c, std::string_view v) { return hint(parse_number<uint32_t>(v, c.policy.max_user_name_length, 1, 1024), "1-1024"); }},
    {"session_idle_timeout", "seconds without a packet before a session is forgotten", "60",
     [](DaemonConfig& c, std::string_view v) { return hint(parse_seconds(v, c.policy.session_idle_timeout, 30 * 86400), "1-2592000 seconds"); }},
    {"rule", "allow|deny|log [verb V,..] [user G] [arg G] [server P] [client P] [port N]; "
             "repeatable, first match wins (README: Policy)", "deny verb STOR,APPE,DELE user anonymous",
     add_rule},
    {"strict", "yes: bounce, unsolicited 227/229 and wrong-direction lines reset the connection", "no",
     [](DaemonConfig& c, std::string_view v) { return hint(parse_bool(v, c.policy.strict), "yes or no"); }},
    {"mask_banner", "yes: the 220 greeting's text reaches the client as '*' (same length)", "yes",
     [](DaemonConfig& c, std::string_view v) { return hint(parse_bool(v, c.policy.mask_banner), "yes or no"); }},
    {"mask_syst", "yes: the SYST reply's (215) text reaches the client as '*'", "yes",
     [](DaemonConfig& c, std::string_view v) { return hint(parse_bool(v, c.policy.mask_syst), "yes or no"); }},
    {"enforce_mark", "conntrack mark bit set on denied connections (the rules reset them)", "0x40000000",
     [](DaemonConfig& c, std::string_view v) {
       uint32_t m = 0;
       const bool hex = v.size() > 2 && v[0] == '0' && (v[1] == 'x' || v[1] == 'X');
       auto [p, ec] = std::from_chars(v.data() + (hex ? 2 : 0), v.data() + v.size(), m, hex ? 16 : 10);
       const bool ok = ec == std::errc() && p == v.data() + v.size() && m != 0;
       if (ok) c.enforce_mark = m;
       return hint(ok, "a non-zero mark, e.g. 0x40000000");
     }},
    {"denied_session_timeout", "seconds a denied (reset) session is remembered without packets", "3600",
     [](DaemonConfig& c, std::string_view v) { return hint(parse_seconds(v, c.policy.denied_session_timeout, 30 * 86400), "1-2592000 seconds"); }},
    {"unjudged", "refuse | pass: with deny rules, what cannot be judged (too long, NUL, out of order, gap) is refused", "refuse",
     [](DaemonConfig& c, std::string_view v) {
       const bool ok = v == "refuse" || v == "pass";
       if (ok) c.policy.refuse_unjudged = v == "refuse";
       return hint(ok, "refuse or pass");
     }},
    {"max_unacked_bytes", "judged bytes kept per direction until acknowledged, to check later copies", "65536",
     [](DaemonConfig& c, std::string_view v) { return hint(parse_number<uint32_t>(v, c.policy.max_unacked_bytes, 0, 1u << 24), "0-16777216"); }},
    {"unestablished_timeout", "seconds a session whose handshake never completed is kept", "120",
     [](DaemonConfig& c, std::string_view v) { return hint(parse_seconds(v, c.policy.unestablished_timeout, 3600), "1-3600 seconds"); }},
    {"reset_linger_ms", "how long a session outlives an RST off the next sequence number (guarding: any RST, FIN) unless data follows", "130000",
     [](DaemonConfig& c, std::string_view v) { return hint(parse_millis(v, c.policy.reset_linger, 600'000), "1-600000 ms"); }},
    {"fail_closed", "yes: no fail-open (queue bound without it, daemon faults drop); pair with rules.sh --fail-closed", "no",
     [](DaemonConfig& c, std::string_view v) { return hint(parse_bool(v, c.fail_closed), "yes or no"); }},
    {"audit_log", "append one JSON line per data transfer here (rules.sh --audit queues data SYN/FIN/RST)",
     "/var/log/ftpgate/transfers.jsonl",
     [](DaemonConfig& c, std::string_view v) {
       const bool ok = v.empty() || v[0] == '/';
       if (ok) c.audit_log = v;
       c.policy.audit_transfers = !c.audit_log.empty();
       return hint(ok, "an absolute path, or nothing for no audit log");
     }},
    {"transfer_linger_ms", "how long a transfer record waits after its reply for the data connection's end", "2000",
     [](DaemonConfig& c, std::string_view v) { return hint(parse_millis(v, c.policy.transfer_linger, 60'000), "1-60000 ms"); }},
    {"max_watched_data_connections", "data connections the audit follows at once", "100",
     [](DaemonConfig& c, std::string_view v) { return hint(parse_number<uint32_t>(v, c.policy.max_watched_data_connections, 1, 1u << 24), "1-16777216"); }},
    {"nat", "yes | no: rewrite endpoints on NATed control connections (as nf_nat_ftp)", "yes",
     [](DaemonConfig& c, std::string_view v) { return hint(parse_bool(v, c.nat.rewrite), "yes or no"); }},
    {"nat_port_attempts", "data ports tried when the announced one is taken (1-4096)", "16",
     [](DaemonConfig& c, std::string_view v) { return hint(parse_number<uint32_t>(v, c.nat.port_attempts, 1, 4096), "1-4096"); }},
    {"max_held_packets", "segments held for the rest of a split endpoint line (0 = never hold)", "8",
     [](DaemonConfig& c, std::string_view v) { return hint(parse_number<uint32_t>(v, c.nat.max_held_packets, 0, 4096), "0-4096"); }},
    {"nat64", "yes: RFC 6384 FTP ALG for IPv6-only clients on the IPv4 leg of a NAT64 (README: NAT64)", "yes",
     [](DaemonConfig& c, std::string_view v) {
       bool on = false;
       if (!parse_bool(v, on)) return hint(false, "yes or no");
       ftp64_of(c).enabled = on;
       return kGood;
     }},
    {"nat64_prefix", "the NAT64 prefix (/96) by which IPv6 clients reach IPv4 servers", "64:ff9b::/96",
     [](DaemonConfig& c, std::string_view v) {
       auto p = AddressPrefix::parse(v);
       const bool ok = p && p->base.is_v6() && p->length == 96;
       if (ok) ftp64_of(c).prefix = *p;
       return hint(ok, "an IPv6 /96 prefix, e.g. 64:ff9b::/96");
     }},
    {"nat64_servers", "IPv4 server prefixes whose sessions are translated (empty: all)", "203.0.113.0/24",
     set_nat64_servers},
    {"nat64_eprt", "yes: EPRT is translated to PORT too (ALGS ENABLE64 gives EPSVEPRT), no: EPSV only", "yes",
     [](DaemonConfig& c, std::string_view v) {
       bool on = true;
       if (!parse_bool(v, on)) return hint(false, "yes or no");
       Ftp64Policy& p = ftp64_of(c);
       p.settings.enabled = on ? Ftp64Mode::kEpsvEprt : Ftp64Mode::kEpsv;
       if (p.settings.initial != Ftp64Mode::kNone) p.settings.initial = p.settings.enabled;
       return kGood;
     }},
    {"nat64_initial", "on | off: whether a session starts translating (off: only after ALGS ENABLE64)", "on",
     [](DaemonConfig& c, std::string_view v) {
       const bool ok = v == "on" || v == "off";
       if (ok) {
         Ftp64Policy& p = ftp64_of(c);
         p.settings.initial = v == "on" ? p.settings.enabled : Ftp64Mode::kNone;
       }
       return hint(ok, "on or off");
     }},
    {"nat64_foreign_227", "refuse | ignore: a 227 naming another address than the server's becomes 425, or its address is ignored",
     "refuse",
     [](DaemonConfig& c, std::string_view v) {
       const bool ok = v == "refuse" || v == "ignore";
       if (ok) ftp64_of(c).settings.refuse_foreign_227 = v == "refuse";
       return hint(ok, "refuse or ignore");
     }},
    {"nat_hold_timeout_ms", "how long a held segment waits before release unchanged", "200",
     [](DaemonConfig& c, std::string_view v) { return hint(parse_millis(v, c.nat.hold_timeout, 10'000), "1-10000 ms"); }},
};

}  // namespace

namespace {
// A comment starts with '#' at the start of a line or after white space; a '#' inside a value
// ("rule = deny arg *#secret*") is part of it.
std::string_view without_comment(std::string_view line) {
  for (size_t i = 0; i < line.size(); ++i)
    if (line[i] == '#' && (i == 0 || line[i - 1] == ' ' || line[i - 1] == '\t')) return line.substr(0, i);
  return line;
}
}  // namespace

std::string_view helper_mode_name(HelperMode m) {
  switch (m) {
    case HelperMode::kAuto: return "auto";
    case HelperMode::kCthelper: return "cthelper";
    case HelperMode::kCarrier: return "carrier";
  }
  return "?";
}

std::optional<std::string> apply_setting(DaemonConfig& cfg, std::string_view key,
                                         std::string_view value) {
  for (const Key& k : kKeys) {
    if (k.name != key) continue;
    const std::optional<std::string> why = k.set(cfg, value);
    if (!why) return std::nullopt;
    std::string bad = "bad value '" + std::string(value) + "' for " + std::string(key);
    if (!why->empty()) bad += " (" + *why + ")";
    return bad;
  }
  return "unknown key '" + std::string(key) + "'";
}

std::vector<ConfigKeyExample> config_key_examples() {
  std::vector<ConfigKeyExample> out;
  for (const Key& k : kKeys) out.push_back(ConfigKeyExample{k.name, k.example});
  return out;
}

bool repeatable_key(std::string_view key) { return key == "rule"; }

std::optional<ConfigError> apply_config_text(DaemonConfig& cfg, std::string_view text) {
  // Editors on Windows start UTF-8 files with a byte order mark: not part of the first key.
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
  std::vector<std::pair<std::string, int>> seen;  // key, line: each key once
  int line_no = 0;
  while (!text.empty()) {
    ++line_no;
    const size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    line = without_comment(line);
    line = trim(line);
    if (line.empty()) continue;
    const size_t eq = line.find('=');
    if (eq == std::string_view::npos)
      return ConfigError{"line " + std::to_string(line_no) + ": expected 'key = value'"};
    const std::string_view key = trim(line.substr(0, eq));
    for (const auto& [k, first] : seen)
      if (k == key)
        return ConfigError{"line " + std::to_string(line_no) + ": '" + std::string(key) +
                           "' given twice (first on line " + std::to_string(first) + ")"};
    if (!repeatable_key(key)) seen.emplace_back(key, line_no);
    cfg.source_line = static_cast<uint32_t>(line_no);
    auto err = apply_setting(cfg, key, trim(line.substr(eq + 1)));
    cfg.source_line = 0;
    if (err)
      return ConfigError{"line " + std::to_string(line_no) + ": " + *err};
  }
  return std::nullopt;
}

std::string describe_config_keys() {
  std::string out;
  for (const Key& k : kKeys) {
    out += "  ";
    out += k.name;
    out.append(k.name.size() < 30 ? 30 - k.name.size() : 1, ' ');
    out += k.meaning;
    out += '\n';
  }
  return out;
}

}  // namespace ftpgate
