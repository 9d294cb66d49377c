#include "core/line_assembler.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace ftpgate {
namespace {

struct Out {
  std::vector<std::string> lines;
  std::vector<bool> too_long;
  int tails_after_gap = 0;
};

Out feed_chunks(LineAssembler& la, const std::vector<std::string>& chunks) {
  Out out;
  for (const auto& c : chunks)
    la.feed(c, [&](std::string_view l, LineKind kind) {
      if (kind == LineKind::kTailAfterGap) {
        ++out.tails_after_gap;
        return true;
      }
      out.lines.emplace_back(l);
      out.too_long.push_back(kind == LineKind::kTooLong);
      return true;
    });
  return out;
}

const std::string kStream =
    "USER anonymous\r\nPASS x\r\nPORT 10,0,1,2,4,1\nEPRT |1|10.0.1.2|1025|\r\n\r\nQUIT\r\n";
const std::vector<std::string> kLines = {"USER anonymous", "PASS x", "PORT 10,0,1,2,4,1",
                                         "EPRT |1|10.0.1.2|1025|", "", "QUIT"};

TEST(LineAssembler, WholeStream) {
  LineAssembler la(2048);
  EXPECT_EQ(feed_chunks(la, {kStream}).lines, kLines);
  EXPECT_EQ(la.buffered(), 0u);
}

TEST(LineAssembler, EverySplitPoint) {
  for (size_t cut = 0; cut <= kStream.size(); ++cut) {
    LineAssembler la(2048);
    EXPECT_EQ(feed_chunks(la, {kStream.substr(0, cut), kStream.substr(cut)}).lines, kLines)
        << "cut at " << cut;
  }
}

TEST(LineAssembler, EveryPairOfSplitPoints) {
  for (size_t a = 0; a <= kStream.size(); ++a)
    for (size_t b = a; b <= kStream.size(); ++b) {
      LineAssembler la(2048);
      EXPECT_EQ(feed_chunks(la, {kStream.substr(0, a), kStream.substr(a, b - a), kStream.substr(b)})
                    .lines,
                kLines);
    }
}

TEST(LineAssembler, ByteByByte) {
  LineAssembler la(2048);
  std::vector<std::string> bytes;
  for (char c : kStream) bytes.emplace_back(1, c);
  EXPECT_EQ(feed_chunks(la, bytes).lines, kLines);
}

TEST(LineAssembler, PartialLineIsHeld) {
  LineAssembler la(2048);
  EXPECT_TRUE(feed_chunks(la, {"PORT 10,0,"}).lines.empty());
  EXPECT_EQ(la.buffered(), 10u);
}

TEST(LineAssembler, OverlongLineReportedOnceAndTailDiscarded) {
  LineAssembler la(16);
  // The tail of the long line holds a PORT command: it must not become a line of its own.
  Out out = feed_chunks(la, {"RETR aaaaaaaaaaaaaaaaaaaaaa", "PORT 1,2,3,4,5,6\r\n", "NOOP\r\n"});
  ASSERT_EQ(out.lines.size(), 2u);
  EXPECT_TRUE(out.too_long[0]);
  EXPECT_EQ(out.lines[0].size(), 16u);
  EXPECT_EQ(out.lines[1], "NOOP");
  EXPECT_FALSE(out.too_long[1]);
}

TEST(LineAssembler, OverlongCompleteLineInOneChunk) {
  LineAssembler la(8);
  Out out = feed_chunks(la, {"123456789\r\nNOOP\r\n"});
  ASSERT_EQ(out.lines.size(), 2u);
  EXPECT_TRUE(out.too_long[0]);
  EXPECT_EQ(out.lines[1], "NOOP");
}

TEST(LineAssembler, LineOfExactlyMaxLengthIsFineAtEverySplit) {
  const std::string s = "12345678\r\n";
  for (size_t cut = 0; cut <= s.size(); ++cut) {
    LineAssembler la(8);
    Out out = feed_chunks(la, {s.substr(0, cut), s.substr(cut)});
    ASSERT_EQ(out.lines.size(), 1u) << cut;
    EXPECT_FALSE(out.too_long[0]) << cut;
    EXPECT_EQ(out.lines[0], "12345678");
  }
}

TEST(LineAssembler, ResyncSkipsToNextLine) {
  LineAssembler la(2048);
  feed_chunks(la, {"PORT 10,0"});
  la.resync();
  Out out = feed_chunks(la, {",1,2,4,1\r\nNOOP\r\n"});
  ASSERT_EQ(out.lines.size(), 1u);
  EXPECT_EQ(out.lines[0], "NOOP");
  EXPECT_EQ(out.tails_after_gap, 1);  // the tail ",1,2,4,1" is one line, never parsed
}

TEST(LineAssembler, ResyncAfterALineEndStillSkipsTheNextLine) {
  // Whether the lost bytes ended a line is unknown: "PORT 10,0,1,2,4,1" may be "STOR a PORT ...".
  LineAssembler la(2048);
  la.resync();
  Out out = feed_chunks(la, {"PORT 10,0,1,2,4,1\r\n", "NOOP\r\n"});
  EXPECT_EQ(out.lines, std::vector<std::string>{"NOOP"});
  EXPECT_EQ(out.tails_after_gap, 1);
}

TEST(LineAssembler, StopsWhenTold) {
  LineAssembler la(2048);
  const std::string s = "234 AUTH ok\r\n\x16\x03\x01 binary";
  size_t used = la.feed(s, [](std::string_view, LineKind) { return false; });
  EXPECT_EQ(used, 13u);
}

TEST(LineAssembler, IdleBufferStaysSmallAfterLongLine) {
  LineAssembler la(4096);
  feed_chunks(la, {std::string(3000, 'a'), "\r\n"});
  EXPECT_LE(la.capacity(), 256u);
}

}  // namespace
}  // namespace ftpgate
