#include "core/tcp_reassembler.h"

#include <gtest/gtest.h>

#include <string>

namespace ftpgate {
namespace {

struct Harness {
  explicit Harness(uint32_t isn, uint32_t max_ooo = 1024, uint32_t max_kept = 4096)
      : r(max_ooo, max_kept) {
    r.start_at(isn);
  }
  ReassemblyReport push(uint32_t seq, std::string_view p, bool in_order_only = false) {
    return r.push(seq, p, in_order_only, [&](std::string_view b) { out.append(b); });
  }
  TcpReassembler r;
  std::string out;
};

TEST(TcpReassembler, InOrder) {
  Harness h(100);
  h.push(100, "abc");
  h.push(103, "def");
  EXPECT_EQ(h.out, "abcdef");
}

TEST(TcpReassembler, OutOfOrderIsHeldThenDelivered) {
  Harness h(100);
  h.push(103, "def");
  EXPECT_EQ(h.out, "");
  EXPECT_EQ(h.r.buffered_bytes(), 3u);
  h.push(100, "abc");
  EXPECT_EQ(h.out, "abcdef");
  EXPECT_EQ(h.r.buffered_bytes(), 0u);
}

TEST(TcpReassembler, RetransmissionIgnoredAndCounted) {
  Harness h(100);
  h.push(100, "abc");
  ReassemblyReport rep = h.push(100, "abc");
  EXPECT_EQ(h.out, "abc");
  EXPECT_EQ(rep.retransmitted_bytes, 3u);
}

TEST(TcpReassembler, PartialOverlapWithDeliveredIsTrimmed) {
  Harness h(100);
  h.push(100, "abc");
  ReassemblyReport rep = h.push(101, "XYdef");  // first copy wins: "bc" stays
  EXPECT_EQ(h.out, "abcdef");
  EXPECT_EQ(rep.retransmitted_bytes, 2u);
}

TEST(TcpReassembler, OverlapWithBufferedFirstCopyWinsAndMismatchReported) {
  Harness h(100);
  h.push(103, "def");
  ReassemblyReport rep = h.push(104, "Xgh");  // "e" buffered vs "X": buffered wins
  EXPECT_TRUE(rep.overlap_mismatch);
  h.push(100, "abc");
  EXPECT_EQ(h.out, "abcdefh");  // "ef" buffered first; only "h" was new
}

TEST(TcpReassembler, SegmentsFillingSeveralHoles) {
  Harness h(0);
  h.push(2, "c");
  h.push(4, "e");
  h.push(6, "g");
  h.push(0, "abcdefgh");
  EXPECT_EQ(h.out, "abcdefgh");
  EXPECT_EQ(h.r.buffered_bytes(), 0u);
}

TEST(TcpReassembler, WrapAt2To32) {
  Harness h(0xfffffffeu);
  h.push(0xfffffffeu, "ab");
  h.push(0, "cd");  // wrapped
  h.push(2, "ef");
  EXPECT_EQ(h.out, "abcdef");
  EXPECT_GT(h.r.next(), uint64_t{0xffffffffu});
}

TEST(TcpReassembler, OutOfOrderAcrossWrap) {
  Harness h(0xfffffff0u);
  h.push(0x4, "WXYZ");  // 20 bytes ahead, across the wrap
  h.push(0xfffffff0u, std::string(20, 'a'));
  EXPECT_EQ(h.out, std::string(20, 'a') + "WXYZ");
}

TEST(TcpReassembler, OldSegmentFromBeforeStartIsIgnoredButUnverifiable) {
  Harness h(1000);
  ReassemblyReport rep = h.push(990, "0123456789");
  EXPECT_EQ(h.out, "");
  EXPECT_EQ(rep.retransmitted_bytes, 10u);
  EXPECT_TRUE(rep.unverifiable);  // no part of this stream: nobody judged what it says
}

// The guard's half of the reassembler: judged bytes kept until acknowledged, later copies
// compared with them, out-of-order segments refused.
TEST(TcpReassemblerGuard, ARetransmissionThatDiffersSaysWhereAndGivesTheJudgedBytes) {
  Harness h(0);
  h.push(0, "NOOP xxxxxxxx\r\n");                  // judged: a NOOP (its first copy is lost later)
  const ReassemblyReport rep = h.push(0, "DELE secret.txt\n");  // same place, other bytes, longer
  EXPECT_TRUE(rep.differs);
  EXPECT_EQ(rep.differs_from, 0u);
  EXPECT_EQ(rep.differs_length, 15u);  // "DELE secret.txt" vs "NOOP xxxxxxxx\r\n": all 15 differ
  EXPECT_EQ(h.r.judged(h.r.widen(0) + rep.differs_from, rep.differs_length), "NOOP xxxxxxxx\r\n");
  EXPECT_EQ(h.out, "NOOP xxxxxxxx\r\n\n");  // only the new byte is delivered after the judged ones
}

TEST(TcpReassemblerGuard, AnIdenticalRetransmissionIsNotReported) {
  Harness h(0);
  h.push(0, "CWD a\r\nCWD b\r\n");
  const ReassemblyReport rep = h.push(7, "CWD b\r\n");
  EXPECT_FALSE(rep.differs);
  EXPECT_FALSE(rep.unverifiable);
  EXPECT_EQ(rep.retransmitted_bytes, 7u);
}

TEST(TcpReassemblerGuard, OnlyTheDifferingStretchIsReported) {
  Harness h(0);
  h.push(0, "RETR aaaa\r\n");
  const ReassemblyReport rep = h.push(0, "RETR abba\r\n");
  EXPECT_TRUE(rep.differs);
  EXPECT_EQ(rep.differs_from, 6u);
  EXPECT_EQ(rep.differs_length, 2u);
}

TEST(TcpReassemblerGuard, AcknowledgedBytesAreNotKeptNorChecked) {
  Harness h(0);
  h.push(0, "NOOP\r\nNOOP\r\n");
  h.r.acknowledged(h.r.widen(6));  // the receiver has the first line
  EXPECT_EQ(h.r.kept_bytes(), 6u);
  EXPECT_FALSE(h.push(0, "DELE\r\n").differs);  // the receiver drops its copy of those bytes
  EXPECT_TRUE(h.push(6, "DELE\r\n").differs);   // not these: it may never have had them
  h.r.acknowledged(h.r.widen(12));
  EXPECT_EQ(h.r.kept_bytes(), 0u);
}

TEST(TcpReassemblerGuard, BytesForgottenUnacknowledgedMakeACopyUnverifiable) {
  Harness h(0, 1024, 8);  // keeps at most 8 bytes
  h.push(0, "0123456789ab");
  EXPECT_EQ(h.r.kept_bytes(), 8u);
  EXPECT_TRUE(h.push(0, "0123").unverifiable);    // bytes 0-3 are gone, never acknowledged
  EXPECT_FALSE(h.push(4, "4567").unverifiable);
  h.r.acknowledged(h.r.widen(4));                 // acknowledged after all
  EXPECT_FALSE(h.push(0, "0123").unverifiable);
}

TEST(TcpReassemblerGuard, InOrderOnlyRefusesAnOutOfOrderSegmentAndBuffersNothing) {
  Harness h(0);
  const ReassemblyReport rep = h.push(10, "DELE x\r\n", true);
  EXPECT_TRUE(rep.out_of_order_refused);
  EXPECT_EQ(h.r.buffered_bytes(), 0u);
  h.push(0, "0123456789", true);
  EXPECT_EQ(h.out, "0123456789");  // the hole filled: nothing from the refused segment
  EXPECT_FALSE(h.push(10, "DELE x\r\n", true).out_of_order_refused);
  EXPECT_EQ(h.out, "0123456789DELE x\r\n");
}

TEST(TcpReassemblerGuard, AnUnverifiableCopyWithNewBytesDeliversNothingInOrderOnly) {
  Harness h(0, 1024, 4);
  h.push(0, "abcdefgh", true);
  const ReassemblyReport rep = h.push(2, "cdefghXY", true);  // reaches into forgotten bytes
  EXPECT_TRUE(rep.unverifiable);
  EXPECT_EQ(h.out, "abcdefgh");  // XY not judged: the caller drops the segment
}

TEST(TcpReassemblerGuard, AGapForgetsTheKeptBytesAndItsHoleIsUnverifiable) {
  Harness h(0);
  h.push(0, "abc");
  h.push(10, "later");
  EXPECT_TRUE(h.r.skip_gap(h.r.widen(10)));
  EXPECT_EQ(h.r.kept_bytes(), 0u);
  EXPECT_TRUE(h.push(3, "defg").unverifiable);  // the hole's bytes were never judged
}

TEST(TcpReassembler, OutOfOrderLimit) {
  Harness h(0, 8);
  EXPECT_FALSE(h.push(10, "12345678").out_of_order_limit);
  EXPECT_TRUE(h.push(20, "x").out_of_order_limit);
  EXPECT_EQ(h.r.buffered_bytes(), 8u);
}

TEST(TcpReassembler, SkipGapMovesToAckedOrBufferedData) {
  Harness h(0);
  h.push(10, "later");
  EXPECT_TRUE(h.r.skip_gap(h.r.widen(12)));  // peer acked past the hole: jump to the buffered data
  h.r.drain([&](std::string_view b) { h.out.append(b); });
  EXPECT_EQ(h.out, "later");
  EXPECT_FALSE(h.r.skip_gap(h.r.widen(12)));  // nothing to skip any more
}

}  // namespace
}  // namespace ftpgate
