#include "daemon/queue_worker.h"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <iostream>
#include <stdexcept>
#include <system_error>

#include "daemon/clock.h"
#include "daemon/daemon_log.h"
#include "daemon/ftp64_legs.h"
#include "daemon/helper_binding.h"

namespace ftpgate {

Policy worker_policy(const Policy& policy, ConntrackPort& ct, size_t workers) {
  Policy p = policy;
  if (p.rules) p.rules = std::make_shared<const CommandRules>(*p.rules);
  attach_ftp64_legs(p, ct);
  if (workers > 1) {
    const auto share = [&](uint32_t total) {
      return static_cast<uint32_t>((uint64_t{total} + workers - 1) / workers);
    };
    p.max_sessions = share(p.max_sessions);
    p.max_expectations_total = share(p.max_expectations_total);
  }
  return p;
}

namespace {
ConntrackClient open_conntrack() {
  try {
    return ConntrackClient();
  } catch (const std::system_error& e) {
    throw std::runtime_error("cannot open ctnetlink (nf_conntrack_netlink) to install expectations: " +
                             errno_text(e.code().value()));
  }
}
}  // namespace

QueueWorker::QueueWorker(const DaemonConfig& cfg, uint16_t queue, size_t workers, int failed_fd)
    : cfg_(cfg),
      workers_(workers),
      failed_fd_(failed_fd),
      ct_(open_conntrack()),
      queue_(queue, cfg.queue_max_len, !cfg.fail_closed, cfg.verdict_batch),
      policy_(worker_policy(cfg.policy, ct_, workers)),
      decisions_(std::cerr, cfg.log_format, process_log().journal()),
      audit_(ct_),
      gateway_(ct_, policy_, cfg.nat, decisions_),
      path_(policy_, cfg.control_ports, gateway_, cfg.nat),
      wake_(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)),
      timer_(timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC)) {
  // Where queued packets carry their conntrack, expectations ride on the verdicts (NFQA_EXP).
  if (queue_.conntrack_glue()) {
    if (const int rc = ct_.enable_verdict_expectations(); rc != 0)
      process_log().write(Level::kWarning, "no_verdict_expectations",
                          "queue " + std::to_string(queue) + ": no expectation events (" + errno_text(rc) +
                              "): expectations go over ctnetlink");
    else
      verdict_expectations_ = true;
  }
  if (!cfg.audit_log.empty())
    if (auto err = audit_.open(cfg.audit_log)) throw std::runtime_error(*err);
  gateway_.set_audit(&audit_);
  gateway_.set_own_helpers(expectation_helpers(cfg.helper_mode));
  gateway_.set_enforce_mark(cfg.enforce_mark);
  packets_.reserve(4);
  judged_.reserve(cfg.verdict_batch);
  // 100 ms: held segments wait at most nat_hold_timeout_ms plus this; the engine's expiry scan
  // throttles itself to once a second.
  itimerspec its{{0, 100'000'000}, {0, 100'000'000}};
  timerfd_settime(timer_.get(), 0, &its, nullptr);
}

QueueWorker::~QueueWorker() { stop(); }

void QueueWorker::start() { thread_ = std::thread([this] { run(); }); }

void QueueWorker::stop() {
  if (!thread_.joinable()) return;
  stopping_ = true;
  const uint64_t one = 1;
  if (write(wake_.get(), &one, sizeof(one)) < 0) { /* the flag is read at the next wake-up */ }
  thread_.join();
  std::lock_guard<std::mutex> g(mu_);
  path_.engine().finish_transfers(monotonic_micros());  // records still waiting
  flush_logs();
}

std::string QueueWorker::failure() const {
  std::lock_guard<std::mutex> g(mu_);
  return failure_;
}

DaemonCounters QueueWorker::daemon_counters() const {
  DaemonCounters d = dc_;
  d.conntrack_requests = ct_.requests();
  d.conntrack_from_packet = ct_.answered_from_packet();
  d.verdict_expectations = ct_.verdict_expectations();
  d.verdict_expectations_unconfirmed = ct_.verdict_expectations_unconfirmed();
  return d;
}

NfQueueStats QueueWorker::queue_stats() const {
  NfQueueStats s = queue_.stats();
  s.queue = queue_.number();
  return s;
}

std::optional<std::string> QueueWorker::apply(const DaemonConfig& fresh) {
  policy_ = worker_policy(fresh.policy, ct_, workers_);
  path_.engine().set_policy(policy_);
  gateway_.set_policy(policy_, fresh.nat);
  path_.set_nat(fresh.nat);
  gateway_.set_enforce_mark(fresh.enforce_mark);
  // logrotate's SIGHUP: a new file is opened under the name (the rotated one is left).
  if (!fresh.audit_log.empty()) return audit_.reopen(fresh.audit_log);
  return std::nullopt;
}

size_t QueueWorker::take_over() {
  std::vector<QueuedId> release;
  const size_t n = path_.take_over(release);
  settle_held(release, true);
  queue_.flush();
  return n;
}

void QueueWorker::settle_held(const std::vector<QueuedId>& ids, bool accept) {
  for (const QueuedId& h : ids) queue_.verdict(h.id, accept);  // this worker's queue holds them
}

