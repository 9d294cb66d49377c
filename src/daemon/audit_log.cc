#include "daemon/audit_log.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "util/json_writer.h"
#include "util/transfer_json.h"

namespace ftpgate {

AuditLog::~AuditLog() {
  if (file_ != nullptr) std::fclose(file_);
}

std::optional<std::string> AuditLog::open(const std::string& path) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
  if (fd < 0) return "cannot open the audit log " + path + ": " + std::strerror(errno);
  std::FILE* f = fdopen(fd, "a");
  if (f == nullptr) {
    ::close(fd);
    return "cannot open the audit log " + path + ": " + std::strerror(errno);
  }
  if (file_ != nullptr) std::fclose(file_);
  file_ = f;
  return std::nullopt;
}

void AuditLog::record(const TransferRecord& r) {
  if (file_ == nullptr) return;
  if (pending_.size() >= kMaxPending) {
    ++counters_.pending_limit;
    return;
  }
  pending_.push_back(r);
}

void AuditLog::flush(int64_t to_epoch) {
  if (pending_.empty() || file_ == nullptr) return;
  std::string out;
  for (const TransferRecord& r : pending_) {
    std::string line;
    JsonObject o(line);
    write_transfer_json(o, r, to_epoch);
    if (r.data.seen) {
      // The data connection's conntrack lingers (TIME_WAIT, CLOSE) after its end: its counters.
      int err = 0;
      const CtTuple seen{r.data.opener, r.data.acceptor, r.data.opener_port, r.data.acceptor_port};
      if (auto ct = find_forwarded(ct_, seen, err); ct && ct->has_counters) {
        ++counters_.kernel_counters;
        o.open("kernel")
            .num("packets_to_acceptor", ct->packets[0]).num("bytes_to_acceptor", ct->bytes[0])
            .num("packets_to_opener", ct->packets[1]).num("bytes_to_opener", ct->bytes[1])
            .end();
      }
    }
    o.close();
    out += line;
    out += '\n';
  }
  const size_t n = pending_.size();
  pending_.clear();
  if (std::fwrite(out.data(), 1, out.size(), file_) != out.size() || std::fflush(file_) != 0) {
    counters_.write_errors += n;
    return;
  }
  counters_.records += n;
}

}  // namespace ftpgate
