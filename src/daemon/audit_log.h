#pragma once
// The transfer audit log (config audit_log = PATH): one JSON line per data transfer, in the form
// `ftpgate replay --audit` prints (util/transfer_json.h), plus what only the kernel knows: the
// data connection's IP-level counters from its conntrack (nf_conntrack_acct), read when the
// record is written:
//   ..., "kernel":{"packets_to_acceptor":50,"bytes_to_acceptor":2652,
//                  "packets_to_opener":52,"bytes_to_opener":68256}
// Records are collected while packets are judged and written by flush(), after the verdicts
// (a conntrack read never delays a packet). The file is opened for appending; SIGHUP reopens it
// (logrotate: move the file, then `systemctl reload ftpgate`).
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "core/counter_list.h"
#include "core/transfer_watch.h"
#include "daemon/conntrack_port.h"

namespace ftpgate {

// X(field, "metric_name")
#define FTPGATE_AUDIT_COUNTERS(X)                                                               \
  X(records, "audit_records_total")               /* lines written */                         \
  X(write_errors, "audit_write_errors_total")     /* lines lost: the file could not take them */\
  /* records whose data connection's conntrack (and its counters) was read */                  \
  X(kernel_counters, "audit_kernel_counters_total")                                             \
  X(pending_limit, "audit_pending_limit_total")   /* records dropped: kMaxPending waiting */

struct AuditCounters {
  FTPGATE_COUNTERS_OF(FTPGATE_AUDIT_COUNTERS)
};

class AuditLog {
 public:
  // Records waiting for flush() at most (one batch of verdicts makes few).
  static constexpr size_t kMaxPending = 4096;

  explicit AuditLog(ConntrackPort& ct) : ct_(ct) {}
  ~AuditLog();
  // Opens PATH for appending (creating it, mode 0640); an error text otherwise.
  std::optional<std::string> open(const std::string& path);
  // SIGHUP: the file again (a rotated one is left to its rotator), or another path.
  std::optional<std::string> reopen(const std::string& path) { return open(path); }
  bool is_open() const { return file_ != nullptr; }
  void record(const TransferRecord& r);
  // Writes the waiting records; `to_epoch` turns the engine's clock into wall-clock time.
  void flush(int64_t to_epoch);
  const AuditCounters& counters() const { return counters_; }

 private:
  ConntrackPort& ct_;
  std::FILE* file_ = nullptr;
  std::vector<TransferRecord> pending_;
  AuditCounters counters_;
};

}  // namespace ftpgate
