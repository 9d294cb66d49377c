#pragma once
// The client side of the daemon's status socket (daemon/metrics_endpoint.h): sends one request
// (nothing: the figures; "TAKEOVER\n": a command), reads the whole answer.
#include <string>
#include <string_view>

namespace ftpgate {

// 0 with the daemon's answer in `reply`, or the errno of the connection that failed.
int ask_daemon(const std::string& socket_path, std::string_view request, std::string& reply);

}  // namespace ftpgate