void QueueWorker::flush_logs() {
  // Records carry the engine's monotonic times; the log states wall-clock ones.
  decisions_.flush();
  audit_.flush(wall_clock_micros() - monotonic_micros());
}

bool QueueWorker::judge_packet(const QueuedPacket& p, Micros read_at) {
  bool carried_decision = false;
  ++dc_.packets;
  // One fail-open policy: whatever happens while judging, the packet is accepted.
  try {
    PacketDecision d;
    ct_.offer_queued(p.conntrack);
    const DecodeStatus decoded = path_.judge(QueuedId{p.queue, p.id}, p.payload, read_at, d, p.indev);
    ct_.offer_queued(nullptr);
    if (decoded != DecodeStatus::kOk) ++dc_.undecodable;
    settle_held(d.release, true);
    settle_held(d.drop, false);
    carried_decision = d.carried_decision;
    // An expectation taken for this packet's verdict (NFQA_EXP) goes out with it when the
    // packet is accepted unchanged, else over ctnetlink.
    const ExpectationRequest* in_verdict = ct_.attached();
    bool carried = false;
    switch (d.fate) {
      case PacketDecision::Fate::kAccept:
        if (in_verdict != nullptr) {
          carried = queue_.verdict_with_expectation(p.id, *in_verdict) == 0;
          if (!carried) queue_.accept(p.id);
        } else {
          queue_.accept(p.id);
        }
        break;
      case PacketDecision::Fate::kHold: queue_.hold(p.id); break;
      case PacketDecision::Fate::kDrop: queue_.verdict(p.id, false); break;
      case PacketDecision::Fate::kAcceptChanged: queue_.verdict(p.id, true, d.packet); break;
    }
    if (in_verdict != nullptr) gateway_.finish_attached(carried);
  } catch (...) {
    // One fault policy: accepted (counted) unless the operator chose fail_closed.
    ct_.offer_queued(nullptr);
    if (cfg_.fail_closed) {
      ++dc_.fail_closed_drops;
      queue_.verdict(p.id, false);
    } else {
      ++dc_.fail_open_accepts;
      queue_.accept(p.id);
    }
    gateway_.finish_attached(false);
  }
  return carried_decision;
}

// What is waiting is read and judged, up to verdict_batch packets, and their verdicts leave
// together (NfQueue::flush): one sendmsg for the batch, each packet waiting at most for the
// others' judging. The latency is measured to that send.
void QueueWorker::judge_batch(bool& more) {
  judged_.clear();
  while (judged_.size() < cfg_.verdict_batch) {
    const NfQueue::Read r = queue_.read(packets_);
    if (r == NfQueue::Read::kNothing) {
      more = false;
      break;
    }
    if (r == NfQueue::Read::kFailed) {
      failure_ = "NFQUEUE " + std::to_string(queue_.number()) + " socket failed: " + std::strerror(errno);
      more = false;
      break;
    }
    const Micros read_at = monotonic_micros();
    for (const QueuedPacket& p : packets_) judged_.push_back({read_at, judge_packet(p, read_at)});
    if (queue_.emptied()) {  // nothing more was waiting: the verdicts go, then epoll waits
      more = false;
      break;
    }
  }
  queue_.flush();
  const Micros sent_at = monotonic_micros();
  for (const JudgedPacket& j : judged_) {
    const auto waited = static_cast<uint64_t>(sent_at - j.read_at);
    latency_.observe(waited);
    if (j.carried_decision) decision_latency_.observe(waited);
  }
}

void QueueWorker::tick() {
  uint64_t expirations;
  if (read(timer_.get(), &expirations, sizeof(expirations)) <= 0) return;
  const Micros now = monotonic_micros();
  path_.engine().tick(now);
  settle_held(path_.release_expired(now), true);
  queue_.flush();
  flush_logs();
}

void QueueWorker::run() {
  Fd ep(epoll_create1(EPOLL_CLOEXEC));
  enum : uint64_t { kQueue, kTimer, kWake };
  for (auto [fd, tag] : {std::pair{queue_.fd(), kQueue}, std::pair{timer_.get(), kTimer},
                         std::pair{wake_.get(), kWake}}) {
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = tag;
    epoll_ctl(ep.get(), EPOLL_CTL_ADD, fd, &ev);
  }
  while (!stopping_) {
    epoll_event events[3];
    const int n = epoll_wait(ep.get(), events, 3, -1);
    if (n < 0) continue;  // EINTR
    for (int i = 0; i < n; ++i) {
      if (events[i].data.u64 == kQueue) {
        for (bool more = true; more && !stopping_;) {
          std::lock_guard<std::mutex> g(mu_);
          judge_batch(more);
          if (!failure_.empty()) {
            const uint64_t one = 1;
            if (write(failed_fd_, &one, sizeof(one)) < 0) { /* the daemon reads failure() */ }
            return;
          }
        }
      } else if (events[i].data.u64 == kTimer) {
        std::lock_guard<std::mutex> g(mu_);
        tick();
      }
    }
    // The verdicts of this round are out: now the logs may take their time.
    std::lock_guard<std::mutex> g(mu_);
    flush_logs();
  }
}

}  // namespace ftpgate
