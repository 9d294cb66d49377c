// The daemon's audit log: records written after the verdicts, with the data connection's kernel
// counters when its conntrack has them, and a clean reopen after rotation.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include "daemon/audit_log.h"
#include "fake_conntrack.h"

namespace ftpgate {
namespace {

using testing::FakeConntrack;
using testing::ip;

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TransferRecord download() {
  TransferRecord r;
  r.control = ControlFlow{ip("198.51.100.2"), ip("203.0.113.2"), 40000, 21};
  r.user = "alice";
  r.command = "RETR";
  r.argument = "report.pdf";
  r.expected = true;
  r.expectation.mode = DataMode::kPassive;
  r.expectation.src = ip("198.51.100.2");
  r.expectation.dst = ip("203.0.113.2");
  r.expectation.dport = 50000;
  r.data.seen = true;
  r.data.opener = ip("198.51.100.2");
  r.data.acceptor = ip("203.0.113.2");
  r.data.opener_port = 41000;
  r.data.acceptor_port = 50000;
  r.data.fin_from_opener = r.data.fin_from_acceptor = true;
  r.data.counted_from_opener = r.data.counted_from_acceptor = true;
  r.data.bytes_from_acceptor = 65536;
  r.requested = 1'000'000;
  r.answered = 1'500'000;
  r.reply_code = 226;
  r.reply_text = "Transfer complete.";
  return r;
}

TEST(AuditLog, WritesEachRecordWithTheKernelCountersOfItsDataConnection) {
  FakeConntrack ct;
  ct.add_connection(CtTuple{ip("198.51.100.2"), ip("203.0.113.2"), 41000, 50000});
  ct.conntracks[0].has_counters = true;
  ct.conntracks[0].packets[0] = 20;
  ct.conntracks[0].bytes[0] = 1040;
  ct.conntracks[0].packets[1] = 48;
  ct.conntracks[0].bytes[1] = 68032;
  char path[] = "/tmp/ftpgate-audit-XXXXXX";
  close(mkstemp(path));
  AuditLog log(ct);
  ASSERT_FALSE(log.open(path));
  log.record(download());
  EXPECT_EQ(slurp(path), "");  // nothing before flush: the verdicts go first
  log.flush(1'700'000'000'000'000);
  const std::string text = slurp(path);
  EXPECT_NE(text.find("\"ts\":1700000001.000000"), std::string::npos) << text;
  EXPECT_NE(text.find("\"command\":\"RETR\",\"argument\":\"report.pdf\",\"direction\":\"download\""), std::string::npos) << text;
  EXPECT_NE(text.find("\"bytes_to_server\":0,\"bytes_to_client\":65536"), std::string::npos) << text;
  EXPECT_NE(text.find("\"kernel\":{\"packets_to_acceptor\":20,\"bytes_to_acceptor\":1040,"
                      "\"packets_to_opener\":48,\"bytes_to_opener\":68032}"), std::string::npos) << text;
  EXPECT_EQ(log.counters().records, 1u);
  EXPECT_EQ(log.counters().kernel_counters, 1u);

  // Rotation: the file is moved away, SIGHUP reopens the name.
  const std::string rotated = std::string(path) + ".1";
  ASSERT_EQ(std::rename(path, rotated.c_str()), 0);
  ASSERT_FALSE(log.reopen(path));
  TransferRecord again = download();
  again.argument = "second.pdf";
  ct.conntracks.clear();  // its conntrack is gone: no kernel part
  log.record(again);
  log.flush(0);
  const std::string after = slurp(path);
  EXPECT_NE(after.find("second.pdf"), std::string::npos);
  EXPECT_EQ(after.find("\"kernel\""), std::string::npos);
  EXPECT_EQ(slurp(rotated).find("second.pdf"), std::string::npos);
  std::remove(path);
  std::remove(rotated.c_str());
}

TEST(AuditLog, AnUnwritablePathIsAClearError) {
  FakeConntrack ct;
  AuditLog log(ct);
  const auto err = log.open("/nonexistent-dir/transfers.jsonl");
  ASSERT_TRUE(err);
  EXPECT_NE(err->find("cannot open the audit log /nonexistent-dir/transfers.jsonl"), std::string::npos);
}

}  // namespace
}  // namespace ftpgate
