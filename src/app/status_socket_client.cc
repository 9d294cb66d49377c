#include "app/status_socket_client.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace ftpgate {

int ask_daemon(const std::string& socket_path, std::string_view request, std::string& reply) {
  reply.clear();
  const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return errno;
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, socket_path.c_str(), sizeof(addr.sun_path) - 1);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      (!request.empty() && write(fd, request.data(), request.size()) != static_cast<ssize_t>(request.size()))) {
    const int err = errno;
    close(fd);
    return err;
  }
  shutdown(fd, SHUT_WR);  // the request is complete (none at all: the bare figures at once)
  char buf[4096];
  ssize_t n;
  while ((n = read(fd, buf, sizeof(buf))) > 0) reply.append(buf, static_cast<size_t>(n));
  close(fd);
  return 0;
}

}  // namespace ftpgate
