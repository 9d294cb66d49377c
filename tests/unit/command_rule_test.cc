// Command rules: parsing (and the refusal of bad rules, with why), matching each condition,
// first match wins, hit counting.
#include <gtest/gtest.h>

#include "core/command_rules.h"
#include "test_support.h"

namespace ftpgate {
namespace {

using testing::ip;

struct ParseCase {
  const char* text;
  const char* error;  // nullptr: parses
};

class RuleParsing : public ::testing::TestWithParam<ParseCase> {};

TEST_P(RuleParsing, AcceptsGoodRulesAndSaysWhyOthersAreBad) {
  const ParseCase& c = GetParam();
  const RuleParse p = parse_command_rule(c.text);
  if (c.error == nullptr) {
    EXPECT_TRUE(p.rule.has_value()) << c.text << ": " << p.error;
  } else {
    EXPECT_FALSE(p.rule.has_value()) << c.text;
    EXPECT_NE(p.error.find(c.error), std::string::npos) << c.text << ": got '" << p.error << "'";
  }
}

INSTANTIATE_TEST_SUITE_P(
    Table, RuleParsing,
    ::testing::Values(
        ParseCase{"deny", nullptr}, ParseCase{"allow verb USER user anonymous", nullptr},
        ParseCase{"deny verb STOR,APPE,DELE,RNFR,MKD,RMD,SITE server 192.0.2.0/24", nullptr},
        ParseCase{"log verb RETR file *.pdf client 2001:db8::/32 port 2121", nullptr},
        ParseCase{"deny verb SITE arg EXEC*", nullptr}, ParseCase{"deny  \tverb  stor", nullptr},
        ParseCase{"", "needs an action"}, ParseCase{"block verb STOR", "unknown action 'block'"},
        ParseCase{"deny verb", "'verb' needs a value"},
        ParseCase{"deny verb STORE", "'STORE' is not a command verb"},
        ParseCase{"deny verb ST", "'ST' is not a command verb"},
        ParseCase{"deny verb STOR,", "'' is not a command verb"},
        ParseCase{"deny verb ST0R", "'ST0R' is not a command verb"},
        ParseCase{"deny usr bob", "unknown condition 'usr'"},
        ParseCase{"deny server 192.0.2.0/33", "not an address or prefix"},
        ParseCase{"deny client 10.0.0", "not an address or prefix"},
        ParseCase{"deny client 2001:db8::/129", "not an address or prefix"},
        ParseCase{"deny port 0", "not a port"}, ParseCase{"deny port 65536", "not a port"},
        ParseCase{"deny port 21x", "not a port"},
        ParseCase{"deny user a user b", "'user' given twice"},
        ParseCase{"deny verb STOR verb RETR", "'verb' given twice"}));

TEST(RuleParsing, KeepsTheRuleAsWrittenForTheLog) {
  const RuleParse p = parse_command_rule("  deny   verb stor\tuser  bob ");
  ASSERT_TRUE(p.rule);
  EXPECT_EQ(p.rule->text, "deny verb stor user bob");
  EXPECT_EQ(p.rule->verbs, std::vector<std::string>{"STOR"});
  EXPECT_EQ(p.rule->action, RuleAction::kDeny);
}

struct GlobCase {
  const char* pattern;
  const char* text;
  bool matches;
};
class Glob : public ::testing::TestWithParam<GlobCase> {};
TEST_P(Glob, MatchesStarAndQuestionMarkCaseInsensitively) {
  const GlobCase& c = GetParam();
  EXPECT_EQ(glob_match(c.pattern, c.text), c.matches) << c.pattern << " ~ " << c.text;
}
INSTANTIATE_TEST_SUITE_P(
    Table, Glob,
    ::testing::Values(GlobCase{"*", "", true}, GlobCase{"*", "anything at all", true},
                      GlobCase{"", "", true}, GlobCase{"", "x", false},
                      GlobCase{"anonymous", "ANONYMOUS", true}, GlobCase{"anonymous", "anonymous2", false},
                      GlobCase{"*.exe", "dir/sub/setup.EXE", true}, GlobCase{"*.exe", "setup.exe.txt", false},
                      GlobCase{"EXEC*", "exec /bin/sh", true}, GlobCase{"EXEC*", "CHMOD 777 x", false},
                      GlobCase{"r?port.pdf", "report.pdf", true}, GlobCase{"r?port.pdf", "rport.pdf", false},
                      GlobCase{"*a*b*c", "xxaxxbxxc", true}, GlobCase{"*a*b*c", "xxaxxcxxb", false},
                      GlobCase{"a**b", "ab", true}, GlobCase{"**", "", true}));

TEST(AddressPrefix, ContainsOnlyItsOwnFamilyAndBits) {
  const auto p = AddressPrefix::parse("192.0.2.77/24");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->base, ip("192.0.2.0"));  // host bits cleared
  EXPECT_TRUE(p->contains(ip("192.0.2.1")));
  EXPECT_FALSE(p->contains(ip("192.0.3.1")));
  EXPECT_FALSE(p->contains(ip("::ffff:192.0.2.1")));
  const auto odd = AddressPrefix::parse("10.128.0.0/9");
  ASSERT_TRUE(odd);
  EXPECT_TRUE(odd->contains(ip("10.255.1.1")));
  EXPECT_FALSE(odd->contains(ip("10.127.1.1")));
  const auto v6 = AddressPrefix::parse("2001:db8::/32");
  ASSERT_TRUE(v6);
  EXPECT_TRUE(v6->contains(ip("2001:db8:1::9")));
  EXPECT_FALSE(v6->contains(ip("2001:db9::1")));
  const auto host = AddressPrefix::parse("192.0.2.5");
  ASSERT_TRUE(host);
  EXPECT_TRUE(host->contains(ip("192.0.2.5")));
  EXPECT_FALSE(host->contains(ip("192.0.2.4")));
  EXPECT_TRUE(AddressPrefix::parse("0.0.0.0/0")->contains(ip("203.0.113.9")));
}

CommandRule rule(const char* text) {
  RuleParse p = parse_command_rule(text);
  EXPECT_TRUE(p.rule) << text << ": " << p.error;
  return p.rule ? *p.rule : CommandRule{};
}

CommandFacts facts(const char* verb, const char* arg, const char* user = "alice",
                   const char* client = "198.51.100.2", const char* server = "203.0.113.2",
                   uint16_t port = 21) {
  return CommandFacts{verb, arg, user, ip(client), ip(server), port};
}

struct MatchCase {
  const char* rule;
  CommandFacts command;
  bool matches;
};
class RuleMatching : public ::testing::TestWithParam<MatchCase> {};
TEST_P(RuleMatching, EachConditionNarrowsTheRule) {
  const MatchCase& c = GetParam();
  EXPECT_EQ(rule(c.rule).matches(c.command), c.matches) << c.rule << " on " << c.command.verb << ' '
                                                        << c.command.argument;
}
INSTANTIATE_TEST_SUITE_P(
    Table, RuleMatching,
    ::testing::Values(
        MatchCase{"deny", facts("NOOP", ""), true},
        MatchCase{"deny verb STOR,APPE", facts("stor", "x"), true},
        MatchCase{"deny verb STOR,APPE", facts("Appe", "x"), true},
        MatchCase{"deny verb STOR,APPE", facts("RETR", "x"), false},
        MatchCase{"deny verb STOR user anonymous", facts("STOR", "x", "Anonymous"), true},
        MatchCase{"deny verb STOR user anonymous", facts("STOR", "x", "bob"), false},
        MatchCase{"deny user guest*", facts("RETR", "x", "guest42"), true},
        MatchCase{"deny user *", facts("RETR", "x", ""), true},  // no USER seen: ""
        MatchCase{"deny user ?*", facts("RETR", "x", ""), false},
        MatchCase{"deny verb RETR file *.key", facts("RETR", "secrets/server.KEY"), true},
        MatchCase{"deny verb RETR file *.key", facts("RETR", "readme"), false},
        MatchCase{"deny verb SITE arg EXEC*", facts("SITE", "EXEC /bin/sh"), true},
        MatchCase{"deny verb SITE arg EXEC*", facts("SITE", "CHMOD 644 x"), false},
        MatchCase{"deny server 203.0.113.0/24", facts("STOR", "x"), true},
        MatchCase{"deny server 192.0.2.0/24", facts("STOR", "x"), false},
        MatchCase{"deny client 198.51.100.0/24", facts("STOR", "x"), true},
        MatchCase{"deny client 198.51.100.0/24", facts("STOR", "x", "a", "198.51.101.2"), false},
        MatchCase{"deny server 2001:db8::/32", facts("STOR", "x", "a", "2001:db8:1::2", "2001:db8::21"), true},
        MatchCase{"deny server 203.0.113.0/24", facts("STOR", "x", "a", "2001:db8:1::2", "2001:db8::21"), false},
        MatchCase{"deny port 2121", facts("STOR", "x", "a", "198.51.100.2", "203.0.113.2", 2121), true},
        MatchCase{"deny port 2121", facts("STOR", "x"), false}));

TEST(CommandRules, FirstMatchWinsAndEachRuleCountsItsHits) {
  // Anonymous only: USER anonymous/ftp allowed, any other USER denied.
  CommandRules rules;
  rules.add(rule("allow verb USER user anonymous"));
  rules.add(rule("allow verb USER user ftp"));
  rules.add(rule("deny verb USER"));
  rules.add(rule("log verb RETR"));
  EXPECT_EQ(rules.judge(facts("USER", "anonymous", "anonymous")), &rules.rule(0));
  EXPECT_EQ(rules.judge(facts("USER", "ftp", "ftp")), &rules.rule(1));
  EXPECT_EQ(rules.judge(facts("USER", "root", "root")), &rules.rule(2));
  EXPECT_EQ(rules.judge(facts("RETR", "a", "ftp")), &rules.rule(3));
  EXPECT_EQ(rules.judge(facts("RETR", "b", "ftp")), &rules.rule(3));
  EXPECT_EQ(rules.judge(facts("PASV", "", "ftp")), nullptr);  // no rule: allowed
  EXPECT_EQ(rules.hits(0), 1u);
  EXPECT_EQ(rules.hits(1), 1u);
  EXPECT_EQ(rules.hits(2), 1u);
  EXPECT_EQ(rules.hits(3), 2u);
}

}  // namespace
}  // namespace ftpgate
