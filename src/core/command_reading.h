#pragma once
// How FTP servers read a command line, for the command rules. A rule must judge the verb the
// server will execute, and servers read more leniently than RFC 959 writes:
//   - ProFTPD removes Telnet sequences (RFC 854) before it reads the verb:
//       "DE" IAC IP "LE x"  ->  "DELE x"        IAC IP IAC DM "DELE x"  ->  "DELE x"
//     (IAC = 0xFF; IAC IAC stands for one 0xFF byte; IAC WILL/WONT/DO/DONT take an option byte)
//   - ProFTPD and pure-ftpd end the verb at any white space ("DELE<TAB>x"), and skip white space
//     before it ("  DELE x").
// The literal reading (verb up to the first space, as vsftpd reads it) and the lenient one are
// both judged; the stricter verdict wins. A line with other control bytes (NUL, a CR inside the
// line, ...) has no reading all servers share: it cannot be judged (see line_is_judgeable).
#include <string>
#include <string_view>

namespace ftpgate {

struct CommandReading {
  std::string verb;
  std::string argument;
};

// The lenient reading: Telnet sequences removed, white space around the verb skipped.
CommandReading lenient_reading(std::string_view line);

// False when the line holds a byte servers disagree on: a control byte other than TAB (NUL,
// CR, LF, ESC, DEL...). IAC sequences and bytes >= 0x80 (UTF-8 names) are fine.
bool line_is_judgeable(std::string_view line);

}  // namespace ftpgate
