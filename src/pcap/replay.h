#pragma once
// `ftpgate replay`: runs the engine over capture files and prints one JSON object per line.
#include <cstdint>
#include <ostream>
#include <string>
#include <vector>

#include "core/policy.h"

#include "core/ip_address.h"

namespace ftpgate {

// One NAT mapping the capture was taken behind: `inside` is announced as `outside`.
struct NatMapping {
  IpAddress inside;
  IpAddress outside;
};

struct ReplayOptions {
  std::vector<uint16_t> control_ports{21};
  Policy policy;
  // With mappings, each expectation whose announced address is mapped shows the rewrite the
  // daemon would make ("rewrite": {"old": ..., "new": ...}; the port kept as announced).
  std::vector<NatMapping> nat;
  std::vector<std::string> files;
};

// Exit status: 0 all files read, 1 a file was truncated (what it held was processed),
// 2 a file could not be opened or is not a capture (message on `err`).
int run_replay(const ReplayOptions& options, std::ostream& out, std::ostream& err);

}  // namespace ftpgate
