// Engine benchmarks: control-channel throughput (bytes/s, lines/s), memory per tracked session,
// and throughput with 1k / 10k / 100k concurrent sessions.
//   build/tests/bench/engine_bench [--benchmark_filter=...]
#include <benchmark/benchmark.h>
#include <malloc.h>

#include <string>
#include <vector>

#include "core/engine.h"

namespace ftpgate {
namespace {

class NullSink : public ActionSink {
 public:
  void on_action(const Action& a) override { benchmark::DoNotOptimize(a.kind); }
};

// One direction's segments of a realistic session: login, listings and transfers in both modes.
struct Script {
  std::vector<std::pair<bool, std::string>> segments;  // (to_server, payload)
  size_t bytes = 0;
  size_t lines = 0;
};

Script realistic_session(int transfers) {
  Script s;
  auto add = [&](bool to_server, std::string p) {
    s.bytes += p.size();
    for (char c : p) s.lines += c == '\n';
    s.segments.emplace_back(to_server, std::move(p));
  };
  add(false, "220 (vsFTPd 3.0.3)\r\n");
  add(true, "USER anonymous\r\n");
  add(false, "331 Please specify the password.\r\n");
  add(true, "PASS guest@example.org\r\n");
  add(false, "230 Login successful.\r\n");
  add(true, "TYPE I\r\n");
  add(false, "200 Switching to Binary mode.\r\n");
  for (int i = 0; i < transfers; ++i) {
    const int port = 50000 + i % 100;
    if (i % 2 == 0) {
      add(true, "PASV\r\n");
      add(false, "227 Entering Passive Mode (10,0,2,2," + std::to_string(port / 256) + "," +
                     std::to_string(port % 256) + ").\r\n");
    } else {
      add(true, "PORT 10,0,1,2," + std::to_string(port / 256) + "," + std::to_string(port % 256) +
                    "\r\n");
      add(false, "200 PORT command successful. Consider using PASV.\r\n");
    }
    add(true, "RETR /pub/some/directory/file-" + std::to_string(i) + ".tar.gz\r\n");
    add(false, "150 Opening BINARY mode data connection for file.tar.gz (1048576 bytes).\r\n");
    add(false, "226 Transfer complete.\r\n");
    add(true, "LIST -la /pub/some/directory\r\n");
    add(false, "150 Here comes the directory listing.\r\n226 Directory send OK.\r\n");
  }
  add(true, "QUIT\r\n");
  add(false, "221 Goodbye.\r\n");
  return s;
}

// Feeds `script` as one connection (ports distinguish sessions), with correct sequence numbers.
struct Feeder {
  IpAddress client = *IpAddress::parse("10.0.1.2");
  IpAddress server = *IpAddress::parse("10.0.2.2");
  uint32_t cseq = 1000, sseq = 5000;
  uint16_t cport;
  explicit Feeder(uint16_t port) : cport(port) {}

