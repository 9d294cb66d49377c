#include "daemon/metrics_endpoint.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <string_view>
#include <vector>

namespace ftpgate {
namespace {

void watch(int epoll, int fd, uint32_t events, int op = EPOLL_CTL_ADD) {
  epoll_event ev{};
  ev.events = events;
  ev.data.fd = fd;
  epoll_ctl(epoll, op, fd, &ev);
}

// The reply to what the client asked: "GET /metrics ..." (or "/") gets HTTP, another GET a
// 404, anything else (nothing at all: ftpgate status) the text alone.
std::string http_response_to(std::string_view req, const std::string& body) {
  if (req.substr(0, 4) != "GET ") return body;
  const std::string_view path = req.substr(4, req.find_first_of(" \r\n", 4) - 4);
  if (path != "/metrics" && path != "/")
    return "HTTP/1.0 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
  return "HTTP/1.0 200 OK\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\n"
         "Content-Length: " + std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
}

}  // namespace

MetricsServer::MetricsServer(std::function<std::string()> body)
    : body_(std::move(body)), epoll_(epoll_create1(EPOLL_CLOEXEC)) {}

MetricsServer::~MetricsServer() {
  for (const auto& [fd, c] : clients_) close(fd);
  if (epoll_ >= 0) close(epoll_);
}

void MetricsServer::add_listener(int listener, bool commands) {
  listeners_.push_back(listener);
  if (commands) command_listeners_.push_back(listener);
  watch(epoll_, listener, EPOLLIN);
}

void MetricsServer::poll(Micros now) {
  epoll_event events[32];
  const int n = epoll_wait(epoll_, events, 32, 0);
  for (int i = 0; i < n; ++i) {
    const int fd = events[i].data.fd;
    if (std::find(listeners_.begin(), listeners_.end(), fd) != listeners_.end()) {
      accept_all(fd, now);
      continue;
    }
    auto it = clients_.find(fd);
    if (it == clients_.end()) continue;
    Client& c = it->second;
    if (!c.answered) read_request(fd, c);
    if (c.answered && send_some(fd, c)) close_client(fd);
  }
}

void MetricsServer::tick(Micros now) {
  std::vector<int> done;
  for (auto& [fd, c] : clients_) {
    if (!c.answered && now - c.since >= kRequestWait) {
      answer(fd, c);
      if (send_some(fd, c)) done.push_back(fd);
    } else if (now - c.since >= kClientTimeout) {
      ++counters_.timed_out;
      done.push_back(fd);
    }
  }
  for (int fd : done) close_client(fd);
}

void MetricsServer::accept_all(int listener, Micros now) {
  for (;;) {
    const int fd = accept4(listener, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) return;  // EAGAIN: nothing more waiting
    if (clients_.size() >= kMaxClients) {
      ++counters_.refused;
      close(fd);
      continue;
    }
    Client& c = clients_[fd];
    c.since = now;
    c.commands = std::find(command_listeners_.begin(), command_listeners_.end(), listener) !=
                 command_listeners_.end();
    watch(epoll_, fd, EPOLLIN | EPOLLRDHUP);
    read_request(fd, c);  // a scraper's request is usually there already
    if (c.answered && send_some(fd, c)) close_client(fd);
  }
}

void MetricsServer::read_request(int fd, Client& c) {
  char buf[512];
  for (;;) {
    const ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
    if (n > 0) {
      c.request.append(buf, static_cast<size_t>(std::min<size_t>(static_cast<size_t>(n),
                                                                 kMaxRequestBytes - c.request.size())));
      // The request line is all that matters; more of it is not kept.
      if (c.request.find('\n') != std::string::npos || c.request.size() >= kMaxRequestBytes)
        return answer(fd, c);
      continue;
    }
    if (n == 0 || (errno != EAGAIN && errno != EINTR)) return answer(fd, c);  // shut its side
    return;                                                                      // wait for more
  }
}

void MetricsServer::answer(int fd, Client& c) {
  c.answered = true;
  c.response = response_to(c);
  ++counters_.answered;
  watch(epoll_, fd, EPOLLOUT, EPOLL_CTL_MOD);
}

std::string MetricsServer::response_to(const Client& c) {
  const std::string_view line = std::string_view(c.request).substr(0, c.request.find_first_of("\r\n"));
  if (line == "TAKEOVER") {
    if (!c.commands || !command_) return "refused: commands are taken on the status socket only\n";
    return command_(line);
  }
  return http_response_to(c.request, body_());
}

bool MetricsServer::send_some(int fd, Client& c) {
  while (!c.response.empty()) {
    const ssize_t n = send(fd, c.response.data(), c.response.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n > 0) {
      c.response.erase(0, static_cast<size_t>(n));
      continue;
    }
    return !(n < 0 && (errno == EAGAIN || errno == EINTR));  // full: wait for EPOLLOUT
  }
  return true;
}

void MetricsServer::close_client(int fd) {
  epoll_ctl(epoll_, EPOLL_CTL_DEL, fd, nullptr);
  close(fd);
  clients_.erase(fd);
}

int open_metrics_port(const std::string& address, uint16_t port) {
  sockaddr_storage ss{};
  socklen_t len = 0;
  if (auto* a4 = reinterpret_cast<sockaddr_in*>(&ss); inet_pton(AF_INET, address.c_str(), &a4->sin_addr) == 1) {
    a4->sin_family = AF_INET;
    a4->sin_port = htons(port);
    len = sizeof(sockaddr_in);
  } else if (auto* a6 = reinterpret_cast<sockaddr_in6*>(&ss); inet_pton(AF_INET6, address.c_str(), &a6->sin6_addr) == 1) {
    a6->sin6_family = AF_INET6;
    a6->sin6_port = htons(port);
    len = sizeof(sockaddr_in6);
  } else {
    errno = EINVAL;
    return -1;
  }
  const int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  const int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (ss.ss_family == AF_INET6) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
  if (bind(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0 || listen(fd, 8) != 0) {
    const int e = errno;
    close(fd);
    errno = e;
    return -1;
  }
  return fd;
}

std::string listen_address_text(const std::string& address, uint16_t port) {
  const bool v6 = address.find(':') != std::string::npos;
  return (v6 ? "[" + address + "]" : address) + ":" + std::to_string(port);
}

}  // namespace ftpgate
