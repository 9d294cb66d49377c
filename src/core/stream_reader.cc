#include "core/stream_reader.h"

#include <algorithm>

#include "core/control_line.h"

namespace ftpgate {
namespace {

// A line that can only be clear-text FTP: a command ("USER x", "PASV": 3-4 letters, then a space
// and printable ASCII) or a reply ("200 ok": three digits, ' ' or '-', printable ASCII).
bool unambiguous_ftp_line(Direction dir, std::string_view line) {
  size_t i = 0;
  if (dir == Direction::kToServer) {
    while (i < line.size() && ((line[i] >= 'A' && line[i] <= 'Z') || (line[i] >= 'a' && line[i] <= 'z'))) ++i;
    if (i < 3 || i > 4 || (i < line.size() && line[i] != ' ')) return false;
  } else {
    const ReplyLine r = parse_reply_line(line);
    if (!r.is_reply_start || r.code < 100) return false;
    i = 3;
  }
  for (; i < line.size(); ++i)
    if (line[i] < 0x20 || line[i] > 0x7e) return false;
  return true;
}

}  // namespace

bool StreamReader::anchor(const TcpSegment& seg, uint32_t& data_seq, bool& picked_up) {
  picked_up = false;
  data_seq = seg.seq;
  if (seg.has(tcp_flags::kSyn)) {
    // The SYN occupies one sequence number. Data carried on a SYN is not part of the stream
    // read here (the session never passes it on: without TCP Fast Open the receiver drops it
    // and the sender sends it again after the handshake).
    data_seq = seg.seq + 1;
    if (!tcp_.initialized()) tcp_.start_at(data_seq);
  }
  if (tcp_.initialized()) return true;
  if (seg.payload.empty()) return false;  // nothing to anchor the stream on yet
  tcp_.start_at(data_seq);
  picked_up = true;
  return true;
}

uint64_t StreamReader::skip_unseen(uint32_t ack) {
  if (!tcp_.initialized()) return 0;
  uint64_t acked = tcp_.widen(ack);
  if (fin_) acked = std::min(acked, fin_at_);  // the ACK of a FIN counts one past the data
  return tcp_.skip_gap(acked);
}

void StreamReader::resync_after_gap(StreamReaderEvents& ev) {
  lines_.resync();
  tcp_.drain([&](std::string_view b) { deliver(b, ev); });
}

ReassemblyReport StreamReader::push(uint32_t data_seq, std::string_view payload,
                                    bool in_order_only, StreamReaderEvents& ev) {
  return tcp_.push(data_seq, payload, in_order_only, [&](std::string_view b) { deliver(b, ev); });
}

void StreamReader::note_fin(uint32_t data_seq, size_t payload_length) {
  if (!tcp_.initialized()) return;
  fin_ = true;
  fin_at_ = tcp_.widen(data_seq) + payload_length;
}

void StreamReader::start_tls() {
  mode_ = Mode::kTls;
  tls_ = TlsRecordFollower{};
  lines_.reset();
}

void StreamReader::deliver(std::string_view bytes, StreamReaderEvents& ev) {
  while (!bytes.empty()) {
    if (mode_ == Mode::kTls) {
      const TlsRecordFollower::Outcome out = tls_.feed(bytes);
      bytes.remove_prefix(out.consumed);
      if (out.status == TlsRecordFollower::Status::kInTls) return;
      lines_.reset();
      if (out.status == TlsRecordFollower::Status::kEnded) {
        ev.on_stream_event(dir_, StreamEvent::kTlsEnded, {});
        mode_ = Mode::kLines;
        ev.on_stream_event(dir_, StreamEvent::kResumed, {});
      } else {
        ev.on_stream_event(dir_, StreamEvent::kNotTls, bytes.substr(0, 40));
        mode_ = Mode::kAwaitClear;
      }
      continue;
    }
    // Stops early when a line switched this direction to TLS: the rest of the bytes are records.
    lines_.seek(tcp_.next() - bytes.size());
    const size_t used = lines_.feed(bytes, [&](std::string_view line, LineKind kind) {
      if (mode_ == Mode::kAwaitClear) {
        if (kind != LineKind::kWhole || !unambiguous_ftp_line(dir_, line)) return true;  // opaque
        mode_ = Mode::kLines;
        ev.on_stream_event(dir_, StreamEvent::kResumed, {});
      }
      ev.on_line(dir_, line, kind, lines_.line_start());
      return mode_ != Mode::kTls;
    });
    bytes.remove_prefix(used);
  }
}

}  // namespace ftpgate
