#include "daemon/daemon.h"

#include <signal.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <system_error>

#include "core/engine.h"
#include "daemon/latency_histogram.h"
#include "daemon/metrics_endpoint.h"
#include "daemon/packet_path.h"
#include "daemon/ftp64_legs.h"
#include "daemon/gateway.h"
#include "daemon/daemon_log.h"
#include "daemon/helper_binding.h"
#include "daemon/privileges.h"
#include "daemon/version.h"
#include "daemon/status_text.h"
#include "kernel/conntrack_client.h"
#include "kernel/cthelper.h"
#include "kernel/nfqueue.h"

namespace ftpgate {
namespace {

int64_t wall_clock_micros() {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return int64_t{ts.tv_sec} * 1'000'000 + ts.tv_nsec / 1000;
}

Micros monotonic_micros() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return Micros{ts.tv_sec} * 1'000'000 + ts.tv_nsec / 1000;
}

// A file descriptor owner.
class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  Fd(Fd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  Fd& operator=(Fd&& o) noexcept {
    std::swap(fd_, o.fd_);
    return *this;
  }
  ~Fd() {
    if (fd_ >= 0) close(fd_);
  }
  int get() const { return fd_; }

 private:
  int fd_;
};

Fd open_status_socket(const std::string& path) {
  const std::string dir = path.substr(0, path.rfind('/'));
  if (!dir.empty()) mkdir(dir.c_str(), 0700);
  unlink(path.c_str());
  Fd fd(socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (fd.get() < 0 || path.size() >= sizeof(addr.sun_path)) return Fd();
  std::strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
  const mode_t old = umask(0077);  // root only
  const int rc = bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  umask(old);
  if (rc != 0 || listen(fd.get(), 8) != 0) return Fd();
  return fd;
}

std::optional<std::string> read_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The keys a reload cannot apply (sockets bound, privileges dropped, the log's format set at
// start) that differ between the running configuration and the file: named at reload, not
// silently ignored.
std::string restart_only_changes(const DaemonConfig& a, const DaemonConfig& b) {
  std::string out;
  auto note = [&](bool differs, const char* key) {
    if (differs) out += (out.empty() ? "" : ", ") + std::string(key);
  };
  note(a.queues != b.queues, "queue");
  note(a.control_ports != b.control_ports, "ports");
  note(a.helper_mode != b.helper_mode, "helper_mode");
  note(a.queue_max_len != b.queue_max_len, "queue_max_len");
  note(a.verdict_batch != b.verdict_batch, "verdict_batch");
  note(a.status_socket != b.status_socket, "status_socket");
  note(a.metrics_port != b.metrics_port, "metrics_port");
  note(a.metrics_address != b.metrics_address, "metrics_address");
  note(a.user != b.user, "user");
  note(a.log_format != b.log_format, "log_format");
  note(a.fail_closed != b.fail_closed, "fail_closed");
  return out;
}

}  // namespace

std::optional<std::string> parse_daemon_options(int argc, char** argv, DaemonOptions& o) {
  for (int i = 0; i < argc; ++i) {
    const std::string a = argv[i];
    if (a.rfind("--", 0) != 0) return "expected --KEY VALUE, got '" + a + "' (see --help)";
    if (i + 1 >= argc) return a + " needs a value (see --help)";
    std::string key = a.substr(2);
    for (char& c : key)
      if (c == '-') c = '_';
    if (key == "config") {
      o.config.config_file = argv[++i];
    } else {
      o.cli_settings.emplace_back(key, argv[++i]);
    }
  }
  return std::nullopt;
}

std::optional<std::string> load_config(const DaemonOptions& o, DaemonConfig& out) {
  DaemonConfig cfg;
  cfg.config_file = o.config.config_file;
  if (!cfg.config_file.empty()) {
    auto text = read_file(cfg.config_file);
    if (!text) return "cannot read the configuration file " + cfg.config_file;
    if (auto err = apply_config_text(cfg, *text)) return cfg.config_file + ": " + err->message;
  }
  for (size_t i = 0; i < o.cli_settings.size(); ++i) {
    const auto& [k, v] = o.cli_settings[i];
    std::string flag = "--" + k;  // as typed: --max-sessions for max_sessions
    std::replace(flag.begin(), flag.end(), '_', '-');
    for (size_t j = 0; j < i && !repeatable_key(k); ++j)
      if (o.cli_settings[j].first == k) return flag + " given twice";
    if (auto err = apply_setting(cfg, k, v)) return flag + ": " + *err;
  }
  out = cfg;
  return std::nullopt;
}

int run_daemon(DaemonOptions options) {
  DaemonLog& log = process_log();
  DaemonConfig cfg;
  if (auto err = load_config(options, cfg)) {
    log.write(Level::kError, "config_error", *err);
    return 2;
  }
  configure_process_log(cfg.log_format);
  auto fail = [&](const std::string& why) {
    log.write(Level::kError, "start_failed", why);
    return 1;
  };
  if (!has_cap_net_admin()) return fail(needs_cap_net_admin("run"));
  const int64_t started_at = wall_clock_micros();
  MetricsInfo info;
  info.start_time_micros = started_at;
  info.rule_names = cfg.rule_names;
  sigset_t mask;
  sigemptyset(&mask);
  for (int s : {SIGTERM, SIGINT, SIGHUP, SIGUSR1}) sigaddset(&mask, s);
  sigprocmask(SIG_BLOCK, &mask, nullptr);
  signal(SIGPIPE, SIG_IGN);
  Fd sigfd(signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC));

  const HelperBinding helper = bind_helper(cfg.helper_mode, cfg.policy);
  if (helper == HelperBinding::kFailed) return 1;

  std::unique_ptr<ConntrackClient> ct;
  std::vector<NfQueue> queues;
  try {
    ct = std::make_unique<ConntrackClient>();
  } catch (const std::system_error& e) {
    return fail("cannot open ctnetlink (nf_conntrack_netlink) to install expectations: " +
                errno_text(e.code().value()));
  }
  for (uint16_t q : cfg.queues) {
    try {
      queues.emplace_back(q, cfg.queue_max_len, !cfg.fail_closed, cfg.verdict_batch);
    } catch (const std::exception& e) {
      return fail(e.what());
    }
  }

  // Where queued packets carry their conntrack, expectations ride on the verdicts (NFQA_EXP).
  bool verdict_expectations = false;
  if (!queues.empty() && queues.front().conntrack_glue()) {
    if (const int rc = ct->enable_verdict_expectations(); rc != 0)
      log.write(Level::kWarning, "no_verdict_expectations",
                "no expectation events (" + errno_text(rc) + "): expectations go over ctnetlink");
    else
      verdict_expectations = true;
  }

  DecisionLog decisions(std::cerr, cfg.log_format, log.journal());
  std::string audit_path = cfg.audit_log;  // the audit log open now
  AuditLog audit(*ct);
  if (!cfg.audit_log.empty()) {
    if (auto err = audit.open(cfg.audit_log)) return fail(*err);
    if (read_file("/proc/sys/net/netfilter/nf_conntrack_acct").value_or("0").substr(0, 1) != "1")
      log.write(Level::kWarning, "audit_without_byte_counters",
                "audit log without the kernel's byte counters (sysctl "
                "net.netfilter.nf_conntrack_acct=1 adds them)");
  }
  // Records carry the engine's monotonic times; the log states wall-clock ones.
  auto flush_logs = [&] {
    decisions.flush();
    audit.flush(wall_clock_micros() - monotonic_micros());
  };
  attach_ftp64_legs(cfg.policy, *ct);  // NAT64: sessions find their IPv6 leg over ctnetlink
  Gateway gateway(*ct, cfg.policy, cfg.nat, decisions);
  gateway.set_audit(&audit);
  gateway.set_own_helpers(expectation_helpers(cfg.helper_mode));
  gateway.set_enforce_mark(cfg.enforce_mark);
  PacketPath path(cfg.policy, cfg.control_ports, gateway, cfg.nat);
  Engine& engine = path.engine();
  DaemonCounters dc;
  LatencyHistogram latency;           // from reading a packet to its verdict
  LatencyHistogram decision_latency;  // ... of the packets that carried an expectation decision
  std::vector<QueuedPacket> packets;  // one receive's, reused
  struct JudgedPacket {
    Micros read_at;
    bool carried_decision;
  };
  std::vector<JudgedPacket> judged;  // one batch's, their verdicts not yet sent
  judged.reserve(cfg.verdict_batch);
  // Verdicts for packets held earlier, on the queue that holds them (sent with the current
  // batch, or at once outside one: flush_all).
  auto settle_held = [&](const std::vector<QueuedId>& ids, bool accept) {
    for (const QueuedId& h : ids)
      for (NfQueue& q : queues)
        if (q.number() == h.queue) q.verdict(h.id, accept);
  };
  auto flush_all = [&] {
    for (NfQueue& q : queues) q.flush();
  };

  // Judges one queued packet and gives its verdict (gathered into the queue's batch). Returns
  // whether it carried an expectation decision.
  auto judge_packet = [&](NfQueue& q, const QueuedPacket& p, Micros read_at) {
    bool carried_decision = false;
    ++dc.packets;
    // One fail-open policy: whatever happens while judging, the packet is accepted.
    try {
      PacketDecision d;
      ct->offer_queued(p.conntrack);
      const DecodeStatus decoded = path.judge(QueuedId{p.queue, p.id}, p.payload, read_at, d, p.indev);
      ct->offer_queued(nullptr);
      if (decoded != DecodeStatus::kOk) ++dc.undecodable;
      settle_held(d.release, true);
      settle_held(d.drop, false);
      carried_decision = d.carried_decision;
      // An expectation taken for this packet's verdict (NFQA_EXP) goes out with it
      // when the packet is accepted unchanged, else over ctnetlink.
      const ExpectationRequest* in_verdict = ct->attached();
      bool carried = false;
      switch (d.fate) {
        case PacketDecision::Fate::kAccept:
          if (in_verdict != nullptr) {
            carried = q.verdict_with_expectation(p.id, *in_verdict) == 0;
            if (!carried) q.accept(p.id);
          } else {
            q.accept(p.id);
          }
          break;
        case PacketDecision::Fate::kHold: q.hold(p.id); break;
        case PacketDecision::Fate::kDrop: q.verdict(p.id, false); break;
        case PacketDecision::Fate::kAcceptChanged: q.verdict(p.id, true, d.packet); break;
      }
      if (in_verdict != nullptr) gateway.finish_attached(carried);
    } catch (...) {
      // One fault policy: accepted (counted) unless the operator chose fail_closed.
      ct->offer_queued(nullptr);
      if (cfg.fail_closed) {
        ++dc.fail_closed_drops;
        q.verdict(p.id, false);
      } else {
        ++dc.fail_open_accepts;
        q.accept(p.id);
      }
      gateway.finish_attached(false);
    }
    return carried_decision;
  };

  // 100 ms: held segments wait at most nat_hold_timeout_ms plus this; the engine's expiry scan
  // throttles itself to once a second.
  Fd timer(timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC));
  itimerspec its{{0, 100'000'000}, {0, 100'000'000}};
  timerfd_settime(timer.get(), 0, &its, nullptr);
  Fd status = open_status_socket(cfg.status_socket);
  if (status.get() < 0)
    log.write(Level::kWarning, "status_socket_unavailable",
              "status socket " + cfg.status_socket + " unavailable: " + std::strerror(errno) +
                  " (continuing without it)");
  Fd metrics(cfg.metrics_port != 0 ? open_metrics_port(cfg.metrics_address, cfg.metrics_port) : -1);
  if (cfg.metrics_port != 0 && metrics.get() < 0)
    return fail("cannot listen for metrics on " + listen_address_text(cfg.metrics_address, cfg.metrics_port) +
                ": " + std::strerror(errno));
  const MetricsServerCounters* metrics_counters = nullptr;  // set once the server exists
  auto status_text = [&] {
    dc.conntrack_requests = ct->requests();
    dc.conntrack_from_packet = ct->answered_from_packet();
    dc.verdict_expectations = ct->verdict_expectations();
    dc.verdict_expectations_unconfirmed = ct->verdict_expectations_unconfirmed();
    std::vector<NfQueueStats> qs;
    for (const auto& q : queues) {
      qs.push_back(q.stats());
      qs.back().queue = q.number();
    }
    return format_status(StatusSources{engine.counters(), gateway.counters(),
                                       gateway.sync_repair_counters(), path.counters(),
                                       path.held(), latency, decision_latency, dc, qs,
                                       metrics_counters, engine.policy().rules.get(),
                                       audit.counters(), info});
  };
  MetricsServer metrics_server(status_text);
  metrics_counters = &metrics_server.counters();
  // `ftpgate ha takeover` (keepalived's notify script, after conntrackd's commit): what this
  // daemon knew of its sessions is stale; synced expectations are made complete.
  metrics_server.set_command_handler([&](std::string_view) {
    std::vector<QueuedId> release;
    const size_t n = path.take_over(release);
    settle_held(release, true);
    const int rc = gateway.repair_synced_expectations();
    const std::string text = "takeover: " + std::to_string(n) + " sessions released; " +
                             repair_report(gateway.sync_repair_counters(), rc);
    log.write(Level::kNotice, "takeover", text, {log_num("sessions_released", n)});
    return text + '\n';
  });
  if (status.get() >= 0) metrics_server.add_listener(status.get(), true);
  if (metrics.get() >= 0) metrics_server.add_listener(metrics.get());