  void syn(Engine& e, Micros now) {
    TcpSegment s;
    s.src = client;
    s.dst = server;
    s.sport = cport;
    s.dport = 21;
    s.seq = cseq++;
    s.flags = tcp_flags::kSyn;
    e.on_segment(s, now);
  }
  void send(Engine& e, bool to_server, const std::string& p, Micros now) {
    TcpSegment s;
    s.src = to_server ? client : server;
    s.dst = to_server ? server : client;
    s.sport = to_server ? cport : 21;
    s.dport = to_server ? 21 : cport;
    s.seq = to_server ? cseq : sseq;
    s.ack = to_server ? sseq : cseq;
    s.flags = tcp_flags::kAck | tcp_flags::kPsh;
    s.payload = p;
    e.on_segment(s, now);
    (to_server ? cseq : sseq) += static_cast<uint32_t>(p.size());
  }
};

void BM_EngineRealisticSession(benchmark::State& state) {
  const Script script = realistic_session(static_cast<int>(state.range(0)));
  NullSink sink;
  Policy policy;
  Engine engine(policy, {21}, sink);
  uint16_t port = 1024;
  Micros now = 0;
  for (auto _ : state) {
    Feeder f(port++);
    if (port == 0) port = 1024;
    f.syn(engine, now);
    for (const auto& [to_server, payload] : script.segments) f.send(engine, to_server, payload, ++now);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * script.bytes));
  state.counters["lines/s"] = benchmark::Counter(static_cast<double>(state.iterations() * script.lines),
                                                 benchmark::Counter::kIsRate);
}
BENCHMARK(BM_EngineRealisticSession)->Arg(100);

// Large segments: a pipelining client sends a batch of commands in one segment and the server
// answers the batch in one segment (each reply answering its command). Measures the line
// splitter, parsers and dialogue tracking rather than per-segment overhead.
void BM_EngineBulkLines(benchmark::State& state) {
  std::string client_text, server_text;
  for (int i = 0; i < 16; ++i) {  // 16 commands: within max_pending_commands (32)
    const int port = 40000 + i;
    const std::string p1 = std::to_string(port / 256), p2 = std::to_string(port % 256);
    switch (i % 4) {
      case 0:
        client_text += "PORT 10,0,1,2," + p1 + "," + p2 + "\r\n";
        server_text += "200 PORT command successful. Consider using PASV.\r\n";
        break;
      case 1:
        client_text += "RETR /pub/some/directory/file.tar.gz\r\n";
        server_text += "150 Opening BINARY mode data connection.\r\n226 Transfer complete.\r\n";
        break;
      case 2:
        client_text += "PASV\r\n";
        server_text += "227 Entering Passive Mode (10,0,2,2," + p1 + "," + p2 + ").\r\n";
        break;
      default:
        client_text += "NOOP\r\n";
        server_text += "200 NOOP ok.\r\n";
    }
  }
  NullSink sink;
  Policy policy;
  Engine engine(policy, {21}, sink);
  Feeder f(40000);
  f.syn(engine, 0);
  size_t lines = 0;
  for (char c : client_text + server_text) lines += c == '\n';
  for (auto _ : state) {
    f.send(engine, true, client_text, 1);
    f.send(engine, false, server_text, 1);
  }
  state.SetBytesProcessed(
      static_cast<int64_t>(state.iterations() * (server_text.size() + client_text.size())));
  state.counters["lines/s"] =
      benchmark::Counter(static_cast<double>(state.iterations() * lines), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_EngineBulkLines);

// Memory per tracked session: sessions after login (idle) and with half a line buffered.
void BM_MemoryPerSession(benchmark::State& state) {
  const bool mid_line = state.range(1) != 0;
  const int n = static_cast<int>(state.range(0));
  double per_session = 0;
  for (auto _ : state) {
    NullSink sink;
    Policy policy;
    policy.max_sessions = 1u << 20;
    const size_t before = mallinfo2().uordblks;
    {
      Engine engine(policy, {21}, sink);
      for (int i = 0; i < n; ++i) {
        Feeder f(static_cast<uint16_t>(1024 + i % 60000));
        f.client = IpAddress::v4(0x0a000000u + static_cast<uint32_t>(i / 60000));
        f.syn(engine, 0);
        f.send(engine, false, "220 ready\r\n", 0);
        f.send(engine, true, "USER anonymous\r\n", 0);
        f.send(engine, false, "331 ok\r\n", 0);
        if (mid_line) f.send(engine, true, "RETR /pub/half-a-line", 0);
      }
      per_session = static_cast<double>(mallinfo2().uordblks - before) / n;
      benchmark::DoNotOptimize(engine.session_count());
    }
  }
  state.counters["bytes/session"] = per_session;
}
BENCHMARK(BM_MemoryPerSession)->Args({10000, 0})->Args({10000, 1})->Iterations(1);

// Throughput with many concurrent sessions: one command/reply exchange per session, round robin.
void BM_ConcurrentSessions(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  NullSink sink;
  Policy policy;
  policy.max_sessions = 1u << 20;
  Engine engine(policy, {21}, sink);
  std::vector<Feeder> feeders;
  feeders.reserve(n);
  for (int i = 0; i < n; ++i) {
    feeders.emplace_back(static_cast<uint16_t>(1024 + i % 60000));
    feeders.back().client = IpAddress::v4(0x0a000000u + static_cast<uint32_t>(i / 60000));
    feeders.back().syn(engine, 0);
  }
  const std::string cmd = "NOOP\r\n", rep = "200 NOOP ok.\r\n";
  size_t i = 0;
  for (auto _ : state) {
    Feeder& f = feeders[i++ % feeders.size()];
    f.send(engine, true, cmd, 1);
    f.send(engine, false, rep, 1);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * (cmd.size() + rep.size())));
  state.counters["segments/s"] =
      benchmark::Counter(static_cast<double>(state.iterations() * 2), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_ConcurrentSessions)->Arg(1000)->Arg(10000)->Arg(100000);

}  // namespace
}  // namespace ftpgate

BENCHMARK_MAIN();
