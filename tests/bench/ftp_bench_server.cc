// A minimal FTP server for load benchmarks: one thread, epoll, every socket non-blocking, so it
// keeps up with far more sessions than a fork-per-session server (vsftpd) and the gateway under
// test, not the server, sets the pace. The end-to-end tests use real servers; this one only
// speaks what the load generator (ftp_load.cc) asks:
//   USER, PASS, TYPE, SYST, NOOP, PASV (227), EPSV (229), PORT, EPRT, RETR, QUIT
// RETR sends BYTES bytes whatever the name, then closes the data connection and answers 226.
//   ftp_bench_server ADDRESS PORT BYTES
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <unordered_map>

namespace {

int epfd = -1;
size_t file_bytes = 1000;
sockaddr_storage server_addr{};  // the control listener's address (data sockets bind to it, port 0)
socklen_t server_addr_len = 0;

void watch(int fd, uint32_t events, bool modify = false) {
  epoll_event ev{};
  ev.events = events;
  ev.data.fd = fd;
  epoll_ctl(epfd, modify ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, fd, &ev);
}

// Waits for `fd` to be writable, whether it is watched already or not.
void watch_writable(int fd) {
  epoll_event ev{};
  ev.events = EPOLLOUT;
  ev.data.fd = fd;
  if (epoll_ctl(epfd, EPOLL_CTL_MOD, fd, &ev) != 0) epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev);
}

struct Control;

// A data connection (or its listener, for PASV/EPSV) of one control connection.
struct Data {
  Control* control = nullptr;
  bool listening = false;
  size_t sent = 0;
};

struct Control {
  int fd = -1;
  std::string in;
  std::string out;  // replies not yet written
  int listener = -1;                 // PASV/EPSV
  sockaddr_storage active{};         // PORT/EPRT target
  socklen_t active_len = 0;
  int data = -1;                     // the open data connection
  bool retr_pending = false;         // RETR seen; send once the data connection is there
  bool quitting = false;
};

std::unordered_map<int, std::unique_ptr<Control>> controls;
std::unordered_map<int, Data> datas;  // data sockets and listeners, by fd

void close_data(Control& c) {
  if (c.data >= 0) {
    datas.erase(c.data);
    close(c.data);
    c.data = -1;
  }
  if (c.listener >= 0) {
    datas.erase(c.listener);
    close(c.listener);
    c.listener = -1;
  }
}

void reply(Control& c, const std::string& text) {
  c.out += text;
  c.out += "\r\n";
  const ssize_t n = write(c.fd, c.out.data(), c.out.size());
  if (n > 0) c.out.erase(0, static_cast<size_t>(n));
  if (!c.out.empty()) watch(c.fd, EPOLLIN | EPOLLOUT, true);
}

void close_control(int fd) {
  auto it = controls.find(fd);
  if (it == controls.end()) return;
  close_data(*it->second);
  controls.erase(it);
  close(fd);
}

// Writes what is left of the file; at its end, closes the data connection and answers 226.
void pump(Control& c) {
  static const std::string chunk(65536, 'x');
  Data& d = datas[c.data];
  while (d.sent < file_bytes) {
    const size_t want = std::min(chunk.size(), file_bytes - d.sent);
    const ssize_t n = write(c.data, chunk.data(), want);
    if (n < 0) {
      if (errno == EAGAIN) return watch_writable(c.data);
      close_data(c);
      return reply(c, "426 Connection closed; transfer aborted.");
    }
    d.sent += static_cast<size_t>(n);
  }
  close_data(c);
  reply(c, "226 Transfer complete.");
}

void start_transfer(Control& c) {
  c.retr_pending = false;
  reply(c, "150 Opening BINARY mode data connection.");
  datas[c.data] = Data{&c, false, 0};
  pump(c);
}

