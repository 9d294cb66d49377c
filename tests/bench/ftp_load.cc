// FTP session load generator: one thread, epoll, thousands of sessions in flight, so the client
// is never what limits the rate. Each session: connect, 220, USER/331, PASS/230, then PASV/227
// and a connect to the announced port, or a listener and PORT/200; RETR, the data read to its
// end, 150 and 226; QUIT/221. A session that does not complete in 10 s, or meets a reply it did
// not expect, or receives another number of bytes than BYTES, has failed, and says where.
//
//   ftp_load churn SERVER PORT CONCURRENCY SECONDS pasv|port|mixed BYTES [SOURCE...]
//       keeps CONCURRENCY sessions going for SECONDS (then lets those in flight finish); prints
//       "ok=N failed=F seconds=S rate=R p50_ms=.. p99_ms=.." and one "failure STATE WHY COUNT"
//       line per kind of failure
//   ftp_load hold SERVER PORT N pasv|port BYTES [SOURCE...]
//       opens N sessions and stops after each stage until a line arrives on standard input:
//       "logged_in ok=.. failed=..", "negotiated ...", "transferred ...", then QUIT: "closed ..."
// SOURCE addresses (the client's own) are used in turn for control and data connections.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

enum class Stage : uint8_t { kConnect, kBanner, kUser, kPass, kNegotiate, kRetr, kHeld, kQuit, kDone };
const char* stage_name(Stage s) {
  switch (s) {
    case Stage::kConnect: return "connect";
    case Stage::kBanner: return "banner";
    case Stage::kUser: return "user";
    case Stage::kPass: return "pass";
    case Stage::kNegotiate: return "negotiate";
    case Stage::kRetr: return "retr";
    case Stage::kHeld: return "held";
    case Stage::kQuit: return "quit";
    case Stage::kDone: return "done";
  }
  return "?";
}

struct Options {
  sockaddr_in server{};
  std::vector<in_addr> sources;
  size_t bytes = 1000;
};
Options opt;
int epfd = -1;

struct Session {
  int ctl = -1, data = -1, listener = -1;
  bool passive = true;
  in_addr source{};
  Stage stage = Stage::kConnect;
  std::string in;
  size_t received = 0;
  bool data_done = false, got_150 = false, got_226 = false;
  bool hold_after_login = false, hold_after_negotiation = false, hold_after_transfer = false;
  sockaddr_in passive_target{};  // from the 227; connected to at RETR when held in between
  Clock::time_point started, deadline;
};

std::unordered_map<int, Session*> by_fd;
std::map<std::string, uint64_t> failures;
uint64_t ok = 0, failed = 0;
std::vector<double> durations_ms;

void watch(int fd, uint32_t events, Session* s, bool modify = false) {
  epoll_event ev{};
  ev.events = events;
  ev.data.fd = fd;
  if (epoll_ctl(epfd, modify ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, fd, &ev) == 0 && !modify) by_fd[fd] = s;
}

void forget(int& fd) {
  if (fd < 0) return;
  by_fd.erase(fd);
  close(fd);
  fd = -1;
}

void finish(Session& s, const char* why) {
  forget(s.ctl);
  forget(s.data);
  forget(s.listener);
  if (why == nullptr) {
    ++ok;
    durations_ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - s.started).count());
  } else {
    ++failed;
    ++failures[std::string(stage_name(s.stage)) + " " + why];
  }
  s.stage = Stage::kDone;
}

void send_line(Session& s, const std::string& line) {
  const std::string l = line + "\r\n";
  if (write(s.ctl, l.data(), l.size()) != static_cast<ssize_t>(l.size())) finish(s, "write");
}

int tcp_socket(in_addr source) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr = source;
  bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a));
  return fd;
}

void start(Session& s, bool passive) {
  static size_t next_source = 0;
  s = Session{};
  s.passive = passive;
  s.source = opt.sources[next_source++ % opt.sources.size()];
  s.started = Clock::now();
  s.deadline = s.started + std::chrono::seconds(10);
  s.ctl = tcp_socket(s.source);
  if (connect(s.ctl, reinterpret_cast<const sockaddr*>(&opt.server), sizeof(opt.server)) != 0 &&
      errno != EINPROGRESS)
    return finish(s, "connect");
  watch(s.ctl, EPOLLOUT, &s);
}

