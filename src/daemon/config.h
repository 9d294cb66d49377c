#pragma once
// The daemon's settings: a file of "key = value" lines (# comments) and command-line flags for
// the same keys (--key value). Unknown keys and bad values are rejected with the line number.
// Keys, defaults and meaning: docs in README.md ("Configuration") and scripts/ftpgate.conf.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/policy.h"
#include "daemon/decision_log.h"

namespace ftpgate {

enum class HelperMode : uint8_t { kAuto, kCthelper, kCarrier };
std::string_view helper_mode_name(HelperMode m);

// Rewriting of PORT/EPRT/LPRT/227/228/229 on control connections the kernel NATs.
struct NatSettings {
  bool rewrite = true;            // off: NATed sessions get expectations without NAT, no rewrite
  // Ports tried for the data connection when the announced one is expected already (by another
  // control connection behind the same address): the announced port, then the next ones.
  uint32_t port_attempts = 128;
  // Segments held back (not yet released) because they end in an unfinished endpoint line.
  uint32_t max_held_packets = 64;
  // How long a held segment waits for the rest of its line before it is released unchanged.
  Micros hold_timeout = 500'000;
};

struct DaemonConfig {
  std::vector<uint16_t> queues{0};
  std::vector<uint16_t> control_ports{21};
  HelperMode helper_mode = HelperMode::kAuto;
  Policy policy;
  NatSettings nat;
  uint32_t queue_max_len = 4096;  // packets the kernel may hold for us before fail-open accepts
  uint32_t verdict_batch = 32;    // plain verdicts per sendmsg (kernel/verdict_batch.h)
  // No fail-open anywhere (config fail_closed; rules.sh --fail-closed for the queue rules): the
  // queue is bound without NFQA_CFG_F_FAIL_OPEN (a full queue drops, it never passes packets
  // unjudged) and a packet the daemon fails on is dropped, not accepted. The cost: while the
  // daemon is down or overloaded, FTP control connections stall instead of flowing unjudged.
  bool fail_closed = false;
  std::string status_socket = "/run/ftpgate/ftpgate.sock";
  uint16_t metrics_port = 0;  // Prometheus on metrics_address:metrics_port (0: Unix socket only)
  std::string metrics_address = "127.0.0.1";
  LogFormat log_format = LogFormat::kText;
  std::string user;  // run as this user after start-up (empty: stay root, CAP_NET_ADMIN only)
  std::string config_file;  // where the settings came from, for SIGHUP reload
  // Conntrack mark bit(s) set on a denied session's connection; the shipped rules reset
  // connections carrying them (rules/: "ct mark and MARK == MARK reject with tcp reset").
  uint32_t enforce_mark = 0x40000000;
  std::string audit_log;  // the transfer audit log's path (empty: no audit)
  uint32_t source_line = 0;  // config file line being applied (given to rules; 0: command line)
  // Each command rule's name, in the rules' order ("name NAME" in the rule, else its text):
  // the label of its hit counter, stable when other lines of the file change.
  std::vector<std::string> rule_names;
};

struct ConfigError {
  std::string message;  // "line 7: unknown key 'queu'"
};

// Applies one "key = value" setting. Returns an error message or nullopt.
std::optional<std::string> apply_setting(DaemonConfig& cfg, std::string_view key,
                                         std::string_view value);
// Keys that may be given more than once (each `rule` adds one); any other key twice is an error.
bool repeatable_key(std::string_view key);
// Applies a whole file's text on top of cfg.
std::optional<ConfigError> apply_config_text(DaemonConfig& cfg, std::string_view text);

// The documented keys with their defaults, one "key = value  # meaning" line each.
std::string describe_config_keys();
// Every key with a valid example value (what tests set, one per key).
struct ConfigKeyExample {
  std::string_view key;
  std::string_view value;
};
std::vector<ConfigKeyExample> config_key_examples();

}  // namespace ftpgate
