// The daemon's own lines: text as before; in JSON every line one object with ts, level,
// event and msg; under the journal, each line led by its syslog priority.
#include "daemon/daemon_log.h"

#include <gtest/gtest.h>

#include <regex>
#include <sstream>

namespace ftpgate {
namespace {

TEST(DaemonLog, TextKeepsTheFamiliarLine) {
  std::ostringstream out;
  DaemonLog log(out, LogFormat::kText, false);
  log.write(Level::kInfo, "reload", "policy reloaded, 3 command rules", {log_num("rules", 3)});
  EXPECT_EQ(out.str(), "ftpgate: policy reloaded, 3 command rules\n");
}

TEST(DaemonLog, JsonIsOneObjectWithLevelEventAndTime) {
  std::ostringstream out;
  DaemonLog log(out, LogFormat::kJson, false);
  log.write(Level::kError, "reload_refused", "reload refused: line 2: \"x\"", {log_num("rules", 3), log_str("file", "/etc/a")});
  const std::regex line(
      R"(^\{"ts":[0-9]+\.[0-9]{6},"level":"error","event":"reload_refused","msg":"reload refused: line 2: \\"x\\"","rules":3,"file":"/etc/a"\}
$)");
  EXPECT_TRUE(std::regex_match(out.str(), line)) << out.str();
}

TEST(DaemonLog, JournalGetsPriorities) {
  std::ostringstream out;
  DaemonLog log(out, LogFormat::kText, true);
  log.write(Level::kError, "start_failed", "no queue");
  log.write(Level::kInfo, "start", "running");
  EXPECT_EQ(out.str(), "<3>ftpgate: no queue\n<6>ftpgate: running\n");
  std::ostringstream json;
  DaemonLog jlog(json, LogFormat::kJson, true);
  jlog.write(Level::kWarning, "x", "y");
  EXPECT_EQ(json.str().rfind("<4>{\"ts\":", 0), 0u) << json.str();
}

TEST(DaemonLog, LevelNamesAreSyslogs) {
  EXPECT_EQ(level_name(Level::kError), "error");
  EXPECT_EQ(level_name(Level::kWarning), "warning");
  EXPECT_EQ(level_name(Level::kNotice), "notice");
  EXPECT_EQ(level_name(Level::kInfo), "info");
  EXPECT_EQ(priority_prefix(Level::kNotice, true), "<5>");
  EXPECT_EQ(priority_prefix(Level::kNotice, false), "");
}

}  // namespace
}  // namespace ftpgate
