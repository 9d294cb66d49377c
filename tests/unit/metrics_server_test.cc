// The metrics server never waits for a client: a silent client, a slow one and too many at
// once cost the packet loop nothing (v1 waited up to 100 ms per accepted client, in the loop).
#include "daemon/metrics_endpoint.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace ftpgate {
namespace {

class UnixListener {
 public:
  UnixListener() {
    char dir[] = "/tmp/ftpgate-metrics-XXXXXX";
    dir_ = mkdtemp(dir);
    path_ = dir_ + "/s.sock";
    fd_ = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::strncpy(a.sun_path, path_.c_str(), sizeof(a.sun_path) - 1);
    EXPECT_EQ(bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof(a)), 0);
    EXPECT_EQ(listen(fd_, 64), 0);
  }
  ~UnixListener() {
    close(fd_);
    unlink(path_.c_str());
    rmdir(dir_.c_str());
  }
  int fd() const { return fd_; }
  // A connected client socket (non-blocking).
  int connect_client() const {
    const int c = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::strncpy(a.sun_path, path_.c_str(), sizeof(a.sun_path) - 1);
    EXPECT_EQ(connect(c, reinterpret_cast<sockaddr*>(&a), sizeof(a)), 0);
    return c;
  }

 private:
  std::string dir_, path_;
  int fd_ = -1;
};

// Everything the client has been sent so far (non-blocking).
std::string received(int fd) {
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0) out.append(buf, static_cast<size_t>(n));
  return out;
}

TEST(MetricsServer, SilentClientDoesNotDelayOthersAndGetsTheTextLater) {
  UnixListener l;
  int bodies = 0;
  MetricsServer server([&] {
    ++bodies;
    return std::string("ftpgate_packets_total 7\n");
  });
  server.add_listener(l.fd());
  const int silent = l.connect_client();
  const int scraper = l.connect_client();
  const std::string get = "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n";
  ASSERT_EQ(send(scraper, get.data(), get.size(), 0), static_cast<ssize_t>(get.size()));
  server.poll(1'000'000);  // returns without waiting for the silent one
  const std::string http = received(scraper);
  EXPECT_EQ(http.rfind("HTTP/1.0 200 OK\r\n", 0), 0u) << http;
  EXPECT_NE(http.find("\r\n\r\nftpgate_packets_total 7\n"), std::string::npos);
  EXPECT_EQ(received(silent), "");
  EXPECT_EQ(server.clients(), 1u);
  server.tick(1'000'000 + MetricsServer::kRequestWait - 1);
  EXPECT_EQ(received(silent), "");
  server.tick(1'000'000 + MetricsServer::kRequestWait);
  EXPECT_EQ(received(silent), "ftpgate_packets_total 7\n");
  EXPECT_EQ(server.clients(), 0u);
  EXPECT_EQ(server.counters().answered, 2u);
  EXPECT_EQ(bodies, 2);
  close(silent);
  close(scraper);
}

TEST(MetricsServer, UnknownPathIs404) {
  UnixListener l;
  MetricsServer server([] { return std::string("x\n"); });
  server.add_listener(l.fd());
  const int c = l.connect_client();
  const std::string get = "GET /secret HTTP/1.0\r\n\r\n";
  send(c, get.data(), get.size(), 0);
  server.poll(0);
  EXPECT_EQ(received(c).rfind("HTTP/1.0 404 Not Found", 0), 0u);
  close(c);
}

TEST(MetricsServer, CommandsAreTakenOnlyFromTheCommandListener) {
  UnixListener status, port;
  MetricsServer server([] { return std::string("x\n"); });
  server.add_listener(status.fd(), true);
  server.add_listener(port.fd());  // as the TCP metrics port: figures only
  int taken = 0;
  server.set_command_handler([&](std::string_view line) {
    ++taken;
    return std::string(line) + " done\n";
  });
  const std::string cmd = "TAKEOVER\n";
  const int a = status.connect_client();
  send(a, cmd.data(), cmd.size(), 0);
  const int b = port.connect_client();
  send(b, cmd.data(), cmd.size(), 0);
  server.poll(0);
  server.poll(0);
  EXPECT_EQ(received(a), "TAKEOVER done\n");
  EXPECT_EQ(received(b).rfind("refused", 0), 0u);
  EXPECT_EQ(taken, 1);
  close(a);
  close(b);
}

TEST(MetricsServer, ClientsBeyondTheLimitAreRefusedAndCounted) {
  UnixListener l;
  MetricsServer server([] { return std::string("x\n"); });
  server.add_listener(l.fd());
  std::vector<int> clients;
  for (size_t i = 0; i < MetricsServer::kMaxClients + 3; ++i) clients.push_back(l.connect_client());
  server.poll(0);
  EXPECT_EQ(server.clients(), MetricsServer::kMaxClients);
  EXPECT_EQ(server.counters().refused, 3u);
  for (int c : clients) close(c);
}

TEST(MetricsServer, ClientThatNeverReadsIsDroppedAfterTheTimeout) {
  UnixListener l;
  // A body far larger than the socket buffer: the server cannot send it all at once.
  MetricsServer server([] { return std::string(8 << 20, 'x'); });
  server.add_listener(l.fd());
  const int c = l.connect_client();
  send(c, "GET / HTTP/1.0\r\n\r\n", 18, 0);
  server.poll(0);
  EXPECT_EQ(server.clients(), 1u);  // still sending, without waiting
  server.tick(MetricsServer::kClientTimeout);
  EXPECT_EQ(server.clients(), 0u);
  EXPECT_EQ(server.counters().timed_out, 1u);
  close(c);
}

}  // namespace
}  // namespace ftpgate
