#include "daemon/daemon_log.h"

#include <sys/stat.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>

#include "util/json_writer.h"

namespace ftpgate {

std::string_view level_name(Level l) {
  switch (l) {
    case Level::kError: return "error";
    case Level::kWarning: return "warning";
    case Level::kNotice: return "notice";
    case Level::kInfo: return "info";
    case Level::kDebug: return "debug";
  }
  return "info";
}

std::string priority_prefix(Level l, bool journal) {
  if (!journal) return {};
  return "<" + std::to_string(static_cast<int>(l)) + ">";
}

bool stderr_is_journal() {
  const char* js = std::getenv("JOURNAL_STREAM");
  if (js == nullptr) return false;
  unsigned long long dev = 0, ino = 0;
  if (std::sscanf(js, "%llu:%llu", &dev, &ino) != 2) return false;
  struct stat st {};
  if (fstat(2, &st) != 0) return false;
  return st.st_dev == dev && st.st_ino == ino;
}

std::string DaemonLog::format_line(Level level, std::string_view event, std::string_view msg,
                                   const std::vector<LogField>& fields) const {
  std::string s = priority_prefix(level, journal_);
  if (format_ == LogFormat::kJson) {
    const int64_t now = std::chrono::duration_cast<std::chrono::microseconds>(
                            std::chrono::system_clock::now().time_since_epoch()).count();
    JsonObject o(s);
    o.fixed6("ts", now).str("level", level_name(level)).str("event", event).str("msg", msg);
    for (const LogField& f : fields) {
      if (f.number) o.number_text(f.key, f.value);
      else o.str(f.key, f.value);
    }
    o.close();
  } else {
    s += "ftpgate: ";
    s += msg;
  }
  return s;
}

void DaemonLog::write(Level level, std::string_view event, std::string_view msg,
                      const std::vector<LogField>& fields) {
  *out_ << format_line(level, event, msg, fields) << '\n';
  out_->flush();
}

DaemonLog& process_log() {
  static DaemonLog log(std::cerr, LogFormat::kText, stderr_is_journal());
  return log;
}

void configure_process_log(LogFormat format) { process_log().set_format(format); }

}  // namespace ftpgate
