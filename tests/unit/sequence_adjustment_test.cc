// SequenceAdjustment follows the kernel's seqadj rules (nf_ct_seqadj_set, nf_ct_seq_adjust).
#include "core/sequence_adjustment.h"

#include <gtest/gtest.h>

namespace ftpgate {
namespace {

TEST(SequenceAdjustment, OneRewriteShiftsLaterSegmentsOnly) {
  SequenceAdjustment a;
  EXPECT_FALSE(a.active());
  a.record(1000, -1);  // the segment starting at 1000 became one byte shorter
  EXPECT_TRUE(a.active());
  EXPECT_EQ(a.offset_for(1000), 0);   // the rewritten segment itself keeps its number
  EXPECT_EQ(a.offset_for(999), 0);
  EXPECT_EQ(a.offset_for(1025), -1);  // everything after it moves
  EXPECT_EQ(a.adjust_seq(1025), 1024u);
  // The receiver acknowledges 1024 (its numbering) = 1025 in the sender's.
  EXPECT_EQ(a.unadjust_ack(1024), 1025u);
  EXPECT_EQ(a.unadjust_ack(1000), 1000u);  // an ACK up to the rewrite is not shifted
}

TEST(SequenceAdjustment, RewritesAccumulateAndRetransmissionsChangeNothing) {
  SequenceAdjustment a;
  a.record(1000, 3);
  a.record(2000, 3);
  EXPECT_EQ(a.correction_pos, 2000u);
  EXPECT_EQ(a.offset_before, 3);
  EXPECT_EQ(a.offset_after, 6);
  a.record(2000, 3);  // the same segment rewritten again (a retransmission): unchanged
  a.record(1000, 3);
  EXPECT_EQ(a.offset_after, 6);
  EXPECT_EQ(a.offset_before, 3);
  for (uint32_t seq : {1500u, 2001u, 9999u}) EXPECT_EQ(a.unadjust_ack(a.adjust_seq(seq)), seq) << seq;
}

TEST(SequenceAdjustment, WrapsAtTwoToTheThirtyTwo) {
  SequenceAdjustment a;
  a.record(0xfffffff0u, 5);
  EXPECT_EQ(a.offset_for(0x10u), 5);  // after the wrap is still after
  EXPECT_EQ(a.adjust_seq(0xfffffffeu), 3u);
  EXPECT_EQ(a.unadjust_ack(3u), 0xfffffffeu);
}

}  // namespace
}  // namespace ftpgate
