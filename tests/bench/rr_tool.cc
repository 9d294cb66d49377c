// Request/response round-trip timer for the live latency benchmark.
//   rr_tool server ADDRESS PORT             answers each "NOOP\r\n" with "200 NOOP ok.\r\n"
//   rr_tool client ADDRESS PORT COUNT       sends COUNT NOOPs one at a time on one connection,
//                                           prints "median_us p99_us mean_us" of the round trips
//   rr_tool flood ADDRESS PORT CONNS SECS   CONNS connections, each sending NOOPs back to back
//                                           for SECS seconds; prints "exchanges median_us p99_us
//                                           p999_us max_us failed_connections"
// The exchange is FTP-shaped so ftpgate parses real lines. TCP_NODELAY on both ends.
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

namespace {

int connect_or_listen(const char* host, const char* port, bool listen_mode) {
  addrinfo hints{}, *res = nullptr;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = listen_mode ? AI_PASSIVE : 0;
  if (getaddrinfo(host, port, &hints, &res) != 0) return -1;
  const int fd = socket(res->ai_family, SOCK_STREAM, 0);
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  const int rc = listen_mode ? bind(fd, res->ai_addr, res->ai_addrlen) : connect(fd, res->ai_addr, res->ai_addrlen);
  freeaddrinfo(res);
  if (rc != 0 || (listen_mode && listen(fd, 64) != 0)) return -1;
  return fd;
}

bool read_line(int fd) {
  char c;
  while (true) {
    if (read(fd, &c, 1) != 1) return false;
    if (c == '\n') return true;
  }
}

void serve(int conn) {
  int one = 1;
  setsockopt(conn, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  static const char kBanner[] = "220 rr_tool ready\r\n";
  static const char kReply[] = "200 NOOP ok.\r\n";
  if (write(conn, kBanner, sizeof(kBanner) - 1) < 0) return;
  while (read_line(conn))
    if (write(conn, kReply, sizeof(kReply) - 1) < 0) break;
  close(conn);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc >= 4 && std::strcmp(argv[1], "server") == 0) {
    const int fd = connect_or_listen(argv[2], argv[3], true);
    if (fd < 0) return perror("listen"), 1;
    while (true) {
      const int c = accept(fd, nullptr, nullptr);
      if (c >= 0) std::thread(serve, c).detach();
    }
  }
  if (argc >= 5 && std::strcmp(argv[1], "client") == 0) {
    const int fd = connect_or_listen(argv[2], argv[3], false);
    if (fd < 0) return perror("connect"), 1;
    const int count = std::atoi(argv[4]);
    if (!read_line(fd)) return 1;  // banner
    std::vector<double> us;
    us.reserve(count);
    static const char kNoop[] = "NOOP\r\n";
    for (int i = 0; i < count; ++i) {
      const auto t0 = std::chrono::steady_clock::now();
      if (write(fd, kNoop, sizeof(kNoop) - 1) < 0 || !read_line(fd)) return 1;
      us.push_back(std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count());
    }
    close(fd);
    std::sort(us.begin(), us.end());
    double sum = 0;
    for (double v : us) sum += v;
    std::printf("%.1f %.1f %.1f\n", us[us.size() / 2], us[us.size() * 99 / 100], sum / static_cast<double>(us.size()));
    return 0;
  }
  if (argc >= 6 && std::strcmp(argv[1], "flood") == 0) {
    const int conns = std::atoi(argv[4]);
    const double secs = std::atof(argv[5]);
    std::vector<std::vector<double>> per(static_cast<size_t>(conns));
    std::vector<int> failed(static_cast<size_t>(conns), 0);
    std::vector<std::thread> threads;
    const auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(secs);
    for (int c = 0; c < conns; ++c) {
      threads.emplace_back([&, c] {
        const int fd = connect_or_listen(argv[2], argv[3], false);
        if (fd < 0 || !read_line(fd)) {
          failed[static_cast<size_t>(c)] = 1;
          return;
        }
        static const char kNoop[] = "NOOP\r\n";
        while (std::chrono::steady_clock::now() < end) {
          const auto t0 = std::chrono::steady_clock::now();
          if (write(fd, kNoop, sizeof(kNoop) - 1) < 0 || !read_line(fd)) {
            failed[static_cast<size_t>(c)] = 1;
            break;
          }
          per[static_cast<size_t>(c)].push_back(
              std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count());
        }
        close(fd);
      });
    }
    for (auto& t : threads) t.join();
    std::vector<double> all;
    for (auto& v : per) all.insert(all.end(), v.begin(), v.end());
    int nfailed = 0;
    for (int f : failed) nfailed += f;
    if (all.empty()) return std::printf("0 0 0 0 0 %d\n", nfailed), 1;
    std::sort(all.begin(), all.end());
    const size_t n = all.size();
    std::printf("%zu %.1f %.1f %.1f %.1f %d\n", n, all[n / 2], all[n * 99 / 100], all[n * 999 / 1000],
                all.back(), nfailed);
    return 0;
  }
  std::fprintf(stderr, "usage: rr_tool server ADDRESS PORT | client ADDRESS PORT COUNT | "
                       "flood ADDRESS PORT CONNS SECS\n");
  return 2;
}
