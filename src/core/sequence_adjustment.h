#pragma once
// The TCP sequence-number bookkeeping of a rewrite that changes a payload's length, exactly as
// the kernel's conntrack seqadj extension keeps it (net/netfilter/nf_conntrack_seqadj.c), one
// per direction: segments of that direction starting after `correction_pos` are shifted by
// `offset_after`, earlier ones by `offset_before`; the peer's ACKs are shifted back.
//
// ftpgate computes the values here, writes them to the control connection's conntrack
// (ctnetlink CTA_SEQ_ADJ_ORIG/REPLY) before releasing the rewritten segment, and uses the same
// values to read the peer's ACKs in the sender's numbering.
#include <cstdint>

namespace ftpgate {

// RFC 1982 serial-number order of 32-bit sequence numbers (the kernel's after()).
inline bool seq_after(uint32_t a, uint32_t b) { return static_cast<int32_t>(a - b) > 0; }

struct SequenceAdjustment {
  uint32_t correction_pos = 0;
  int32_t offset_before = 0;
  int32_t offset_after = 0;

  bool active() const { return offset_before != 0 || offset_after != 0; }

  // A segment starting at `seq` was rewritten to be `delta` bytes longer (nf_ct_seqadj_set): the
  // correction moves to `seq` unless an adjustment at a later position is already recorded (a
  // retransmission of an earlier rewrite changes nothing).
  void record(uint32_t seq, int32_t delta) {
    if (delta == 0) return;
    if (offset_before == offset_after || seq_after(seq, correction_pos)) {
      correction_pos = seq;
      offset_before = offset_after;
      offset_after += delta;
    }
  }
  // The shift the kernel applies to a segment of this direction starting at `seq`.
  int32_t offset_for(uint32_t seq) const {
    return seq_after(seq, correction_pos) ? offset_after : offset_before;
  }
  // `seq` as the receiver sees it.
  uint32_t adjust_seq(uint32_t seq) const { return seq + static_cast<uint32_t>(offset_for(seq)); }
  // An ACK the receiver sent (in its numbering) mapped back to the sender's numbering, as the
  // kernel rewrites it for the sender (nf_ct_seq_adjust's ackoff).
  uint32_t unadjust_ack(uint32_t ack) const {
    const uint32_t before = ack - static_cast<uint32_t>(offset_before);
    return ack - static_cast<uint32_t>(seq_after(before, correction_pos) ? offset_after : offset_before);
  }
};

}  // namespace ftpgate
