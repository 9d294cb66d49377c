// The transfer audit in the engine: each transfer command's record, its data connection found
// by the expectation it used, bytes each way from SYN/FIN/RST sequence numbers, and when the
// record is written (the reply and the data connection's end, or the linger, or never a data
// connection).
#include <gtest/gtest.h>

#include "core/transfer_watch.h"
#include "test_support.h"

namespace ftpgate {
namespace {

using testing::Conversation;
using testing::ip;

// Keeps the transfer records (owned copies).
struct TransferSink : ActionSink {
  void on_action(const Action& a) override {
    if (a.kind == Action::Kind::kTransfer) records.push_back(*a.transfer);
  }
  std::vector<TransferRecord> records;
};

Policy auditing() {
  Policy p;
  p.audit_transfers = true;
  return p;
}

// One segment of a data connection.
void data(Engine& e, const char* src, uint16_t sport, const char* dst, uint16_t dport, uint32_t seq,
          uint8_t flags, std::string_view payload = {}, Micros now = 2'000'000) {
  TcpSegment s;
  s.src = ip(src);
  s.dst = ip(dst);
  s.sport = sport;
  s.dport = dport;
  s.seq = seq;
  s.ack = 1;
  s.flags = flags;
  s.payload = payload;
  e.on_segment(s, now);
}

constexpr const char* kClient = "198.51.100.2";
constexpr const char* kServer = "203.0.113.2";
constexpr uint8_t kSyn = tcp_flags::kSyn, kSynAck = tcp_flags::kSyn | tcp_flags::kAck;
constexpr uint8_t kFinAck = tcp_flags::kFin | tcp_flags::kAck, kRst = tcp_flags::kRst;

// An auditing engine and one control connection.
class TransferWatchTest : public ::testing::Test {
 protected:
  TransferSink sink;
  Engine engine{auditing(), {21}, sink};
  Conversation c{engine, kClient, kServer};
};

// PASV answered with port 50000 + n, and the client's data connection from port 41000 + n
// opened (client ISN 100, server ISN 9000).
void passive_data_connection(Engine& engine, Conversation& c, uint16_t n) {
  c.client("PASV\r\n");
  c.server("227 Entering Passive Mode (203,0,113,2,195," + std::to_string(80 + n) + ")\r\n");
  data(engine, kClient, static_cast<uint16_t>(41000 + n), kServer, static_cast<uint16_t>(50000 + n), 100, kSyn);
  data(engine, kServer, static_cast<uint16_t>(50000 + n), kClient, static_cast<uint16_t>(41000 + n), 9000, kSynAck);
}

TEST_F(TransferWatchTest, APassiveDownloadCountsTheServersBytesFromItsFin) {
  c.client("USER alice\r\n");
  c.server("230 in\r\n");
  passive_data_connection(engine, c, 0);
  c.client("RETR report.pdf\r\n");
  c.server("150 Opening\r\n");
  data(engine, kServer, 50000, kClient, 41000, 9001 + 1'000'000, kFinAck);  // after 1e6 bytes
  data(engine, kServer, 50000, kClient, 41000, 9001 + 1'000'000, kFinAck);  // its retransmission
  data(engine, kClient, 41000, kServer, 50000, 101, kFinAck);
  EXPECT_TRUE(sink.records.empty());  // no reply yet
  c.server("226 Transfer complete.\r\n");
  ASSERT_EQ(sink.records.size(), 1u);
  const TransferRecord& r = sink.records[0];
  EXPECT_EQ(r.user, "alice");
  EXPECT_EQ(r.command, "RETR");
  EXPECT_EQ(r.argument, "report.pdf");
  EXPECT_EQ(r.kind, TransferKind::kDownload);
  EXPECT_TRUE(r.expected);
  EXPECT_EQ(r.expectation.dport, 50000);
  EXPECT_TRUE(r.data.seen);
  EXPECT_TRUE(r.data.ended());
  EXPECT_FALSE(r.data.reset);
  EXPECT_EQ(r.bytes_to_client(), 1'000'000u);
  EXPECT_EQ(r.bytes_to_server(), 0u);
  EXPECT_EQ(r.reply_code, 226);
  EXPECT_EQ(r.reply_text, "Transfer complete.");
  EXPECT_EQ(engine.counters().transfers_recorded, 1u);
}

TEST_F(TransferWatchTest, AnActiveUploadCountsTheClientsBytesAndTheSequenceWrapsAt32Bits) {
  c.client("PORT 198,51,100,2,195,81\r\n");  // 50001
  c.server("200 ok\r\n");
  c.client("STOR up.bin\r\n");
  data(engine, kServer, 20, kClient, 50001, 500, kSyn);                 // the server opens
  data(engine, kClient, 50001, kServer, 20, 0xfffffff0u, kSynAck);      // the client's ISN wraps
  data(engine, kClient, 50001, kServer, 20, 0xfffffff1u + 70000, kFinAck, "tail");
  data(engine, kServer, 20, kClient, 50001, 501, kFinAck);
  c.server("226 ok\r\n");
  ASSERT_EQ(sink.records.size(), 1u);
  EXPECT_EQ(sink.records[0].kind, TransferKind::kUpload);
  EXPECT_EQ(sink.records[0].expectation.mode, DataMode::kActive);
  EXPECT_EQ(sink.records[0].bytes_to_server(), 70004u);  // 70000 + the FIN segment's 4
  EXPECT_EQ(sink.records[0].bytes_to_client(), 0u);
}

TEST_F(TransferWatchTest, ATransferWhoseDataConnectionNeverCameIsRecordedWithItsReply) {
  c.client("PASV\r\n");
  c.server("227 Entering Passive Mode (203,0,113,2,195,80)\r\n");  // never connected to
  c.client("RETR missing\r\n");
  c.server("425 Can't open data connection.\r\n");
  ASSERT_EQ(sink.records.size(), 1u);
  EXPECT_TRUE(sink.records[0].expected);
  EXPECT_FALSE(sink.records[0].data.seen);
  EXPECT_EQ(sink.records[0].reply_code, 425);
  // Without any PASV/PORT before it: no admitted endpoint at all.
  c.client("LIST\r\n");
  c.server("550 no\r\n");
  ASSERT_EQ(sink.records.size(), 2u);
  EXPECT_FALSE(sink.records[1].expected);
  EXPECT_EQ(sink.records[1].kind, TransferKind::kListing);
}

TEST_F(TransferWatchTest, BytesNotSeenAreUnknownNotZeroAndTheAnnouncedSizeIsKept) {
  c.client("PASV\r\n");
  c.server("227 Entering Passive Mode (203,0,113,2,195,80)\r\n");
  c.client("RETR samba.tar.gz\r\n");
  c.server("150 Opening BINARY mode data connection for samba.tar.gz (34826629 bytes).\r\n");
  c.server("226 Transfer complete\r\n");  // the data connection was not seen (not captured)
  ASSERT_EQ(sink.records.size(), 1u);
  EXPECT_EQ(sink.records[0].bytes_to_client(), std::nullopt);
  EXPECT_EQ(sink.records[0].bytes_to_server(), std::nullopt);
  EXPECT_EQ(sink.records[0].announced_size, std::optional<uint64_t>(34826629));

  // A reset from the server: what it sent is known, what the client sent is not.
  passive_data_connection(engine, c, 1);
  c.client("RETR x\r\n");
  c.server("150 Opening (no size here)\r\n");
  data(engine, kServer, 50001, kClient, 41001, 9001 + 77, kRst);
  c.server("426 aborted\r\n");
  ASSERT_EQ(sink.records.size(), 2u);
  EXPECT_EQ(sink.records[1].bytes_to_client(), std::optional<uint64_t>(77));
  EXPECT_EQ(sink.records[1].bytes_to_server(), std::nullopt);
  EXPECT_EQ(sink.records[1].announced_size, std::nullopt);
}

TEST(TransferWatch, AReplyBeforeTheLastFinWaitsForItOrForTheLinger) {
  TransferSink sink;
  Policy p = auditing();
  p.transfer_linger = 2'000'000;
  Engine engine(p, {21}, sink);
  Conversation c(engine, kClient, kServer);
  passive_data_connection(engine, c, 0);
  c.client("RETR a\r\n");
  data(engine, kServer, 50000, kClient, 41000, 9001 + 10, kFinAck);
  c.server("226 ok\r\n");
  EXPECT_TRUE(sink.records.empty());  // the client's FIN is still to come
  data(engine, kClient, 41000, kServer, 50000, 101, kFinAck, {}, 1'500'000);
  ASSERT_EQ(sink.records.size(), 1u);
  EXPECT_EQ(sink.records[0].bytes_to_client(), 10u);

  // The next transfer's data connection never closes: written after the linger, as open.
  c.client("PASV\r\n");
  c.server("227 Entering Passive Mode (203,0,113,2,195,81)\r\n");
  data(engine, kClient, 41001, kServer, 50001, 100, kSyn);
  c.client("RETR b\r\n");
  c.server("226 ok\r\n");
  engine.expire(1'000'000 + 1'999'999);
  EXPECT_EQ(sink.records.size(), 1u);
  engine.expire(1'000'000 + 2'000'000);
  ASSERT_EQ(sink.records.size(), 2u);
  EXPECT_TRUE(sink.records[1].data.seen);
  EXPECT_FALSE(sink.records[1].data.ended());
}

TEST_F(TransferWatchTest, AResetDataConnectionCountsWhatWasSentUntilTheReset) {
  passive_data_connection(engine, c, 0);
  c.client("RETR big\r\n");
  data(engine, kServer, 50000, kClient, 41000, 9001 + 4096, kRst);
  c.server("426 Connection closed; transfer aborted.\r\n");
  ASSERT_EQ(sink.records.size(), 1u);
  EXPECT_TRUE(sink.records[0].data.reset);
  EXPECT_EQ(sink.records[0].bytes_to_client(), 4096u);
  EXPECT_EQ(sink.records[0].reply_code, 426);
}

TEST_F(TransferWatchTest, AnUnansweredTransferIsRecordedWhenItsSessionEnds) {
  c.client("RETR x\r\n");
  c.send(true, "", tcp_flags::kRst);
  ASSERT_EQ(sink.records.size(), 1u);
  EXPECT_EQ(sink.records[0].reply_code, 0);
}

// Two PASV answered, ports 50000 and 50001 (max_expectations_per_session 2 keeps both).
void two_passive_offers(Conversation& c) {
  c.client("PASV\r\n");
  c.server("227 Entering Passive Mode (203,0,113,2,195,80)\r\n");
  c.client("PASV\r\n");
  c.server("227 Entering Passive Mode (203,0,113,2,195,81)\r\n");
}

TEST(TransferWatch, DataConnectionsBeyondTheLimitAreCountedNotFollowed) {
  TransferSink sink;
  Policy p = auditing();
  p.max_watched_data_connections = 1;
  p.max_expectations_per_session = 2;
  Engine engine(p, {21}, sink);
  Conversation c(engine, kClient, kServer);
  two_passive_offers(c);
  data(engine, kClient, 41000, kServer, 50000, 100, kSyn);
  data(engine, kClient, 41001, kServer, 50001, 100, kSyn);
  EXPECT_EQ(engine.counters().data_connections_watched, 1u);
  EXPECT_EQ(engine.counters().data_connections_unwatched, 1u);
}

TEST(Session, ATransferAnsweredWithItsDataConnectionUsesTheExpectation) {
  TransferSink sink;
  Policy p;
  p.max_expectations_per_session = 2;
  Engine engine(p, {21}, sink);
  Conversation c(engine, kClient, kServer);
  two_passive_offers(c);
  EXPECT_EQ(engine.counters().expectations_outstanding, 2u);
  c.client("RETR a\r\n");
  c.server("150 Opening\r\n");  // the kernel removed the expectation the data connection used
  EXPECT_EQ(engine.counters().expectations_outstanding, 1u);
  c.server("226 done\r\n");  // the same transfer: nothing more used
  EXPECT_EQ(engine.counters().expectations_outstanding, 1u);
  c.client("LIST\r\n");
  c.server("226 done without a 150\r\n");
  EXPECT_EQ(engine.counters().expectations_outstanding, 0u);
  EXPECT_EQ(engine.counters().expectations_used, 2u);
  c.client("RETR missing\r\n");
  c.server("550 no\r\n");  // no data connection: nothing used
  EXPECT_EQ(engine.counters().expectations_used, 2u);
}

TEST(TransferWatch, OffByDefaultItRecordsNothing) {
  TransferSink sink;
  Engine engine(Policy{}, {21}, sink);
  Conversation c(engine, kClient, kServer);
  c.client("PASV\r\n");
  c.server("227 Entering Passive Mode (203,0,113,2,195,80)\r\n");
  c.client("RETR x\r\n");
  c.server("226 ok\r\n");
  EXPECT_TRUE(sink.records.empty());
}

TEST_F(TransferWatchTest, ATransferPipelinedBehindPasvUsesThatPasvsDataConnection) {
  // An earlier PASV left an expectation no transfer used; "PASV", "RETR f" in one segment: the
  // RETR is asked before the new 227 comes, and its data connection is the new one.
  c.client("PASV\r\n");
  c.server("227 Entering Passive Mode (203,0,113,2,195,80)\r\n");  // 50000, never used
  c.client("PASV\r\nRETR f\r\n");
  c.server("227 Entering Passive Mode (203,0,113,2,195,81)\r\n150 Opening\r\n226 done\r\n");
  ASSERT_EQ(sink.records.size(), 1u);
  EXPECT_TRUE(sink.records[0].expected);
  EXPECT_EQ(sink.records[0].expectation.dport, 50001);
}

TEST_F(TransferWatchTest, ATransferOnAnOverLongLineIsStillRecorded) {
  c.client("RETR " + std::string(3000, 'a') + "\r\n");  // past max_line_length (2048)
  c.server("550 No such file.\r\n");
  ASSERT_EQ(sink.records.size(), 1u);
  EXPECT_EQ(sink.records[0].command, "RETR");
  EXPECT_EQ(sink.records[0].reply_code, 550);
}

}  // namespace
}  // namespace ftpgate
