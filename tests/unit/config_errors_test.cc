// Every way a configuration can be wrong says where and what: one row per mistake, with the
// whole message an admin reads (ftpgate check-config, ftpgate run, a refused SIGHUP).
#include <gtest/gtest.h>

#include <regex>

#include "daemon/config.h"
#include "util/port_list.h"

namespace ftpgate {
namespace {

struct BadConfig {
  const char* name;
  const char* text;
  const char* message;
};

class ConfigErrors : public testing::TestWithParam<BadConfig> {};

TEST_P(ConfigErrors, SayWhereAndWhat) {
  DaemonConfig c;
  const auto err = apply_config_text(c, GetParam().text);
  ASSERT_TRUE(err) << GetParam().text;
  EXPECT_EQ(err->message, GetParam().message);
}

const BadConfig kBad[] = {
    {"duplicate_key", "queue = 1\nports = 21\n\nqueue = 2\n", "line 4: 'queue' given twice (first on line 1)"},
    {"duplicate_key_same_value", "strict = yes\nstrict = yes\n", "line 2: 'strict' given twice (first on line 1)"},
    {"range_in_message", "min_data_port = 70000\n", "line 1: bad value '70000' for min_data_port (0-65535)"},
    {"range_seconds", "session_idle_timeout = 0\n",
     "line 1: bad value '0' for session_idle_timeout (1-2592000 seconds)"},
    {"range_queue_len", "queue_max_len = 0\n", "line 1: bad value '0' for queue_max_len (1-1048576 packets)"},
    {"range_verdict_batch", "verdict_batch = 1025\n", "line 1: bad value '1025' for verdict_batch (1-1024 verdicts)"},
    {"port_twice", "ports = 21,21\n", "line 1: bad value '21,21' for ports (21 is listed twice; a list like 21,2121 or 2100-2110)"},
    {"port_in_range_twice", "ports = 2100-2110,2105\n",
     "line 1: bad value '2100-2110,2105' for ports (2105 is listed twice; a list like 21,2121 or 2100-2110)"},
    {"port_zero", "ports = 0\n", "line 1: bad value '0' for ports ('0' is not a port (1-65535); a list like 21,2121 or 2100-2110)"},
    {"bom_then_unknown", "\xEF\xBB\xBFqueu = 1\n", "line 1: unknown key 'queu'"},
    {"host_bits_server", "rule = deny server 192.0.2.1/24\n",
     "line 1: bad value 'deny server 192.0.2.1/24' for rule ('192.0.2.1/24' has host bits set: write "
     "192.0.2.0/24 for the network, or 192.0.2.1 for the host)"},
    {"host_bits_client_v6", "rule = allow client 2001:db8::1/32\n",
     "line 1: bad value 'allow client 2001:db8::1/32' for rule ('2001:db8::1/32' has host bits set: write "
     "2001:db8::/32 for the network, or 2001:db8::1 for the host)"},
    {"rule_name_taken", "rule = deny verb STOR name uploads\nrule = deny verb APPE name uploads\n",
     "line 2: bad value 'deny verb APPE name uploads' for rule (rule name 'uploads' is taken by rule 1 (add "
     "'name NAME' to tell them apart))"},
    {"same_rule_twice", "rule = deny verb STOR\nrule = deny verb STOR\n",
     "line 2: bad value 'deny verb STOR' for rule (rule name 'deny verb STOR' is taken by rule 1 (add 'name "
     "NAME' to tell them apart))"},
    {"rule_name_without_value", "rule = deny verb STOR name\n",
     "line 1: bad value 'deny verb STOR name' for rule ('name' needs a value)"},
    {"metrics_address", "metrics_address = localhost\n",
     "line 1: bad value 'localhost' for metrics_address (an IPv4 or IPv6 address, e.g. 127.0.0.1 or ::1)"},
    {"user_with_slash", "user = a/b\n", "line 1: bad value 'a/b' for user (a user name, without spaces, '/' or ':')"},
    {"no_equals", "queue 1\n", "line 1: expected 'key = value'"},
};
INSTANTIATE_TEST_SUITE_P(Table, ConfigErrors, testing::ValuesIn(kBad),
                         [](const auto& row) { return std::string(row.param.name); });

TEST(ConfigErrors, ByteOrderMarkIsNotPartOfTheFirstKey) {
  DaemonConfig c;
  const auto err = apply_config_text(c, "\xEF\xBB\xBFqueue = 3\r\nports = 2121\r\n");
  ASSERT_FALSE(err) << err->message;
  EXPECT_EQ(c.queues, std::vector<uint16_t>{3});
  EXPECT_EQ(c.control_ports, std::vector<uint16_t>{2121});
}

TEST(ConfigErrors, RulesRepeatAndCarryNames) {
  DaemonConfig c;
  const auto err = apply_config_text(c,
                                     "rule = name no-uploads deny verb STOR,APPE\n"
                                     "rule = log user anonymous\n"
                                     "rule = allow server 192.0.2.0/24 name lan\n");
  ASSERT_FALSE(err) << err->message;
  ASSERT_TRUE(c.policy.rules);
  ASSERT_EQ(c.policy.rules->size(), 3u);
  EXPECT_EQ(c.rule_names, (std::vector<std::string>{"no-uploads", "log user anonymous", "lan"}));
  EXPECT_EQ(c.policy.rules->rule(0).text, "deny verb STOR,APPE");  // the name is not a condition
  EXPECT_EQ(c.policy.rules->rule(2).text, "allow server 192.0.2.0/24");
}

// Every numeric key's error states its range, so a key added later cannot forget it.
TEST(ConfigErrors, EveryNumericKeyStatesItsRange) {
  const std::regex range(R"(\(.*[0-9]+-[0-9]+.*\)$)");
  for (const auto& [key, example] : config_key_examples()) {
    if (example.empty() || example.find_first_not_of("0123456789") != std::string_view::npos) continue;
    DaemonConfig c;
    const auto err = apply_setting(c, key, "99999999999");
    ASSERT_TRUE(err) << key;
    EXPECT_TRUE(std::regex_search(*err, range)) << key << ": " << *err;
  }
}

TEST(PortList, RefusesDuplicatesAndSaysWhy) {
  EXPECT_EQ(parse_port_list("21,2121").ports, (std::vector<uint16_t>{21, 2121}));
  EXPECT_EQ(parse_port_list("21,21").error, "21 is listed twice");
  EXPECT_EQ(parse_port_list("990-992,991").error, "991 is listed twice");
  EXPECT_EQ(parse_port_list("").error, "an empty list");
  EXPECT_EQ(parse_port_list("5-3").error, "'5-3' is not a range of ports (1-65535, low-high)");
  EXPECT_EQ(parse_port_list("21,x").error, "'x' is not a port (1-65535)");
}

}  // namespace
}  // namespace ftpgate

namespace ftpgate {
namespace {
TEST(ConfigErrors, NameIsAKeyOnlyWhereAConditionWouldBe) {
  DaemonConfig c;
  ASSERT_FALSE(apply_config_text(c, "rule = deny user name arg name name n1\n"));
  EXPECT_EQ(c.rule_names, std::vector<std::string>{"n1"});
  EXPECT_EQ(c.policy.rules->rule(0).text, "deny user name arg name");
}
}  // namespace
}  // namespace ftpgate
