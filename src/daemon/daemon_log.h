#pragma once
// The daemon's own log lines (start, stop, reload, failures), as opposed to its decisions
// (decision_log.h), on standard error in the configured format:
//   text: "ftpgate: running: queue 0, control ports 21, ..."   (as before: journald adds time)
//   json: {"ts":1795428406.766150,"level":"info","event":"start","msg":"running: queue 0, ...",
//          "version":"0.1.0",...}
// Under systemd (standard error is the journal: $JOURNAL_STREAM names it), each line starts
// with its syslog priority as sd-daemon(3) reads it ("<3>" error ... "<7>" debug), which
// journald strips and stores, so `journalctl -p err -u ftpgate` finds the failures.
// Event names and fields: the "Logs" section of ftpgate(8).
#include <cstdint>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ftpgate {

enum class LogFormat : uint8_t { kText, kJson };

// syslog(3) priorities.
enum class Level : uint8_t { kError = 3, kWarning = 4, kNotice = 5, kInfo = 6, kDebug = 7 };
std::string_view level_name(Level l);
// "<6>" when priorities are wanted, else "".
std::string priority_prefix(Level l, bool journal);
// Whether standard error is the journal's stream ($JOURNAL_STREAM is its "device:inode").
bool stderr_is_journal();

// A field of a JSON line: a string, or a number already in JSON syntax.
struct LogField {
  std::string_view key;
  std::string value;
  bool number = false;
};
inline LogField log_num(std::string_view key, uint64_t v) { return {key, std::to_string(v), true}; }
inline LogField log_str(std::string_view key, std::string v) { return {key, std::move(v), false}; }

class DaemonLog {
 public:
  DaemonLog(std::ostream& out, LogFormat format, bool journal) : out_(&out), format_(format), journal_(journal) {}
  void set_format(LogFormat f) { format_ = f; }
  LogFormat format() const { return format_; }
  bool journal() const { return journal_; }
  // One line: text "ftpgate: " + msg; json with level, event, msg and the fields.
  void write(Level level, std::string_view event, std::string_view msg, const std::vector<LogField>& fields = {});
  // The line write() would make, without its newline.
  std::string format_line(Level level, std::string_view event, std::string_view msg,
                          const std::vector<LogField>& fields = {}) const;

 private:
  std::ostream* out_;
  LogFormat format_;
  bool journal_;
};

// The process's log for messages outside a running daemon's objects (helper registration):
// text on standard error until run_daemon configures it.
DaemonLog& process_log();
void configure_process_log(LogFormat format);

}  // namespace ftpgate
