#pragma once
// Parsers for the data endpoints announced on the FTP control channel. Each takes the argument
// or reply text (after the verb or reply code), returns a value, fills no out-parameters, and
// records where in its input the endpoint text lies, so a NAT rewrite can replace exactly it.
#include <cstdint>
#include <string_view>

#include "core/ip_address.h"

namespace ftpgate {

enum class ParseStatus : uint8_t {
  kOk,
  kMalformed,          // not the syntax at all
  kOutOfRange,         // right shape, but an octet > 255 or a port of 0 / > 65535
  kUnsupportedFamily,  // EPRT net-prt not 1/2, LPRT/228 af not 4/6 (or wrong length)
};

struct DataEndpoint {
  ParseStatus status = ParseStatus::kMalformed;
  bool has_address = false;  // false for 229, whose address is the server's
  IpAddress address;
  uint16_t port = 0;
  // [begin, end) of the endpoint text inside the parsed input (for rewriting).
  size_t begin = 0;
  size_t end = 0;
  bool ok() const { return status == ParseStatus::kOk; }
};

// PORT h1,h2,h3,h4,p1,p2   (RFC 959 section 4.1.2): exactly six decimal fields of 1-3 digits,
// each 0-255; port = p1*256+p2, 1-65535. Trailing spaces are allowed, nothing else.
DataEndpoint parse_port_argument(std::string_view arg);

// EPRT |1|132.235.1.2|6275|   EPRT |2|1080::8:800:200C:417A|5282|   (RFC 2428 section 2)
// The delimiter is any printable ASCII character (33-126) that is not a digit; net-prt 1 = IPv4,
// 2 = IPv6. Trailing spaces are allowed after the closing delimiter, nothing else.
DataEndpoint parse_eprt_argument(std::string_view arg);

// LPRT af,hal,h1,...,hn,pal,p1,p2   (RFC 1639 section 2)
// af 4 with hal 4, or af 6 with hal 16; pal 2. All fields decimal 0-255.
DataEndpoint parse_lprt_argument(std::string_view arg);

// 227 Entering Passive Mode (h1,h2,h3,h4,p1,p2)   (RFC 959; RFC 1123 section 4.1.2.6: the text
// may differ, parentheses are optional). The first run of exactly six comma-separated numbers in
// the text is taken, so "Mode v2 (10,0,2,2,195,80)" works where the kernel helper fails.
DataEndpoint parse_227_text(std::string_view text);

// 228 Entering Long Passive Mode (af,hal,h1,...,hn,pal,p1,p2)   (RFC 1639 section 3)
DataEndpoint parse_228_text(std::string_view text);

// 229 Entering Extended Passive Mode (|||6446|)   (RFC 2428 section 3): "(", three equal
// delimiters, the port, the delimiter, ")". The address is the control connection's server.
DataEndpoint parse_229_text(std::string_view text);

}  // namespace ftpgate
