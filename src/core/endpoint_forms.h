#pragma once
// The six ways an FTP control line announces a data endpoint, described once (as the kernel
// helper's search[] table): which line carries it, which command it answers, how its text is
// parsed, and what is refused about it.
//
//   form  line                             mode     answers  syntax
//   PORT  PORT h1,h2,h3,h4,p1,p2           active   -        RFC 959 4.1.2, IPv4 only
//   EPRT  EPRT |af|addr|port|              active   -        RFC 2428 2
//   LPRT  LPRT af,hal,h...,pal,p...        active   -        RFC 1639 2
//   227   227 ... (h1,h2,h3,h4,p1,p2)      passive  PASV     RFC 959, IPv4 only
//   228   228 ... (af,hal,h...,pal,p...)   passive  LPSV     RFC 1639 3
//   229   229 ... (|||port|)               passive  EPSV     RFC 2428 3, no address
#include <cstdint>
#include <string_view>

#include "core/action.h"
#include "core/control_line.h"
#include "core/data_endpoint_parser.h"
#include "core/reason.h"

namespace ftpgate {

struct EndpointForm {
  Announcement announcement;
  std::string_view name;        // as logged: "PORT", "227", ...
  DataMode mode;                // active: a client command; passive: a server reply
  Verb verb;                    // the command (active), or the command it answers (passive)
  uint16_t reply_code;          // passive: 227, 228, 229; active: 0
  DataEndpoint (*parse)(std::string_view);  // the argument (active) or the reply text
  Reason malformed;             // what a text that does not parse is
  bool ipv4_only;               // PORT and 227 have no syntax for IPv6 addresses
  bool names_address;           // false for 229: the address is the control connection's server
};

// The form a command announces (PORT/EPRT/LPRT), or null.
const EndpointForm* form_of_command(Verb verb);
// The form a reply code announces (227/228/229), or null.
const EndpointForm* form_of_reply(uint16_t code);
const EndpointForm& form_of(Announcement announcement);

}  // namespace ftpgate