  // Every socket is bound: from here on only CAP_NET_ADMIN is needed.
  if (auto err = drop_privileges(cfg.user)) return fail(*err);

  Fd ep(epoll_create1(EPOLL_CLOEXEC));
  auto watch = [&](int fd, uint64_t tag) {
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = tag;
    epoll_ctl(ep.get(), EPOLL_CTL_ADD, fd, &ev);
  };
  constexpr uint64_t kSignal = 1u << 20, kTimer = kSignal + 1, kMetrics = kSignal + 2;
  for (size_t i = 0; i < queues.size(); ++i) watch(queues[i].fd(), i);
  watch(sigfd.get(), kSignal);
  watch(timer.get(), kTimer);
  watch(metrics_server.fd(), kMetrics);

  {
    std::string queue_text, port_text;
    for (uint16_t q : cfg.queues) queue_text += (queue_text.empty() ? "" : " ") + std::to_string(q);
    for (uint16_t p : cfg.control_ports) port_text += (port_text.empty() ? "" : " ") + std::to_string(p);
    const std::string conntrack =
        !queues.empty() && queues.front().conntrack_glue()
            ? (verdict_expectations
                   ? "conntrack from each queued packet (NFQA_CT), expectations in the verdicts (NFQA_EXP)"
                   : "conntrack from each queued packet (NFQA_CT)")
            : "conntrack looked up over ctnetlink (no NFQUEUE conntrack glue)";
    log.write(Level::kInfo, "start",
              "running (version " + std::string(kVersion) + "): queue " + queue_text + ", control ports " +
                  port_text + ", expectation timeout " +
                  std::to_string(cfg.policy.expectation_timeout / 1'000'000) + "s, " + conntrack,
              {log_str("version", std::string(kVersion)), log_str("queues", queue_text),
               log_str("ports", port_text), log_num("rules", cfg.rule_names.size()),
               log_str("conntrack", conntrack)});
  }