void negotiate(Session& s) {
  s.stage = Stage::kNegotiate;
  if (s.passive) return send_line(s, "PASV");
  s.listener = tcp_socket(s.source);
  if (listen(s.listener, 1) != 0) return finish(s, "listen");
  sockaddr_in a{};
  socklen_t len = sizeof(a);
  getsockname(s.listener, reinterpret_cast<sockaddr*>(&a), &len);
  watch(s.listener, EPOLLIN, &s);
  const auto* h = reinterpret_cast<const uint8_t*>(&s.source);
  const uint16_t p = ntohs(a.sin_port);
  char line[64];
  std::snprintf(line, sizeof(line), "PORT %u,%u,%u,%u,%u,%u", h[0], h[1], h[2], h[3], p >> 8, p & 0xff);
  send_line(s, line);
}

void connect_data(Session& s) {
  s.data = tcp_socket(s.source);
  if (connect(s.data, reinterpret_cast<sockaddr*>(&s.passive_target), sizeof(s.passive_target)) != 0 &&
      errno != EINPROGRESS)
    return finish(s, "data_connect");
  watch(s.data, EPOLLIN, &s);
}

void retr(Session& s) {
  s.stage = Stage::kRetr;
  if (s.passive && s.data < 0) connect_data(s);  // held since the 227: its expectation waited
  if (s.stage == Stage::kDone) return;
  send_line(s, "RETR file.bin");
}

void maybe_done_transfer(Session& s) {
  if (!(s.data_done && s.got_226)) return;
  if (s.received != opt.bytes) return finish(s, "short_data");
  if (s.hold_after_transfer) {
    s.stage = Stage::kHeld;
    return;
  }
  s.stage = Stage::kQuit;
  send_line(s, "QUIT");
}


// "227 Entering Passive Mode (h1,h2,h3,h4,p1,p2)." -> where the data connection goes.
bool parse_227(Session& s, const std::string& line) {
  const size_t open = line.find('(');
  unsigned h[6];
  if (open == std::string::npos ||
      std::sscanf(line.c_str() + open + 1, "%u,%u,%u,%u,%u,%u", &h[0], &h[1], &h[2], &h[3], &h[4], &h[5]) != 6)
    return false;
  s.passive_target.sin_family = AF_INET;
  s.passive_target.sin_addr.s_addr = htonl(h[0] << 24 | h[1] << 16 | h[2] << 8 | h[3]);
  s.passive_target.sin_port = htons(static_cast<uint16_t>(h[4] << 8 | h[5]));
  return true;
}

void on_reply(Session& s, int code, const std::string& line) {
  switch (s.stage) {
    case Stage::kBanner:
      if (code != 220) return finish(s, "not_220");
      s.stage = Stage::kUser;
      return send_line(s, "USER anonymous");
    case Stage::kUser:
      if (code == 230) break;
      if (code != 331) return finish(s, "not_331");
      s.stage = Stage::kPass;
      return send_line(s, "PASS load@");
    case Stage::kPass:
      if (code != 230) return finish(s, "not_230");
      break;
    case Stage::kNegotiate:
      if (s.passive && code == 227) {
        if (!parse_227(s, line)) return finish(s, "bad_227");
      } else if (s.passive || code != 200) {
        return finish(s, s.passive ? "not_227" : "port_refused");
      }
      if (s.hold_after_negotiation) {
        s.stage = Stage::kHeld;
        return;
      }
      // As curl does: the data connection first, then RETR.
      if (s.passive) connect_data(s);
      if (s.stage == Stage::kDone) return;
      return retr(s);
    case Stage::kRetr:
      if (code == 150 || code == 125) {
        s.got_150 = true;
        return;
      }
      if (code != 226) return finish(s, ("reply_" + std::to_string(code)).c_str());
      s.got_226 = true;
      return maybe_done_transfer(s);
    case Stage::kQuit:
      return finish(s, code == 221 ? nullptr : "not_221");
    default:
      return finish(s, "unexpected_reply");
  }
  // Logged in.
  if (s.hold_after_login) {
    s.stage = Stage::kHeld;
    return;
  }
  negotiate(s);
}

