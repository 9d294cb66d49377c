#pragma once
// An IPv4 or IPv6 address held by value (16 bytes + family), comparable and hashable.
// IPv4 addresses occupy the first 4 bytes.
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ftpgate {

enum class Family : uint8_t { kNone = 0, kV4 = 4, kV6 = 6 };

class IpAddress {
 public:
  IpAddress() = default;
  static IpAddress v4(uint32_t host_order);
  static IpAddress v4_bytes(const uint8_t* network_order4);
  static IpAddress v6_bytes(const uint8_t* network_order16);
  // Strict text forms: dotted quad (no leading zeros, each octet 0-255) or RFC 4291 text.
  static std::optional<IpAddress> parse(std::string_view text);
  static std::optional<IpAddress> parse_v4(std::string_view text);
  static std::optional<IpAddress> parse_v6(std::string_view text);

  Family family() const { return family_; }
  bool is_v4() const { return family_ == Family::kV4; }
  bool is_v6() const { return family_ == Family::kV6; }
  const uint8_t* bytes() const { return bytes_.data(); }
  size_t size() const { return is_v4() ? 4 : 16; }
  uint32_t v4_host_order() const;

  // Canonical text form (inet_ntop).
  std::string to_string() const;

  friend bool operator==(const IpAddress&, const IpAddress&) = default;
  size_t hash() const;

 private:
  Family family_ = Family::kNone;
  std::array<uint8_t, 16> bytes_{};
};

// "198.51.100.2:40000" / "[2001:db8::1]:40000"
std::string address_port_text(const IpAddress& a, uint16_t port);

}  // namespace ftpgate
