#include "daemon/packet_path.h"

#include <algorithm>

#include "core/packet_decoder.h"
#include "core/tcp_packet_writer.h"

namespace ftpgate {
namespace {

// Position of `seq` relative to `base` in the same stream (negative: before it).
int64_t relative(uint32_t seq, uint32_t base) { return static_cast<int32_t>(seq - base); }

}  // namespace

DecodeStatus PacketPath::judge(QueuedId id, std::string_view packet, Micros now,
                               PacketDecision& out) {
  out = PacketDecision{};
  DecodeResult d = decode_ip_packet(packet);
  if (d.status != DecodeStatus::kOk) return d.status;
  TcpSegment seg = d.segment;
  ControlFlow flow;
  Direction dir;
  if (!engine_.classify(seg, flow, dir)) return d.status;

  // Sequence adjustments exist only where a rewrite was made (and remembered in rewritten_):
  // without any, a packet costs no lookups here.
  if (const Session* session = rewritten_.empty() ? nullptr : engine_.find(flow)) {
    // After a rewrite that changed the length, the peer acknowledges in its own numbering: read
    // its ACK in the sender's, as the kernel will rewrite it.
    if (seg.has(tcp_flags::kAck)) {
      const SequenceAdjustment* adj = gateway_.adjustment(session->id(), opposite(dir));
      if (adj != nullptr && adj->active()) seg.ack = adj->unadjust_ack(seg.ack);
    }
    if (!seg.payload.empty() && repeat_rewrite(session->id(), dir, packet, seg, out)) {
      engine_.on_segment(seg, now);
      return d.status;
    }
  }
  engine_.on_segment(seg, now);
  if (auto rw = gateway_.take_rewrite()) {
    apply(*rw, packet, seg, flow, dir, out);
    return d.status;
  }
  const Session* session = engine_.find(flow);
  const bool line_open = session != nullptr && session->partial_line_may_announce(dir) &&
                         gateway_.is_nated(session->id(), flow);
  if (line_open && !seg.payload.empty()) {
    if (held_.size() < nat_.max_held_packets) {
      held_.push_back(Held{id, flow, dir, seg.seq, std::string(seg.payload), now});
      ++counters_.held;
      out.fate = PacketDecision::Fate::kHold;
      return d.status;
    }
    ++counters_.hold_limit;
  }
  if (!line_open) take_held(flow, dir, out.release);  // the line ended without a rewrite
  return d.status;
}

bool PacketPath::repeat_rewrite(uint64_t session_id, Direction dir, std::string_view packet,
                                const TcpSegment& seg, PacketDecision& out) {
  auto it = rewritten_.find(key(session_id, dir));
  if (it == rewritten_.end()) return false;
  const Rewritten& r = it->second;
  const int64_t at = relative(seg.seq, r.seq);
  const int64_t old_len = static_cast<int64_t>(r.old_payload.size());
  if (at + static_cast<int64_t>(seg.payload.size()) <= 0 || at >= old_len) return false;
  if (at == 0 && seg.payload.size() >= r.old_payload.size() &&
      seg.payload.substr(0, r.old_payload.size()) == r.old_payload) {
    std::string payload = r.new_payload;
    payload.append(seg.payload.substr(r.old_payload.size()));
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

void PacketPath::apply(const EndpointRewrite& rw, std::string_view packet, const TcpSegment& seg,
                       const ControlFlow& flow, Direction dir, PacketDecision& out) {
  // The rewritten stretch runs from the first held segment of this direction (or this one) to
  // the end of this segment.
  const int64_t end = static_cast<int64_t>(seg.payload.size());
  int64_t start = 0;
  for (const Held& h : held_)
    if (h.flow == flow && h.dir == dir) start = std::min(start, relative(h.seq, seg.seq));
  const int64_t text_begin = relative(rw.text_seq, seg.seq);
  const int64_t text_end = text_begin + rw.text_length;

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
  for (const Held& h : held_)
    if (h.flow == flow && h.dir == dir) lay(h.seq, h.payload);
  lay(seg.seq, seg.payload);

  RewriteFailure failure = RewriteFailure::kTextAlreadyReleased;
  bool ok = text_begin >= start && text_end <= end &&
            std::all_of(have.begin(), have.end(), [](bool b) { return b; }) &&
            old_bytes.compare(static_cast<size_t>(text_begin - start), rw.text_length, rw.old_text) == 0;
  std::string new_bytes;
  const uint32_t first_seq = seg.seq + static_cast<uint32_t>(start);
  if (ok) {
    new_bytes.reserve(old_bytes.size() + rw.new_text.size());
    new_bytes.append(old_bytes, 0, static_cast<size_t>(text_begin - start));
    new_bytes.append(rw.new_text);
    new_bytes.append(old_bytes, static_cast<size_t>(text_end - start));
    ok = rebuild_tcp_packet(packet, seg.payload_offset, first_seq, new_bytes, out.packet);
    if (!ok) failure = RewriteFailure::kPacket;
  }
  const auto delta = static_cast<int32_t>(new_bytes.size()) - static_cast<int32_t>(old_bytes.size());
  if (ok && delta != 0 && !gateway_.adjust_sequence(rw.session_id, dir, first_seq, delta)) {
    ok = false;
    failure = RewriteFailure::kSequenceAdjustment;
  }
  if (!ok) {
    gateway_.abandon_rewrite(rw, failure);
    out.packet.clear();
    take_held(flow, dir, out.release);
    return;
  }
  const size_t before = out.drop.size();
  take_held(flow, dir, out.drop);
  counters_.merged += out.drop.size() - before;
  gateway_.rewrite_made();
  rewritten_[key(rw.session_id, dir)] =
      Rewritten{flow, first_seq, std::move(old_bytes), std::move(new_bytes)};
  out.fate = PacketDecision::Fate::kAcceptChanged;
}

void PacketPath::take_held(const ControlFlow& flow, Direction dir, std::vector<QueuedId>& ids) {
  auto keep = std::stable_partition(held_.begin(), held_.end(), [&](const Held& h) {
    return !(h.flow == flow && h.dir == dir);
  });
  for (auto it = keep; it != held_.end(); ++it) ids.push_back(it->id);
  held_.erase(keep, held_.end());
}

std::vector<QueuedId> PacketPath::release_expired(Micros now) {
  std::vector<QueuedId> ids;
  auto keep = std::stable_partition(held_.begin(), held_.end(), [&](const Held& h) {
    return now - h.since < nat_.hold_timeout;
  });
  for (auto it = keep; it != held_.end(); ++it) ids.push_back(it->id);
  counters_.hold_timeouts += static_cast<uint64_t>(held_.end() - keep);
  held_.erase(keep, held_.end());
  std::erase_if(rewritten_, [&](const auto& kv) { return engine_.find(kv.second.flow) == nullptr; });
  return ids;
}

}  // namespace ftpgate
