#include "pcap/replay.h"

#include <string>

#include "core/action.h"
#include "core/endpoint_formatter.h"
#include "core/engine.h"
#include "pcap/link_layer.h"
#include "pcap/pcap_file.h"
#include "util/decision_json.h"
#include "util/json_writer.h"
#include "util/transfer_json.h"

namespace ftpgate {
namespace {

// Prints the engine's actions as JSON lines. Session close, expiry and used events are the daemon's
// business and are not printed.
class JsonLinesSink : public ActionSink {
 public:
  JsonLinesSink(std::ostream& out, const std::vector<NatMapping>& nat) : out_(out), nat_(nat) {}

  void on_action(const Action& a) override {
    if (a.kind == Action::Kind::kEvent && (a.event == SessionEvent::kClosed ||
                                           a.event == SessionEvent::kExpired || a.event == SessionEvent::kUsed))
      return;
    line_.clear();
    JsonObject o(line_);
    if (a.kind == Action::Kind::kTransfer) {
      write_transfer_json(o, *a.transfer, 0);
    } else {
      write_decision_json(o, a, a.now);
      if (a.kind == Action::Kind::kExpect) write_rewrite(o, a);
    }
    o.close();
    line_ += '\n';
    out_ << line_;
  }

 private:
  // The rewrite a NATed gateway would make of the announcing line, planned as the daemon
  // plans it; the port stays the announced one (the daemon moves it only where the kernel says
  // another control connection expects it already).
  void write_rewrite(JsonObject& o, const Action& a) const {
    const Expectation& e = a.expectation;
    if (a.endpoint_text.empty()) return;
    for (const NatMapping& m : nat_) {
      if (m.inside != e.dst) continue;
      if (auto text = plan_endpoint_rewrite(e.announcement, a.endpoint_text, m.outside, e.dport))
        o.open("rewrite").str("old", a.endpoint_text).str("new", *text).end();
      return;
    }
  }

  std::ostream& out_;
  const std::vector<NatMapping>& nat_;
  std::string line_;
};

struct FileStats {
  uint64_t frames = 0;
  uint64_t not_ip = 0;        // other link payloads (ARP, ...)
  uint64_t not_tcp = 0;
  uint64_t fragments = 0;
  uint64_t undecodable = 0;   // truncated or inconsistent headers (snapped frames, corruption)
};

void write_summary(std::ostream& out, const std::string& file, const FileStats& fs,
                   const Engine& engine, bool truncated) {
  const Counters& c = engine.counters();
  std::string s;
  JsonObject o(s);
  o.str("event", "summary").str("file", file);
  o.num("frames", fs.frames).num("not_ip", fs.not_ip).num("not_tcp", fs.not_tcp);
  o.num("ip_fragments", fs.fragments).num("undecodable", fs.undecodable);
  // The engine's counters by their metric names (core/counters.h), without "_total"; the
  // gauges say nothing once the capture has ended.
  c.for_each([&](std::string_view name, uint64_t v) {
    constexpr std::string_view kTotal = "_total";
    if (name.size() > kTotal.size() && name.substr(name.size() - kTotal.size()) == kTotal)
      o.num(name.substr(0, name.size() - kTotal.size()), v);
  });
  uint64_t rejects = 0, anomalies = 0;
  for (size_t i = 0; i < kReasonCount; ++i)
    (reason_is_rejection(static_cast<Reason>(i)) ? rejects : anomalies) += c.reasons[i];
  o.num("rejects", rejects).num("anomalies", anomalies);
  o.open("reasons");
  for (size_t i = 0; i < kReasonCount; ++i)
    if (c.reasons[i] != 0) o.num(reason_name(static_cast<Reason>(i)), c.reasons[i]);
  o.end();
  if (const CommandRules* rules = engine.policy().rules.get(); rules != nullptr && !rules->empty()) {
    // {"1":{"line":12,"action":"deny","text":"deny verb STOR","hits":3}, ...} by rule number
    o.open("rule_hits");
    for (size_t i = 0; i < rules->size(); ++i) {
      const CommandRule& r = rules->rule(i);
      o.open(std::to_string(i + 1)).num("line", r.line).str("action", rule_action_name(r.action))
          .str("text", r.text).num("hits", rules->hits(i)).end();
    }
    o.end();
  }
  o.boolean("truncated", truncated);
  o.close();
  out << s << '\n';
}

}  // namespace

int run_replay(const ReplayOptions& options, std::ostream& out, std::ostream& err) {
  int status = 0;
  for (const std::string& path : options.files) {
    std::string error;
    std::optional<PcapFile> file = PcapFile::open(path, error);
    if (!file) {
      err << "ftpgate replay: " << path << ": cannot read as a capture: " << error << '\n';
      return 2;
    }
    if (!link_type_supported(file->link_type())) {
      err << "ftpgate replay: " << path << ": unsupported link type " << file->link_type()
          << " (supported: Ethernet, Linux cooked SLL/SLL2, raw IP, loopback)\n";
      return 2;
    }
    JsonLinesSink sink(out, options.nat);
    Engine engine(options.policy, options.control_ports, sink);
    FileStats fs;
    CapturedFrame frame;
    bool truncated = false;
    Micros last_micros = 0;
    for (;;) {
      const PcapFile::Read r = file->next(frame);
      if (r == PcapFile::Read::kEnd) break;
      if (r == PcapFile::Read::kTruncated) {
        truncated = true;
        err << "ftpgate replay: " << path << ": truncated capture after " << fs.frames
            << " frames: " << file->error() << '\n';
        break;
      }
      ++fs.frames;
      last_micros = frame.micros;
      const auto ip = strip_link_layer(file->link_type(), frame.bytes);
      if (!ip) {
        ++fs.not_ip;
        continue;
      }
      switch (engine.on_packet(*ip, frame.micros)) {
        case DecodeStatus::kOk: break;
        case DecodeStatus::kNotTcp: ++fs.not_tcp; break;
        case DecodeStatus::kFragment: ++fs.fragments; break;
        case DecodeStatus::kNotIp: ++fs.not_ip; break;
        default: ++fs.undecodable; break;
      }
    }
    engine.finish_transfers(last_micros);
    write_summary(out, path, fs, engine, truncated);
    if (truncated) status = 1;
  }
  out.flush();
  return status;
}

}  // namespace ftpgate
