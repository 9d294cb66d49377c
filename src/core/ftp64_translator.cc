#include "core/ftp64_translator.h"

#include "core/ascii.h"
#include "core/control_line.h"
#include "core/data_endpoint_parser.h"
#include "core/endpoint_formatter.h"

namespace ftpgate {
namespace {

std::string_view trim_right(std::string_view s) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool all_digits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

Ftp64Edit pass(std::string_view line) {
  Ftp64Edit e;
  e.server_line.assign(line);
  return e;
}

Ftp64Edit replace(std::string text, std::string_view what) {
  Ftp64Edit e;
  e.kind = Ftp64Edit::Kind::kReplace;
  e.server_line = text;
  e.text = std::move(text);
  e.what = what;
  return e;
}

Ftp64Edit remove_line() {
  Ftp64Edit e;
  e.kind = Ftp64Edit::Kind::kRemove;
  return e;
}

}  // namespace

bool Ftp64Policy::applies_to(const ControlFlow& f) const {
  if (!f.client.is_v4() || !f.server.is_v4()) return false;
  if (servers.empty()) return true;
  for (const AddressPrefix& p : servers)
    if (p.contains(f.server)) return true;
  return false;
}

IpAddress ftp64_embed(const AddressPrefix& prefix, const IpAddress& v4) {
  uint8_t b[16];
  for (size_t i = 0; i < 12; ++i) b[i] = prefix.base.is_v6() ? prefix.base.bytes()[i] : 0;
  for (size_t i = 0; i < 4; ++i) b[12 + i] = v4.bytes()[i];
  return IpAddress::v6_bytes(b);
}

std::string_view ftp64_mode_name(Ftp64Mode m) {
  switch (m) {
    case Ftp64Mode::kNone:
      return "NONE";
    case Ftp64Mode::kEpsv:
      return "EPSV";
    case Ftp64Mode::kEpsvEprt:
      return "EPSVEPRT";
  }
  return "NONE";
}

Ftp64Translator::Ftp64Translator(const Ftp64Settings& settings, const Ftp64Peers& peers,
                                 const IpAddress& client_v4, const IpAddress& server_v4)
    : settings_(settings),
      peers_(peers),
      client_v4_(client_v4),
      server_v4_(server_v4),
      mode_(settings.initial) {}

Ftp64Edit Ftp64Translator::answer_here(std::string reply, std::string_view what) {
  // RFC 6384 section 12: the command is not passed on; the server gets a NOOP in its place and
  // its answer to the NOOP is replaced by the ALG's reply.
  pending_.push_back(Pending{Did::kNoop, std::move(reply)});
  ++counts_.answered_by_alg;
  return replace("NOOP", what);
}

Ftp64Edit Ftp64Translator::on_command(std::string_view line) {
  const Command cmd = parse_command(line);
  const std::string_view arg = trim_right(cmd.argument);
  if (!transparent_) {
    // ALGS (RFC 6384 section 11) is the ALG's own command: answered in every mode.
    if (ascii_iequals(cmd.name, "ALGS")) return algs(arg);
    if (cmd.verb == Verb::kEpsv && mode_ != Ftp64Mode::kNone) return translate_epsv(arg);
    if (cmd.verb == Verb::kEprt && mode_ == Ftp64Mode::kEpsvEprt) return translate_eprt(line, arg);
    if (ascii_iequals(cmd.name, "AUTH")) {
      // RFC 6384 section 10: what follows AUTH may be encrypted; copied transparently until a
      // 4xx/5xx refuses it.
      transparent_ = true;
      pending_.push_back(Pending{Did::kAuth, {}});
      return pass(line);
    }
  }
  pending_.push_back(Pending{Did::kPlain, {}});
  return pass(line);
}

Ftp64Edit Ftp64Translator::translate_epsv(std::string_view arg) {
  // EPSV [<net-prt> | ALL]   (RFC 2428 section 3; RFC 6384 section 6)
  if (arg.empty() || arg == "2") {
    pending_.push_back(Pending{Did::kPasvForEpsv, {}});
    ++counts_.epsv_translated;
    return replace("PASV", "epsv");
  }
  if (ascii_iequals(arg, "ALL"))
    return answer_here("504 EPSV ALL is not supported through the IPv6-to-IPv4 translator",
                       "epsv_all");
  if (all_digits(arg)) return answer_here("522 Network protocol not supported, use (2)", "epsv_af");
  return answer_here("501 Syntax error in EPSV argument", "epsv_af");
}

Ftp64Edit Ftp64Translator::translate_eprt(std::string_view line, std::string_view arg) {
  // EPRT |2|<the client's IPv6 address>|<port>|  ->  PORT <client's IPv4 address>,<port>
  // (RFC 6384 section 7). Anything else is not passed on: net-prt 1 from an IPv6-only client
  // cannot be right, and another host's address would have the server connect elsewhere.
  const DataEndpoint ep = parse_eprt_argument(arg);
  if (ep.status == ParseStatus::kMalformed || ep.status == ParseStatus::kOutOfRange) {
    pending_.push_back(Pending{Did::kPlain, {}});
    return pass(line);  // the server refuses it as it would any bad EPRT
  }
  if (ep.status == ParseStatus::kUnsupportedFamily || !ep.address.is_v6() || !client_v4_.is_v4())
    return answer_here("522 Network protocol not supported, use (2)", "eprt_af");
  if (!peers_.is_client(ep.address))
    return answer_here("501 EPRT address is not the client's own", "eprt_foreign");
  pending_.push_back(Pending{Did::kPlain, {}});
  ++counts_.eprt_translated;
  return replace("PORT " + format_endpoint_text(Announcement::kPort, client_v4_, ep.port), "eprt");
}

Ftp64Edit Ftp64Translator::algs(std::string_view arg) {
  // ALGS STATUS64 | ENABLE64 | DISABLE64  ->  216 <state>   (RFC 6384 section 11)
  if (ascii_iequals(arg, "ENABLE64")) {
    mode_ = settings_.enabled;
  } else if (ascii_iequals(arg, "DISABLE64")) {
    mode_ = Ftp64Mode::kNone;
  } else if (!ascii_iequals(arg, "STATUS64")) {
    return answer_here("504 ALGS argument not implemented (STATUS64, ENABLE64, DISABLE64)", "algs");
  }
  return answer_here("216 " + std::string(ftp64_mode_name(mode_)), "algs");
}

Ftp64Edit Ftp64Translator::on_reply(std::string_view line) {
  const ReplyLine r = parse_reply_line(line);
  if (in_multiline_) {
    // RFC 959 4.2: only "<same code><SP>" ends it.
    const bool ends = r.is_reply_start && !r.continues && r.code == multiline_code_;
    if (!ends) {
      if (!removing_) return pass(line);
      if (!multiline_endpoint_.ok()) multiline_endpoint_ = parse_227_text(line);
      return remove_line();
    }
    in_multiline_ = false;
    const std::optional<Pending> p = std::move(multiline_answers_);
    multiline_answers_.reset();
    if (!p) return pass(line);
    // A replaced reply's last line carries the ALG's text; otherwise only AUTH's fate is read.
    removing_ = false;
    return answer(*p, r.code, r.text, line);
  }
  if (!r.is_reply_start) return pass(line);
  std::optional<Pending> p;
  if (is_final_code(r.code) && !pending_.empty()) {
    p = std::move(pending_.front());
    pending_.pop_front();
  }
  if (r.continues) {
    in_multiline_ = true;
    multiline_code_ = r.code;
    multiline_answers_ = std::move(p);
    multiline_endpoint_ = DataEndpoint{};
    removing_ = multiline_answers_ && (multiline_answers_->did == Did::kNoop ||
                                       multiline_answers_->did == Did::kPasvForEpsv);
    if (!removing_) return pass(line);
    if (multiline_answers_->did == Did::kNoop && r.code != 200) {
      // Decided on the first line: the rest of it is never seen by the client.
      removing_ = false;
      Pending noop = std::move(*multiline_answers_);
      multiline_answers_.reset();
      return answer(noop, r.code, r.text, line);
    }
    multiline_endpoint_ = parse_227_text(r.text);
    return remove_line();
  }
  if (!p) return pass(line);
  multiline_endpoint_ = DataEndpoint{};
  return answer(*p, r.code, r.text, line);
}

Ftp64Edit Ftp64Translator::answer(const Pending& p, uint16_t code, std::string_view text,
                                  std::string_view line) {
  switch (p.did) {
    case Did::kPlain:
      return pass(line);
    case Did::kAuth:
      if (code >= 400) transparent_ = false;  // refused: the session stays in clear text
      return pass(line);
    case Did::kNoop: {
      if (code != 200) {
        // RFC 6384 section 12: the ALG cannot tell the client what the server did instead.
        Ftp64Edit e;
        e.kind = Ftp64Edit::Kind::kTeardown;
        e.text = "the server answered the ALG's NOOP with " + std::to_string(code) +
                 " (expected 200): control connection torn down";
        e.what = "noop_refused";
        ++counts_.teardowns;
        return e;
      }
      return replace(p.reply, "alg_reply");
    }
    case Did::kPasvForEpsv: {
      if (code != 227) return pass(line);  // 4xx/5xx to PASV mean the same to EPSV
      DataEndpoint ep = multiline_endpoint_.ok() ? multiline_endpoint_ : parse_227_text(text);
      multiline_endpoint_ = DataEndpoint{};
      ++counts_.replies_translated;
      if (!ep.ok()) return replace("425 Cannot parse the server's passive reply", "227_foreign");
      // RFC 6384 section 6: the 229 names no address; the client connects to the address it
      // reached the server by. A 227 naming another host cannot be expressed in a 229.
      if (ep.address != server_v4_ && settings_.refuse_foreign_227)
        return replace("425 Server announced another address for the data connection",
                       "227_foreign");
      return replace("229 Entering Extended Passive Mode (|||" + std::to_string(ep.port) + "|)",
                     "227");
    }
  }
  return pass(line);
}

void Ftp64Translator::lost_sync() {
  pending_.clear();
  in_multiline_ = false;
  removing_ = false;
  multiline_answers_.reset();
  transparent_ = true;
}

}  // namespace ftpgate
