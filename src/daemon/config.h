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

namespace ftpgate {

enum class HelperMode : uint8_t { kAuto, kCthelper, kCarrier };
std::string_view helper_mode_name(HelperMode m);

struct DaemonConfig {
  std::vector<uint16_t> queues{0};
  std::vector<uint16_t> control_ports{21};
  HelperMode helper_mode = HelperMode::kAuto;
  Policy policy;
  uint32_t queue_max_len = 4096;  // packets the kernel may hold for us before fail-open accepts
  std::string status_socket = "/run/ftpgate/ftpgate.sock";
  std::string user;  // run as this user after start-up (empty: stay root, CAP_NET_ADMIN only)
  std::string config_file;  // where the settings came from, for SIGHUP reload
};

struct ConfigError {
  std::string message;  // "line 7: unknown key 'queu'"
};

// Applies one "key = value" setting. Returns an error message or nullopt.
std::optional<std::string> apply_setting(DaemonConfig& cfg, std::string_view key,
                                         std::string_view value);
// Applies a whole file's text on top of cfg.
std::optional<ConfigError> apply_config_text(DaemonConfig& cfg, std::string_view text);

// The documented keys with their defaults, one "key = value  # meaning" line each.
std::string describe_config_keys();

}  // namespace ftpgate
