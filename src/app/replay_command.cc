#include "app/replay_command.h"

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>
#include <streambuf>
#include <string>
#include <string_view>
#include <vector>

#include "daemon/config.h"
#include "pcap/replay.h"
#include "util/port_list.h"

namespace ftpgate {

static const char kUsage[] =
    "usage: ftpgate replay [--ports 21,2121,...] [--loose] [--nat INSIDE=OUTSIDE]... FILE...\n"
    "  Reads pcap/pcapng captures, runs the ftpgate engine on FTP control connections on the\n"
    "  given ports (default 21) and prints one JSON object per decision, then a summary.\n"
    "  --loose   admit data connections to third-party addresses announced in PORT/EPRT/227\n"
    "            (like nf_conntrack_ftp loose=1); default is strict (bounce protection).\n"
    "  --nat INSIDE=OUTSIDE   the capture was taken inside a NAT that shows address INSIDE as\n"
    "            OUTSIDE (masquerade: the client's; DNAT: the server's): each expectation whose\n"
    "            line announces INSIDE gets a \"rewrite\" field with the old and new endpoint\n"
    "            text, as the daemon would rewrite it. Repeatable.\n"
    "  --config FILE   apply the daemon's policy from its config file (ports, strictness,\n"
    "            command rules, strict, mask_banner, mask_syst): each rule's log or deny is\n"
    "            printed as a \"policy\" event, and the summary counts each rule's hits.\n"
    "  --rule TEXT   one more command rule (after the file's), as the config key `rule`.\n"
    "  --audit   also print one \"transfer\" record per data transfer (command, user, file,\n"
    "            direction, data connection, bytes each way from its SYN/FIN/RST sequence\n"
    "            numbers, reply), as the daemon's audit_log writes them.\n";

namespace {

// Passes the replay's output through unchanged and remembers, from each file's summary line,
// a capture in which no segment was on a control port (the server on another port?).
class SummaryWatch : public std::streambuf {
 public:
  explicit SummaryWatch(std::streambuf* out) : out_(out) {}
  const std::vector<std::string>& unmatched() const { return unmatched_; }

 protected:
  int_type overflow(int_type c) override {
    if (traits_type::eq_int_type(c, traits_type::eof())) return traits_type::not_eof(c);
    line_ += traits_type::to_char_type(c);
    if (traits_type::to_char_type(c) == '\n') look_at_line();
    return out_->sputc(traits_type::to_char_type(c));
  }
  std::streamsize xsputn(const char* s, std::streamsize n) override {
    for (std::streamsize i = 0; i < n; ++i) {
      line_ += s[i];
      if (s[i] == '\n') look_at_line();
    }
    return out_->sputn(s, n);
  }
  int sync() override { return out_->pubsync(); }

 private:
  // A number field of the summary line ("frames":48 -> 48; 0 when absent).
  uint64_t field(std::string_view name) const {
    const size_t at = line_.find("\"" + std::string(name) + "\":");
    return at == std::string::npos ? 0 : std::strtoull(line_.c_str() + at + name.size() + 3, nullptr, 10);
  }
  void look_at_line() {
    if (line_.rfind("{\"event\":\"summary\"", 0) == 0 && field("control_segments") == 0) {
      const uint64_t other = field("not_ip") + field("not_tcp") + field("ip_fragments") + field("undecodable");
      if (field("frames") > other) {  // TCP segments there were, on other ports
        const size_t f = line_.find("\"file\":\"");
        unmatched_.push_back(f == std::string::npos ? "?" : line_.substr(f + 8, line_.find('"', f + 8) - f - 8));
      }
    }
    line_.clear();
  }
  std::streambuf* out_;
  std::string line_;
  std::vector<std::string> unmatched_;
};

std::string port_list_text(const std::vector<uint16_t>& ports) {
  std::string s;
  for (uint16_t p : ports) s += (s.empty() ? "" : ",") + std::to_string(p);
  return s;
}

}  // namespace

int replay_command(int argc, char** argv) {
  ReplayOptions opt;
  // The daemon's settings, when --config or --rule is given: the policy comes from them, then
  // --ports and --loose apply on top.
  DaemonConfig cfg;
  bool from_config = false, ports_given = false, loose = false, audit = false;
  for (int i = 0; i < argc; ++i) {
    const std::string_view a = argv[i];
    if ((a == "--config" || a == "--rule" || a == "--ports" || a == "--nat") && i + 1 >= argc) {
      std::cerr << "ftpgate replay: " << a << " needs a value\n" << kUsage;
      return 2;
    }
    if (a == "--config" && i + 1 < argc) {
      from_config = true;
      cfg.config_file = argv[++i];
      std::ifstream in(cfg.config_file);
      std::stringstream text;
      text << in.rdbuf();
      if (!in) {
        std::cerr << "ftpgate replay: cannot read the configuration file " << cfg.config_file << "\n";
        return 2;
      }
      if (auto err = apply_config_text(cfg, text.str())) {
        std::cerr << "ftpgate replay: " << cfg.config_file << ": " << err->message << "\n";
        return 2;
      }
    } else if (a == "--rule" && i + 1 < argc) {
      from_config = true;
      if (auto err = apply_setting(cfg, "rule", argv[++i])) {
        std::cerr << "ftpgate replay: --rule: " << *err << "\n";
        return 2;
      }
    } else if (a == "--ports" && i + 1 < argc) {
      ports_given = true;
      PortListParse ports = parse_port_list(argv[++i]);
      if (!ports.ports) {
        std::cerr << "ftpgate replay: --ports wants a list like 21,2121 or 2100-2110, got '"
                  << argv[i] << "': " << ports.error << "\n";
        return 2;
      }
      opt.control_ports = *ports.ports;
    } else if (a == "--nat" && i + 1 < argc) {
      const std::string_view m = argv[++i];
      const size_t eq = m.find('=');
      auto inside = IpAddress::parse(m.substr(0, eq == std::string_view::npos ? 0 : eq));
      auto outside = eq == std::string_view::npos ? std::nullopt : IpAddress::parse(m.substr(eq + 1));
      if (!inside || !outside || inside->family() != outside->family()) {
        std::cerr << "ftpgate replay: --nat wants INSIDE=OUTSIDE, two addresses of one family, got '"
                  << m << "'\n";
        return 2;
      }
      opt.nat.push_back(NatMapping{*inside, *outside});
    } else if (a == "--loose") {
      loose = true;
    } else if (a == "--audit") {
      audit = true;
    } else if (a == "-h" || a == "--help") {
      std::cout << kUsage;
      return 0;
    } else if (!a.empty() && a[0] == '-') {
      std::cerr << "ftpgate replay: unknown option '" << a << "'\n" << kUsage;
      return 2;
    } else {
      opt.files.emplace_back(a);
    }
  }
  if (opt.files.empty()) {
    std::cerr << kUsage;
    return 2;
  }
  if (from_config) {
    opt.policy = cfg.policy;
    if (!ports_given) opt.control_ports = cfg.control_ports;
  }
  if (loose) opt.policy.require_peer_address = false;
  if (audit) opt.policy.audit_transfers = true;
  std::ios::sync_with_stdio(false);
  SummaryWatch watch(std::cout.rdbuf());
  std::ostream out(&watch);
  const int rc = run_replay(opt, out, std::cerr);
  out.flush();
  for (const std::string& file : watch.unmatched())
    std::cerr << "ftpgate replay: " << file << ": no TCP segment on control port(s) "
              << port_list_text(opt.control_ports)
              << ": is the FTP server on another port? (--ports 2121, or the config's ports)\n";
  return rc;
}

}  // namespace ftpgate
