#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <iostream>
#include <string>

#include "app/daemon_commands.h"
#include "daemon/config.h"

namespace ftpgate {

int status_command(int argc, char** argv) {
  std::string path = DaemonConfig{}.status_socket;
  for (int i = 0; i < argc; ++i) {
    if (std::string(argv[i]) == "--socket" && i + 1 < argc) {
      path = argv[++i];
    } else {
      std::cerr << "usage: ftpgate status [--socket PATH]\n";
      return 2;
    }
  }
  const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
  if (fd < 0 || connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    std::cerr << "ftpgate status: cannot reach the daemon at " << path << ": "
              << std::strerror(errno) << " (is 'ftpgate run' running, and are you root?)\n";
    if (fd >= 0) close(fd);
    return 1;
  }
  char buf[4096];
  ssize_t n;
  while ((n = read(fd, buf, sizeof(buf))) > 0) std::cout.write(buf, n);
  close(fd);
  return 0;
}

}  // namespace ftpgate
