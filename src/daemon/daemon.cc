#include "daemon/daemon.h"

#include <signal.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
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

#include "daemon/clock.h"
#include "daemon/daemon_log.h"
#include "daemon/fd.h"
#include "daemon/helper_binding.h"
#include "daemon/metrics_endpoint.h"
#include "daemon/privileges.h"
#include "daemon/queue_worker.h"
#include "daemon/status_text.h"
#include "daemon/version.h"
#include "daemon/worker_totals.h"
#include "kernel/cthelper.h"

namespace ftpgate {
namespace {

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

  // One worker per queue, each on its own thread (queue_worker.h says why none needs another's
  // sessions). This thread keeps the signals, the timer of the metrics and the status socket.
  Fd failed(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
  std::string audit_path = cfg.audit_log;  // the audit log open now
  std::vector<std::unique_ptr<QueueWorker>> workers;
  for (uint16_t q : cfg.queues) {
    try {
      workers.push_back(std::make_unique<QueueWorker>(cfg, q, cfg.queues.size(), failed.get()));
    } catch (const std::exception& e) {
      return fail(e.what());
    }
  }
  if (!cfg.audit_log.empty() &&
      read_file("/proc/sys/net/netfilter/nf_conntrack_acct").value_or("0").substr(0, 1) != "1")
    log.write(Level::kWarning, "audit_without_byte_counters",
              "audit log without the kernel's byte counters (sysctl "
              "net.netfilter.nf_conntrack_acct=1 adds them)");

  // A second's tick for the metrics server; the workers keep their own timers.
  Fd timer(timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC));
  itimerspec its{{1, 0}, {1, 0}};
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
  // The workers' figures added up (each read under its worker's lock); the queues labelled.
  auto status_text = [&] {
    WorkerTotals t;
    for (auto& w : workers) w->locked([&](QueueWorker& x) { t.add(x); });
    return format_status(StatusSources{t.engine, t.gateway, t.sync_repair, t.path, t.held, t.latency,
                                       t.decision_latency, t.daemon, t.queues, metrics_counters,
                                       t.rules ? &*t.rules : nullptr, t.audit, info});
  };
  MetricsServer metrics_server(status_text);
  metrics_counters = &metrics_server.counters();
  // `ftpgate ha takeover` (keepalived's notify script, after conntrackd's commit): what the
  // workers knew of their sessions is stale; synced expectations are made complete (once: the
  // kernel's table is one).
  metrics_server.set_command_handler([&](std::string_view) {
    size_t n = 0;
    for (auto& w : workers) n += w->locked([](QueueWorker& x) { return x.take_over(); });
    std::string report;
    workers.front()->locked([&](QueueWorker& x) {
      const int rc = x.gateway().repair_synced_expectations();
      report = repair_report(x.gateway().sync_repair_counters(), rc);
    });
    const std::string text = "takeover: " + std::to_string(n) + " sessions released; " + report;
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
  enum : uint64_t { kSignal, kTimer, kMetrics, kWorkerFailed };
  watch(sigfd.get(), kSignal);
  watch(timer.get(), kTimer);
  watch(metrics_server.fd(), kMetrics);
  watch(failed.get(), kWorkerFailed);

  {
    std::string queue_text, port_text;
    for (uint16_t q : cfg.queues) queue_text += (queue_text.empty() ? "" : " ") + std::to_string(q);
    for (uint16_t p : cfg.control_ports) port_text += (port_text.empty() ? "" : " ") + std::to_string(p);
    const QueueWorker& first = *workers.front();
    const std::string conntrack =
        first.conntrack_glue()
            ? (first.verdict_expectations()
                   ? "conntrack from each queued packet (NFQA_CT), expectations in the verdicts (NFQA_EXP)"
                   : "conntrack from each queued packet (NFQA_CT)")
            : "conntrack looked up over ctnetlink (no NFQUEUE conntrack glue)";
    log.write(Level::kInfo, "start",
              "running (version " + std::string(kVersion) + "): queue " + queue_text + " (" +
                  std::to_string(workers.size()) + (workers.size() == 1 ? " worker" : " workers, one per queue") +
                  "), control ports " + port_text + ", expectation timeout " +
                  std::to_string(cfg.policy.expectation_timeout / 1'000'000) + "s, " + conntrack,
              {log_str("version", std::string(kVersion)), log_str("queues", queue_text),
               log_num("workers", workers.size()), log_str("ports", port_text),
               log_num("rules", cfg.rule_names.size()), log_str("conntrack", conntrack)});
  }
  for (auto& w : workers) w->start();

  int exit_status = 0;
  bool running = true;
  while (running) {
    epoll_event events[8];
    const int n = epoll_wait(ep.get(), events, 8, -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      log.write(Level::kError, "failed", std::string("epoll_wait: ") + std::strerror(errno));
      exit_status = 1;
      break;
    }
    for (int i = 0; i < n; ++i) {
      const uint64_t tag = events[i].data.u64;
      if (tag == kWorkerFailed) {
        for (auto& w : workers)
          if (const std::string why = w->failure(); !why.empty()) log.write(Level::kError, "failed", why);
        exit_status = 1;
        running = false;
      } else if (tag == kTimer) {
        uint64_t expirations;
        if (read(timer.get(), &expirations, sizeof(expirations)) > 0) metrics_server.tick(monotonic_micros());
      } else if (tag == kMetrics) {
        metrics_server.poll(monotonic_micros());
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
            const std::optional<std::string> err = load_config(options, fresh);
            if (err) {
              info.last_reload_ok = false;
              ++info.reloads_failed;
              log.write(Level::kError, "reload_refused", "reload refused, keeping the running policy: " + *err);
            }
            // The new configuration in every worker; refused, the running audit log is reopened
            // all the same (logrotate's SIGHUP).
            std::optional<std::string> audit_failed;
            for (auto& w : workers)
              if (auto f = w->locked([&](QueueWorker& x) { return err ? x.reopen_audit(audit_path) : x.apply(fresh); }))
                audit_failed = f;
            if (audit_failed) log.write(Level::kError, "audit_reopen_failed", *audit_failed);
            else if (!err && !fresh.audit_log.empty()) audit_path = fresh.audit_log;
            if (err) continue;
            info.last_reload_ok = true;
            info.last_reload_success_micros = info.last_reload_micros;
            ++info.reloads_succeeded;
            info.rule_names = fresh.rule_names;
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
  for (auto& w : workers) w->stop();  // their last records written
  {
    // One line; the counters are for SIGUSR1 and `ftpgate status`.
    WorkerTotals t;
    for (auto& w : workers) t.add(*w);  // the threads have ended
    const Counters& e = t.engine;
    const GatewayCounters& g = t.gateway;
    const DaemonCounters& dc = t.daemon;
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
  return exit_status;
}

}  // namespace ftpgate
