#include "core/ip_address.h"

#include <arpa/inet.h>

#include <cstring>

namespace ftpgate {

IpAddress IpAddress::v4(uint32_t host_order) {
  IpAddress a;
  a.family_ = Family::kV4;
  a.bytes_[0] = static_cast<uint8_t>(host_order >> 24);
  a.bytes_[1] = static_cast<uint8_t>(host_order >> 16);
  a.bytes_[2] = static_cast<uint8_t>(host_order >> 8);
  a.bytes_[3] = static_cast<uint8_t>(host_order);
  return a;
}

IpAddress IpAddress::v4_bytes(const uint8_t* network_order4) {
  IpAddress a;
  a.family_ = Family::kV4;
  std::memcpy(a.bytes_.data(), network_order4, 4);
  return a;
}

IpAddress IpAddress::v6_bytes(const uint8_t* network_order16) {
  IpAddress a;
  a.family_ = Family::kV6;
  std::memcpy(a.bytes_.data(), network_order16, 16);
  return a;
}

uint32_t IpAddress::v4_host_order() const {
  return (uint32_t{bytes_[0]} << 24) | (uint32_t{bytes_[1]} << 16) | (uint32_t{bytes_[2]} << 8) |
         uint32_t{bytes_[3]};
}

std::optional<IpAddress> IpAddress::parse_v4(std::string_view text) {
  // "a.b.c.d", each 0-255, 1-3 digits, no leading zeros (as inet_pton), nothing else.
  uint8_t out[4];
  size_t i = 0;
  for (int part = 0; part < 4; ++part) {
    if (part > 0) {
      if (i >= text.size() || text[i] != '.') return std::nullopt;
      ++i;
    }
    size_t start = i;
    unsigned value = 0;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9' && i - start < 3) {
      value = value * 10 + static_cast<unsigned>(text[i] - '0');
      ++i;
    }
    size_t len = i - start;
    if (len == 0 || value > 255 || (len > 1 && text[start] == '0')) return std::nullopt;
    out[part] = static_cast<uint8_t>(value);
  }
  if (i != text.size()) return std::nullopt;
  return v4_bytes(out);
}

std::optional<IpAddress> IpAddress::parse_v6(std::string_view text) {
  // INET6_ADDRSTRLEN is 46; the longest valid text form fits.
  char buf[64];
  if (text.empty() || text.size() >= sizeof(buf)) return std::nullopt;
  std::memcpy(buf, text.data(), text.size());
  buf[text.size()] = '\0';
  uint8_t out[16];
  if (inet_pton(AF_INET6, buf, out) != 1) return std::nullopt;
  return v6_bytes(out);
}

std::optional<IpAddress> IpAddress::parse(std::string_view text) {
  if (text.find(':') != std::string_view::npos) return parse_v6(text);
  return parse_v4(text);
}

std::string IpAddress::to_string() const {
  char buf[INET6_ADDRSTRLEN];
  if (family_ == Family::kNone) return "none";
  const int af = is_v4() ? AF_INET : AF_INET6;
  if (inet_ntop(af, bytes_.data(), buf, sizeof(buf)) == nullptr) return "invalid";
  return buf;
}

size_t IpAddress::hash() const {
  // FNV-1a over family and the used bytes: cheap and good enough for a session table.
  uint64_t h = 1469598103934665603ull ^ static_cast<uint8_t>(family_);
  for (size_t i = 0; i < size(); ++i) {
    h ^= bytes_[i];
    h *= 1099511628211ull;
  }
  return static_cast<size_t>(h);
}

std::string address_port_text(const IpAddress& a, uint16_t port) {
  // Built by appending: GCC 12 at -O3 warns falsely (-Wrestrict) on "[" + std::string.
  std::string s;
  if (a.is_v6()) s += '[';
  s += a.to_string();
  if (a.is_v6()) s += ']';
  s += ':';
  s += std::to_string(port);
  return s;
}

}  // namespace ftpgate
