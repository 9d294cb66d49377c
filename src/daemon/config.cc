#include "daemon/config.h"

#include <charconv>

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

bool parse_bool(std::string_view v, bool& out) {
  if (v == "yes" || v == "true" || v == "on" || v == "1") return out = true, true;
  if (v == "no" || v == "false" || v == "off" || v == "0") return out = false, true;
  return false;
}

struct Key {
  std::string_view name;
  std::string_view meaning;
};
constexpr Key kKeys[] = {
    {"queue", "NFQUEUE number or range (0, or 0-3 for several CPUs)"},
    {"ports", "FTP control ports (21,2121)"},
    {"helper_mode", "auto | cthelper | carrier: how control connections get a conntrack helper"},
    {"queue_max_len", "packets the kernel holds for ftpgate before accepting without inspection"},
    {"status_socket", "Unix socket for 'ftpgate status' and HTTP metrics scrapes (root only)"},
    {"metrics_port", "also serve Prometheus metrics on 127.0.0.1:PORT (0 = off)"},
    {"user", "run as this user once the sockets are bound (keeps only CAP_NET_ADMIN)"},
    {"log_format", "text | json: one line per decision on standard error"},
    {"loose", "no | yes: admit data connections to third-party addresses (bounce) if yes"},
    {"min_data_port", "data ports below this are refused (0 = allow all)"},
    {"require_pending_passive", "227/228/229 only as the answer to PASV/LPSV/EPSV"},
    {"refuse_wrong_direction", "refuse replies from the client side, commands from the server"},
    {"refuse_unanswered_port", "refuse a PORT while the previous one is unanswered"},
    {"expectation_timeout", "seconds an expectation waits for its data connection"},
    {"max_expectations_per_session", "outstanding per control connection; newest replaces oldest"},
    {"max_expectations_total", "outstanding in total; keep below nf_conntrack_expect_max"},
    {"max_line_length", "longest control line; raise if line_too_long hits long path names"},
    {"max_out_of_order_bytes", "per direction, while a segment is missing"},
    {"max_pending_commands", "unanswered pipelined commands remembered (at most 64)"},
    {"max_reports_per_session", "log lines of refusals per session; later ones are only counted"},
    {"max_sessions", "control connections tracked at once"},
    {"max_user_name_length", "USER names longer than this are cut in the log (counted)"},
    {"session_idle_timeout", "seconds without a packet before a session is forgotten"},
    {"nat", "yes | no: rewrite endpoints on NATed control connections (as nf_nat_ftp)"},
    {"nat_port_attempts", "data ports tried when the announced one is taken (1-4096)"},
    {"max_held_packets", "segments held for the rest of a split endpoint line (0 = never hold)"},
    {"nat_hold_timeout_ms", "how long a held segment waits before release unchanged"},
};

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
  Policy& p = cfg.policy;
  const std::string bad = "bad value '" + std::string(value) + "' for " + std::string(key);
  if (key == "queue") {
    auto q = parse_queue_range(value);
    if (!q) return bad + " (a queue number, or a range N-M of at most 64 queues)";
    cfg.queues = *q;
  } else if (key == "ports") {
    auto ports = parse_port_list(value);
    if (!ports) return bad + " (a list like 21,2121)";
    cfg.control_ports = *ports;
  } else if (key == "helper_mode") {
    if (value == "auto") cfg.helper_mode = HelperMode::kAuto;
    else if (value == "cthelper") cfg.helper_mode = HelperMode::kCthelper;
    else if (value == "carrier") cfg.helper_mode = HelperMode::kCarrier;
    else return bad + " (auto, cthelper or carrier)";
  } else if (key == "queue_max_len") {
    if (!parse_number<uint32_t>(value, cfg.queue_max_len, 1, 1u << 20)) return bad;
  } else if (key == "status_socket") {
    if (value.empty() || value[0] != '/') return bad + " (an absolute path)";
    cfg.status_socket = value;
  } else if (key == "metrics_port") {
    if (!parse_number<uint16_t>(value, cfg.metrics_port, 0, 65535)) return bad + " (0-65535)";
  } else if (key == "user") {
    if (value.empty() || value.find_first_of(" /:") != std::string_view::npos) return bad;
    cfg.user = value;
  } else if (key == "log_format") {
    if (value == "text") cfg.log_format = LogFormat::kText;
    else if (value == "json") cfg.log_format = LogFormat::kJson;
    else return bad + " (text or json)";
  } else if (key == "max_user_name_length") {
    if (!parse_number<uint32_t>(value, p.max_user_name_length, 1, 1024)) return bad + " (1-1024)";
  } else if (key == "loose") {
    bool loose;
    if (!parse_bool(value, loose)) return bad + " (yes or no)";
    p.require_peer_address = !loose;
  } else if (key == "min_data_port") {
    if (!parse_number<uint16_t>(value, p.min_data_port, 0, 65535)) return bad;
  } else if (key == "require_pending_passive") {
    if (!parse_bool(value, p.require_pending_passive)) return bad + " (yes or no)";
  } else if (key == "refuse_wrong_direction") {
    if (!parse_bool(value, p.refuse_wrong_direction)) return bad + " (yes or no)";
  } else if (key == "refuse_unanswered_port") {
    if (!parse_bool(value, p.refuse_unanswered_port)) return bad + " (yes or no)";
  } else if (key == "expectation_timeout") {
    uint32_t s;
    if (!parse_number<uint32_t>(value, s, 1, 3600)) return bad + " (1-3600 seconds)";
    p.expectation_timeout = Micros{s} * 1'000'000;
  } else if (key == "max_expectations_per_session") {
    if (!parse_number<uint32_t>(value, p.max_expectations_per_session, 1, 64)) return bad + " (1-64)";
  } else if (key == "max_expectations_total") {
    if (!parse_number<uint32_t>(value, p.max_expectations_total, 1, 1u << 24)) return bad;
  } else if (key == "max_line_length") {
    if (!parse_number<uint32_t>(value, p.max_line_length, 64, 1u << 20)) return bad + " (64-1048576)";
  } else if (key == "max_out_of_order_bytes") {
    if (!parse_number<uint32_t>(value, p.max_out_of_order_bytes, 0, 1u << 24)) return bad;
  } else if (key == "max_pending_commands") {
    if (!parse_number<uint32_t>(value, p.max_pending_commands, 1, 64)) return bad + " (1-64)";
  } else if (key == "max_reports_per_session") {
    if (!parse_number<uint32_t>(value, p.max_reports_per_session, 1, 1u << 20)) return bad;
  } else if (key == "max_sessions") {
    if (!parse_number<uint32_t>(value, p.max_sessions, 1, 1u << 24)) return bad;
  } else if (key == "session_idle_timeout") {
    uint32_t s;
    if (!parse_number<uint32_t>(value, s, 1, 30 * 86400)) return bad;
    p.session_idle_timeout = Micros{s} * 1'000'000;
  } else if (key == "nat") {
    if (!parse_bool(value, cfg.nat.rewrite)) return bad + " (yes or no)";
  } else if (key == "nat_port_attempts") {
    if (!parse_number<uint32_t>(value, cfg.nat.port_attempts, 1, 4096)) return bad + " (1-4096)";
  } else if (key == "max_held_packets") {
    if (!parse_number<uint32_t>(value, cfg.nat.max_held_packets, 0, 4096)) return bad + " (0-4096)";
  } else if (key == "nat_hold_timeout_ms") {
    uint32_t ms;
    if (!parse_number<uint32_t>(value, ms, 1, 10'000)) return bad + " (1-10000 ms)";
    cfg.nat.hold_timeout = Micros{ms} * 1000;
  } else {
    return "unknown key '" + std::string(key) + "'";
  }
  return std::nullopt;
}

std::optional<ConfigError> apply_config_text(DaemonConfig& cfg, std::string_view text) {
  int line_no = 0;
  while (!text.empty()) {
    ++line_no;
    const size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    if (const size_t hash = line.find('#'); hash != std::string_view::npos) line = line.substr(0, hash);
    line = trim(line);
    if (line.empty()) continue;
    const size_t eq = line.find('=');
    if (eq == std::string_view::npos)
      return ConfigError{"line " + std::to_string(line_no) + ": expected 'key = value'"};
    if (auto err = apply_setting(cfg, trim(line.substr(0, eq)), trim(line.substr(eq + 1))))
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
