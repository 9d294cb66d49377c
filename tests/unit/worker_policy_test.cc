// What each queue worker runs with (daemon/queue_worker.h): its own copy of the rules, the
// daemon-wide limits shared out; and how the workers' figures add up for one status.
#include <gtest/gtest.h>

#include "core/command_rules.h"
#include "daemon/latency_histogram.h"
#include "daemon/queue_worker.h"
#include "fake_conntrack.h"

namespace ftpgate {
namespace {
using testing::FakeConntrack;

Policy policy_with_rule() {
  Policy p;
  auto rules = std::make_shared<CommandRules>();
  rules->add(*parse_command_rule("deny verb MKD").rule);
  p.rules = rules;
  p.max_sessions = 1000;
  p.max_expectations_total = 1001;
  return p;
}

TEST(WorkerPolicy, EachWorkerCountsRuleHitsInItsOwnCopy) {
  FakeConntrack ct;
  const Policy running = policy_with_rule();
  const Policy a = worker_policy(running, ct, 2);
  const Policy b = worker_policy(running, ct, 2);
  ASSERT_NE(a.rules.get(), running.rules.get());
  ASSERT_NE(a.rules.get(), b.rules.get());
  CommandFacts mkd;
  mkd.verb = "MKD";
  EXPECT_NE(a.rules->judge(mkd), nullptr);
  EXPECT_EQ(a.rules->hits(0), 1u);
  EXPECT_EQ(b.rules->hits(0), 0u) << "a hit in one worker's copy is not another's";
  EXPECT_EQ(running.rules->hits(0), 0u);
}

TEST(WorkerPolicy, DaemonWideLimitsAreSharedOutRoundedUp) {
  FakeConntrack ct;
  const Policy running = policy_with_rule();
  EXPECT_EQ(worker_policy(running, ct, 1).max_sessions, 1000u);
  EXPECT_EQ(worker_policy(running, ct, 2).max_sessions, 500u);
  EXPECT_EQ(worker_policy(running, ct, 2).max_expectations_total, 501u);
  EXPECT_EQ(worker_policy(running, ct, 3).max_sessions, 334u);
  Policy tiny = running;
  tiny.max_sessions = 1;
  EXPECT_EQ(worker_policy(tiny, ct, 4).max_sessions, 1u) << "never zero";
}

TEST(WorkerTotals, RuleHitsAndLatenciesAddUp) {
  CommandRules a;
  a.add(*parse_command_rule("deny verb MKD").rule);
  a.add(*parse_command_rule("log verb RETR").rule);
  CommandRules b = a;
  CommandFacts retr;
  retr.verb = "RETR";
  a.judge(retr);
  b.judge(retr);
  b.judge(retr);
  a.add_hits(b);
  EXPECT_EQ(a.hits(0), 0u);
  EXPECT_EQ(a.hits(1), 3u);

  LatencyHistogram x, y;
  x.observe(3);
  y.observe(3000);
  y.observe(7);
  x.add(y);
  EXPECT_EQ(x.count(), 3u);
  std::string out;
  x.append_prometheus(out, "l");
  EXPECT_NE(out.find("l_bucket{le=\"5e-06\"} 1"), std::string::npos) << out;
  EXPECT_NE(out.find("l_bucket{le=\"1e-05\"} 2"), std::string::npos) << out;
  EXPECT_NE(out.find("l_count 3"), std::string::npos) << out;
}

}  // namespace
}  // namespace ftpgate
