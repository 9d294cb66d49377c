#pragma once
// A control connection seen from the gateway: who is the FTP client and who the server.
#include <cstdint>
#include <functional>

#include "core/ip_address.h"

namespace ftpgate {

// Which way a segment travels on the control connection.
enum class Direction : uint8_t { kToServer = 0, kToClient = 1 };

inline Direction opposite(Direction d) {
  return d == Direction::kToServer ? Direction::kToClient : Direction::kToServer;
}

struct ControlFlow {
  IpAddress client;
  IpAddress server;
  uint16_t client_port = 0;
  uint16_t server_port = 0;

  friend bool operator==(const ControlFlow&, const ControlFlow&) = default;
  size_t hash() const {
    return client.hash() * 31 + server.hash() * 17 + (size_t{client_port} << 16 | server_port);
  }
};

struct ControlFlowHash {
  size_t operator()(const ControlFlow& f) const { return f.hash(); }
};

}  // namespace ftpgate
