#include "core/engine.h"

#include <algorithm>

namespace ftpgate {

static constexpr Micros kExpiryScanInterval = 1'000'000;

Engine::Engine(const Policy& policy, const std::vector<uint16_t>& control_ports, ActionSink& sink)
    : policy_(policy), sink_(sink) {
  for (uint16_t p : control_ports) control_ports_.set(p);
}

DecodeStatus Engine::on_packet(std::string_view ip_packet, Micros now) {
  DecodeResult d = decode_ip_packet(ip_packet);
  if (d.status == DecodeStatus::kOk) on_segment(d.segment, now);
  return d.status;
}

const Session* Engine::find(const ControlFlow& flow) const {
  auto it = sessions_.find(flow);
  return it == sessions_.end() ? nullptr : &it->second;
}

Session* Engine::find(const ControlFlow& flow) {
  auto it = sessions_.find(flow);
  return it == sessions_.end() ? nullptr : &it->second;
}

bool Engine::classify(const TcpSegment& seg, ControlFlow& flow, Direction& dir) const {
  if (control_ports_.test(seg.dport)) {
    dir = Direction::kToServer;
    flow = ControlFlow{seg.src, seg.dst, seg.sport, seg.dport};
  } else if (control_ports_.test(seg.sport)) {
    dir = Direction::kToClient;
    flow = ControlFlow{seg.dst, seg.src, seg.dport, seg.sport};
  } else {
    return false;
  }
  return true;
}

SegmentVerdict Engine::on_segment(const TcpSegment& seg, Micros now) {
  Direction dir;
  ControlFlow key;
  if (!classify(seg, key, dir)) {
    if (policy_.audit_transfers) {
      transfers_.on_data_segment(seg, now, policy_, counters_);
      transfers_.emit_ready(now, policy_, counters_, sink_);
    }
    return {};
  }
  ++counters_.segments;
  counters_.payload_bytes += seg.payload.size();
  tick(now);

  const bool opening_syn = seg.has(tcp_flags::kSyn) && !seg.has(tcp_flags::kAck);
  auto it = sessions_.find(key);
  if (it != sessions_.end() && opening_syn && it->second.is_reopened_by(seg)) {
    // A new connection on the same addresses and ports (a FIN or RST we never saw). (Bytes
    // that continue the old one are no part of the new stream: the guard drops them.)
    end_session(it, SessionEvent::kClosed, now);
    it = sessions_.end();
  }
  if (it == sessions_.end()) {
    // Only a SYN or data can start tracking; a stray ACK, FIN or RST cannot.
    if (seg.has(tcp_flags::kRst) || (seg.payload.empty() && !seg.has(tcp_flags::kSyn))) return {};
    if (sessions_.size() >= policy_.max_sessions) expire(now);
    if (sessions_.size() >= policy_.max_sessions && !evict_unestablished(now)) {
      ++counters_.uninspected_segments;
      counters_.count(Reason::kSessionTableFull);
      Action a = make_action(Action::Kind::kAnomaly, &key, nullptr, 0, dir, now);
      a.reason = Reason::kSessionTableFull;
      sink_.on_action(a);
      SegmentVerdict v;
      if (policy_.guarded()) {
        // Uninspected is unjudged: while the policy guards, the connection does not pass.
        if (opening_syn) ++counters_.sessions_refused;
        ++counters_.guard_drops;
        v.drop = true;
        v.why = Reason::kSessionTableFull;
      }
      return v;
    }
    it = sessions_.try_emplace(key, key, ++next_session_id_, policy_, now).first;
    ++counters_.sessions_created;
    ++counters_.sessions_active;
    if (!seg.has(tcp_flags::kSyn)) {
      emit_event(it->second, SessionEvent::kPickup, now);
    } else {
      // Entries at the front whose session ended or completed its handshake go now (a
      // held-open session must not keep its 48-byte entry); behind an old unestablished one
      // they wait for the compaction at twice max_sessions.
      const auto stale = [&](const std::pair<ControlFlow, uint64_t>& o) {
        const Session* s = find(o.first);
        return s == nullptr || s->id() != o.second || s->established();
      };
      while (!opened_.empty() && stale(opened_.front())) opened_.pop_front();
      if (opened_.size() >= 2 * size_t{policy_.max_sessions}) std::erase_if(opened_, stale);
      opened_.emplace_back(key, it->second.id());
    }
  }
  SessionContext ctx = context();
  Session::Outcome out = it->second.on_segment(dir, seg, now, ctx);
  if (out.state == Session::State::kClosed) end_session(it, SessionEvent::kClosed, now);
  if (policy_.audit_transfers) transfers_.emit_ready(now, policy_, counters_, sink_);
  return std::move(out.verdict);
}

bool Engine::evict_unestablished(Micros now) {
  while (!opened_.empty()) {
    const auto [flow, id] = opened_.front();
    opened_.pop_front();
    auto it = sessions_.find(flow);
    if (it == sessions_.end() || it->second.id() != id || it->second.established()) continue;
    ++counters_.unestablished_evicted;
    end_session(it, SessionEvent::kExpired, now);
    return true;
  }
  return false;
}

size_t Engine::release_all() {
  const size_t n = sessions_.size();
  for (auto& kv : sessions_) {
    kv.second.drop_expectations(counters_);
    transfers_.session_ended(kv.second.id(), 0);
  }
  counters_.sessions_released += n;
  counters_.sessions_active -= n;
  sessions_.clear();
  opened_.clear();
  return n;
}

void Engine::finish_transfers(Micros now) {
  if (!policy_.audit_transfers) return;
  for (auto& kv : sessions_) transfers_.session_ended(kv.second.id(), now);
  transfers_.emit_ready(now + policy_.transfer_linger, policy_, counters_, sink_);
}

void Engine::tick(Micros now) {
  if (now < next_expiry_scan_) return;
  expire(now);
  next_expiry_scan_ = now + kExpiryScanInterval;
}

void Engine::expire(Micros now) {
  for (auto it = sessions_.begin(); it != sessions_.end();) {
    auto next = std::next(it);
    const Session& s = it->second;
    // A denied session is remembered as long as its marked conntrack may live; one whose
    // handshake never completed goes as conntrack's SYN_SENT does.
    const Micros idle_limit = s.enforced()       ? policy_.denied_session_timeout
                              : !s.established() ? std::min(policy_.session_idle_timeout, policy_.unestablished_timeout)
                                                 : policy_.session_idle_timeout;
    if (s.linger_ended(now, policy_)) {
      end_session(it, SessionEvent::kClosed, now);
    } else if (now - s.last_seen() >= idle_limit) {
      end_session(it, SessionEvent::kExpired, now);
    } else {
      it->second.expire_expectations(now, counters_);
    }
    it = next;
  }
  if (policy_.audit_transfers) {
    transfers_.expire(now, policy_);
    transfers_.emit_ready(now, policy_, counters_, sink_);
  }
}

void Engine::end_session(Table::iterator it, SessionEvent why, Micros now) {
  it->second.drop_expectations(counters_);
  transfers_.session_ended(it->second.id(), now);
  emit_event(it->second, why, now);  // the sink's last look at the session and its extension
  if (why == SessionEvent::kExpired) {
    ++counters_.sessions_expired;
  } else {
    ++counters_.sessions_closed;
  }
  --counters_.sessions_active;
  sessions_.erase(it);
}

void Engine::emit_event(Session& session, SessionEvent e, Micros now) {
  Action a = make_action(Action::Kind::kEvent, &session.flow(), &session, session.id(),
                         Direction::kToServer, now);
  a.event = e;
  sink_.on_action(a);
}

}  // namespace ftpgate
