#include "daemon/metrics_endpoint.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string_view>

namespace ftpgate {
namespace {

void write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = write(fd, data.data(), data.size());
    if (n <= 0) return;  // the client went away
    data.remove_prefix(static_cast<size_t>(n));
  }
}

}  // namespace

void answer_metrics_client(int fd, const std::string& body) {
  char request[2048];
  ssize_t n = 0;
  pollfd p{fd, POLLIN, 0};
  if (poll(&p, 1, kRequestWaitMillis) == 1) n = recv(fd, request, sizeof(request), MSG_DONTWAIT);
  const std::string_view req(request, n > 0 ? static_cast<size_t>(n) : 0);
  if (req.substr(0, 4) == "GET ") {
    const std::string_view path = req.substr(4, req.find(' ', 4) - 4);
    std::string head;
    if (path == "/metrics" || path == "/") {
      head = "HTTP/1.0 200 OK\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\n"
             "Content-Length: " + std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n";
      write_all(fd, head);
      write_all(fd, body);
    } else {
      write_all(fd, "HTTP/1.0 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    }
  } else {
    write_all(fd, body);
  }
  close(fd);
}

int open_metrics_port(uint16_t port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  const int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);  // never reachable from the network
  if (bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0 || listen(fd, 8) != 0) {
    const int e = errno;
    close(fd);
    errno = e;
    return -1;
  }
  return fd;
}

}  // namespace ftpgate
