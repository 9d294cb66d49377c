// The metrics as Prometheus reads them: a HELP and a TYPE for every family, the build's
// version, start and reload figures, queues and install failures as labels, rule hits by name.
#include "daemon/status_text.h"

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <sstream>

#include "daemon/config.h"
#include "daemon/version.h"

namespace ftpgate {
namespace {

struct Figures {
  Counters engine;
  GatewayCounters gateway;
  SyncRepairCounters sync;
  PacketPathCounters path;
  LatencyHistogram latency, decision_latency;
  DaemonCounters daemon;
  std::vector<NfQueueStats> queues;
  MetricsServerCounters server;
  DaemonConfig config;
  AuditCounters audit;
  MetricsInfo info;

  std::string text() {
    info.rule_names = config.rule_names;
    return format_status(StatusSources{engine, gateway, sync, path, 0, latency, decision_latency, daemon, queues,
                                       &server, config.policy.rules.get(), audit, info});
  }
};

// The family a sample belongs to: histogram samples to their histogram.
std::string family_of(std::string name, const std::set<std::string>& histograms) {
  for (const char* suffix : {"_bucket", "_sum", "_count"}) {
    const std::string s = suffix;
    if (name.size() > s.size() && name.ends_with(s) && histograms.count(name.substr(0, name.size() - s.size())))
      return name.substr(0, name.size() - s.size());
  }
  return name;
}

TEST(StatusText, EveryFamilyHasHelpAndTypeBeforeItsSamples) {
  Figures f;
  ASSERT_FALSE(apply_config_text(f.config, "rule = deny verb STOR\n"));
  f.queues.resize(2);
  f.queues[1].queue = 1;
  std::istringstream in(f.text());
  std::map<std::string, std::string> help, type;
  std::set<std::string> histograms;
  std::string line;
  size_t samples = 0;
  while (std::getline(in, line)) {
    std::istringstream w(line);
    std::string hash, kind, name, rest;
    if (line.rfind("# ", 0) == 0) {
      w >> hash >> kind >> name;
      std::getline(w, rest);
      ASSERT_TRUE(kind == "HELP" || kind == "TYPE") << line;
      (kind == "HELP" ? help : type)[name] = rest;
      if (kind == "TYPE" && rest == " histogram") histograms.insert(name);
      if (kind == "HELP") {
        EXPECT_GT(rest.size(), 3u) << line;
      }
      continue;
    }
    std::string sample = line.substr(0, line.find_first_of("{ "));
    const std::string fam = family_of(sample, histograms);
    EXPECT_TRUE(help.count(fam)) << "no HELP before " << line;
    EXPECT_TRUE(type.count(fam)) << "no TYPE before " << line;
    ++samples;
  }
  EXPECT_GT(samples, 100u);
  EXPECT_EQ(help.size(), type.size());
}

TEST(StatusText, CounterListsGiveTheirCommentsAsHelp) {
  EXPECT_EQ(metric_help("control_segments_total"), "control segments: TCP segments on control ports");
  EXPECT_EQ(metric_help("expectations_installed_total"), "expectations installed");
  EXPECT_EQ(metric_help("queue_enobufs_total"),
            "queue enobufs: receive overruns: packets the kernel could not deliver");
}

TEST(StatusText, BuildStartAndReload) {
  Figures f;
  f.info.start_time_micros = 1'700'000'000'500'000;
  f.info.last_reload_ok = false;
  f.info.reloads_failed = 2;
  f.info.reloads_succeeded = 1;
  f.info.last_reload_success_micros = 1'700'000'100'000'000;
  const std::string t = f.text();
  EXPECT_NE(t.find("ftpgate_build_info{version=\"" + std::string(kVersion) + "\"} 1\n"), std::string::npos);
  EXPECT_NE(t.find("ftpgate_start_time_seconds 1700000000.500000\n"), std::string::npos);
  EXPECT_NE(t.find("ftpgate_config_last_reload_successful 0\n"), std::string::npos);
  EXPECT_NE(t.find("ftpgate_config_last_reload_success_timestamp_seconds 1700000100.000000\n"), std::string::npos);
  EXPECT_NE(t.find("ftpgate_config_reloads_total{result=\"success\"} 1\n"), std::string::npos);
  EXPECT_NE(t.find("ftpgate_config_reloads_total{result=\"failure\"} 2\n"), std::string::npos);
}

TEST(StatusText, QueuesAndInstallFailuresAreLabels) {
  Figures f;
  f.queues.resize(2);
  f.queues[0].received = 5;
  f.queues[1].queue = 1;
  f.queues[1].received = 7;
  f.gateway.install_busy = 3;
  const std::string t = f.text();
  EXPECT_NE(t.find("ftpgate_queue_packets_total{queue=\"0\"} 5\n"), std::string::npos) << t;
  EXPECT_NE(t.find("ftpgate_queue_packets_total{queue=\"1\"} 7\n"), std::string::npos);
  EXPECT_EQ(t.find("ftpgate_queue_packets_total 12"), std::string::npos);  // no sum
  EXPECT_NE(t.find("ftpgate_expectation_install_failures_total{reason=\"busy\"} 3\n"), std::string::npos);
  EXPECT_NE(t.find("ftpgate_expectation_install_failures_total{reason=\"table_full\"} 0\n"), std::string::npos);
  EXPECT_EQ(t.find("ftpgate_expectation_install_busy_total"), std::string::npos);
}

TEST(StatusText, RuleHitsAreLabelledByName) {
  Figures f;
  ASSERT_FALSE(apply_config_text(f.config,
                                 "# a comment moves every line below\n"
                                 "rule = deny verb STOR name no-uploads\n"
                                 "rule = log user \"x\"\n"));
  const std::string t = f.text();
  EXPECT_NE(t.find("ftpgate_policy_rule_hits_total{rule=\"no-uploads\",action=\"deny\"} 0\n"), std::string::npos) << t;
  EXPECT_NE(t.find("ftpgate_policy_rule_hits_total{rule=\"log user \\\"x\\\"\",action=\"log\"} 0\n"), std::string::npos)
      << t;
}

TEST(StatusText, JsonAndTableKeyLabelledFamiliesByTheirFirstLabel) {
  const std::string text =
      "# HELP ftpgate_a_total a\n# TYPE ftpgate_a_total counter\nftpgate_a_total 4\n"
      "ftpgate_q_total{queue=\"0\"} 1\nftpgate_q_total{queue=\"1\"} 0\n"
      "ftpgate_r_total{rule=\"say \\\"hi\\\"\",action=\"log\"} 2\n";
  EXPECT_EQ(status_json(text), R"({"a_total":4,"q_total":{"0":1,"1":0},"r_total":{"say \"hi\"":2}})");
  const std::string table = status_table(text);
  EXPECT_NE(table.find("q_total (0)"), std::string::npos) << table;
  EXPECT_EQ(table.find("q_total (1)"), std::string::npos) << table;
}

TEST(StatusText, QueuedPacketsPerEndedSessionCountsEveryWayASessionEnds) {
  Figures f;
  EXPECT_NE(f.text().find("\nftpgate_queued_packets_per_ended_session 0.00\n"), std::string::npos)
      << "0 before any session ended";
  f.daemon.packets = 100;
  f.engine.sessions_closed = 4;
  f.engine.sessions_expired = 1;
  f.engine.sessions_released = 3;
  EXPECT_NE(f.text().find("\nftpgate_queued_packets_per_ended_session 12.50\n"), std::string::npos) << f.text();
}

}  // namespace
}  // namespace ftpgate