void on_control(Session& s, uint32_t events) {
  if (s.stage == Stage::kConnect) {
    int err = 0;
    socklen_t len = sizeof(err);
    getsockopt(s.ctl, SOL_SOCKET, SO_ERROR, &err, &len);
    if (err != 0 || (events & (EPOLLERR | EPOLLHUP))) return finish(s, "refused");
    s.stage = Stage::kBanner;
    return watch(s.ctl, EPOLLIN, &s, true);
  }
  char buf[4096];
  const ssize_t n = read(s.ctl, buf, sizeof(buf));
  if (n <= 0) {
    if (n < 0 && errno == EAGAIN) return;
    if (s.stage == Stage::kQuit) return finish(s, nullptr);  // closed after 221 was read
    return finish(s, "closed");
  }
  s.in.append(buf, static_cast<size_t>(n));
  size_t nl;
  while (s.stage != Stage::kDone && (nl = s.in.find('\n')) != std::string::npos) {
    const std::string line = s.in.substr(0, nl);
    s.in.erase(0, nl + 1);
    if (line.size() < 4 || line[3] == '-') continue;  // multi-line: only the last line counts
    on_reply(s, std::atoi(line.substr(0, 3).c_str()), line);
  }
}

void on_data(Session& s, int fd) {
  if (fd == s.listener) {
    s.data = accept4(s.listener, nullptr, nullptr, SOCK_NONBLOCK);
    forget(s.listener);
    if (s.data < 0) return finish(s, "accept");
    return watch(s.data, EPOLLIN, &s);
  }
  char buf[65536];
  for (;;) {
    const ssize_t n = read(fd, buf, sizeof(buf));
    if (n > 0) {
      s.received += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EAGAIN) return;
    forget(s.data);
    s.data_done = true;
    return maybe_done_transfer(s);
  }
}

// Runs the loop until `until` says stop (checked after every batch of events).
template <class Until>
void run(std::vector<std::unique_ptr<Session>>& sessions, Until until) {
  epoll_event events[512];
  while (!until()) {
    const int n = epoll_wait(epfd, events, 512, 50);
    for (int i = 0; i < n; ++i) {
      auto it = by_fd.find(events[i].data.fd);
      if (it == by_fd.end()) continue;
      Session& s = *it->second;
      if (events[i].data.fd == s.ctl) on_control(s, events[i].events);
      else on_data(s, events[i].data.fd);
    }
    const auto now = Clock::now();
    for (auto& s : sessions)
      if (s->stage != Stage::kDone && s->stage != Stage::kHeld && now > s->deadline) finish(*s, "timeout");
  }
}

void parse_common(int argc, char** argv, int first_source) {
  opt.server.sin_family = AF_INET;
  opt.server.sin_port = htons(static_cast<uint16_t>(std::atoi(argv[3])));
  inet_pton(AF_INET, argv[2], &opt.server.sin_addr);
  for (int i = first_source; i < argc; ++i) {
    in_addr a{};
    if (inet_pton(AF_INET, argv[i], &a) == 1) opt.sources.push_back(a);
  }
  if (opt.sources.empty()) opt.sources.push_back(in_addr{htonl(INADDR_ANY)});
}

double percentile(std::vector<double>& v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())))];
}

void print_failures() {
  for (const auto& [why, n] : failures) std::printf("failure %s %llu\n", why.c_str(), static_cast<unsigned long long>(n));
}

int churn(int argc, char** argv) {
  parse_common(argc, argv, 8);
  const size_t conc = std::strtoul(argv[4], nullptr, 10);
  const double secs = std::atof(argv[5]);
  const std::string mode = argv[6];
  opt.bytes = std::strtoul(argv[7], nullptr, 10);
  std::vector<std::unique_ptr<Session>> sessions;
  for (size_t i = 0; i < conc; ++i) sessions.push_back(std::make_unique<Session>());
  size_t started = 0;
  auto next_mode = [&] { return mode == "pasv" || (mode == "mixed" && started % 2 == 0); };
  for (auto& s : sessions) start(*s, next_mode()), ++started;
  const auto t0 = Clock::now();
  const auto stop_starting = t0 + std::chrono::duration<double>(secs);
  bool starting = true;
  run(sessions, [&] {
    const auto now = Clock::now();
    starting = starting && now < stop_starting;
    bool busy = false;
    for (auto& s : sessions) {
      if (s->stage == Stage::kDone && starting) start(*s, next_mode()), ++started;
      busy = busy || s->stage != Stage::kDone;
    }
    return !starting && !busy;
  });
  const double elapsed = std::chrono::duration<double>(Clock::now() - t0).count();
  const double p50 = percentile(durations_ms, 0.5), p99 = percentile(durations_ms, 0.99);
  std::printf("ok=%llu failed=%llu seconds=%.2f rate=%.1f p50_ms=%.2f p99_ms=%.2f\n",
              static_cast<unsigned long long>(ok), static_cast<unsigned long long>(failed), elapsed,
              static_cast<double>(ok) / elapsed, p50, p99);
  print_failures();
  return failed == 0 ? 0 : 1;
}

