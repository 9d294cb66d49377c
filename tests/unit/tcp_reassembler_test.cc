#include "core/tcp_reassembler.h"

#include <gtest/gtest.h>

#include <string>

namespace ftpgate {
namespace {

struct Harness {
  explicit Harness(uint32_t isn, uint32_t max_ooo = 1024) : r(max_ooo) { r.start_at(isn); }
  ReassemblyReport push(uint32_t seq, std::string_view p) {
    return r.push(seq, p, [&](std::string_view b) { out.append(b); });
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

TEST(TcpReassembler, OldSegmentFromBeforeStartIsIgnored) {
  Harness h(1000);
  ReassemblyReport rep = h.push(990, "0123456789");
  EXPECT_EQ(h.out, "");
  EXPECT_EQ(rep.retransmitted_bytes, 10u);
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
