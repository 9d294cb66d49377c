#pragma once
// Where the figures are read: the status Unix socket (root only) and, if configured, a TCP
// port (metrics_address, 127.0.0.1 unless configured). A client that sends an HTTP GET (curl, a Prometheus scraper:
// "GET /metrics HTTP/1.1") gets an HTTP/1.0 response with the Prometheus text
// ("Content-Type: text/plain; version=0.0.4"); a client that sends nothing within
// kRequestWait (ftpgate status) gets the text alone.
//
// Never blocks the packet loop: every socket is non-blocking and lives in the server's own
// epoll set, which the daemon's loop watches as one descriptor (poll() handles what is ready,
// tick() what waited too long). At most kMaxClients are served at once; more are closed at
// once and counted.
//
// A listener added with commands (the root-only status socket, never the TCP port) also takes
// one command line instead of a GET: "TAKEOVER\n" (`ftpgate ha takeover`), answered with what
// the command handler returns.
#include <cstdint>
#include <functional>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/counter_list.h"
#include "core/policy.h"  // Micros

namespace ftpgate {

// X(field, "metric_name")
#define FTPGATE_METRICS_SERVER_COUNTERS(X)                                                     \
  X(answered, "metrics_clients_answered_total")                                              \
  X(refused, "metrics_clients_refused_total")     /* kMaxClients were being served already */ \
  X(timed_out, "metrics_clients_timed_out_total") /* not done after kClientTimeout: closed */

struct MetricsServerCounters {
  FTPGATE_COUNTERS_OF(FTPGATE_METRICS_SERVER_COUNTERS)
};

class MetricsServer {
 public:
  static constexpr size_t kMaxClients = 16;
  static constexpr Micros kRequestWait = 100'000;     // silence that asks for the plain text
  static constexpr Micros kClientTimeout = 2'000'000;  // a client that reads nothing is dropped
  static constexpr size_t kMaxRequestBytes = 2048;     // more of a request is not read

  // `body` makes the text when a client is answered.
  explicit MetricsServer(std::function<std::string()> body);
  ~MetricsServer();
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;

  // Accept clients from this listening socket (non-blocking); the server does not own it.
  // With `commands`, its clients may send a command line for the handler.
  void add_listener(int listener, bool commands = false);
  // Answers a command line ("TAKEOVER"); unset: commands are refused.
  void set_command_handler(std::function<std::string(std::string_view)> handler) {
    command_ = std::move(handler);
  }
  // The descriptor the daemon's loop watches (readable when something here is ready).
  int fd() const { return epoll_; }
  // Handles whatever is ready, without waiting.
  void poll(Micros now);
  // Answers clients that stayed silent for kRequestWait; closes the ones past kClientTimeout.
  void tick(Micros now);

  size_t clients() const { return clients_.size(); }
  const MetricsServerCounters& counters() const { return counters_; }

 private:
  struct Client {
    Micros since = 0;
    std::string request;
    std::string response;  // once answered: what is left to send
    bool answered = false;
    bool commands = false;  // accepted from a listener that takes commands
  };
  void accept_all(int listener, Micros now);
  std::string response_to(const Client& c);
  void read_request(int fd, Client& c);
  void answer(int fd, Client& c);
  // Sends what it can; true when the client is done (all sent, or gone).
  bool send_some(int fd, Client& c);
  void close_client(int fd);

  std::function<std::string()> body_;
  int epoll_ = -1;
  std::function<std::string(std::string_view)> command_;
  std::vector<int> listeners_;  // what poll() accepts clients from
  std::vector<int> command_listeners_;
  std::unordered_map<int, Client> clients_;
  MetricsServerCounters counters_;
};

// A listening TCP socket on address:port (an IPv4 or IPv6 literal; non-blocking), or -1 with
// errno (EINVAL for an address that is not one).
int open_metrics_port(const std::string& address, uint16_t port);
// "127.0.0.1:9821", "[::1]:9821"
std::string listen_address_text(const std::string& address, uint16_t port);

}  // namespace ftpgate