int open_listener() {
  const int fd = socket(server_addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK, 0);
  sockaddr_storage a = server_addr;
  if (a.ss_family == AF_INET) reinterpret_cast<sockaddr_in&>(a).sin_port = 0;
  else reinterpret_cast<sockaddr_in6&>(a).sin6_port = 0;
  if (bind(fd, reinterpret_cast<sockaddr*>(&a), server_addr_len) != 0 || listen(fd, 4) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

uint16_t port_of(int fd) {
  sockaddr_storage a{};
  socklen_t len = sizeof(a);
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  return ntohs(a.ss_family == AF_INET ? reinterpret_cast<sockaddr_in&>(a).sin_port
                                      : reinterpret_cast<sockaddr_in6&>(a).sin6_port);
}

void command(Control& c, const std::string& line) {
  const std::string verb = line.substr(0, line.find(' '));
  const std::string arg = line.find(' ') == std::string::npos ? "" : line.substr(line.find(' ') + 1);
  if (verb == "USER") return reply(c, "331 Password please.");
  if (verb == "PASS") return reply(c, "230 Logged in.");
  if (verb == "TYPE") return reply(c, "200 Type set.");
  if (verb == "SYST") return reply(c, "215 UNIX Type: L8");
  if (verb == "NOOP") return reply(c, "200 NOOP ok.");
  if (verb == "QUIT") {
    c.quitting = true;
    return reply(c, "221 Goodbye.");
  }
  if (verb == "PASV" || verb == "EPSV") {
    close_data(c);
    c.listener = open_listener();
    if (c.listener < 0) return reply(c, "425 Cannot listen.");
    datas[c.listener] = Data{&c, true, 0};
    watch(c.listener, EPOLLIN);
    const uint16_t p = port_of(c.listener);
    if (verb == "EPSV") return reply(c, "229 Entering Extended Passive Mode (|||" + std::to_string(p) + "|)");
    const auto* a4 = reinterpret_cast<const uint8_t*>(&reinterpret_cast<sockaddr_in&>(server_addr).sin_addr);
    char text[96];
    std::snprintf(text, sizeof(text), "227 Entering Passive Mode (%u,%u,%u,%u,%u,%u).", a4[0], a4[1], a4[2],
                  a4[3], p >> 8, p & 0xff);
    return reply(c, text);
  }
  if (verb == "PORT") {
    unsigned h[6];
    if (std::sscanf(arg.c_str(), "%u,%u,%u,%u,%u,%u", &h[0], &h[1], &h[2], &h[3], &h[4], &h[5]) != 6)
      return reply(c, "501 Bad PORT.");
    close_data(c);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(h[0] << 24 | h[1] << 16 | h[2] << 8 | h[3]);
    a.sin_port = htons(static_cast<uint16_t>(h[4] << 8 | h[5]));
    std::memcpy(&c.active, &a, sizeof(a));
    c.active_len = sizeof(a);
    return reply(c, "200 PORT ok.");
  }
  if (verb == "RETR") {
    if (c.active_len != 0) {  // active: connect to the client now
      c.data = socket(c.active.ss_family, SOCK_STREAM | SOCK_NONBLOCK, 0);
      int one = 1;
      setsockopt(c.data, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
      c.active_len = 0;
      if (connect(c.data, reinterpret_cast<sockaddr*>(&c.active), sizeof(sockaddr_in)) != 0 && errno != EINPROGRESS) {
        close(c.data);
        c.data = -1;
        return reply(c, "425 Cannot open data connection.");
      }
      datas[c.data] = Data{&c, false, 0};
      c.retr_pending = true;
      return watch(c.data, EPOLLOUT);  // connected when writable
    }
    if (c.data >= 0) return start_transfer(c);
    if (c.listener >= 0) {
      c.retr_pending = true;  // the client connects after RETR
      return;
    }
    return reply(c, "425 Use PASV or PORT first.");
  }
  reply(c, "502 Not implemented.");
}

void on_control(Control& c, uint32_t events) {
  if (events & EPOLLOUT) {
    const ssize_t n = write(c.fd, c.out.data(), c.out.size());
    if (n > 0) c.out.erase(0, static_cast<size_t>(n));
    if (c.out.empty()) watch(c.fd, EPOLLIN, true);
  }
  if (!(events & (EPOLLIN | EPOLLHUP | EPOLLERR))) return;
  char buf[4096];
  const ssize_t n = read(c.fd, buf, sizeof(buf));
  if (n <= 0) {
    if (n < 0 && errno == EAGAIN) return;
    return close_control(c.fd);
  }
  c.in.append(buf, static_cast<size_t>(n));
  size_t nl;
  while ((nl = c.in.find('\n')) != std::string::npos) {
    std::string line = c.in.substr(0, nl);
    c.in.erase(0, nl + 1);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    command(c, line);
    if (c.quitting && c.out.empty()) return close_control(c.fd);
  }
}

void on_data(int fd, uint32_t events) {
  Data d = datas[fd];
  Control& c = *d.control;
  if (d.listening) {
    const int conn = accept4(fd, nullptr, nullptr, SOCK_NONBLOCK);
    if (conn < 0) return;
    datas.erase(fd);
    close(fd);
    c.listener = -1;
    c.data = conn;
    datas[conn] = Data{&c, false, 0};
    if (c.retr_pending) start_transfer(c);
    return;
  }
  if (events & (EPOLLERR | EPOLLHUP)) {
    close_data(c);
    c.retr_pending = false;
    return reply(c, "425 Cannot open data connection.");
  }
  if (c.retr_pending) return start_transfer(c);  // an active connect completed
  pump(c);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: ftp_bench_server ADDRESS PORT BYTES\n");
    return 2;
  }
  signal(SIGPIPE, SIG_IGN);
  rlimit nofile{1 << 17, 1 << 17};
  setrlimit(RLIMIT_NOFILE, &nofile);
  file_bytes = std::strtoul(argv[3], nullptr, 10);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(std::atoi(argv[2])));
  if (inet_pton(AF_INET, argv[1], &a.sin_addr) != 1) return std::fprintf(stderr, "IPv4 address wanted\n"), 2;
  std::memcpy(&server_addr, &a, sizeof(a));
  server_addr_len = sizeof(a);
  const int lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  int one = 1;
  setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (bind(lfd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0 || listen(lfd, 4096) != 0)
    return perror("listen"), 1;
  epfd = epoll_create1(0);
  watch(lfd, EPOLLIN);
  epoll_event events[256];
  for (;;) {
    const int n = epoll_wait(epfd, events, 256, -1);
    for (int i = 0; i < n; ++i) {
      const int fd = events[i].data.fd;
      if (fd == lfd) {
        int conn;
        while ((conn = accept4(lfd, nullptr, nullptr, SOCK_NONBLOCK)) >= 0) {
          setsockopt(conn, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
          auto c = std::make_unique<Control>();
          c->fd = conn;
          Control& ref = *c;
          controls[conn] = std::move(c);
          watch(conn, EPOLLIN);
          reply(ref, "220 ftp_bench_server ready.");
        }
      } else if (auto it = controls.find(fd); it != controls.end()) {
        on_control(*it->second, events[i].events);
      } else if (datas.count(fd) != 0) {
        on_data(fd, events[i].events);
      }
    }
  }
}