int hold(int argc, char** argv) {
  parse_common(argc, argv, 7);
  const size_t n = std::strtoul(argv[4], nullptr, 10);
  const bool passive = std::string(argv[5]) != "port";
  opt.bytes = std::strtoul(argv[6], nullptr, 10);
  std::vector<std::unique_ptr<Session>> sessions;
  // At most this many connects in flight, so the listen backlogs never overflow.
  constexpr size_t kOpening = 256;
  size_t opened = 0;
  // Sessions still on their way to the next hold (neither held nor done).
  auto settled = [&](Stage held_at) {
    size_t in_flight = 0;
    for (auto& s : sessions) in_flight += (s->stage != Stage::kDone && s->stage != held_at) ? 1 : 0;
    return in_flight;
  };
  auto report = [&](const char* step) {
    size_t held = 0;
    for (auto& s : sessions) held += s->stage == Stage::kHeld ? 1 : 0;
    std::printf("%s ok=%zu failed=%llu\n", step, held, static_cast<unsigned long long>(failed));
    print_failures();
    std::fflush(stdout);
    std::string line;
    std::getline(std::cin, line);
  };
  run(sessions, [&] {
    while (opened < n && settled(Stage::kHeld) < kOpening) {
      sessions.push_back(std::make_unique<Session>());
      start(*sessions.back(), passive);
      sessions.back()->hold_after_login = true;
      ++opened;
    }
    return opened == n && settled(Stage::kHeld) == 0;
  });
  report("logged_in");
  // Each later stage moves the held sessions on kOpening at a time, as the logins were: a
  // real crowd of sessions does not negotiate in one instant (10,000 PASVs at once would
  // overflow any queue in front of the gateway).
  auto advance_all = [&](auto&& step) {
    std::vector<Session*> waiting;
    for (auto& s : sessions)
      if (s->stage == Stage::kHeld) waiting.push_back(s.get());
    size_t next = 0;
    run(sessions, [&] {
      while (next < waiting.size() && settled(Stage::kHeld) < kOpening) {
        Session& s = *waiting[next++];
        s.deadline = Clock::now() + std::chrono::seconds(30);
        step(s);
      }
      return next == waiting.size() && settled(Stage::kHeld) == 0;
    });
  };
  advance_all([](Session& s) {
    s.hold_after_negotiation = true;
    negotiate(s);
  });
  report("negotiated");
  advance_all([](Session& s) {
    s.hold_after_transfer = true;
    retr(s);
  });
  report("transferred");
  advance_all([](Session& s) {
    s.stage = Stage::kQuit;
    send_line(s, "QUIT");
  });
  std::printf("closed ok=%llu failed=%llu\n", static_cast<unsigned long long>(ok), static_cast<unsigned long long>(failed));
  print_failures();
  return failed == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  signal(SIGPIPE, SIG_IGN);
  rlimit nofile{1 << 17, 1 << 17};
  setrlimit(RLIMIT_NOFILE, &nofile);
  epfd = epoll_create1(0);
  if (argc >= 8 && std::strcmp(argv[1], "churn") == 0) return churn(argc, argv);
  if (argc >= 7 && std::strcmp(argv[1], "hold") == 0) return hold(argc, argv);
  std::fprintf(stderr,
               "usage: ftp_load churn SERVER PORT CONCURRENCY SECONDS pasv|port|mixed BYTES [SOURCE...]\n"
               "       ftp_load hold SERVER PORT N pasv|port BYTES [SOURCE...]\n");
  return 2;
}
