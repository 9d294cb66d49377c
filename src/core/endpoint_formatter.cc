#include "core/endpoint_formatter.h"

namespace ftpgate {
namespace {

void append_bytes(std::string& out, const IpAddress& a) {
  for (size_t i = 0; i < a.size(); ++i) {
    if (i > 0) out += ',';
    out += std::to_string(a.bytes()[i]);
  }
}

void append_port_pair(std::string& out, uint16_t port) {
  out += std::to_string(port >> 8);
  out += ',';
  out += std::to_string(port & 0xff);
}

}  // namespace

std::string format_endpoint_text(Announcement announcement, const IpAddress& address,
                                 uint16_t port, char eprt_delimiter) {
  std::string out;
  switch (announcement) {
    case Announcement::kPort:
    case Announcement::k227:
      append_bytes(out, address);
      out += ',';
      append_port_pair(out, port);
      break;
    case Announcement::kEprt:
      out += eprt_delimiter;
      out += address.is_v6() ? '2' : '1';
      out += eprt_delimiter;
      out += address.to_string();
      out += eprt_delimiter;
      out += std::to_string(port);
      out += eprt_delimiter;
      break;
    case Announcement::kLprt:
    case Announcement::k228:
      out += address.is_v6() ? "6,16," : "4,4,";
      append_bytes(out, address);
      out += ",2,";
      append_port_pair(out, port);
      break;
    case Announcement::k229:
      out = std::to_string(port);
      break;
  }
  return out;
}

std::optional<std::string> plan_endpoint_rewrite(Announcement announcement,
                                                 std::string_view old_text,
                                                 const IpAddress& address, uint16_t port) {
  // An EPRT keeps its delimiter; the other forms have none (the argument is unused).
  const char delimiter = old_text.empty() ? '|' : old_text.front();
  std::string text = format_endpoint_text(announcement, address, port, delimiter);
  if (text == old_text) return std::nullopt;
  return text;
}

}  // namespace ftpgate
