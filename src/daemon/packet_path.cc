#include "daemon/packet_path.h"

#include <algorithm>

#include "core/packet_decoder.h"
#include "core/tcp_packet_writer.h"

namespace ftpgate {
namespace {

// Position of `seq` relative to `base` in the same stream (negative: before it).
int64_t relative(uint32_t seq, uint32_t base) { return static_cast<int32_t>(seq - base); }

struct EditResult {
  bool deny = false;                 // a denied line is among the edits
  bool blanked = false;              // ... and bytes after it in the segment were blanked
  bool line_start_released = false;  // ... and it began in a segment already released
  bool clipped = false;              // a mask began before this segment: its start went out
};

// Applies the same-length edits of `dir` to a copy of the segment's payload (`out`).
EditResult edit_payload(const std::vector<SegmentEdit>& edits, Direction dir, uint32_t seq,
                        std::string_view payload, std::string& out) {
  EditResult r;
  out.assign(payload);
  for (const SegmentEdit& e : edits) {
    if (e.direction != dir) continue;
    const bool neutral = e.edit.kind != StreamEdit::Kind::kMask;
    r.deny = r.deny || neutral;
    const int64_t at = relative(e.edit.seq, seq);
    if (at < 0) (neutral ? r.line_start_released : r.clipped) = true;
    const std::string bytes = stream_edit_bytes(e.edit.kind, e.edit.length);
    for (int64_t i = std::max<int64_t>(0, -at); i < static_cast<int64_t>(bytes.size()); ++i)
      if (at + i < static_cast<int64_t>(out.size())) out[static_cast<size_t>(at + i)] = bytes[static_cast<size_t>(i)];
    if (!neutral) continue;
    // Nothing after a denied line may reach the receiver: the line keeps its CR LF (the
    // receiver answers the NOOP, and the answer meets the ruleset's reset), every later byte
    // of the segment becomes a space, with no line end: a line never completed, never run.
    const auto size = static_cast<int64_t>(out.size());
    int64_t tail = at + static_cast<int64_t>(e.edit.length);
    if (tail >= 0 && tail < size && out[static_cast<size_t>(tail)] == '\r') ++tail;
    if (tail >= 0 && tail < size && out[static_cast<size_t>(tail)] == '\n') ++tail;
    for (int64_t i = std::max<int64_t>(0, tail); i < size; ++i) {
      out[static_cast<size_t>(i)] = ' ';
      r.blanked = true;
    }
  }
  return r;
}

}  // namespace

DecodeStatus PacketPath::judge(QueuedId id, std::string_view packet, Micros now,
                               PacketDecision& out) {
  out = PacketDecision{};
  DecodeResult d = decode_ip_packet(packet);
  if (d.status != DecodeStatus::kOk) return d.status;
  TcpSegment seg = d.segment;
  ControlFlow flow;
  Direction dir;
  if (!engine_.classify(seg, flow, dir)) {
    // A data connection's SYN, FIN or RST, queued for the transfer audit (rules.sh --audit).
    engine_.on_segment(seg, now);
    collect_released(out.release);
    return d.status;
  }
  const uint64_t decided_before = engine_.counters().expectations;
  auto finish = [&] {
    collect_released(out.release);
    out.carried_decision = engine_.counters().expectations != decided_before;
    return d.status;
  };

  // A session the policy denied: its conntrack is marked for the ruleset to reset; whatever
  // still reaches the queue (the mark could not be set, or the rules lack the reset) is
  // dropped here, but for an RST, which ends it.
  if (const Session* known = engine_.find(flow); known != nullptr && known->enforced()) {
    engine_.on_segment(seg, now);
    if (!seg.has(tcp_flags::kRst)) {
      out.fate = PacketDecision::Fate::kDrop;
      ++counters_.denied_session_drops;
    }
    return finish();
  }

  // Sequence adjustments exist only where a rewrite was made (here, or before a pickup):
  // without any, a packet costs no state lookups here.
  ControlState* cs = find_control_state(engine_.find(flow));
  if (cs != nullptr && cs->changes_segments()) {
    // After a rewrite that changed the length, the peer acknowledges in its own numbering: read
    // its ACK in the sender's, as the kernel will rewrite it.
    const SequenceAdjustment& adj = cs->adjust[ControlState::index(opposite(dir))];
    if (seg.has(tcp_flags::kAck) && adj.active()) seg.ack = adj.unadjust_ack(seg.ack);
    if (!seg.payload.empty() && repeat_rewrite(*cs, dir, packet, seg, out)) {
      engine_.on_segment(seg, now);
      return finish();
    }
  }
  const SegmentVerdict verdict = engine_.on_segment(seg, now);
  Session* session = engine_.find(flow);  // created, or ended, by this segment
  cs = find_control_state(session);
  std::vector<EndpointRewrite> rewrites = gateway_.take_rewrites();
  std::vector<SegmentEdit> edits = gateway_.take_edits();
  if (verdict.drop) {
    // The guard refused the segment (segment_verdict.h): it does not pass, and what the
    // engine decided on its bytes goes with it.
    if (!rewrites.empty()) {
      ControlState gone;
      gateway_.rewrites_withdrawn(cs != nullptr ? *cs : gone, rewrites, RewriteFailure::kPacket);
    }
    out.fate = PacketDecision::Fate::kDrop;  // counted by the engine (guard_dropped_segments)
    return finish();
  }
  // A copy of judged bytes that differed leaves with the judged bytes.
  std::string restored;
  if (!verdict.restore.empty()) {
    restored.assign(seg.payload);
    restored.replace(verdict.restore_at, verdict.restore.size(), verdict.restore);
    seg.payload = restored;
  }
  const bool urgent = verdict.clear_urgent;
  std::string edited;
  if (!edits.empty()) {
    const EditResult r = edit_payload(edits, dir, seg.seq, seg.payload, edited);
    if (r.clipped) ++counters_.masks_clipped;
    if (r.blanked) ++counters_.denied_tails_blanked;
    if (r.deny) {
      deny(cs, rewrites, dir, r.line_start_released, packet, seg, edited, urgent, out);
      return finish();
    }
    if (rewrites.empty()) {
      if (rebuild_tcp_packet(packet, seg.payload_offset, seg.seq, edited, out.packet, urgent)) {
        out.fate = PacketDecision::Fate::kAcceptChanged;
        ++counters_.masked_segments;
        // A retransmission of this segment is masked the same way.
        if (session != nullptr)
          control_state(*session).rewritten[ControlState::index(dir)] =
              RewrittenSegment{seg.seq, std::string(seg.payload), edited};
      }
      return finish();
    }
    seg.payload = edited;  // masked, then rewritten below
  }
  if (!rewrites.empty()) {
    if (cs != nullptr) {
      apply(*cs, rewrites, packet, seg, dir, urgent, out);
    } else {
      ControlState gone;  // the session ended with this segment; its expectations are removed
      gateway_.rewrites_withdrawn(gone, rewrites, RewriteFailure::kPacket);
    }
    return finish();
  }
  const bool line_open = session != nullptr && session->partial_line_may_announce(dir) &&
                         gateway_.is_nated(*session, now);
  if (line_open && !seg.payload.empty()) {
    if (held_ < nat_.max_held_packets) {
      control_state(*session).held[ControlState::index(dir)].push_back(
          HeldSegment{id, seg.seq, std::string(seg.payload), now});
      ++held_;
      ++counters_.held;
      out.fate = PacketDecision::Fate::kHold;
      return finish();
    }
    ++counters_.hold_limit;
  }
  if (!line_open && cs != nullptr) take_held(*cs, dir, out.release);  // the line ended unrewritten
  if ((!restored.empty() || urgent) &&
      rebuild_tcp_packet(packet, seg.payload_offset, seg.seq, seg.payload, out.packet, urgent))
    out.fate = PacketDecision::Fate::kAcceptChanged;
  return finish();
}

void PacketPath::deny(ControlState* cs, const std::vector<EndpointRewrite>& rewrites, Direction dir,
                      bool line_start_released, std::string_view packet, const TcpSegment& seg,
                      const std::string& edited, bool clear_urgent, PacketDecision& out) {
  if (cs != nullptr) {
    if (!rewrites.empty()) gateway_.rewrites_withdrawn(*cs, rewrites, RewriteFailure::kPacket);
    take_held(*cs, dir, out.drop);  // they carry the start of a line of the denied session
  }
  // The line goes on as "NOOP    " (or "421 ****"): the receiver answers it, and the answer
  // meets the ruleset's reset. A line that began in a released segment cannot be neutralised
  // whole (its start went out): its end is dropped, so it never completes.
  if (!line_start_released &&
      rebuild_tcp_packet(packet, seg.payload_offset, seg.seq, edited, out.packet, clear_urgent)) {
    out.fate = PacketDecision::Fate::kAcceptChanged;
    ++counters_.denied_lines_neutralised;
  } else {
    out.packet.clear();
    out.fate = PacketDecision::Fate::kDrop;
    ++counters_.denied_lines_dropped;
  }
}

bool PacketPath::repeat_rewrite(ControlState& cs, Direction dir, std::string_view packet,
                                const TcpSegment& seg, PacketDecision& out) {
  const std::optional<RewrittenSegment>& r = cs.rewritten[ControlState::index(dir)];
  if (!r) return false;
  const int64_t at = relative(seg.seq, r->seq);
  const int64_t old_len = static_cast<int64_t>(r->old_payload.size());
  if (at + static_cast<int64_t>(seg.payload.size()) <= 0 || at >= old_len) return false;
  if (at == 0 && seg.payload.size() >= r->old_payload.size() &&
      seg.payload.substr(0, r->old_payload.size()) == r->old_payload) {
    std::string payload = r->new_payload;
    payload.append(seg.payload.substr(r->old_payload.size()));
    if (rebuild_tcp_packet(packet, seg.payload_offset, seg.seq, payload, out.packet)) {
      out.fate = PacketDecision::Fate::kAcceptChanged;
      ++counters_.retransmits_rewritten;
      return true;
    }
  }
  // Part of a rewritten text, shifted: no consistent rewrite exists. Drop it; the sender
  // retransmits, and the receiver has these bytes already.
  out.fate = PacketDecision::Fate::kDrop;
  ++counters_.partial_retransmits_dropped;
  return true;
}

void PacketPath::apply(ControlState& cs, const std::vector<EndpointRewrite>& rewrites,
                       std::string_view packet, const TcpSegment& seg, Direction dir,
                       bool clear_urgent, PacketDecision& out) {
  // The rewritten stretch runs from the first held segment of this direction (or this one) to
  // the end of this segment.
  std::vector<HeldSegment>& held = cs.held[ControlState::index(dir)];
  const int64_t end = static_cast<int64_t>(seg.payload.size());
  int64_t start = 0;
  for (const HeldSegment& h : held) start = std::min(start, relative(h.seq, seg.seq));

  std::string old_bytes(static_cast<size_t>(end - start), '\0');
  std::vector<bool> have(old_bytes.size(), false);
  auto lay = [&](uint32_t seq, std::string_view bytes) {
    const int64_t off = relative(seq, seg.seq) - start;
    for (size_t i = 0; i < bytes.size(); ++i) {
      const int64_t at = off + static_cast<int64_t>(i);
      if (at < 0 || at >= static_cast<int64_t>(old_bytes.size()) || have[static_cast<size_t>(at)])
        continue;  // outside the stretch, or a copy already laid (first copy wins)
      old_bytes[static_cast<size_t>(at)] = bytes[i];
      have[static_cast<size_t>(at)] = true;
    }
  };
  for (const HeldSegment& h : held) lay(h.seq, h.payload);
  lay(seg.seq, seg.payload);

  // Every endpoint text must lie whole in the stretch, in order, and read as expected; then
  // the new bytes are the old ones with each text replaced.
  RewriteFailure failure = RewriteFailure::kTextAlreadyReleased;
  bool ok = std::all_of(have.begin(), have.end(), [](bool b) { return b; });
  std::string new_bytes;
  int64_t copied = 0;  // old bytes (from `start`) already carried into new_bytes
  for (const EndpointRewrite& rw : rewrites) {
    if (!ok) break;
    const int64_t text_begin = relative(rw.text_seq, seg.seq) - start;
    const int64_t text_end = text_begin + rw.text_length;
    ok = rw.direction == dir && text_begin >= copied && text_end <= end - start &&
         old_bytes.compare(static_cast<size_t>(text_begin), rw.text_length, rw.old_text) == 0;
    if (!ok) break;
    new_bytes.append(old_bytes, static_cast<size_t>(copied), static_cast<size_t>(text_begin - copied));
    new_bytes.append(rw.new_text);
    copied = text_end;
  }
  const uint32_t first_seq = seg.seq + static_cast<uint32_t>(start);
  if (ok) {
    new_bytes.append(old_bytes, static_cast<size_t>(copied));
    ok = rebuild_tcp_packet(packet, seg.payload_offset, first_seq, new_bytes, out.packet, clear_urgent);
    if (!ok) failure = RewriteFailure::kPacket;
  }
  const auto delta = static_cast<int32_t>(new_bytes.size()) - static_cast<int32_t>(old_bytes.size());
  if (ok && delta != 0 && !gateway_.adjust_sequence(cs, dir, first_seq, delta)) {
    ok = false;
    failure = RewriteFailure::kSequenceAdjustment;
  }
  if (!ok) {
    gateway_.rewrites_withdrawn(cs, rewrites, failure);
    out.packet.clear();
    take_held(cs, dir, out.release);
    return;
  }
  const size_t before = out.drop.size();
  take_held(cs, dir, out.drop);
  counters_.merged += out.drop.size() - before;
  gateway_.rewrites_made(rewrites);
  cs.rewritten[ControlState::index(dir)] =
      RewrittenSegment{first_seq, std::move(old_bytes), std::move(new_bytes)};
  out.fate = PacketDecision::Fate::kAcceptChanged;
}

void PacketPath::take_held(ControlState& cs, Direction dir, std::vector<QueuedId>& ids) {
  std::vector<HeldSegment>& held = cs.held[ControlState::index(dir)];
  for (const HeldSegment& h : held) ids.push_back(h.id);
  held_ -= held.size();
  held.clear();
}

void PacketPath::collect_released(std::vector<QueuedId>& ids) {
  const size_t before = ids.size();
  gateway_.take_released(ids);
  held_ -= ids.size() - before;
}

size_t PacketPath::take_over(std::vector<QueuedId>& release) {
  collect_released(release);
  engine_.for_each_session([&](Session& s) {
    if (ControlState* cs = find_control_state(&s))
      for (Direction d : {Direction::kToServer, Direction::kToClient}) take_held(*cs, d, release);
  });
  return engine_.release_all();
}

std::vector<QueuedId> PacketPath::release_expired(Micros now) {
  std::vector<QueuedId> ids;
  collect_released(ids);
  if (held_ == 0) return ids;
  engine_.for_each_session([&](Session& s) {
    ControlState* cs = find_control_state(&s);
    if (cs == nullptr || cs->held_count() == 0) return;
    for (std::vector<HeldSegment>& held : cs->held) {
      auto keep = std::stable_partition(held.begin(), held.end(), [&](const HeldSegment& h) {
        return now - h.since < nat_.hold_timeout;
      });
      for (auto it = keep; it != held.end(); ++it) ids.push_back(it->id);
      const auto expired = static_cast<size_t>(held.end() - keep);
      counters_.hold_timeouts += expired;
      held_ -= expired;
      held.erase(keep, held.end());
    }
  });
  return ids;
}

}  // namespace ftpgate
