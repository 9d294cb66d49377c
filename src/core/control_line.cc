#include "core/control_line.h"

#include "core/ascii.h"

namespace ftpgate {
namespace {

// Four-letter keyword packed for a switch.
constexpr uint32_t pack(char a, char b, char c, char d) {
  return (uint32_t(uint8_t(a)) << 24) | (uint32_t(uint8_t(b)) << 16) | (uint32_t(uint8_t(c)) << 8) |
         uint32_t(uint8_t(d));
}

std::string_view trim_spaces(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return s;
}

}  // namespace

Command parse_command(std::string_view line) {
  Command cmd;
  size_t verb_end = 0;
  while (verb_end < line.size() && line[verb_end] != ' ') ++verb_end;
  size_t arg = verb_end;
  while (arg < line.size() && line[arg] == ' ') ++arg;
  cmd.name = line.substr(0, verb_end);
  cmd.argument = line.substr(arg);
  cmd.argument_offset = arg;
  if (verb_end == 3 && ascii_iequals(line.substr(0, 3), "CCC")) {
    cmd.verb = Verb::kCcc;
    return cmd;
  }
  if (verb_end != 4) return cmd;
  switch (pack(ascii_upper(line[0]), ascii_upper(line[1]), ascii_upper(line[2]), ascii_upper(line[3]))) {
    case pack('P', 'O', 'R', 'T'): cmd.verb = Verb::kPort; break;
    case pack('E', 'P', 'R', 'T'): cmd.verb = Verb::kEprt; break;
    case pack('L', 'P', 'R', 'T'): cmd.verb = Verb::kLprt; break;
    case pack('P', 'A', 'S', 'V'): cmd.verb = Verb::kPasv; break;
    case pack('E', 'P', 'S', 'V'): cmd.verb = Verb::kEpsv; break;
    case pack('L', 'P', 'S', 'V'): cmd.verb = Verb::kLpsv; break;
    case pack('U', 'S', 'E', 'R'): cmd.verb = Verb::kUser; break;
    case pack('P', 'A', 'S', 'S'): cmd.verb = Verb::kPass; break;
    case pack('R', 'E', 'I', 'N'): cmd.verb = Verb::kRein; break;
    case pack('R', 'E', 'T', 'R'): case pack('S', 'T', 'O', 'R'): case pack('S', 'T', 'O', 'U'):
    case pack('A', 'P', 'P', 'E'): case pack('L', 'I', 'S', 'T'): case pack('N', 'L', 'S', 'T'):
    case pack('M', 'L', 'S', 'D'):
      cmd.verb = Verb::kTransfer;
      break;
    case pack('A', 'U', 'T', 'H'): {
      // AUTH TLS | AUTH SSL | AUTH TLS-C | AUTH TLS-P   (RFC 4217 section 6, RFC 2228)
      std::string_view mech = trim_spaces(cmd.argument);
      if (ascii_iequals(mech, "TLS") || ascii_iequals(mech, "SSL") || ascii_iequals(mech, "TLS-C") ||
          ascii_iequals(mech, "TLS-P"))
        cmd.verb = Verb::kAuthTls;
      break;
    }
    default: break;
  }
  return cmd;
}

ReplyLine parse_reply_line(std::string_view line) {
  ReplyLine r;
  if (line.size() < 3) return r;
  for (int i = 0; i < 3; ++i)
    if (line[i] < '0' || line[i] > '9') return r;
  if (line.size() > 3 && line[3] != ' ' && line[3] != '-') return r;
  r.is_reply_start = true;
  r.code = static_cast<uint16_t>((line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0'));
  r.continues = line.size() > 3 && line[3] == '-';
  r.text = line.substr(line.size() > 3 ? 4 : 3);
  return r;
}

}  // namespace ftpgate
