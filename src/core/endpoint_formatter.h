#pragma once
// The inverse of data_endpoint_parser: the endpoint text a NAT rewrite puts in place of the one a
// line carried. It covers exactly the span the parser reports (DataEndpoint::begin/end):
//   PORT, 227   h1,h2,h3,h4,p1,p2                 "203,0,113,1,195,80"
//   EPRT        <d>af<d>address<d>port<d>         "|1|203.0.113.1|50000|", "|2|2001:db8::1|50000|"
//   LPRT, 228   af,hal,h1,...,hn,2,p1,p2          "4,4,203,0,113,1,2,195,80"
//   229         the port alone                    "50000" (inside "(|||50000|)")
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/action.h"
#include "core/ip_address.h"

namespace ftpgate {

// `eprt_delimiter` keeps the delimiter the original EPRT used (RFC 2428 lets the sender choose).
std::string format_endpoint_text(Announcement announcement, const IpAddress& address,
                                 uint16_t port, char eprt_delimiter = '|');

// The one rewrite planner (the daemon's gateway and `ftpgate replay --nat` both use it): the text
// that must replace `old_text` (what the line announced) so that it names `address`:`port`, or
// nullopt when it already does (a 229 names no address; an unchanged port needs no rewrite).
std::optional<std::string> plan_endpoint_rewrite(Announcement announcement,
                                                 std::string_view old_text,
                                                 const IpAddress& address, uint16_t port);

}  // namespace ftpgate
