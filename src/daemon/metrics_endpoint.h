#pragma once
// Where the figures are read: the status Unix socket (root only) and, if configured, a TCP
// port on 127.0.0.1. A client that sends an HTTP GET (curl, a Prometheus scraper:
// "GET /metrics HTTP/1.1") gets an HTTP/1.0 response with the Prometheus text
// ("Content-Type: text/plain; version=0.0.4"); a client that sends nothing within
// kRequestWaitMillis (ftpgate status) gets the text alone.
#include <cstdint>
#include <string>

namespace ftpgate {

inline constexpr int kRequestWaitMillis = 100;  // bounds how long one client can hold the loop

// Answers one accepted client and closes it.
void answer_metrics_client(int fd, const std::string& body);
// A listening TCP socket on 127.0.0.1:port (non-blocking), or -1 with errno.
int open_metrics_port(uint16_t port);

}  // namespace ftpgate
