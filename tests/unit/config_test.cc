#include "daemon/config.h"

#include <gtest/gtest.h>

namespace ftpgate {
namespace {

TEST(Config, DefaultsAreFinite) {
  DaemonConfig c;
  EXPECT_EQ(c.queues, std::vector<uint16_t>{0});
  EXPECT_EQ(c.control_ports, std::vector<uint16_t>{21});
  EXPECT_GT(c.policy.max_sessions, 0u);
  EXPECT_GT(c.policy.max_expectations_total, 0u);
  EXPECT_GT(c.policy.max_line_length, 0u);
  EXPECT_GT(c.queue_max_len, 0u);
}

TEST(Config, FileWithCommentsAndAllKinds) {
  DaemonConfig c;
  auto err = apply_config_text(c,
                               "# ftpgate\n"
                               "queue = 2-3\n"
                               "ports = 21, 2121\n"  // spaces inside are not allowed: see below
                               "");
  ASSERT_TRUE(err);
  EXPECT_EQ(err->message,
            "line 3: bad value '21, 2121' for ports (' 2121' is not a port (1-65535); a list like 21,2121 or 2100-2110)");
  c = DaemonConfig{};
  err = apply_config_text(c,
                          "# ftpgate\n"
                          "queue = 2-3\n"
                          "ports = 21,2121   # two servers\n"
                          "helper_mode = carrier\n"
                          "loose = yes\n"
                          "expectation_timeout = 10\n"
                          "max_sessions = 100\n"
                          "\n");
  ASSERT_FALSE(err) << err->message;
  EXPECT_EQ(c.queues, (std::vector<uint16_t>{2, 3}));
  EXPECT_EQ(c.control_ports, (std::vector<uint16_t>{21, 2121}));
  EXPECT_EQ(c.helper_mode, HelperMode::kCarrier);
  EXPECT_FALSE(c.policy.require_peer_address);
  EXPECT_EQ(c.policy.expectation_timeout, 10'000'000);
  EXPECT_EQ(c.policy.max_sessions, 100u);
}

TEST(Config, UnknownKeyNamesTheLine) {
  DaemonConfig c;
  auto err = apply_config_text(c, "queue = 0\n\nqueu = 1\n");
  ASSERT_TRUE(err);
  EXPECT_EQ(err->message, "line 3: unknown key 'queu'");
}

TEST(Config, BadValuesAreRejected) {
  DaemonConfig c;
  EXPECT_TRUE(apply_setting(c, "queue", "0-64"));   // 65 queues
  EXPECT_TRUE(apply_setting(c, "queue", "3-1"));
  EXPECT_TRUE(apply_setting(c, "ports", "0"));
  EXPECT_TRUE(apply_setting(c, "helper_mode", "kernel"));
  EXPECT_TRUE(apply_setting(c, "loose", "maybe"));
  EXPECT_TRUE(apply_setting(c, "max_pending_commands", "65"));
  EXPECT_TRUE(apply_setting(c, "expectation_timeout", "0"));
  EXPECT_TRUE(apply_setting(c, "status_socket", "relative/path"));
  EXPECT_TRUE(apply_config_text(c, "just a line\n"));
  EXPECT_FALSE(apply_setting(c, "queue", "0"));
  EXPECT_EQ(c.queues, std::vector<uint16_t>{0});
}

TEST(Config, EveryKeyIsDocumentedAndItsExampleAccepted) {
  // One table (config.cc) lists each key, documents it and applies it.
  const std::string doc = describe_config_keys();
  const auto examples = config_key_examples();
  ASSERT_GE(examples.size(), 27u);
  for (const auto& [key, value] : examples) {
    DaemonConfig c;
    EXPECT_FALSE(apply_setting(c, key, value)) << key;
    EXPECT_NE(doc.find("  " + std::string(key) + " "), std::string::npos) << key;
  }
  size_t lines = 0;
  for (char ch : doc) lines += ch == '\n';
  EXPECT_EQ(lines, examples.size());
}

}  // namespace
}  // namespace ftpgate

#include <fstream>
#include <sstream>

namespace ftpgate {
namespace {
// A file of the source tree ("" when it cannot be read).
std::string source_file(const std::string& path) {
  std::ifstream in(FTPGATE_SOURCE_DIR "/" + path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(Config, ShippedExampleFileStatesTheDefaults) {
  const std::string text = source_file("scripts/ftpgate.conf");
  ASSERT_FALSE(text.empty());
  DaemonConfig c;
  auto err = apply_config_text(c, text);
  ASSERT_FALSE(err) << err->message;
  const DaemonConfig d;
  EXPECT_EQ(c.queues, d.queues);
  EXPECT_EQ(c.control_ports, d.control_ports);
  EXPECT_EQ(c.policy.max_sessions, d.policy.max_sessions);
  EXPECT_EQ(c.policy.expectation_timeout, d.policy.expectation_timeout);
  EXPECT_EQ(c.policy.max_line_length, d.policy.max_line_length);
  EXPECT_EQ(c.policy.session_idle_timeout, d.policy.session_idle_timeout);
  EXPECT_EQ(c.policy.max_out_of_order_bytes, d.policy.max_out_of_order_bytes);
  EXPECT_EQ(c.queue_max_len, d.queue_max_len);
  EXPECT_EQ(c.nat.rewrite, d.nat.rewrite);
  EXPECT_EQ(c.nat.port_attempts, d.nat.port_attempts);
  EXPECT_EQ(c.nat.max_held_packets, d.nat.max_held_packets);
  EXPECT_EQ(c.nat.hold_timeout, d.nat.hold_timeout);
}

TEST(Config, NatLimitsAreBounded) {
  DaemonConfig c;
  EXPECT_TRUE(apply_setting(c, "nat_port_attempts", "0"));
  EXPECT_TRUE(apply_setting(c, "nat_port_attempts", "4097"));
  EXPECT_TRUE(apply_setting(c, "nat_hold_timeout_ms", "0"));
  EXPECT_TRUE(apply_setting(c, "max_held_packets", "5000"));
  EXPECT_FALSE(apply_setting(c, "max_held_packets", "0"));
  EXPECT_EQ(c.nat.max_held_packets, 0u);
  EXPECT_FALSE(apply_setting(c, "nat", "no"));
  EXPECT_FALSE(c.nat.rewrite);
}
}  // namespace
}  // namespace ftpgate

namespace ftpgate {
namespace {
// ftpgate.conf(5) documents each key with its default, range and whether a reload applies it.
TEST(Config, ManPageDocumentsEveryKey) {
  const std::string man = source_file("scripts/packaging/ftpgate.conf.5");
  ASSERT_FALSE(man.empty());
  for (const auto& [key, value] : config_key_examples()) {
    const size_t at = man.find("\n.TP\n.B " + std::string(key) + "\n");
    ASSERT_NE(at, std::string::npos) << key << " is not in ftpgate.conf.5";
    const std::string entry = man.substr(at + 5, man.find("\n.TP\n", at + 5) - at - 5);
    for (const char* part : {"Default: ", "Range: ", "Reload: "})
      EXPECT_NE(entry.find(part), std::string::npos) << key << " has no " << part << "in ftpgate.conf.5";
  }
}
}  // namespace
}  // namespace ftpgate