  bool running = true;
  while (running) {
    epoll_event events[16];
    const int n = epoll_wait(ep.get(), events, 16, -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      log.write(Level::kError, "failed", std::string("epoll_wait: ") + std::strerror(errno));
      return 1;
    }
    for (int i = 0; i < n; ++i) {
      const uint64_t tag = events[i].data.u64;
      if (tag < queues.size()) {
        NfQueue& q = queues[tag];
        // What is waiting is read and judged, up to verdict_batch packets, and their verdicts
        // leave together (NfQueue::flush): one sendmsg for the batch, each packet waiting at
        // most for the others' judging. The latency is measured to that send.
        for (bool more = true; more;) {
          judged.clear();
          while (judged.size() < cfg.verdict_batch) {
            const NfQueue::Read r = q.read(packets);
            if (r == NfQueue::Read::kNothing) {
              more = false;
              break;
            }
            if (r == NfQueue::Read::kFailed) {
              log.write(Level::kError, "failed",
                        "NFQUEUE " + std::to_string(q.number()) + " socket failed: " + std::strerror(errno));
              return 1;
            }
            const Micros read_at = monotonic_micros();
            for (const QueuedPacket& p : packets) judged.push_back({read_at, judge_packet(q, p, read_at)});
          }
          flush_all();  // a held packet this batch settled may sit on another queue
          // From the receive to this packet's verdict.
          const Micros sent_at = monotonic_micros();
          for (const JudgedPacket& j : judged) {
            const auto waited = static_cast<uint64_t>(sent_at - j.read_at);
            latency.observe(waited);
            if (j.carried_decision) decision_latency.observe(waited);
          }
        }
      } else if (tag == kTimer) {
        uint64_t expirations;
        if (read(timer.get(), &expirations, sizeof(expirations)) > 0) {
          const Micros now = monotonic_micros();
          engine.tick(now);
          settle_held(path.release_expired(now), true);
          flush_all();
          metrics_server.tick(now);
          flush_logs();
        }
      } else if (tag == kMetrics) {
        metrics_server.poll(monotonic_micros());
        flush_all();  // a takeover releases held packets
      } else if (tag == kSignal) {
        signalfd_siginfo si;
        while (read(sigfd.get(), &si, sizeof(si)) == static_cast<ssize_t>(sizeof(si))) {
          if (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT) {
            running = false;
          } else if (si.ssi_signo == SIGUSR1) {
            // Text: the Prometheus text, as `ftpgate status`; JSON: one object (status --format json).
            if (cfg.log_format == LogFormat::kJson)
              log.write(Level::kInfo, "counters", "counters (SIGUSR1)",
                        {LogField{"counters", status_json(status_text()), true}});
            else
              std::cerr << status_text();
          } else if (si.ssi_signo == SIGHUP) {
            DaemonConfig fresh;
            info.last_reload_micros = wall_clock_micros();
            if (auto err = load_config(options, fresh)) {
              info.last_reload_ok = false;
              ++info.reloads_failed;
              log.write(Level::kError, "reload_refused", "reload refused, keeping the running policy: " + *err);
              // logrotate's SIGHUP: the running audit log is reopened all the same.
              if (!audit_path.empty())
                if (auto failed = audit.reopen(audit_path)) log.write(Level::kError, "audit_reopen_failed", *failed);
            } else {
              info.last_reload_ok = true;
              info.last_reload_success_micros = info.last_reload_micros;
              ++info.reloads_succeeded;
              info.rule_names = fresh.rule_names;
              attach_ftp64_legs(fresh.policy, *ct);
              engine.set_policy(fresh.policy);
              gateway.set_policy(fresh.policy, fresh.nat);
              path.set_nat(fresh.nat);
              gateway.set_enforce_mark(fresh.enforce_mark);
              if (!fresh.audit_log.empty()) {
                // logrotate moved the file: a new one is opened under the name.
                if (auto failed = audit.reopen(fresh.audit_log)) log.write(Level::kError, "audit_reopen_failed", *failed);
                else audit_path = fresh.audit_log;
              }
              const size_t rules = fresh.policy.rules ? fresh.policy.rules->size() : 0;
              log.write(Level::kInfo, "reload",
                        "policy reloaded, " + std::to_string(rules) +
                            " command rules (queues and ports need a restart)",
                        {log_num("rules", rules)});
              if (const std::string pending = restart_only_changes(cfg, fresh); !pending.empty())
                log.write(Level::kWarning, "reload_needs_restart",
                          "changed in the file but applied only at a restart: " + pending,
                          {log_str("keys", pending)});
            }
          }
        }
      }
    }
    // The verdicts of this round are out: now the logs may take their time.
    flush_logs();
  }
  engine.finish_transfers(monotonic_micros());  // records still waiting
  flush_logs();
  {
    // One line; the counters are for SIGUSR1 and `ftpgate status`.
    const Counters& e = engine.counters();
    const GatewayCounters& g = gateway.counters();
    uint64_t refusals = 0;
    for (uint64_t r : e.reasons) refusals += r;
    const uint64_t up = static_cast<uint64_t>(wall_clock_micros() - started_at) / 1'000'000;
    log.write(Level::kInfo, "stop",
              "stopped after " + std::to_string(up) + " s: " + std::to_string(dc.packets) + " packets, " +
                  std::to_string(e.sessions_created) + " sessions, " + std::to_string(g.expectations_installed) +
                  " expectations installed, " + std::to_string(refusals) + " refusals, " +
                  std::to_string(dc.fail_open_accepts) + " fail-open accepts",
              {log_num("uptime_seconds", up), log_num("packets", dc.packets),
               log_num("sessions", e.sessions_created), log_num("expectations_installed", g.expectations_installed),
               log_num("refusals", refusals), log_num("fail_open_accepts", dc.fail_open_accepts)});
  }
  if (status.get() >= 0) unlink(cfg.status_socket.c_str());
  if (helper == HelperBinding::kRegistered) release_helper();  // EBUSY while rules name it
  return 0;
}

}  // namespace ftpgate
