#include "core/transfer_watch.h"

#include "core/ascii.h"

namespace ftpgate {
std::string_view transfer_kind_name(TransferKind k) {
  switch (k) {
    case TransferKind::kDownload: return "download";
    case TransferKind::kUpload: return "upload";
    case TransferKind::kListing: return "listing";
  }
  return "?";
}

TransferKind transfer_kind_of(std::string_view verb) {
  const std::string v = ascii_upper_case(verb);
  if (v == "RETR") return TransferKind::kDownload;
  if (v == "STOR" || v == "STOU" || v == "APPE") return TransferKind::kUpload;
  return TransferKind::kListing;
}

namespace {
// What one side of the data connection sent, if known; without a data connection seen, 0 when
// the reply says the transfer failed.
std::optional<uint64_t> sent_by(const TransferRecord& r, bool opener) {
  if (!r.data.seen) return r.reply_code >= 400 ? std::optional<uint64_t>(0) : std::nullopt;
  if (opener) return r.data.counted_from_opener ? std::optional<uint64_t>(r.data.bytes_from_opener) : std::nullopt;
  return r.data.counted_from_acceptor ? std::optional<uint64_t>(r.data.bytes_from_acceptor) : std::nullopt;
}

// "150 Opening BINARY mode data connection for x (34826629 bytes)." -> 34826629
std::optional<uint64_t> announced_bytes(std::string_view text) {
  const size_t end = text.find(" bytes)");
  if (end == std::string_view::npos) return std::nullopt;
  size_t begin = end;
  while (begin > 0 && text[begin - 1] >= '0' && text[begin - 1] <= '9') --begin;
  if (begin == end || begin == 0 || text[begin - 1] != '(' || end - begin > 19) return std::nullopt;
  uint64_t n = 0;
  for (size_t i = begin; i < end; ++i) n = n * 10 + static_cast<uint64_t>(text[i] - '0');
  return n;
}
}  // namespace

std::optional<uint64_t> TransferRecord::bytes_to_server() const {
  return sent_by(*this, expectation.mode == DataMode::kPassive);  // passive: the client opened
}

std::optional<uint64_t> TransferRecord::bytes_to_client() const {
  return sent_by(*this, expectation.mode != DataMode::kPassive);
}

void TransferWatch::expected(uint64_t session_id, const Expectation& e) {
  PerSession& s = sessions_[session_id];
  expected_[EndpointKey{e.src, e.dst, e.dport}] = Expected{e.id, e.expires};
  for (TransferRecord& r : s.requested) {
    if (!r.awaits_passive) continue;
    r.awaits_passive = false;  // the reply to the PASV it was pipelined behind
    r.expected = true;
    r.expectation = e;
    return;
  }
  s.latest_expectation_id = e.id;
  s.latest = e;
}

void TransferWatch::requested(const ControlFlow& control, uint64_t session_id, std::string_view user,
                              std::string_view verb, std::string_view argument, Micros now,
                              bool passive_pending, const Policy& policy, Counters& counters) {
  PerSession& s = sessions_[session_id];
  if (s.requested.size() >= policy.max_pending_commands) {
    ++counters.transfers_unrecorded;
    return;
  }
  TransferRecord r;
  r.control = control;
  r.session_id = session_id;
  r.user.assign(user);
  r.command = ascii_upper_case(verb);
  r.argument.assign(argument.substr(0, policy.max_line_length));
  r.kind = transfer_kind_of(verb);
  r.requested = now;
  if (passive_pending) {
    r.awaits_passive = true;
  } else if (s.latest_expectation_id != 0) {
    // The data connection this transfer uses: the session's latest. The next transfer needs a
    // new PASV or PORT (one data connection per transfer, RFC 959 3.2).
    r.expected = true;
    r.expectation = s.latest;
    s.latest_expectation_id = 0;
  }
  s.requested.push_back(std::move(r));
}

void TransferWatch::started(uint64_t session_id, std::string_view text) {
  auto it = sessions_.find(session_id);
  if (it == sessions_.end() || it->second.requested.empty()) return;
  if (auto n = announced_bytes(text)) it->second.requested.front().announced_size = n;
}

void TransferWatch::answered(uint64_t session_id, uint16_t code, std::string_view text, Micros now) {
  auto it = sessions_.find(session_id);
  if (it == sessions_.end() || it->second.requested.empty()) return;
  TransferRecord r = std::move(it->second.requested.front());
  it->second.requested.pop_front();
  r.answered = now;
  r.reply_code = code;
  r.reply_text.assign(text);
  answered_.push_back(std::move(r));
}

void TransferWatch::session_ended(uint64_t session_id, Micros now) {
  unpaired(session_id, now);  // reply_code 0: never answered
  sessions_.erase(session_id);
}

void TransferWatch::unpaired(uint64_t session_id, Micros now) {
  auto it = sessions_.find(session_id);
  if (it == sessions_.end()) return;
  for (TransferRecord& r : it->second.requested) {
    r.answered = now;
    answered_.push_back(std::move(r));
  }
  it->second.requested.clear();
}

TransferWatch::Connection* TransferWatch::find_connection(const TcpSegment& seg, bool& from_opener) {
  auto it = connections_.find(ConnectionKey{seg.src, seg.dst, seg.sport, seg.dport});
  from_opener = it != connections_.end();
  if (!from_opener) it = connections_.find(ConnectionKey{seg.dst, seg.src, seg.dport, seg.sport});
  return it == connections_.end() ? nullptr : &it->second;
}

void TransferWatch::count_bytes(Connection& c, const TcpSegment& seg, bool from_opener, Micros now) {
  DataConnectionSeen& d = c.seen;
  if (!from_opener && !c.acceptor_isn_known) return;  // its SYN-ACK was not seen: unknown
  const uint32_t isn = from_opener ? c.opener_isn : c.acceptor_isn;
  // A FIN's own sequence number comes after its payload; an RST's is the next byte to send.
  const uint32_t end = seg.seq + static_cast<uint32_t>(seg.payload.size());
  const uint64_t sent = static_cast<uint32_t>(end - isn - 1);
  (from_opener ? d.bytes_from_opener : d.bytes_from_acceptor) = sent;
  (from_opener ? d.counted_from_opener : d.counted_from_acceptor) = true;
  if (seg.has(tcp_flags::kRst)) d.reset = true;
  if (seg.has(tcp_flags::kFin)) (from_opener ? d.fin_from_opener : d.fin_from_acceptor) = true;
  if (d.ended() && d.closed == 0) d.closed = now;
}

void TransferWatch::on_data_segment(const TcpSegment& seg, Micros now, const Policy& policy,
                                    Counters& counters) {
  constexpr uint8_t kEnds = tcp_flags::kSyn | tcp_flags::kFin | tcp_flags::kRst;
  if ((seg.flags & kEnds) == 0) return;
  bool from_opener = false;
  if (seg.has(tcp_flags::kSyn) && !seg.has(tcp_flags::kAck)) {
    auto e = expected_.find(EndpointKey{seg.src, seg.dst, seg.dport});
    if (e == expected_.end()) return;  // not a data connection we admitted
    if (connections_.size() >= policy.max_watched_data_connections) {
      ++counters.data_connections_unwatched;
      return;
    }
    const ConnectionKey key{seg.src, seg.dst, seg.sport, seg.dport};
    Connection c;
    c.expectation_id = e->second.expectation_id;
    c.opener_isn = seg.seq;
    c.seen.seen = true;
    c.seen.opener = seg.src;
    c.seen.acceptor = seg.dst;
    c.seen.opener_port = seg.sport;
    c.seen.acceptor_port = seg.dport;
    c.seen.opened = now;
    forget_connection(c.expectation_id);  // a second SYN for one expectation: the newest counts
    by_expectation_[c.expectation_id] = key;
    connections_[key] = c;
    expected_.erase(e);  // one data connection per expectation, as the kernel admits it
    ++counters.data_connections_watched;
    return;
  }
  Connection* c = find_connection(seg, from_opener);
  if (c == nullptr) return;
  if (seg.has(tcp_flags::kSyn)) {  // SYN-ACK from the acceptor
    if (!from_opener) {
      c->acceptor_isn = seg.seq;
      c->acceptor_isn_known = true;
    }
    return;
  }
  count_bytes(*c, seg, from_opener, now);
}

void TransferWatch::forget_connection(uint64_t expectation_id) {
  auto it = by_expectation_.find(expectation_id);
  if (it == by_expectation_.end()) return;
  connections_.erase(it->second);
  by_expectation_.erase(it);
}

void TransferWatch::expire(Micros now, const Policy& policy) {
  std::erase_if(expected_, [now](const auto& kv) { return kv.second.expires <= now; });
  // Data connections no transfer claimed (a transfer command never came, or the session went):
  // forgotten a while after they ended, or when idle for the session timeout.
  std::vector<uint64_t> stale;
  for (const auto& [key, c] : connections_) {
    const Micros since = c.seen.closed != 0 ? c.seen.closed : c.seen.opened;
    const Micros keep = c.seen.closed != 0 ? policy.expectation_timeout : policy.session_idle_timeout;
    if (now - since >= keep) stale.push_back(c.expectation_id);
  }
  for (uint64_t id : stale) forget_connection(id);
}

void TransferWatch::emit_ready(Micros now, const Policy& policy, Counters& counters, ActionSink& sink) {
  if (answered_.empty()) return;
  std::vector<TransferRecord> waiting;
  for (TransferRecord& r : answered_) {
    auto key = r.expected ? by_expectation_.find(r.expectation.id) : by_expectation_.end();
    if (key != by_expectation_.end()) {
      const Connection& c = connections_.at(key->second);
      // The reply may come before the receiver's FIN: wait for it, a while.
      if (!c.seen.ended() && now - r.answered < policy.transfer_linger) {
        waiting.push_back(std::move(r));
        continue;
      }
      r.data = c.seen;
      forget_connection(r.expectation.id);
    }
    ++counters.transfers_recorded;
    Action a = make_action(Action::Kind::kTransfer, &r.control, nullptr, r.session_id,
                           Direction::kToClient, now);
    a.transfer = &r;
    a.user = r.user;
    sink.on_action(a);
  }
  answered_ = std::move(waiting);
}

}  // namespace ftpgate
