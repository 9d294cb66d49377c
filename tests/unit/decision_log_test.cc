// The decision log: one line per decision, text or JSON, with the user name when seen.
#include "daemon/decision_log.h"

#include <gtest/gtest.h>

#include <sstream>

#include "test_support.h"

namespace ftpgate {
namespace {

using testing::Conversation;
using testing::ip;

// Captures the engine's actions into a DecisionLog, as the gateway does (expectations as
// installed, with a NAT rewrite).
class LoggingSink : public ActionSink {
 public:
  explicit LoggingSink(LogFormat f) : log(out, f) {}
  void on_action(const Action& a) override {
    if (a.kind == Action::Kind::kExpect) {
      InstallOutcome o;
      o.installed = true;
      o.detail = "timeout 30s (helper sane)";
      o.nat_to = "198.51.100.2:50000";
      o.nat_as = "203.0.113.1:50000";
      o.rewrite_old = std::string(a.endpoint_text);
      o.rewrite_new = "203,0,113,1,195,80";
      log.expectation(a, o);
    } else if (a.kind != Action::Kind::kEvent) {
      log.action(a);
    }
  }
  std::string text() {
    log.flush();
    return out.str();
  }
  std::ostringstream out;
  DecisionLog log;
};

void talk(Engine& engine) {
  Conversation c(engine, "198.51.100.2", "203.0.113.2");
  c.client("USER al\"ice\x01\r\n");
  c.server("331 password\r\n");
  c.client("PASS x\r\n");
  c.server("230 logged in\r\n");
  c.client("PORT 198,51,100,2,195,80\r\n");
  c.server("200 ok\r\n");
  c.client("PORT 10,0,0,9,195,80\r\n");  // a bounce: refused
}

TEST(DecisionLog, TextNamesUserExpectationNatAndRewrite) {
  LoggingSink sink(LogFormat::kText);
  Engine engine(Policy{}, {21}, sink);
  talk(engine);
  const std::string log = sink.text();
  EXPECT_NE(log.find("expect active PORT control 198.51.100.2:40000 -> 203.0.113.2:21 user al\"ice\\x01 "
                     "data 203.0.113.2 -> 198.51.100.2:50000: installed, timeout 30s (helper sane), "
                     "nat to 198.51.100.2:50000 as 203.0.113.1:50000, rewrite \"198,51,100,2,195,80\" -> "
                     "\"203,0,113,1,195,80\"\n"), std::string::npos) << log;
  EXPECT_NE(log.find("reject bounce_address control 198.51.100.2:40000 -> 203.0.113.2:21 user al\"ice"),
            std::string::npos) << log;
}

TEST(DecisionLog, JsonCarriesTheSameFactsEscaped) {
  LoggingSink sink(LogFormat::kJson);
  Engine engine(Policy{}, {21}, sink);
  talk(engine);
  std::istringstream lines(sink.text());
  std::string expect, reject;
  std::getline(lines, expect);
  std::getline(lines, reject);
  EXPECT_EQ(expect.rfind("{\"event\":\"expect\",\"ts\":", 0), 0u) << expect;
  EXPECT_NE(expect.find("\"mode\":\"active\",\"cmd\":\"PORT\",\"control\":{\"client\":\"198.51.100.2\",\"client_port\":40000,"
                        "\"server\":\"203.0.113.2\",\"server_port\":21},\"user\":\"al\\\"ice\\u0001\""),
            std::string::npos) << expect;
  EXPECT_NE(expect.find("\"data\":{\"src\":\"203.0.113.2\",\"dst\":\"198.51.100.2\",\"dport\":50000},"
                        "\"result\":\"installed\""), std::string::npos) << expect;
  EXPECT_NE(expect.find("\"rewrite\":{\"old\":\"198,51,100,2,195,80\",\"new\":\"203,0,113,1,195,80\"},\"level\":\"info\"}"),
            std::string::npos) << expect;
  EXPECT_NE(reject.find("\"event\":\"reject\""), std::string::npos) << reject;
  EXPECT_NE(reject.find("\"reason\":\"bounce_address\",\"direction\":\"to_server\",\"line\":\"PORT 10,0,0,9,195,80\",\"level\":\"notice\"}"),
            std::string::npos) << reject;
}

TEST(DecisionLog, LongUserNamesAreCutAndCounted) {
  LoggingSink sink(LogFormat::kText);
  Policy p;
  p.max_user_name_length = 8;
  Engine engine(p, {21}, sink);
  Conversation c(engine, "198.51.100.2", "203.0.113.2");
  c.client("USER " + std::string(100, 'u') + "\r\n");
  c.server("230 logged in\r\n");
  c.client("PORT 198,51,100,2,195,80\r\n");
  EXPECT_NE(sink.text().find(" user uuuuuuuu data "), std::string::npos) << sink.text();
  EXPECT_EQ(engine.counters().user_names_truncated, 1u);
}

}  // namespace
}  // namespace ftpgate
